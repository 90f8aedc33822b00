"""Bytes (keys, signatures, digests) and calendar dates in documents: lowercase hexadecimal and
ISO 8601 text, read back equal, anything else refused."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecservice.errors import ValidationError
from ecservice.storage import make_converter

CONVERTER = make_converter()


@given(st.binary(max_size=96))
def test_every_byte_string_reads_back_equal(value: bytes) -> None:
    text = CONVERTER.unstructure(value)
    assert text == value.hex()
    assert CONVERTER.structure(text, bytes) == value


@pytest.mark.parametrize("bad", ["0", "GG", "00FF", " 00", "00 ", "0x00", 1, None, [0, 255]])
def test_other_values_are_refused(bad: object) -> None:
    with pytest.raises(ValidationError, match="lowercase hexadecimal"):
        CONVERTER.structure(bad, bytes)


@given(st.dates())
def test_every_date_reads_back_equal(value: dt.date) -> None:
    text = CONVERTER.unstructure(value)
    assert text == value.isoformat()
    assert CONVERTER.structure(text, dt.date) == value


@pytest.mark.parametrize(
    "bad", ["2026-1-02", "20260102", "2026-02-30", "2026-01-02T00:00", " 2026-01-02", 5, None]
)
def test_other_dates_are_refused(bad: object) -> None:
    with pytest.raises(ValidationError, match="calendar date"):
        CONVERTER.structure(bad, dt.date)
