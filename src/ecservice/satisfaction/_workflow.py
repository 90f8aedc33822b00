"""The default survey workflow: guards, hooks and the transition table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, TypeVar

from ecservice.satisfaction._events import (
    SurveyAnswered,
    SurveyCancelled,
    SurveyExpired,
    SurveyReminded,
    SurveySent,
    SurveyStatus,
)
from ecservice.workflow import Context, DomainEvent, Workflow, transition

if TYPE_CHECKING:
    from ecservice.satisfaction._survey import Survey

__all__ = ["AWAITING_STATES", "SURVEY_WORKFLOW"]

S = SurveyStatus

#: The states in which a sent survey awaits its answer: it may be answered, reminded or expire.
AWAITING_STATES: Final[tuple[SurveyStatus, ...]] = (S.SENT, S.REMINDED)


# --- guards ------------------------------------------------------------------------------------


def within_window(survey: Survey, ctx: Context) -> bool:
    """The survey's response window has not ended (its last instant excluded)."""
    ends = survey.expires_at
    return ends is not None and ctx.at < ends


def window_ended(survey: Survey, ctx: Context) -> bool:
    """The survey's response window has ended."""
    ends = survey.expires_at
    return ends is not None and ctx.at >= ends


def reminders_left(survey: Survey, ctx: Context) -> bool:
    """Fewer reminders were sent than the survey allows (``max_reminders``)."""
    return survey.reminders < survey.max_reminders


# --- hooks -------------------------------------------------------------------------------------

E = TypeVar("E", bound=DomainEvent)


def _event(kind: type[E], survey: Survey, ctx: Context, **fields: Any) -> E:
    return kind(aggregate_id=survey.id, occurred_at=ctx.at, actor=ctx.actor, **fields)


def emit_sent(survey: Survey, ctx: Context) -> None:
    """Emit :class:`SurveySent`."""
    ctx.emit(_event(SurveySent, survey, ctx, channel=survey.channel))


def emit_reminded(survey: Survey, ctx: Context) -> None:
    """Emit :class:`SurveyReminded` with the reminder's number."""
    ctx.emit(_event(SurveyReminded, survey, ctx, reminder=survey.reminders + 1))


def apply_answers(survey: Survey, ctx: Context) -> None:
    """Record the answers; emit :class:`SurveyAnswered`."""
    answers = ctx.arg("answers", tuple)
    survey.answers = answers
    ctx.emit(_event(SurveyAnswered, survey, ctx, answers=answers))


def emit_expired(survey: Survey, ctx: Context) -> None:
    """Emit :class:`SurveyExpired`."""
    ctx.emit(_event(SurveyExpired, survey, ctx))


def emit_cancelled(survey: Survey, ctx: Context) -> None:
    """Emit :class:`SurveyCancelled`."""
    ctx.emit(_event(SurveyCancelled, survey, ctx))


#: The default survey workflow: scheduled, sent, reminded (optional), then answered or expired;
#: a survey not yet sent may be cancelled.
SURVEY_WORKFLOW: Final[Workflow[Survey]] = Workflow(
    "survey",
    states=SurveyStatus,
    initial=S.SCHEDULED,
    final=[S.ANSWERED, S.EXPIRED, S.CANCELLED],
    transitions=[
        transition("send", S.SCHEDULED, S.SENT, before=[emit_sent]),
        transition(
            "remind",
            AWAITING_STATES,
            S.REMINDED,
            conditions=[within_window, reminders_left],
            before=[emit_reminded],
        ),
        transition(
            "answer",
            AWAITING_STATES,
            S.ANSWERED,
            conditions=[within_window],
            before=[apply_answers],
        ),
        transition(
            "expire", AWAITING_STATES, S.EXPIRED, conditions=[window_ended], before=[emit_expired]
        ),
        transition("cancel", S.SCHEDULED, S.CANCELLED, before=[emit_cancelled]),
    ],
)
