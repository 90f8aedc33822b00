"""Card references: a payment provider's token, the brand, the last four digits and the expiry.

A wallet never stores a full card number (PAN). Every text field of a :class:`CardReference`
(token, brand, last four, label) is scanned by :func:`looks_like_card_number`, and one that
contains something shaped like a PAN raises :class:`FullCardNumberRefused`, whose message names
the field but never repeats its value.

What counts as "shaped like a PAN": a run of digits, possibly split into groups by spaces or
dashes (``4111 1111-1111 1111``), in which some consecutive groups hold 13 to 19 digits in all
and pass the Luhn check (ISO/IEC 7812-1). Unicode decimal digits (full-width ``４``) count as
digits. A single unbroken run of more than 19 digits is not searched for a PAN inside it (it
cannot be one, and looking at every window would refuse most long numeric ids by chance).

>>> looks_like_card_number("tok_visa_4242"), looks_like_card_number("4111-1111-1111-1111")
(False, True)
>>> card = CardReference("tok_1Nv0", "visa", "4242", exp_month=12, exp_year=2027)
>>> card.expires_at().isoformat()
'2027-12-31T16:00:00+00:00'
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from typing import Final, final

import attrs
import pendulum
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import DEFAULT_ZONE, ensure_utc
from ecservice.clock import zone as _zone
from ecservice.errors import ValidationError
from ecservice.payments._card_numbers import looks_like_card_number, luhn_valid
from ecservice.payments.wallet._errors import FullCardNumberRefused
from ecservice.text import SHORT_TEXT_MAX, check_text

__all__ = ["CardReference", "check_reference", "looks_like_card_number", "luhn_valid"]

_LAST4: Final = re.compile(r"[0-9]{4}")


def check_reference(value: object, what: str, *, limit: int = SHORT_TEXT_MAX) -> str:
    """Return ``value`` stripped if it is acceptable free text that holds no card number.

    Every free-text value the wallet stores or signs (ledger and hold references, an
    instruction's payee and reference, the owner and wallet id, holding references) goes
    through this check: :func:`ecservice.text.check_text` (a non-blank str of at most ``limit``
    characters, no control or bidi-override characters; these messages never repeat the value
    either), then :func:`looks_like_card_number`.

    Raises:
        FullCardNumberRefused: the text contains something shaped like a full card number; the
            message names ``what`` and never repeats the value.
        ValidationError: the text is not a str, blank, too long or has forbidden characters.
    """
    checked = check_text(value, what, limit=limit)
    if looks_like_card_number(checked):
        raise FullCardNumberRefused(what)
    return checked


def _no_pan(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if isinstance(value, str) and looks_like_card_number(value):
        raise FullCardNumberRefused(attribute.name)


def _text(
    limit: int, *, empty: bool = False
) -> Callable[[object, attrs.Attribute[str], object], None]:
    def check(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
        if not isinstance(value, str):
            raise ValidationError(
                f"card {attribute.name} must be a str, not {type(value).__name__}"
            )
        if (not empty and not value.strip()) or len(value) > limit:
            need = "at most" if empty else "1 to"
            raise ValidationError(f"card {attribute.name} must have {need} {limit} characters")

    return check


def _last4(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if _LAST4.fullmatch(value) is None:
        raise ValidationError("card last4 must be exactly four digits (0-9)")


def _month(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 12:
        raise ValidationError(f"card exp_month must be an int from 1 to 12, not {shown(value)}")


def _year(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 2000 <= value <= 2999:
        raise ValidationError(f"card exp_year must be a four-digit year, not {shown(value)}")


@final
@attrs.frozen(slots=True)
class CardReference:
    """A card the owner can pay with, as the payment provider knows it.

    Args:
        token: the provider's token for the card (opaque; never a card number).
        brand: the card scheme, such as ``"visa"`` or ``"unionpay"``.
        last4: the last four digits, for display.
        exp_month: expiry month, 1 to 12.
        exp_year: expiry year, four digits.
        label: an optional name the owner gave the card.

    Raises:
        FullCardNumberRefused: any field contains something shaped like a full card number
            (checked before every other rule).
        ValidationError: a field is empty, too long or out of range.
    """

    # The PAN check runs first on every field, so that even a malformed last4 holding a
    # card number is refused as a card number.
    token: str = attrs.field(validator=[_no_pan, _text(200)])
    brand: str = attrs.field(validator=[_no_pan, _text(40)])
    last4: str = attrs.field(validator=[_no_pan, _text(4), _last4])
    exp_month: int = attrs.field(kw_only=True, validator=_month)
    exp_year: int = attrs.field(kw_only=True, validator=_year)
    label: str = attrs.field(default="", kw_only=True, validator=[_no_pan, _text(80, empty=True)])

    def expires_at(self, zone: str = DEFAULT_ZONE) -> DateTime:
        """The first instant (UTC) at which the card is expired.

        A card is valid through the last day of its expiry month (the "valid thru" month
        printed on it), in the IANA time zone ``zone`` (default the shop's zone,
        Asia/Shanghai): it expires at midnight starting the next month there.

        Raises:
            ValidationError: ``zone`` is not an IANA time zone name
                (:func:`~ecservice.clock.check_zone`).
        """
        shop_zone = _zone(zone)
        year, month = divmod(self.exp_year * 12 + self.exp_month, 12)  # the month after
        return ensure_utc(pendulum.datetime(year, month + 1, 1, tz=shop_zone))

    def is_expired(self, at: _dt.datetime, zone: str = DEFAULT_ZONE) -> bool:
        """``True`` when the card is expired at the instant ``at`` (an aware datetime), its
        expiry month read in the IANA time zone ``zone`` (see :meth:`expires_at`).

        Raises:
            NaiveDatetime: ``at`` has no time zone.
            ValidationError: ``at`` is not a datetime, or ``zone`` is not an IANA time zone
                name.
        """
        return ensure_utc(at, what="card check time") >= self.expires_at(zone)

    def __str__(self) -> str:
        return f"{self.brand} ****{self.last4} ({self.exp_month:02d}/{self.exp_year})"
