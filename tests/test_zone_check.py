"""One check for a shop's time zone, everywhere: every public function, method, policy and report
that takes a ``zone`` refuses the same bad values with one message naming ``zone`` (what was
wrong, what is allowed), and gives an accepted name back unchanged.

The check itself is :func:`ecservice.clock.check_zone`; its own rules are tested at the end."""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import re
import zoneinfo
from collections.abc import Callable
from typing import Any

import attrs
import pendulum
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from ecservice.aftersales import (
    AfterSalesPolicy,
    AfterSalesReport,
    aftersales_report,
    day_start,
    report_window,
    window_end,
)
from ecservice.calendar import ShopCalendar
from ecservice.clock import FixedClock, check_zone, zone
from ecservice.complaints import (
    ComplaintPriority,
    ComplaintReport,
    SlaPolicy,
    TimeBasis,
    add_time,
    complaint_report,
    evaluate_sla,
)
from ecservice.consultation import consultation_report
from ecservice.errors import ValidationError
from ecservice.feedback import feedback_report
from ecservice.orders import (
    AddressVolumeRule,
    AutoConfirmPolicy,
    ExceptionPolicy,
    HeldOrdersReport,
    held_orders_report,
)
from ecservice.payments.ebills import DraftPolicy
from ecservice.payments.wallet import CardReference, EWallet, KdfParams
from ecservice.ratings import CreditPolicy, DetailedRatingPolicy
from ecservice.satisfaction import (
    rfm_analysis,
    satisfaction_report,
)
from ecservice.storage import MemoryStore
from ecservice.storage.sql import (
    SqlAfterSalesReports,
    SqlComplaintReports,
    SqlConsultationReports,
    SqlOrderReports,
    SqlSatisfactionReports,
    SqlServiceReports,
    SqlStore,
)
from tests.public_callables import public_callables

NOW = pendulum.datetime(2026, 3, 10, 9, tz="Asia/Shanghai")
DAY = dt.timedelta(days=1)
FAST_KDF = KdfParams(n=2**4)  # a cheap PIN hash: these tests are about the zone
CARD = CardReference("tok_1", "visa", "4242", exp_month=3, exp_year=2026)
CALENDAR = ShopCalendar()
SLA = SlaPolicy.shop_default()
SIGNING_KEY = Ed25519PrivateKey.generate()

#: Values every zone argument refuses.
BAD = [
    None,
    "",
    " Asia/Shanghai",
    "Asia/Shanghai ",
    "localtime",
    "Mars/Olympus",
    8,
    zoneinfo.ZoneInfo("Asia/Shanghai"),
]
#: Names every zone argument accepts and gives back unchanged.
GOOD = ["UTC", "Etc/GMT-8", "Asia/Shanghai", "America/New_York"]

#: The start of every refusal: it names the argument and says what is allowed.
REFUSED = r"^zone must be an IANA time zone name such as 'Asia/Shanghai' or 'UTC', not "


class ZonelessCalendar:
    """The shop calendar without a ``zone`` attribute (a working calendar of one's own), so
    that any zone may be passed to :func:`add_time` without contradicting the calendar's."""

    def __getattr__(self, name: str) -> object:
        if name == "zone":
            raise AttributeError(name)
        return getattr(CALENDAR, name)


ZONELESS: Any = ZonelessCalendar()


@functools.cache
def _sql() -> SqlStore:
    store = SqlStore("sqlite://")
    store.create_schema()
    return store


def _wallet(z: object) -> EWallet:
    return EWallet("alice", "739154", clock=FixedClock(NOW), kdf=FAST_KDF, zone=z)  # type: ignore[arg-type]


def _restored(z: object) -> EWallet:
    wallet = _wallet("Asia/Shanghai")
    pin_hash, _, _ = wallet.pin_record
    return EWallet.restore(
        owner=wallet.owner,
        wallet_id=wallet.wallet_id,
        pin_hash=pin_hash,
        clock=FixedClock(NOW),
        signing_key=SIGNING_KEY,
        kdf=FAST_KDF,
        policy=wallet.policy,
        zone=z,  # type: ignore[arg-type]
    )


def _evolved(report: object, z: object) -> object:
    """``report`` rebuilt through its constructor with ``zone=z``."""
    return attrs.evolve(report, zone=z)  # type: ignore[misc]


