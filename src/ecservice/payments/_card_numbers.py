"""Recognising full card numbers (PANs) in text, so that none is stored or signed.

Private to :mod:`ecservice.payments`; needs nothing beyond the standard library, so the payment
gateway seam can use it without the ``crypto`` extra. The public names are re-exported by
:mod:`ecservice.payments.wallet`.

What counts as "shaped like a PAN": a run of digits, possibly split into groups by spaces or
dashes (``4111 1111-1111 1111``), in which some consecutive groups hold 13 to 19 digits in all
and pass the Luhn check (ISO/IEC 7812-1 fixes both the length and the check digit). Unicode
decimal digits (full-width ``４``) count as digits. A single unbroken run of more than 19 digits is
not searched for a PAN inside it (it cannot be one, and looking at every window would refuse most
long numeric ids by chance).

>>> looks_like_card_number("tok_visa_4242"), looks_like_card_number("4111-1111-1111-1111")
(False, True)
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from ecservice.errors import ValidationError

__all__ = ["looks_like_card_number", "luhn_valid"]

# Digit groups joined by short runs of spaces or dashes (ASCII and Unicode hyphens/dashes).
_DIGIT_RUN: Final = re.compile(r"\d+(?:[\s\-\u2010-\u2015]{1,3}\d+)*")
_GROUP: Final = re.compile(r"\d+")


def luhn_valid(digits: str) -> bool:
    """``True`` when the string of ASCII digits passes the Luhn (mod 10) check.

    >>> luhn_valid("79927398713"), luhn_valid("79927398710")
    (True, False)
    """
    if not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _ascii_digits(group: str) -> str:
    return "".join(str(unicodedata.decimal(ch)) for ch in group)


def looks_like_card_number(text: str) -> bool:
    """``True`` when ``text`` contains something shaped like a full card number (see above).

    Raises:
        ValidationError: ``text`` is not a str.
    """
    if not isinstance(text, str):
        raise ValidationError(f"a card-number scan needs a str, not {type(text).__name__}")
    for run in _DIGIT_RUN.finditer(text):
        groups = [_ascii_digits(g) for g in _GROUP.findall(run.group())]
        for start in range(len(groups)):
            digits = ""
            for group in groups[start:]:
                digits += group
                if len(digits) > 19:
                    break
                if len(digits) >= 13 and luhn_valid(digits):
                    return True
    return False
