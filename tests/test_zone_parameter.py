"""The shop's time zone has one spelling across the public API: a parameter ``zone`` (an IANA
name) that the objects built from it give back as their ``zone`` attribute, and an error about
a bad one names ``zone``. No public parameter or attribute uses another name for it, neither one
that mentions a zone (``time_zone``, ``shop_zone``) nor an abbreviation (``tz``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pendulum
import pytest

from ecservice.aftersales import aftersales_report, report_window
from ecservice.calendar import ShopCalendar
from ecservice.clock import FixedClock
from ecservice.complaints import SlaPolicy, complaint_report
from ecservice.consultation import consultation_report
from ecservice.errors import ValidationError
from ecservice.feedback import feedback_report
from ecservice.orders import held_orders_report
from ecservice.payments.wallet import CardReference, EWallet, KdfParams
from ecservice.satisfaction import rfm_analysis, satisfaction_report
from tests.public_callables import public_callables

# Parameters that mention a zone without holding one, as ``"name": why`` (none today).
NOT_A_ZONE: dict[str, str] = {}

# Abbreviations of "time zone" that must not name a parameter or an attribute either.
ZONE_ABBREVIATIONS = {"tz", "tzname", "tz_name", "tzinfo"}

NOW = pendulum.datetime(2026, 3, 10, 9, tz="Asia/Shanghai")
# How every refusal of a zone begins (ecservice.clock.check_zone), as a regular expression.
NOT_A_ZONE_NAME = r"zone must be an IANA time zone name such as 'Asia/Shanghai' or 'UTC'"
FAST_KDF = KdfParams(n=2**4)  # a cheap PIN hash: these tests are about the zone
CARD = CardReference("tok_1", "visa", "4242", exp_month=3, exp_year=2026)

# Calls whose result is not an object holding the zone (a tuple, an instant, a bool).
NO_ZONE_BACK = {
    "rfm_analysis",
    "report_window",
    "CardReference.expires_at",
    "CardReference.is_expired",
}


def _zone_like_parameters() -> list[str]:
    found = []
    for where, obj in public_callables():
        try:
            parameters = inspect.signature(obj).parameters
        except (TypeError, ValueError):  # a builtin without a signature
            continue
        found += [f"{where}({p})" for p in parameters if _another_name_for_the_zone(p)]
    return found


def _another_name_for_the_zone(name: str) -> bool:
    lowered = name.lower()
    return lowered in ZONE_ABBREVIATIONS or (
        "zone" in lowered and name != "zone" and name not in NOT_A_ZONE
    )


def _zone_like_attributes() -> list[str]:
    return [
        f"{where}.{attr}"
        for where, obj in public_callables()
        if isinstance(obj, type)
        for attr in dir(obj)
        if not attr.startswith("_") and _another_name_for_the_zone(attr)
    ]


def test_the_walk_sees_the_report_functions() -> None:
    """The walk below would pass vacuously if it found nothing: it finds the reports."""
    names = {where for where, _ in public_callables()}
    assert {
        "ecservice.orders.held_orders_report",
        "ecservice.complaints.complaint_report",
        "ecservice.storage.sql.SqlOrderReports.held_orders",
        "ecservice.complaints.ComplaintReport.from_counts",
    } <= names


def test_the_walk_sees_the_wallet_and_its_cards() -> None:
    """The e-wallet and the card reference, which read expiry months in the shop's zone, are
    among what the checks below walk through."""
    names = {where for where, _ in public_callables()}
    assert {
        "ecservice.payments.wallet.EWallet",
        "ecservice.payments.wallet.EWallet.restore",
        "ecservice.payments.wallet.CardReference.expires_at",
        "ecservice.payments.wallet.CardReference.is_expired",
    } <= names


def test_every_public_time_zone_parameter_is_called_zone() -> None:
    """No public function, constructor or method takes the shop's zone under another name
    that mentions a zone, or under an abbreviation such as ``tz``."""
    assert _zone_like_parameters() == []


def test_no_public_class_gives_its_zone_back_under_another_name() -> None:
    """A class keeps the zone it was given as ``zone``: no public attribute, property or
    method is called ``tz`` or another name for it."""
    assert _zone_like_attributes() == []


def test_the_checks_catch_a_parameter_or_attribute_called_tz() -> None:
    """The name test refuses what the checks above must find (so they cannot pass vacuously
    on a ``tz``), and accepts ``zone`` and the listed exceptions."""
    refused = ("tz", "TZ", "tzinfo", "tz_name", "shop_zone", "timezone", "time_zone", "zone_what")
    accepted = ("zone", "today", "status")
    assert [n for n in refused if not _another_name_for_the_zone(n)] == []
    assert [n for n in accepted if _another_name_for_the_zone(n)] == []


def _calls() -> list[tuple[str, Callable[[object], object]]]:
    calendar = ShopCalendar()
    policy = SlaPolicy.shop_default()
    return [
        ("held_orders_report", lambda z: held_orders_report([], now=NOW, zone=z)),
        (
            "complaint_report",
            lambda z: complaint_report([], policy, calendar, now=NOW, zone=z),
        ),
        ("feedback_report", lambda z: feedback_report([], calendar, now=NOW, zone=z)),
        ("consultation_report", lambda z: consultation_report([], now=NOW, zone=z)),
        ("aftersales_report", lambda z: aftersales_report([], [], now=NOW, zone=z)),
        ("satisfaction_report", lambda z: satisfaction_report([], now=NOW, zone=z)),
        ("rfm_analysis", lambda z: rfm_analysis([], now=NOW, zone=z)),
        ("report_window", lambda z: report_window(NOW, z, 30)),
        (
            "EWallet",
            lambda z: EWallet("alice", "739154", clock=FixedClock(NOW), kdf=FAST_KDF, zone=z),
        ),
        ("CardReference.expires_at", lambda z: CARD.expires_at(z)),
        ("CardReference.is_expired", lambda z: CARD.is_expired(NOW, z)),
    ]


@pytest.mark.parametrize(("name", "call"), _calls(), ids=[name for name, _ in _calls()])
def test_a_zone_that_is_not_a_name_is_reported_as_zone(
    name: str, call: Callable[[object], object]
) -> None:
    """Each report takes ``zone=`` and says ``zone`` when it is not a string."""
    with pytest.raises(ValidationError, match=rf"^{NOT_A_ZONE_NAME}, not 8 \(type int, not str\)$"):
        call(8)


@pytest.mark.parametrize(("name", "call"), _calls(), ids=[name for name, _ in _calls()])
def test_an_unknown_zone_is_refused(name: str, call: Callable[[object], object]) -> None:
    """An unknown IANA name is refused saying which form is allowed."""
    with pytest.raises(
        ValidationError,
        match=rf"^{NOT_A_ZONE_NAME}, not 'Mars/Base' \(not in the IANA time zone database\)$",
    ):
        call("Mars/Base")


@pytest.mark.parametrize(
    ("name", "call"),
    [(n, c) for n, c in _calls() if n not in NO_ZONE_BACK],
)
def test_a_report_gives_its_zone_back_as_zone(name: str, call: Callable[[object], object]) -> None:
    """What is passed as ``zone=`` is read back as ``.zone``."""
    assert getattr(call("Europe/Berlin"), "zone") == "Europe/Berlin"  # noqa: B009


def test_report_window_gives_the_zone_back() -> None:
    """The window names the zone it was counted in."""
    assert report_window(NOW, "Europe/Berlin", 30)[1] == "Europe/Berlin"