def _aftersales_from_counts(z: object) -> AfterSalesReport:
    base = aftersales_report([], [], now=NOW, zone="UTC")
    return AfterSalesReport.from_counts(
        now=base.now,
        zone=z,  # type: ignore[arg-type]
        days=base.days,
        window_start=base.window_start,
        window_end=base.window_end,
        paid_orders=0,
        cases_opened=0,
        orders_with_cases=0,
        orders_refunded=0,
        orders_disputed=0,
        outcomes={},
        automatic_approvals=0,
        durations=(),
    )


def _sla(z: object) -> object:
    return evaluate_sla(NOW, (), SLA, ZONELESS, priority=ComplaintPriority.NORMAL, now=NOW, zone=z)  # type: ignore[arg-type]


def _overview(z: object) -> object:
    """An overview rebuilt with ``zone=z``, its reports counted in ``z`` when it is good (an
    overview's reports must share its window)."""
    counted_in = z if z in GOOD else "UTC"
    overview = SqlServiceReports(_sql()).overview(
        now=NOW, zone=counted_in, complaint_policy=SLA, calendar=CALENDAR
    )
    return _evolved(overview, z)


# Every public callable with a ``zone`` parameter, by the name the walk below gives it, and how
# to call it with ``zone=z``. A call gives back the object that keeps the zone, if any.
CALLS: dict[str, Callable[[Any], object]] = {
    "ecservice.AutoConfirmPolicy": lambda z: AutoConfirmPolicy(zone=z),
    "ecservice.aftersales.AfterSalesPolicy": lambda z: AfterSalesPolicy(zone=z),
    "ecservice.aftersales.AfterSalesReport": lambda z: _evolved(
        aftersales_report([], [], now=NOW, zone="UTC"), z
    ),
    "ecservice.aftersales.AfterSalesReport.from_counts": _aftersales_from_counts,
    "ecservice.aftersales.aftersales_report": lambda z: aftersales_report([], [], now=NOW, zone=z),
    "ecservice.aftersales.day_start": lambda z: day_start(dt.date(2026, 3, 10), z),
    "ecservice.aftersales.report_window": lambda z: report_window(NOW, z, 30),
    "ecservice.aftersales.window_end": lambda z: window_end(NOW, 7, z),
    "ecservice.calendar.ShopCalendar": lambda z: ShopCalendar(zone=z),
    "ecservice.complaints.ComplaintReport": lambda z: _evolved(
        complaint_report([], SLA, CALENDAR, now=NOW, zone="UTC"), z
    ),
    "ecservice.complaints.ComplaintReport.from_counts": lambda z: ComplaintReport.from_counts(
        now=NOW,
        zone=z,
        days=30,
        complaints_opened=0,
        problems={},
        unclassified=0,
        cycles={},
        first_replies=(),
        resolutions=(),
        reopened=0,
        closed_once=0,
        scores={},
    ),
    "ecservice.complaints.add_time": lambda z: add_time(
        ZONELESS, NOW, 3 * DAY, TimeBasis.WORKING_DAYS, zone=z
    ),
    "ecservice.complaints.complaint_report": lambda z: complaint_report(
        [], SLA, CALENDAR, now=NOW, zone=z
    ),
    "ecservice.complaints.evaluate_sla": _sla,
    "ecservice.consultation.ConsultationReport": lambda z: _evolved(
        consultation_report([], now=NOW, zone="UTC"), z
    ),
    "ecservice.consultation.consultation_report": lambda z: consultation_report(
        [], now=NOW, zone=z
    ),
    "ecservice.feedback.FeedbackReport": lambda z: _evolved(
        feedback_report([], CALENDAR, now=NOW, zone="UTC"), z
    ),
    "ecservice.feedback.feedback_report": lambda z: feedback_report([], CALENDAR, now=NOW, zone=z),
    "ecservice.orders.AddressVolumeRule.window_start": lambda z: AddressVolumeRule().window_start(
        NOW, z
    ),
    "ecservice.orders.ExceptionPolicy": lambda z: ExceptionPolicy(zone=z),
    "ecservice.orders.HeldOrdersReport": lambda z: _evolved(
        held_orders_report([], now=NOW, zone="UTC"), z
    ),
    "ecservice.orders.HeldOrdersReport.from_counts": lambda z: HeldOrdersReport.from_counts(
        now=NOW,
        zone=z,
        days=30,
        orders=0,
        held=0,
        by_reason={},
        outcomes={},
        still_held=(),
        handling=(),
    ),
    "ecservice.orders.held_orders_report": lambda z: held_orders_report([], now=NOW, zone=z),
    "ecservice.payments.ebills.DraftPolicy": lambda z: DraftPolicy(zone=z),
    "ecservice.payments.wallet.CardReference.expires_at": lambda z: CARD.expires_at(z),
    "ecservice.payments.wallet.CardReference.is_expired": lambda z: CARD.is_expired(NOW, z),
    "ecservice.payments.wallet.EWallet": _wallet,
    "ecservice.payments.wallet.EWallet.restore": _restored,
    "ecservice.ratings.CreditPolicy": lambda z: CreditPolicy(zone=z),
    "ecservice.ratings.DetailedRatingPolicy": lambda z: DetailedRatingPolicy(zone=z),
    "ecservice.satisfaction.SatisfactionReport": lambda z: _evolved(
        satisfaction_report([], now=NOW, zone="UTC"), z
    ),
    "ecservice.satisfaction.ServiceOverview": _overview,
    "ecservice.satisfaction.rfm_analysis": lambda z: rfm_analysis([], now=NOW, zone=z),
    "ecservice.satisfaction.satisfaction_report": lambda z: satisfaction_report(
        [], now=NOW, zone=z
    ),
    "ecservice.storage.MemoryStore.aftersales_report": lambda z: MemoryStore().aftersales_report(
        now=NOW, zone=z
    ),
    "ecservice.storage.sql.SqlAfterSalesReports.report": lambda z: SqlAfterSalesReports(
        _sql()
    ).report(now=NOW, zone=z),
    "ecservice.storage.sql.SqlComplaintReports.report": lambda z: SqlComplaintReports(
        _sql()
    ).report(SLA, CALENDAR, now=NOW, zone=z),
    "ecservice.storage.sql.SqlConsultationReports.report": lambda z: SqlConsultationReports(
        _sql()
    ).report(now=NOW, zone=z),
    "ecservice.storage.sql.SqlOrderReports.held_orders": lambda z: SqlOrderReports(
        _sql()
    ).held_orders(now=NOW, zone=z),
    "ecservice.storage.sql.SqlSatisfactionReports.report": lambda z: SqlSatisfactionReports(
        _sql()
    ).report(now=NOW, zone=z),
    "ecservice.storage.sql.SqlSatisfactionReports.rfm": lambda z: SqlSatisfactionReports(
        _sql()
    ).rfm(now=NOW, zone=z),
    "ecservice.storage.sql.SqlServiceReports.overview": lambda z: SqlServiceReports(
        _sql()
    ).overview(now=NOW, zone=z, complaint_policy=SLA, calendar=CALENDAR),
}

