"""The rules of electronic commercial drafts as data: :class:`DraftPolicy`.

Every figure is a field with a default taken from the law or from the rules of the draft system,
and each default says where it comes from. Days are counted on the calendar of the policy's zone
(Asia/Shanghai by default): a period of *n* days "from" a day ends when the last day of the
period ends there, so every deadline is the instant a local day starts. A deadline is exact: at
the deadline the period is over; one microsecond before it, it is not.
"""

from __future__ import annotations

import datetime as _dt
import decimal
from decimal import Decimal
from typing import Any, Final, final

import attrs
import pendulum
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import DEFAULT_ZONE, UTC, check_zone, ensure_utc, zone
from ecservice.errors import ValidationError
from ecservice.money import Money, currency, to_decimal
from ecservice.payments.ebills._errors import NonStandardAmount, TenorTooLong
from ecservice.text import check_text

__all__ = ["DEFAULT_DRAFT_POLICY", "MAX_SUB_TICKETS", "DraftPolicy"]

#: The most sub-tickets one draft package can hold: sub-ticket serial numbers have at most 12
#: digits in the new-generation system of the Shanghai Commercial Paper Exchange (子票区间).
MAX_SUB_TICKETS: Final = 999_999_999_999


def _whole(low: int, high: int, what: str) -> Any:
    def check(_instance: object, _attribute: object, value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValidationError(
                f"{what} must be a whole number from {low} to {high}, not {shown(value)}"
            )

    return check


def _check_zone(_instance: object, _attribute: object, value: object) -> None:
    check_zone(value)


def _check_currency(_instance: object, _attribute: object, value: object) -> None:
    code = check_text(value, "currency")
    currency(code)


def _rate(value: Decimal | int | str) -> Decimal:
    if isinstance(value, Decimal):
        rate = value
    elif isinstance(value, (int, str)) and not isinstance(value, bool):
        rate = to_decimal(value, "recourse_interest_rate")
    else:
        raise ValidationError(
            f"recourse_interest_rate must be a Decimal per year such as Decimal('0.0435'), "
            f"not {shown(value)}"
        )
    if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(1):
        raise ValidationError(
            f"recourse_interest_rate must be a yearly rate from 0 to 1, not {shown(value)}"
        )
    return rate


@final
@attrs.frozen(slots=True, kw_only=True)
class DraftPolicy:
    """The periods and limits an :class:`~ecservice.payments.ebills.ElectronicDraft` follows.

    Args:
        currency: the only currency drafts may be drawn in, an ISO 4217 code. Default ``"CNY"``:
            the electronic commercial draft system settles in renminbi
            (《电子商业汇票业务管理办法》, 中国人民银行令〔2009〕第2号, on the amounts of a draft
            and its settlement through the large-value payment system).
        standard_sub_amount: the standard amount of one sub-ticket (标准金额). A draft package's
            amount and the amount of any transfer of part of it must be whole multiples of it.
            Default 0.01 CNY, the standard amount of the Shanghai Commercial Paper Exchange's
            new-generation draft system (新一代票据业务系统, 等分化签发, 子票区间: "票据(包)
            金额=子票区间*标准金额"); taken from published descriptions of the system, not from
            the exchange's rule text, which could not be consulted.
        max_tenor_months: the longest tenor, in calendar months from the issue date to the
            maturity date (from 1 to 12). Default 6: 《商业汇票承兑、贴现与再贴现管理办法》
            (中国人民银行 中国银行保险监督管理委员会令〔2022〕第4号, effective 2023-01-01),
            art. 25: "自出票日起至到期日止，最长不得超过6个月" (it replaced the 1 year of the
            2009 measures).
        acceptance_answer_days: the days the acceptor has to accept after the draft is issued
            and presented for acceptance (from 1 to 30); not accepted by then, the draft is
            cancelled. Default 3: 《中华人民共和国票据法》 art. 41 (the drawee accepts or refuses
            within three days of receiving the draft), counted from the next day (民法典 art.
            201).
        presentment_days: the length of the presentment period (提示付款期), in days, the
            maturity date being the first (from 1 to 60). Default 10: 《电子商业汇票业务管理办法》
            ("提示付款期自票据到期日起10日"). The rule moves the last day past public holidays
            and non-business days of the payment systems (顺延); that move is not applied here.
            Whether the maturity date counts as the first day could not be confirmed from the
            rule text; it does here.
        payment_answer_days: the days after the day of presentment within which the acceptor
            (and, for it, its bank) must pay or refuse; at the end of the last one an unanswered
            presentment counts as dishonoured (from 1 to 30). Default 4: the Shanghai Commercial
            Paper Exchange's notice on answering presentment of commercial acceptance drafts
            (票交所发〔2022〕2号): the acceptor answers by the 3rd day after the day it received
            the presentment, its bank may answer for it the next day, and at the end of that day
            the system sets the draft to dishonoured. Bank acceptances must answer on the day or
            the next (《电子商业汇票业务管理办法》): a shop with only bank acceptances may use 1.
            The figure is taken from a quotation of the notice, not from its full text.
        recourse_months: how long a holder keeps recourse against earlier parties after a
            dishonour, in months (from 1 to 24). Default 6: 票据法 art. 17 (3).
        re_recourse_months: how long a party who settled a recourse claim keeps recourse
            against its own earlier parties, in months from the settlement (from 1 to 24).
            Default 3: 票据法 art. 17 (4).
        holder_rights_years: how long the holder's rights against the drawer and the acceptor
            last after maturity, in years (from 1 to 5); an expired draft (not presented in the
            presentment period) is closed after it. Default 2: 票据法 art. 17 (1).
        recourse_interest_rate: the yearly rate at which a recourse claim may add interest on
            the amount owed, from maturity or presentment (or the last settlement) to the
            claim (票据法 art. 70 (2), art. 71 (2): "按照中国人民银行规定的利率"), counted
            on the actual days over a year of 365, rounded down to the minor unit. Default
            ``Decimal("0.0435")``, the central bank's last one-year benchmark lending rate
            (2015-10-24); which rate applies could not be confirmed, so it is configurable.
        max_recourse_expenses: the most a recourse claim may add for the cost of obtaining
            proof of dishonour and sending notices (票据法 art. 70 (3)), or ``None`` for no
            fixed cap (the law sets none). Default ``None``.
        zone: the IANA time zone whose calendar days count. Default ``"Asia/Shanghai"``.
        act_delay_seconds: how long before it reaches the draft an act may have been signed,
            in seconds (from 0 to 86,400). The draft system records each act when it is made
            (《电子商业汇票业务管理办法》 requires every act to be recorded in the system with its
            electronic signature), so an act dated earlier is a backdated one: a presentment
            dated at maturity but made days later would have cut the acceptor's time to
            answer. Default 600 (ten minutes for a relay's delivery), the shop's choice; no
            figure is set by the rules.

    Raises:
        ValidationError: a field of the wrong type or out of its range.
        NonStandardAmount: ``standard_sub_amount`` is not a positive amount in ``currency``.
    """

    currency: str = attrs.field(default="CNY", validator=_check_currency)
    standard_sub_amount: Money = attrs.field(factory=lambda: Money("0.01", "CNY"))
    max_tenor_months: int = attrs.field(default=6, validator=_whole(1, 12, "max_tenor_months"))
    acceptance_answer_days: int = attrs.field(
        default=3, validator=_whole(1, 30, "acceptance_answer_days")
    )
    presentment_days: int = attrs.field(default=10, validator=_whole(1, 60, "presentment_days"))
    payment_answer_days: int = attrs.field(
        default=4, validator=_whole(1, 30, "payment_answer_days")
    )
    recourse_months: int = attrs.field(default=6, validator=_whole(1, 24, "recourse_months"))
    re_recourse_months: int = attrs.field(default=3, validator=_whole(1, 24, "re_recourse_months"))
    holder_rights_years: int = attrs.field(default=2, validator=_whole(1, 5, "holder_rights_years"))
    recourse_interest_rate: Decimal = attrs.field(default=Decimal("0.0435"), converter=_rate)
    max_recourse_expenses: Money | None = None
    zone: str = attrs.field(default=DEFAULT_ZONE, validator=_check_zone)
    act_delay_seconds: int = attrs.field(
        default=600, validator=_whole(0, 86_400, "act_delay_seconds")
    )

    def __attrs_post_init__(self) -> None:
        unit: object = self.standard_sub_amount
        if (
            not isinstance(unit, Money)
            or unit.currency.code != self.currency
            or unit.is_zero()
            or unit.is_negative()
        ):
            raise NonStandardAmount(
                f"standard_sub_amount must be a positive Money in {self.currency}, "
                f"not {shown(unit)}"
            )
        cap: object = self.max_recourse_expenses
        if cap is not None and (
            not isinstance(cap, Money) or cap.currency.code != self.currency or cap.is_negative()
        ):
            raise ValidationError(
                f"max_recourse_expenses must be None or a Money of at least 0 in "
                f"{self.currency}, not {shown(cap)}"
            )

    # --- amounts -------------------------------------------------------------------------------

    def sub_tickets(self, amount: Money, what: str = "a draft's amount") -> int:
        """How many standard sub-tickets make ``amount`` (the length of its 子票区间).

        Raises:
            NonStandardAmount: ``amount`` is not a positive :class:`~ecservice.money.Money` in
                the policy's currency, is not a whole multiple of ``standard_sub_amount``,
                or needs more than :data:`MAX_SUB_TICKETS` sub-tickets.
        """
        given: object = amount
        if not isinstance(given, Money) or amount.currency.code != self.currency:
            raise NonStandardAmount(
                f"{what} must be a Money in {self.currency} (the only currency allowed), "
                f"not {shown(given)}"
            )
        unit = self.standard_sub_amount.amount
        count, rest = divmod(amount.amount, unit)
        if amount.amount <= 0 or rest != 0 or count > MAX_SUB_TICKETS:
            raise NonStandardAmount(
                f"{what} {amount} must be a positive whole multiple of the standard amount "
                f"{self.standard_sub_amount} (标准金额), at most {MAX_SUB_TICKETS} of them"
            )
        return int(count)

    def check_tenor(self, issued_on: _dt.date, matures_on: _dt.date) -> None:
        """Check that ``matures_on`` is after ``issued_on`` and within the maximum tenor.

        Raises:
            TenorTooLong: it is not (《商业汇票承兑、贴现与再贴现管理办法》 art. 25).
            ValidationError: a date is not a calendar date (a ``datetime.date`` from year 1 to
                9000, not a datetime).
        """
        _day(issued_on, "issued_on")
        _day(matures_on, "matures_on")
        latest = pendulum.Date(issued_on.year, issued_on.month, issued_on.day).add(
            months=self.max_tenor_months
        )
        if not issued_on < matures_on <= latest:
            raise TenorTooLong(
                f"a draft issued on {issued_on} must mature after that day and at most "
                f"{self.max_tenor_months} months later (on or before {latest}), "
                f"not on {matures_on}"
            )

    def recourse_interest(self, principal: Money, since: _dt.date, until: DateTime) -> Money:
        """The most interest a recourse claim may add on ``principal``: the yearly
        ``recourse_interest_rate`` over the days from ``since`` to the local date of
        ``until`` (none if that is not later), over 365, rounded down (票据法 art. 70 (2)).

        Raises:
            ValidationError: ``principal`` is not a :class:`~ecservice.money.Money` in the
                policy's currency, ``since`` is not a calendar date.
            NaiveDatetime: ``until`` has no time zone.
        """
        if not isinstance(principal, Money) or principal.currency.code != self.currency:
            raise ValidationError(
                f"a recourse principal must be Money in {self.currency}, not {shown(principal)}"
            )
        _day(since, "since")
        days = (self.local_date(until) - since).days
        if days <= 0:
            return Money.zero(principal.currency)
        factor = self.recourse_interest_rate * days / Decimal(365)
        return principal.multiply(factor, rounding=decimal.ROUND_DOWN)

    # --- days and deadlines --------------------------------------------------------------------

    def local_date(self, instant: _dt.datetime) -> _dt.date:
        """The calendar date of ``instant`` in the policy's zone.

        Raises:
            NaiveDatetime: ``instant`` has no time zone.
            ValidationError: ``instant`` is not a datetime, or after the year 9000.
        """
        local = ensure_utc(instant, what="instant").in_tz(zone(self.zone))
        day = _dt.date(local.year, local.month, local.day)
        _day(day, "the date of the instant")
        return day

    def start_of(self, day: _dt.date) -> DateTime:
        """The instant (in UTC) at which ``day`` starts in the policy's zone.

        Raises:
            ValidationError: ``day`` is not a calendar date (year 1 to 9000).
        """
        _day(day, "day")
        local = pendulum.datetime(day.year, day.month, day.day, tz=zone(self.zone))
        return local.in_tz(UTC)

    def _after_days(self, day: _dt.date, days: int) -> DateTime:
        _day(day, "day")
        return self.start_of(day + _dt.timedelta(days=days))

    def _after_months(self, day: _dt.date, months: int) -> DateTime:
        _day(day, "day")
        last = pendulum.Date(day.year, day.month, day.day).add(months=months)
        return self.start_of(_dt.date(last.year, last.month, last.day) + _dt.timedelta(days=1))

    def acceptance_due(self, issued_at: _dt.datetime) -> DateTime:
        """When the acceptor's time to accept ends: the end of the
        ``acceptance_answer_days``-th day after the day of ``issued_at``."""
        return self._after_days(self.local_date(issued_at), self.acceptance_answer_days + 1)

    def presentment_opens(self, matures_on: _dt.date) -> DateTime:
        """When presentment for payment may start: the start of the maturity date."""
        return self.start_of(matures_on)

    def presentment_ends(self, matures_on: _dt.date) -> DateTime:
        """When the presentment period ends (the end of its ``presentment_days``-th day,
        the maturity date being the first). From then on the draft can no longer be endorsed
        (票据法 art. 36) or presented in time, and an undelivered one is cancelled."""
        return self._after_days(matures_on, self.presentment_days)

    def payment_answer_due(self, presented_at: _dt.datetime) -> DateTime:
        """When an unanswered presentment counts as dishonoured: the end of the
        ``payment_answer_days``-th day after the day of ``presented_at``."""
        return self._after_days(self.local_date(presented_at), self.payment_answer_days + 1)

    def recourse_ends(self, dishonoured_at: _dt.datetime, *, re_recourse: bool = False) -> DateTime:
        """When recourse rights end: ``recourse_months`` after the day of the dishonour
        (票据法 art. 17 (3)), or ``re_recourse_months`` after the day of the settlement
        with ``re_recourse=True`` (art. 17 (4)); the period includes the corresponding day of
        the last month (民法典 art. 202)."""
        if type(re_recourse) is not bool:
            raise ValidationError(f"re_recourse must be True or False, not {shown(re_recourse)}")
        months = self.re_recourse_months if re_recourse else self.recourse_months
        return self._after_months(self.local_date(dishonoured_at), months)

    def holder_rights_end(self, matures_on: _dt.date) -> DateTime:
        """When the holder's rights against the drawer and the acceptor end:
        ``holder_rights_years`` after the maturity date (票据法 art. 17 (1))."""
        return self._after_months(matures_on, 12 * self.holder_rights_years)


def _day(value: object, what: str) -> None:
    """Refuse anything but a calendar date the deadlines can be counted from."""
    if not isinstance(value, _dt.date) or isinstance(value, _dt.datetime):
        raise ValidationError(f"{what} must be a calendar date (datetime.date), not {shown(value)}")
    if not 1 <= value.year <= 9000:
        raise ValidationError(f"{what} must be a date from year 1 to 9000, not {value}")


#: The policy with every default.
DEFAULT_DRAFT_POLICY: Final = DraftPolicy()
