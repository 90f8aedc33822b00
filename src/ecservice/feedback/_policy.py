"""The feedback policy: the answer target on the working calendar and the revisit schedule, as
data."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Any, Final, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.calendar import WorkingCalendar
from ecservice.clock import ensure_utc
from ecservice.complaints import TimeBasis, add_time
from ecservice.errors import ValidationError
from ecservice.feedback._values import RevisitAnchor, ScheduledRevisit
from ecservice.text import check_text

__all__ = [
    "MAX_FEEDBACK_DURATION",
    "MAX_REVISITS",
    "FeedbackPolicy",
    "InvalidFeedbackPolicy",
    "RevisitOffset",
]

#: The longest answer target, revisit offset or revisit grace a policy accepts.
MAX_FEEDBACK_DURATION: Final = _dt.timedelta(days=366)
#: The most revisits a policy schedules for one record.
MAX_REVISITS: Final = 8

_ZERO: Final = _dt.timedelta(0)
_DAY: Final = _dt.timedelta(days=1)


class InvalidFeedbackPolicy(ValidationError):
    """A revisit offset or a feedback policy is malformed: a duration of the wrong type, zero
    or negative, or longer than :data:`MAX_FEEDBACK_DURATION`; whole working days that are not
    whole; an anchor or basis of the wrong type; the same revisit twice; too many revisits.

    Raised by the constructors; nothing is built.
    """


InvalidFeedbackPolicy.__module__ = "ecservice.feedback"


def _check_duration(value: object, what: str, basis: object) -> None:
    if type(value) is not _dt.timedelta or not _ZERO < value <= MAX_FEEDBACK_DURATION:
        raise InvalidFeedbackPolicy(
            f"{what} must be a datetime.timedelta above zero and at most "
            f"{MAX_FEEDBACK_DURATION.days} days, not {shown(value)}"
        )
    if basis is TimeBasis.WORKING_DAYS and (value.seconds or value.microseconds):
        raise InvalidFeedbackPolicy(
            f"{what} counted in working days must be a whole number of days, not {value}"
        )


def _check_basis(value: object, what: str) -> None:
    if not isinstance(value, TimeBasis):
        names = ", ".join(b.name for b in TimeBasis)
        raise InvalidFeedbackPolicy(f"{what} must be a TimeBasis ({names}), not {shown(value)}")


@final
@attrs.frozen(slots=True)
class RevisitOffset:
    """One revisit of a schedule: how long after which anchor it falls due.

    Args:
        anchor: the instant it is counted from: the order's delivery, the after-sales case's
            close, or the answer to the feedback.
        after: how long after the anchor (above zero, at most :data:`MAX_FEEDBACK_DURATION`).
        basis: how ``after`` is counted (:class:`~ecservice.complaints.TimeBasis`): real time
            by default, so ``timedelta(days=3)`` is three days to the instant.

    Raises:
        InvalidFeedbackPolicy: an anchor that is not a
            :class:`~ecservice.feedback.RevisitAnchor`, a basis that is not a
            :class:`~ecservice.complaints.TimeBasis`, or a bad duration.
    """

    anchor: RevisitAnchor = attrs.field()
    after: _dt.timedelta = attrs.field()
    basis: TimeBasis = attrs.field(default=TimeBasis.CALENDAR)

    def __attrs_post_init__(self) -> None:
        anchor: object = self.anchor
        if not isinstance(anchor, RevisitAnchor):
            names = ", ".join(a.name for a in RevisitAnchor)
            raise InvalidFeedbackPolicy(
                f"a revisit's anchor must be a RevisitAnchor ({names}), not {shown(anchor)}"
            )
        _check_basis(self.basis, "a revisit's basis")
        _check_duration(self.after, "a revisit's offset", self.basis)


def _offsets(value: Iterable[RevisitOffset]) -> tuple[RevisitOffset, ...]:
    given: object = value
    if isinstance(given, str | bytes) or not isinstance(given, Iterable):
        raise InvalidFeedbackPolicy(
            f"a policy's revisits are RevisitOffset values, not {shown(value)}"
        )
    found = tuple(value)
    for item in found:
        if not isinstance(item, RevisitOffset):
            raise InvalidFeedbackPolicy(
                f"a policy's revisits are RevisitOffset values, not {shown(item)}"
            )
    if len(set(found)) != len(found):
        raise InvalidFeedbackPolicy("a policy names the same revisit twice")
    if len(found) > MAX_REVISITS:
        raise InvalidFeedbackPolicy(
            f"a policy schedules at most {MAX_REVISITS} revisits, not {len(found)}"
        )
    return found


def _name(what: str) -> Any:
    def validate(_: object, __: object, value: object) -> None:
        try:
            stripped = check_text(value, what)
        except ValidationError as exc:
            raise InvalidFeedbackPolicy(str(exc)) from None
        if stripped != value:
            raise InvalidFeedbackPolicy(f"{what} must not start or end with white space")

    return validate


@final
@attrs.frozen(slots=True)
class FeedbackPolicy:
    """How a shop answers and revisits feedback: the answer target and the revisit schedule.
    A frozen value; a record keeps the instants it produced (its ``answer_due_at`` and its
    scheduled revisits), so changing the policy later moves no deadline already set.

    The practice it encodes: read feedback carefully (认真阅读), record it accurately (准确记录),
    answer in time (及时反馈) and revisit regularly (定期回访). No law or platform rule fixes
    deadlines for answering feedback or for revisits; :meth:`shop_default` states the shop's
    choice.

    Args:
        name: a short name (``"shop-default"``).
        source: where the numbers come from (a law's article, a platform rule, the shop's own
            setting).
        answer_within: the answer target (above zero, at most :data:`MAX_FEEDBACK_DURATION`),
            counted on ``answer_basis`` from the record's receipt.
        answer_basis: how ``answer_within`` is counted (working days by default: the close of
            business of the N-th working day after the day of receipt, Civil Code art. 201 and
            203, as :class:`~ecservice.complaints.TimeBasis` describes).
        revisits: the revisits to schedule, each a :class:`RevisitOffset` (none twice, at most
            :data:`MAX_REVISITS`); none by default.
        revisit_grace: how long after its due instant a revisit is still on time, counted on
            ``revisit_basis``.
        revisit_basis: how ``revisit_grace`` is counted (working days by default).

    Raises:
        InvalidFeedbackPolicy: a field of the wrong type, a bad duration, or a revisit named
            twice.
    """

    name: str = attrs.field(validator=_name("a policy's name"))
    source: str = attrs.field(validator=_name("a policy's source"))
    answer_within: _dt.timedelta = attrs.field(default=_DAY)
    answer_basis: TimeBasis = attrs.field(default=TimeBasis.WORKING_DAYS)
    revisits: tuple[RevisitOffset, ...] = attrs.field(default=(), converter=_offsets)
    revisit_grace: _dt.timedelta = attrs.field(default=_DAY)
    revisit_basis: TimeBasis = attrs.field(default=TimeBasis.WORKING_DAYS)

    def __attrs_post_init__(self) -> None:
        _check_basis(self.answer_basis, "a policy's answer_basis")
        _check_duration(self.answer_within, "a policy's answer_within", self.answer_basis)
        _check_basis(self.revisit_basis, "a policy's revisit_basis")
        _check_duration(self.revisit_grace, "a policy's revisit_grace", self.revisit_basis)

    @classmethod
    def shop_default(cls) -> FeedbackPolicy:
        """The default of a shop, its own choice. No law or platform rule could be confirmed to
        fix these numbers: the market regulators' complaint measures
        (市场监督管理投诉举报处理暂行办法, see :meth:`SlaPolicy.samr_interim_measures
        <ecservice.complaints.SlaPolicy.samr_interim_measures>`) set deadlines for complaints,
        not for feedback, and no marketplace rule found sets a deadline for answering feedback
        or for revisits. The numbers:

        * answer within 1 working day (及时反馈): by the close of business of the working day
          after the day the feedback came in;
        * revisit 3 and 30 days after delivery (a first check that the goods arrived and work,
          a second after a month of use) and 3 and 30 days after an after-sales case closes;
          an offset applies when its anchor is known when revisits are scheduled;
        * a revisit is on time until the close of business of the working day after the day
          it falls due.
        """
        d = _DAY
        return cls(
            "shop-default",
            "the shop's own setting; no law or platform rule fixes feedback deadlines",
            revisits=(
                RevisitOffset(RevisitAnchor.DELIVERY, 3 * d),
                RevisitOffset(RevisitAnchor.DELIVERY, 30 * d),
                RevisitOffset(RevisitAnchor.CASE_CLOSED, 3 * d),
                RevisitOffset(RevisitAnchor.CASE_CLOSED, 30 * d),
            ),
        )

    def answer_due(self, received_at: _dt.datetime, calendar: WorkingCalendar) -> DateTime:
        """When feedback received at ``received_at`` must be answered, on ``calendar``.

        Raises:
            NaiveDatetime: ``received_at`` has no time zone.
            ValidationError: ``calendar`` is not a
                :class:`~ecservice.calendar.WorkingCalendar`.
            CalendarNotConfirmed: the due date needs a day whose holidays are not confirmed.
        """
        start = ensure_utc(received_at, what="received_at")
        _check_calendar(calendar)
        return add_time(calendar, start, self.answer_within, self.answer_basis)

    def revisit_deadline(self, due_at: _dt.datetime, calendar: WorkingCalendar) -> DateTime:
        """The last instant at which a revisit due at ``due_at`` is on time.

        Raises:
            NaiveDatetime: ``due_at`` has no time zone.
            ValidationError: ``calendar`` is not a
                :class:`~ecservice.calendar.WorkingCalendar`.
            CalendarNotConfirmed: a day reached is not confirmed.
        """
        start = ensure_utc(due_at, what="due_at")
        _check_calendar(calendar)
        return add_time(calendar, start, self.revisit_grace, self.revisit_basis)

    def schedule(
        self,
        anchors: Mapping[RevisitAnchor, _dt.datetime],
        calendar: WorkingCalendar,
        *,
        not_before: _dt.datetime,
    ) -> tuple[ScheduledRevisit, ...]:
        """The revisits of ``revisits`` whose anchor is in ``anchors``, each due
        its offset's ``after`` its anchor's instant (counted on its basis) with its
        deadline (:meth:`revisit_deadline`), in the order they fall due. An offset due before
        ``not_before`` (the instant revisits are scheduled) is left out: its moment has passed.

        Args:
            anchors: the instant of each known anchor (aware datetimes).
            calendar: the shop's working calendar.
            not_before: the earliest due instant kept; an aware datetime.

        Raises:
            NaiveDatetime: an instant without a time zone.
            ValidationError: ``anchors`` not a mapping of
                :class:`~ecservice.feedback.RevisitAnchor` to datetimes, or ``calendar`` not a
                :class:`~ecservice.calendar.WorkingCalendar`.
            CalendarNotConfirmed: a day reached is not confirmed.
        """
        _check_calendar(calendar)
        if not isinstance(anchors, Mapping):
            raise ValidationError(
                f"anchors must be a mapping of RevisitAnchor to datetime, not {shown(anchors)}"
            )
        start: dict[RevisitAnchor, DateTime] = {}
        for anchor, at in anchors.items():
            if not isinstance(anchor, RevisitAnchor) or not isinstance(at, _dt.datetime):
                raise ValidationError(
                    f"anchors map a RevisitAnchor to a datetime, not {shown(anchor)} to {shown(at)}"
                )
            start[anchor] = ensure_utc(at, what=f"the {anchor.value} instant")
        floor = ensure_utc(not_before, what="not_before")
        found: list[tuple[DateTime, int, ScheduledRevisit]] = []
        for i, offset in enumerate(self.revisits):
            anchor_at = start.get(offset.anchor)
            if anchor_at is None:
                continue
            due = add_time(calendar, anchor_at, offset.after, offset.basis)
            if due < floor:
                continue
            revisit = ScheduledRevisit(
                anchor=offset.anchor,
                after=offset.after,
                due_at=due,
                deadline=self.revisit_deadline(due, calendar),
            )
            found.append((due, i, revisit))
        found.sort(key=lambda item: (item[0], item[1]))
        return tuple(item[2] for item in found)


def _check_calendar(calendar: object) -> None:
    if not isinstance(calendar, WorkingCalendar):
        raise ValidationError(f"calendar must be a WorkingCalendar, not {shown(calendar)}")