#: Calls whose result is not an object keeping the zone (an instant, a tuple, a bool).
NO_ZONE_BACK = {
    "ecservice.aftersales.day_start",
    "ecservice.aftersales.report_window",
    "ecservice.aftersales.window_end",
    "ecservice.complaints.add_time",
    "ecservice.complaints.evaluate_sla",
    "ecservice.orders.AddressVolumeRule.window_start",
    "ecservice.payments.wallet.CardReference.expires_at",
    "ecservice.payments.wallet.CardReference.is_expired",
    "ecservice.satisfaction.rfm_analysis",
    "ecservice.storage.sql.SqlSatisfactionReports.rfm",
}

#: Calls where ``zone=None`` means "not given": the calendar's own zone applies.
NONE_IS_NOT_GIVEN = {"ecservice.complaints.add_time", "ecservice.complaints.evaluate_sla"}


def _taking_a_zone() -> set[str]:
    found = set()
    for where, obj in public_callables():
        try:
            parameters = inspect.signature(obj).parameters
        except (TypeError, ValueError):  # a builtin without a signature
            continue
        if "zone" in parameters:
            found.add(where)
    return found


def _label(value: object) -> str:
    return type(value).__name__ if isinstance(value, dt.tzinfo) else repr(value)


def _bad_cases() -> list[Any]:
    return [
        pytest.param(name, value, id=f"{name}-{_label(value)}")
        for name in sorted(CALLS)
        for value in BAD
        if not (value is None and name in NONE_IS_NOT_GIVEN)
    ]


