"""The shop's time zone has one spelling across the public API: a parameter ``zone`` (an IANA
name) that the objects built from it give back as their ``zone`` attribute, and an error about
a bad one names ``zone``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator

import pendulum
import pytest

import ecservice
from ecservice.aftersales import aftersales_report, report_window
from ecservice.calendar import ShopCalendar
from ecservice.complaints import SlaPolicy, complaint_report
from ecservice.consultation import consultation_report
from ecservice.errors import ValidationError
from ecservice.feedback import feedback_report
from ecservice.orders import held_orders_report
from ecservice.satisfaction import rfm_analysis, satisfaction_report

PUBLIC_MODULES = [
    "ecservice",
    *sorted(
        m.name
        for m in pkgutil.walk_packages(ecservice.__path__, "ecservice.")
        if not any(part.startswith("_") for part in m.name.split("."))
    ),
]

# Parameters that mention a zone without holding one, as ``"name": why``.
NOT_A_ZONE = {"zone_what": "report_window's name of the zone argument in its error messages"}

NOW = pendulum.datetime(2026, 3, 10, 9, tz="Asia/Shanghai")


def _callables() -> Iterator[tuple[str, Callable[..., object]]]:
    seen: set[int] = set()
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if id(obj) in seen or not getattr(obj, "__module__", "").startswith("ecservice"):
                continue
            seen.add(id(obj))
            if isinstance(obj, type):
                yield f"{module_name}.{name}", obj
                for attr, value in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    raw = value.__func__ if isinstance(value, classmethod | staticmethod) else value
                    if inspect.isfunction(raw):
                        yield f"{module_name}.{name}.{attr}", raw
            elif inspect.isfunction(obj):
                yield f"{module_name}.{name}", obj


def _zone_like_parameters() -> list[str]:
    found = []
    for where, obj in _callables():
        try:
            parameters = inspect.signature(obj).parameters
        except (TypeError, ValueError):  # a builtin without a signature
            continue
        found += [
            f"{where}({p})"
            for p in parameters
            if "zone" in p.lower() and p != "zone" and p not in NOT_A_ZONE
        ]
    return found


def test_the_walk_sees_the_report_functions() -> None:
    """The walk below would pass vacuously if it found nothing: it finds the reports."""
    names = {where for where, _ in _callables()}
    assert {
        "ecservice.orders.held_orders_report",
        "ecservice.complaints.complaint_report",
        "ecservice.storage.sql.SqlOrderReports.held_orders",
        "ecservice.complaints.ComplaintReport.from_counts",
    } <= names


def test_every_public_time_zone_parameter_is_called_zone() -> None:
    """No public function, constructor or method takes the shop's zone under another name
    that mentions a zone."""
    assert _zone_like_parameters() == []


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
    ]


@pytest.mark.parametrize(("name", "call"), _calls(), ids=[name for name, _ in _calls()])
def test_a_zone_that_is_not_a_name_is_reported_as_zone(
    name: str, call: Callable[[object], object]
) -> None:
    """Each report takes ``zone=`` and says ``zone`` when it is not a string."""
    with pytest.raises(ValidationError, match=r"^zone must be a non-empty string, not int$"):
        call(8)


@pytest.mark.parametrize(("name", "call"), _calls(), ids=[name for name, _ in _calls()])
def test_an_unknown_zone_is_refused(name: str, call: Callable[[object], object]) -> None:
    """An unknown IANA name is refused saying which form is allowed."""
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Base'"):
        call("Mars/Base")


@pytest.mark.parametrize(
    ("name", "call"),
    [(n, c) for n, c in _calls() if n not in {"rfm_analysis", "report_window"}],
)
def test_a_report_gives_its_zone_back_as_zone(name: str, call: Callable[[object], object]) -> None:
    """What is passed as ``zone=`` is read back as ``.zone``."""
    assert getattr(call("Europe/Berlin"), "zone") == "Europe/Berlin"  # noqa: B009


def test_report_window_gives_the_zone_back() -> None:
    """The window names the zone it was counted in."""
    assert report_window(NOW, "Europe/Berlin", 30)[1] == "Europe/Berlin"
