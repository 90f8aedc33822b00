"""Durations (``timedelta``) in documents and event payloads: exact ISO 8601 text, read back
equal, anything else refused."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecservice.errors import ValidationError
from ecservice.storage import make_converter

CONVERTER = make_converter()


@given(st.timedeltas())
def test_every_duration_reads_back_equal(value: dt.timedelta) -> None:
    text = CONVERTER.unstructure(value)
    assert isinstance(text, str)
    assert CONVERTER.structure(text, dt.timedelta) == value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (dt.timedelta(days=3), "P3DT0.000000S"),
        (dt.timedelta(seconds=-90.5), "-P0DT90.500000S"),
        (dt.timedelta(hours=26, microseconds=1), "P1DT7200.000001S"),
    ],
)
def test_the_text_of_a_duration(value: dt.timedelta, text: str) -> None:
    assert CONVERTER.unstructure(value) == text


@pytest.mark.parametrize(
    "bad", ["P1D", "PT5S", "P0DT86400.000000S", "P1DT1.5S", " P1DT0.000000S", 5, 1.5, None]
)
def test_other_values_are_refused(bad: object) -> None:
    with pytest.raises(ValidationError, match="a duration as ISO 8601"):
        CONVERTER.structure(bad, dt.timedelta)