def test_every_public_callable_taking_a_zone_is_checked_here() -> None:
    """The table above holds exactly the public callables with a ``zone`` parameter (found by
    walking every public module), so a new one cannot escape the checks below."""
    found = _taking_a_zone()
    assert "ecservice.calendar.ShopCalendar" in found  # the walk is not vacuous
    assert found == set(CALLS)


@pytest.mark.parametrize(("name", "value"), _bad_cases())
def test_a_bad_zone_is_refused_naming_zone(name: str, value: object) -> None:
    """``None``, empty text, white space around a name, ``localtime``, an unknown name, a
    number and a zone object are refused everywhere, with one message naming ``zone``."""
    with pytest.raises(ValidationError, match=REFUSED) as caught:
        CALLS[name](value)
    assert type(caught.value) is ValidationError


@pytest.mark.parametrize("value", GOOD)
@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_good_zone_is_accepted_and_kept_unchanged(name: str, value: str) -> None:
    """An IANA name is accepted everywhere; what keeps a zone keeps it exactly as given."""
    result = CALLS[name](value)
    if name == "ecservice.aftersales.report_window":
        assert isinstance(result, tuple)
        assert result[1] == value
    elif name not in NO_ZONE_BACK:
        assert getattr(result, "zone") == value  # noqa: B009


def test_report_window_has_no_zone_what_parameter() -> None:
    """The window's only zone parameter is ``zone``: an error names it so."""
    assert list(inspect.signature(report_window).parameters) == ["now", "zone", "days"]


