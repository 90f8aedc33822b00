"""A card's expiry month is read in the shop's time zone, which the wallet takes as ``zone`` and
gives back as ``wallet.zone``: the same instant can find a card expired in Shanghai and still
valid in New York, and a zone that is not an IANA name is refused naming ``zone``."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from ecservice.clock import DEFAULT_ZONE, FixedClock
from ecservice.errors import ValidationError
from ecservice.payments.wallet import CardExpired, CardReference, EWallet, KdfParams

PIN = "739154"
FAST = KdfParams(n=2**4)  # a cheap PIN hash: these tests are about the zone
CARD = CardReference("tok_1", "visa", "4242", exp_month=3, exp_year=2026)
# Midnight starting April 2026 in Shanghai (UTC+8), four hours later in New York (EDT, UTC-4).
SHANGHAI_END = pendulum.datetime(2026, 3, 31, 16, tz="UTC")
NEW_YORK_END = pendulum.datetime(2026, 4, 1, 4, tz="UTC")
BETWEEN = pendulum.datetime(2026, 3, 31, 20, tz="UTC")
ZONES = ("Asia/Shanghai", "America/New_York", "Europe/Berlin", "Pacific/Kiritimati", "UTC")


def wallet(at: dt.datetime, zone: str = DEFAULT_ZONE) -> EWallet:
    return EWallet("alice", PIN, clock=FixedClock(at), kdf=FAST, wallet_id="w-alice", zone=zone)


def test_the_card_expires_at_midnight_starting_the_next_month_in_the_zone() -> None:
    assert CARD.expires_at() == SHANGHAI_END
    assert CARD.expires_at(zone="Asia/Shanghai") == SHANGHAI_END
    assert CARD.expires_at(zone="America/New_York") == NEW_YORK_END
    assert CARD.is_expired(BETWEEN, zone="Asia/Shanghai")
    assert not CARD.is_expired(BETWEEN, zone="America/New_York")


@given(zone=st.sampled_from(ZONES), seconds=st.integers(-3 * 86400, 3 * 86400))
def test_a_card_is_expired_exactly_from_its_expiry_instant(zone: str, seconds: int) -> None:
    """Whatever the zone, ``is_expired`` turns true at ``expires_at`` and not a moment before,
    and that instant is local midnight on the first day of the next month."""
    end = CARD.expires_at(zone)
    at = end + dt.timedelta(seconds=seconds)
    assert CARD.is_expired(at, zone) is (seconds >= 0)
    local = end.in_timezone(zone)
    assert (local.year, local.month, local.day, local.hour, local.minute) == (2026, 4, 1, 0, 0)


def test_the_wallet_reads_expiry_in_its_own_zone() -> None:
    """At one instant, a wallet in Shanghai refuses the card and one in New York keeps it as
    usable until midnight in New York; each gives its zone back."""
    clock = FixedClock(BETWEEN)
    shanghai = wallet(BETWEEN)
    new_york = EWallet("bob", PIN, clock=clock, kdf=FAST, zone="America/New_York")
    assert (shanghai.zone, new_york.zone) == ("Asia/Shanghai", "America/New_York")
    with pytest.raises(
        CardExpired,
        match=r"expired on 2026-03-31T16:00:00\+00:00 \(the end of 03/2026 in Asia/Shanghai\)",
    ):
        shanghai.add_card(CARD, auth=PIN)
    assert shanghai.cards() == ()
    new_york.add_card(CARD, auth=PIN)
    assert new_york.cards(usable_only=True) == (CARD,)
    clock.set(NEW_YORK_END)
    assert new_york.cards(usable_only=True) == ()
    assert new_york.cards() == (CARD,)


def test_a_restored_wallet_keeps_its_zone() -> None:
    """``EWallet.restore(zone=...)`` gives the zone back, and its cards follow it."""
    made = wallet(BETWEEN - dt.timedelta(days=1), zone="America/New_York")
    made.add_card(CARD, auth=PIN)
    pin_hash, failures, locked_until = made.pin_record
    restored = EWallet.restore(
        owner="alice",
        wallet_id="w-alice",
        pin_hash=pin_hash,
        clock=FixedClock(BETWEEN),
        signing_key=Ed25519PrivateKey.from_private_bytes(made.export_signing_key()),
        kdf=FAST,
        policy=made.policy,
        failures=failures,
        locked_until=locked_until,
        cards=made.cards(),
        zone="America/New_York",
    )
    assert restored.zone == "America/New_York"
    assert restored.cards(usable_only=True) == (CARD,)


@pytest.mark.parametrize(
    ("zone", "why"),
    [
        (8, "type int, not str"),
        ("", "empty"),
        (" Europe/Berlin ", "white space around it"),
        ("Mars/Base", "not in the IANA time zone database"),
        ("+08:00", "a fixed UTC offset"),
    ],
)
def test_a_bad_zone_is_refused_naming_zone(zone: object, why: str) -> None:
    """The wallet and the card's expiry refuse it alike, naming ``zone`` and saying why."""
    message = rf"^zone must be an IANA time zone name such as 'Asia/Shanghai' or 'UTC', .*{why}"
    with pytest.raises(ValidationError, match=message):
        wallet(BETWEEN, zone=zone)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=message):
        CARD.expires_at(zone)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=message):
        CARD.is_expired(BETWEEN, zone)  # type: ignore[arg-type]
