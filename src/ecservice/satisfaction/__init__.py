"""Satisfaction (满意度): surveys linked to orders, complaints and after-sales cases, CSAT and
NPS as exact figures, and customer segments by recency, frequency and monetary value (RFM).

The source practice gathers customers' opinions through questionnaires, communities, free
samples, easy contact and regular contact, and measures its service by their satisfaction.
Here a :class:`Survey` (a questionnaire: questions as data, sent through a
:class:`SurveyChannel`) runs the workflow :data:`SURVEY_WORKFLOW` (scheduled, sent, maybe
reminded, then answered once or expired); :func:`satisfaction_report` turns the surveys of a
window of the shop's days into the response rate, the CSAT (:class:`CsatScore`, the share of
satisfied answers, 4-5 on the 1-5 scale by default) and the NPS (:class:`NpsScore`, promoters
9-10 minus detractors 0-6, from -100 to 100), overall and per :class:`SubjectKind`; and
:func:`rfm_analysis` scores customers 1-5 on recency, frequency and monetary value under an
:class:`RfmPolicy` (fixed thresholds or quantiles) and names their :class:`RfmSegment`
(:func:`purchases_of` picks the purchases out of orders). :class:`ServiceOverview` puts the
service figures of one window side by side: after-sales, complaints, satisfaction, consultation
and ratings.

A score off its scale (an NPS score of 11) raises :class:`InvalidScore` and changes nothing.
"""

from ecservice.satisfaction._checks import (
    DEFAULT_MAX_REMINDERS,
    DEFAULT_RESPONSE_WINDOW,
    MAX_REMINDERS,
    MAX_RESPONSE_WINDOW,
)
from ecservice.satisfaction._errors import InvalidRfmPolicy, InvalidScore, NotTheCustomer
from ecservice.satisfaction._events import (
    SurveyAnswered,
    SurveyCancelled,
    SurveyExpired,
    SurveyReminded,
    SurveySent,
    SurveyStatus,
)
from ecservice.satisfaction._overview import ServiceOverview
from ecservice.satisfaction._report import (
    SatisfactionFigures,
    SatisfactionReport,
    satisfaction_report,
)
from ecservice.satisfaction._rfm import CustomerRfm, Purchase, purchases_of, rfm_analysis
from ecservice.satisfaction._rfm_policy import (
    DEFAULT_FREQUENCY_ORDERS,
    DEFAULT_RECENCY_DAYS,
    DEFAULT_RFM_POLICY,
    DEFAULT_SEGMENTS,
    RFM_SCORES,
    RfmPolicy,
    RfmScores,
    RfmSegment,
)
from ecservice.satisfaction._scores import NPS_PLACES, CsatScore, NpsScore
from ecservice.satisfaction._survey import SURVEY_TIMER, Survey
from ecservice.satisfaction._values import (
    CSAT_SCALE,
    DEFAULT_QUESTIONS,
    DEFAULT_SATISFIED_FROM,
    NPS_SCALE,
    Answer,
    Question,
    QuestionKind,
    SubjectKind,
    SurveyChannel,
    SurveySubject,
)
from ecservice.satisfaction._workflow import AWAITING_STATES, SURVEY_WORKFLOW

__all__ = [
    "AWAITING_STATES",
    "CSAT_SCALE",
    "DEFAULT_FREQUENCY_ORDERS",
    "DEFAULT_MAX_REMINDERS",
    "DEFAULT_QUESTIONS",
    "DEFAULT_RECENCY_DAYS",
    "DEFAULT_RESPONSE_WINDOW",
    "DEFAULT_RFM_POLICY",
    "DEFAULT_SATISFIED_FROM",
    "DEFAULT_SEGMENTS",
    "MAX_REMINDERS",
    "MAX_RESPONSE_WINDOW",
    "NPS_PLACES",
    "NPS_SCALE",
    "RFM_SCORES",
    "SURVEY_TIMER",
    "SURVEY_WORKFLOW",
    "Answer",
    "CsatScore",
    "CustomerRfm",
    "InvalidRfmPolicy",
    "InvalidScore",
    "NotTheCustomer",
    "NpsScore",
    "Purchase",
    "Question",
    "QuestionKind",
    "RfmPolicy",
    "RfmScores",
    "RfmSegment",
    "SatisfactionFigures",
    "SatisfactionReport",
    "ServiceOverview",
    "SubjectKind",
    "Survey",
    "SurveyAnswered",
    "SurveyCancelled",
    "SurveyChannel",
    "SurveyExpired",
    "SurveyReminded",
    "SurveySent",
    "SurveyStatus",
    "SurveySubject",
    "purchases_of",
    "rfm_analysis",
    "satisfaction_report",
]