@pytest.mark.parametrize("basis", [TimeBasis.BUSINESS, TimeBasis.CALENDAR, TimeBasis.WORKING_DAYS])
@pytest.mark.parametrize("value", ["Mars/Olympus", 8, "", " UTC"])
def test_add_time_checks_a_given_zone_whatever_the_basis(basis: TimeBasis, value: object) -> None:
    """A zone given to :func:`add_time` is checked even when the basis does not use it."""
    with pytest.raises(ValidationError, match=REFUSED):
        add_time(ZONELESS, NOW, DAY, basis, zone=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("basis", [TimeBasis.BUSINESS, TimeBasis.CALENDAR, TimeBasis.WORKING_DAYS])
def test_a_zone_contradicting_the_calendar_is_refused(basis: TimeBasis) -> None:
    """A Shanghai calendar counted in New York would move a working-day deadline by a day:
    :func:`add_time` and :func:`evaluate_sla` refuse such a zone, naming both."""
    both = r"zone 'America/New_York' differs from the calendar's zone 'Asia/Shanghai'"
    with pytest.raises(ValidationError, match=both):
        add_time(CALENDAR, NOW, 3 * DAY, basis, zone="America/New_York")
    with pytest.raises(ValidationError, match=both):
        evaluate_sla(
            NOW,
            (),
            SLA,
            CALENDAR,
            priority=ComplaintPriority.NORMAL,
            now=NOW,
            zone="America/New_York",
        )


def test_the_calendars_own_zone_may_be_repeated() -> None:
    """Passing the calendar's own zone changes nothing."""
    plain = add_time(CALENDAR, NOW, 3 * DAY, TimeBasis.WORKING_DAYS)
    assert add_time(CALENDAR, NOW, 3 * DAY, TimeBasis.WORKING_DAYS, zone="Asia/Shanghai") == plain


def test_working_days_without_any_zone_ask_for_one() -> None:
    """Only when no zone is given and the calendar has none does the message ask for one."""
    with pytest.raises(ValidationError, match="this calendar has no zone attribute: pass zone="):
        add_time(ZONELESS, NOW, DAY, TimeBasis.WORKING_DAYS)
    assert add_time(ZONELESS, NOW, DAY, TimeBasis.BUSINESS) == add_time(
        CALENDAR, NOW, DAY, TimeBasis.BUSINESS
    )


# --- check_zone itself ------------------------------------------------------------------------

#: The IANA names installed, but the host's own zone.
IANA_NAMES = sorted(zoneinfo.available_timezones() - {"localtime"})
KNOWN = frozenset(IANA_NAMES)


def test_the_database_is_there() -> None:
    """The property below draws from hundreds of names, not from an empty list."""
    assert len(IANA_NAMES) > 300
    assert {"Asia/Shanghai", "UTC", "Etc/GMT-8"} <= set(IANA_NAMES)


@given(st.sampled_from(IANA_NAMES))
def test_every_iana_name_is_accepted_unchanged(name: str) -> None:
    """Every zone of the installed database is accepted, and is the very name given."""
    assert check_zone(name) is name
    assert zone(name).key == name


@given(st.sampled_from(IANA_NAMES), st.sampled_from([" ", "\t", "\n", "\u3000"]))
def test_white_space_around_any_name_is_refused(name: str, space: str) -> None:
    """White space before or after a name is refused, never stripped."""
    for value in (space + name, name + space):
        with pytest.raises(ValidationError, match=re.escape("(white space around it)")):
            check_zone(value)


@given(st.text(max_size=40))
def test_check_zone_accepts_only_database_names(value: str) -> None:
    """Any text is either a name of the database, given back as it is, or refused with the one
    message; nothing else escapes."""
    if value in KNOWN:
        assert check_zone(value) is value
    else:
        with pytest.raises(ValidationError, match=REFUSED):
            check_zone(value)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (None, "(type NoneType, not str)"),
        (8, "(type int, not str)"),
        (True, "(type bool, not str)"),
        (b"UTC", "(type bytes, not str)"),
        ("", "(empty)"),
        (" Asia/Shanghai", "(white space around it)"),
        ("localtime", "(the host's own zone, which depends on the machine's settings)"),
        ("posixrules", "(the host's own zone, which depends on the machine's settings)"),
        ("+08:00", "(a fixed UTC offset, without daylight-saving rules: use a zone name)"),
        ("8", "(a fixed UTC offset, without daylight-saving rules: use a zone name)"),
        ("utc", "(spelled 'UTC' in the database)"),
        ("asia/shanghai", "(spelled 'Asia/Shanghai' in the database)"),
        ("Mars/Olympus", "(not in the IANA time zone database)"),
        ("right/UTC", "(not in the IANA time zone database)"),
        ("/etc/localtime", "(not in the IANA time zone database)"),
        ("Asia/../Asia/Shanghai", "(not in the IANA time zone database)"),
        ("Asia/Shang\x00hai", "(not in the IANA time zone database)"),
        (zoneinfo.ZoneInfo("Asia/Shanghai"), "(a ZoneInfo object: pass its name, 'Asia/Shanghai')"),
        (pendulum.timezone("UTC"), "(a Timezone object: pass its name, 'UTC')"),
        (dt.UTC, "(type timezone, not str)"),
    ],
)
def test_each_refusal_says_what_was_wrong(value: object, why: str) -> None:
    """The message shows the value and says why it is not a zone name."""
    with pytest.raises(ValidationError) as caught:
        check_zone(value, "policy.zone")
    message = str(caught.value)
    assert message.startswith(
        "policy.zone must be an IANA time zone name such as 'Asia/Shanghai' or 'UTC', not "
    )
    assert message.endswith(" " + why)


def test_a_long_value_is_shown_briefly() -> None:
    """A huge value does not make a huge message."""
    with pytest.raises(ValidationError) as caught:
        check_zone("Asia/" + "x" * 1_000_000)
    assert len(str(caught.value)) < 300
    assert "(str of 1000005 characters)" in str(caught.value)


def test_a_str_subclass_comes_back_as_a_plain_str() -> None:
    """A ``str`` subclass naming a zone is accepted as its text."""

    class Name(str):
        __slots__ = ()

    checked = check_zone(Name("Asia/Shanghai"))
    assert type(checked) is str
    assert checked == "Asia/Shanghai"


def test_zone_refuses_what_check_zone_refuses() -> None:
    """:func:`ecservice.clock.zone` checks its name the same way."""
    for value in BAD:
        with pytest.raises(ValidationError, match=REFUSED):
            zone(value)  # type: ignore[arg-type]
    assert zone("Asia/Shanghai") is zone("Asia/Shanghai")
