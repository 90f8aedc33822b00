"""The checks of incoming free text: limits, forbidden characters, keys compared exactly."""

from __future__ import annotations

import attrs
import pytest

from ecservice.errors import InvalidAddress, ValidationError
from ecservice.payments._idempotency import IdempotencyLedger
from ecservice.text import (
    LONG_TEXT_MAX,
    SHORT_TEXT_MAX,
    check_key,
    check_optional_text,
    check_text,
    text,
)


def test_check_text_strips_and_returns_acceptable_text() -> None:
    """Surrounding white space goes; the text itself is kept, Chinese included."""
    assert check_text("  龙井 250 g ", "name") == "龙井 250 g"


@pytest.mark.parametrize("value", [None, 1, b"x", ["x"], "", "   "])
def test_check_text_refuses_non_text_and_blank(value: object) -> None:
    """Only non-blank str is text."""
    with pytest.raises(ValidationError, match="name must be a non-empty string"):
        check_text(value, "name")


def test_check_text_limits_length_without_echoing_the_value() -> None:
    """The limit is in characters after stripping; the message gives the length, not the value."""
    assert check_text("x" * SHORT_TEXT_MAX, "sku") == "x" * SHORT_TEXT_MAX
    with pytest.raises(ValidationError, match=f"at most {SHORT_TEXT_MAX} characters") as info:
        check_text("x" * (SHORT_TEXT_MAX + 1), "sku")
    assert "xxxx" not in str(info.value)
    with pytest.raises(ValidationError, match="at most"):
        check_text("x" * 10_000_000, "note", limit=LONG_TEXT_MAX)


@pytest.mark.parametrize(
    "char", ["\x00", "\x1b", "\x7f", "\x85", "\u202a", "\u202e", "\u2066", "\u2069", "\ud800"]
)
def test_check_text_refuses_control_bidi_and_surrogates(char: str) -> None:
    """Control characters, bidi embeddings/overrides/isolates and lone surrogates are refused,
    and the message names the code point and where it is."""
    with pytest.raises(ValidationError, match=f"U\\+{ord(char):04X} at position 1"):
        check_text(f"a{char}b", "note")


def test_line_breaks_only_in_multiline_text() -> None:
    """A note may span lines; an identifier may not."""
    assert check_text("line 1\nline 2\tend", "note", multiline=True) == "line 1\nline 2\tend"
    with pytest.raises(ValidationError, match="U\\+000A"):
        check_text("SF\n1001", "tracking number")


def test_optional_text_accepts_blank_as_empty() -> None:
    """Blank optional text is the empty string; anything else is checked like text."""
    assert check_optional_text("   ", "note") == ""
    with pytest.raises(ValidationError):
        check_optional_text(123, "note")


def test_check_key_refuses_surrounding_white_space() -> None:
    """Keys are compared exactly: 'K-1' and 'K-1\\n' must not name one request somewhere and
    two elsewhere, so white space around a key is refused rather than stripped."""
    assert check_key("K-1") == "K-1"
    for bad in ("K-1\n", " K-1", "K-1 "):
        with pytest.raises(ValidationError, match="white space"):
            check_key(bad)


def test_the_idempotency_ledger_refuses_a_padded_key() -> None:
    """The gateways' ledger checks keys exactly and stores nothing for a refused one."""
    ledger: IdempotencyLedger[str] = IdempotencyLedger("gw")
    assert ledger.run("z", "op", lambda: "first") == "first"
    with pytest.raises(ValidationError):
        ledger.run("z\n", "op", lambda: "second")
    assert len(ledger) == 1


def test_text_validator_refuses_unstripped_values() -> None:
    """The attrs validator does not change values, so it refuses padding instead."""

    @attrs.frozen
    class Label:
        name: str = attrs.field(validator=text("name", InvalidAddress))

    assert Label("ok").name == "ok"
    with pytest.raises(InvalidAddress, match="white space"):
        Label(" ok")
