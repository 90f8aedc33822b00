"""What a survey is about, how it reaches the customer, its questions and the answers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, final

import attrs

from ecservice._shown import shown
from ecservice.errors import ValidationError
from ecservice.satisfaction._errors import invalid_score
from ecservice.text import LONG_TEXT_MAX, check_text, text
from ecservice.workflow import LabelledState

__all__ = [
    "CSAT_SCALE",
    "DEFAULT_QUESTIONS",
    "DEFAULT_SATISFIED_FROM",
    "NPS_SCALE",
    "Answer",
    "Question",
    "QuestionKind",
    "SubjectKind",
    "SurveyChannel",
    "SurveySubject",
    "answers_for",
    "question_tuple",
]

#: The CSAT scale: 1 (very dissatisfied, 非常不满意) to 5 (very satisfied, 非常满意).
CSAT_SCALE: Final[tuple[int, int]] = (1, 5)
#: The NPS scale: 0 (not at all likely to recommend) to 10 (extremely likely).
NPS_SCALE: Final[tuple[int, int]] = (0, 10)
#: The lowest CSAT score counted as satisfied: 4 ("satisfied", 满意) and 5 ("very satisfied",
#: 非常满意), the two top boxes of the five-point scale. CSAT as the share of the two top boxes
#: is the usual definition in customer-service practice (满意率 = (非常满意 + 满意) / 评价数);
#: no marketplace rule fixing it could be confirmed, so it is a documented default that reports
#: take as a parameter.
DEFAULT_SATISFIED_FROM: Final = 4


class SubjectKind(LabelledState):
    """What a survey asks about: an order, a complaint or an after-sales case."""

    ORDER = ("order", "Order", "订单")
    COMPLAINT = ("complaint", "Complaint", "投诉")
    AFTERSALES_CASE = ("aftersales_case", "After-sales case", "售后")


class SurveyChannel(LabelledState):
    """How a survey reaches the customer: the regular contact and easy contact of the source
    practice (questionnaires sent after a purchase or a case)."""

    CHAT = ("chat", "Chat (e.g. Wangwang)", "在线客服")
    APP = ("app", "App notification", "站内消息")
    SMS = ("sms", "Text message", "短信")
    EMAIL = ("email", "Email", "邮件")
    PHONE = ("phone", "Phone call", "电话回访")


class QuestionKind(LabelledState):
    """The kind of a question, which decides its answer: a score on a scale, or free text."""

    #: Customer satisfaction on :data:`CSAT_SCALE` (1-5).
    CSAT = ("csat", "Satisfaction, 1-5", "满意度")
    #: Likelihood to recommend on :data:`NPS_SCALE` (0-10).
    NPS = ("nps", "Likelihood to recommend, 0-10", "推荐意愿")
    #: Free text (long text).
    TEXT = ("text", "Free text", "意见建议")

    @property
    def scale(self) -> tuple[int, int] | None:
        """The lowest and highest score, or ``None`` for free text."""
        if self is QuestionKind.CSAT:
            return CSAT_SCALE
        if self is QuestionKind.NPS:
            return NPS_SCALE
        return None


def _kind(value: object, kind: type, what: str) -> None:
    if not isinstance(value, kind):
        names = ", ".join(m.name for m in kind)  # type: ignore[attr-defined]
        raise ValidationError(f"{what} must be a {kind.__name__} ({names}), not {shown(value)}")


@final
@attrs.frozen(slots=True, kw_only=True)
class SurveySubject:
    """What a survey is about: the order, complaint or after-sales case, by id.

    Args:
        kind: an order, a complaint or an after-sales case.
        id: its id (short text).

    Raises:
        ValidationError: a kind that is not a :class:`SubjectKind`, or a bad id.
    """

    kind: SubjectKind = attrs.field()
    id: str = attrs.field(validator=text("a survey subject's id"))

    @kind.validator
    def _check_kind(self, _: object, value: object) -> None:
        _kind(value, SubjectKind, "a survey subject's kind")

    def __str__(self) -> str:
        return f"{self.kind.value} {self.id}"


@final
@attrs.frozen(slots=True, kw_only=True)
class Question:
    """One question of a survey, as data.

    Args:
        key: how answers name it (short text, unique in its survey), e.g. ``"csat"``.
        kind: a CSAT score, an NPS score or free text.
        text: the question as shown to the customer (short text).

    Raises:
        ValidationError: a bad key or text, or a kind that is not a :class:`QuestionKind`.
    """

    key: str = attrs.field(validator=text("a question's key"))
    kind: QuestionKind = attrs.field()
    text: str = attrs.field(validator=text("a question's text"))

    @kind.validator
    def _check_kind(self, _: object, value: object) -> None:
        _kind(value, QuestionKind, "a question's kind")


#: The questions a survey asks unless told otherwise: CSAT, NPS (the wording of Reichheld's
#: question, "How likely is it that you would recommend ... to a friend or colleague?") and a
#: free comment.
DEFAULT_QUESTIONS: Final[tuple[Question, ...]] = (
    Question(key="csat", kind=QuestionKind.CSAT, text="您对本次服务满意吗？(1-5)"),
    Question(key="nps", kind=QuestionKind.NPS, text="您有多大可能把本店推荐给朋友或同事？(0-10)"),
    Question(key="comment", kind=QuestionKind.TEXT, text="您还有什么意见或建议？"),
)


def question_tuple(value: Iterable[Question]) -> tuple[Question, ...]:
    """``value`` as a tuple of questions: at least one, keys unique, at most one CSAT and one
    NPS question (so that a survey gives at most one score of each).

    Raises:
        ValidationError: anything else.
    """
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ValidationError(f"questions must be an iterable of Question, not {shown(value)}")
    out = tuple(value)
    if not out:
        raise ValidationError("a survey asks at least one question")
    keys: set[str] = set()
    kinds: set[QuestionKind] = set()
    for q in out:
        if not isinstance(q, Question):
            raise ValidationError(f"questions must hold Question values, not {shown(q)}")
        if q.key in keys:
            raise ValidationError(f"question keys must be unique; {q.key!r} comes twice")
        if q.kind is not QuestionKind.TEXT and q.kind in kinds:
            raise ValidationError(
                f"a survey asks at most one {q.kind.name} question; {q.key!r} is a second one"
            )
        keys.add(q.key)
        kinds.add(q.kind)
    return out


@final
@attrs.frozen(slots=True, kw_only=True)
class Answer:
    """The answer to one question: a score for a CSAT or NPS question, text for a free one.

    The constructor checks the answer's shape only; a survey checks it against its question
    (:meth:`Survey.answer`).

    Args:
        key: the question's key (short text).
        score: the score (an ``int``) for a scored question, else ``None``.
        text: the text (long text, may span lines) for a free-text question, else ``""``.

    Raises:
        ValidationError: a bad key or text, a score that is not an ``int`` (``bool`` is
            refused), or both a score and a text, or neither.
    """

    key: str = attrs.field(validator=text("an answer's key"))
    score: int | None = attrs.field(default=None)
    text: str = attrs.field(default="")

    @score.validator
    def _check_score(self, _: object, value: object) -> None:
        if value is not None and type(value) is not int:
            raise ValidationError(
                f"the score of {self.key!r} must be a whole number (int) or None, "
                f"not {shown(value)}"
            )

    @text.validator
    def _check_text(self, _: object, value: object) -> None:
        if value != "":
            checked = check_text(value, "an answer's text", limit=LONG_TEXT_MAX, multiline=True)
            if checked != value:
                raise ValidationError(
                    f"an answer's text must not start or end with white space, got {value!r}"
                )
        if (self.score is None) == (value == ""):
            raise ValidationError(
                f"the answer to {self.key!r} gives either a score or a text, exactly one"
            )


def answers_for(questions: tuple[Question, ...], answers: object) -> tuple[Answer, ...]:
    """The answers to ``questions``, checked, in the questions' order.

    ``answers`` is ``{key: score or text}`` or :class:`Answer` values. Each names a question
    once; a scored question gets an ``int`` on its scale (:attr:`QuestionKind.scale`), a
    free-text one non-blank text (surrounding space is stripped). At least one question is
    answered; any may be skipped.

    Raises:
        InvalidScore: a score off its question's scale, or not an ``int`` (an NPS score of 11).
        ValidationError: an unknown key, a key twice, text for a scored question or a score
            for a free-text one, bad text, or no answer at all.
    """
    items: list[tuple[object, object]]
    if isinstance(answers, Mapping):
        items = list(answers.items())
    elif isinstance(answers, (str, bytes)) or not isinstance(answers, Iterable):
        raise ValidationError(
            f"answers must be a mapping of question keys to answers, not {shown(answers)}"
        )
    else:
        items = []
        for a in answers:
            if not isinstance(a, Answer):
                raise ValidationError(f"answers must hold Answer values, not {shown(a)}")
            items.append((a.key, a.score if a.score is not None else a.text))
    by_key = {q.key: q for q in questions}
    given: dict[str, Answer] = {}
    for raw_key, value in items:
        question = by_key.get(raw_key) if isinstance(raw_key, str) else None
        if question is None:
            known = ", ".join(repr(k) for k in by_key)
            raise ValidationError(f"no question has the key {shown(raw_key)}; the keys are {known}")
        key = question.key
        if key in given:
            raise ValidationError(f"the question {key!r} is answered twice")
        scale = question.kind.scale
        if scale is None:
            if not isinstance(value, str):
                raise ValidationError(
                    f"{key!r} is a free-text question; answer it with text, not {shown(value)}"
                )
            answer = check_text(
                value, f"the answer to {key!r}", limit=LONG_TEXT_MAX, multiline=True
            )
            given[key] = Answer(key=key, text=answer)
        else:
            low, high = scale
            if type(value) is not int or not low <= value <= high:
                raise invalid_score(key, value, low, high)
            given[key] = Answer(key=key, score=value)
    if not given:
        raise ValidationError("a response answers at least one question")
    return tuple(given[q.key] for q in questions if q.key in given)
