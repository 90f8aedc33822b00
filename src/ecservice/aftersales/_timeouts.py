"""How long each side of an after-sales case may take before the platform acts for it."""

from __future__ import annotations

import datetime as _dt
from typing import Final

import attrs

from ecservice._shown import shown
from ecservice.errors import ValidationError

__all__ = ["MAX_TIMEOUT", "CaseTimeouts"]

#: Longest timeout accepted.
MAX_TIMEOUT: Final = _dt.timedelta(days=365)


def _duration(value: _dt.timedelta) -> _dt.timedelta:
    given: object = value
    if not isinstance(given, _dt.timedelta):
        raise ValidationError(f"a timeout must be a datetime.timedelta, not {shown(value)}")
    if not _dt.timedelta(0) < value <= MAX_TIMEOUT:
        raise ValidationError(f"a timeout must be more than 0 and at most 365 days, not {value}")
    return value


@attrs.frozen(kw_only=True)
class CaseTimeouts:
    """The timeouts of an after-sales case, as elapsed time (a timeout of 5 days is 120 hours,
    whatever the shop's zone and its DST changes).

    The defaults are the common practice of Chinese marketplaces (Taobao's refund rules, 淘宝
    退款规则): the seller answers a refund request within 48 hours before shipment and within 5
    days after, or it is approved automatically; the buyer ships the return within 7 days of
    the approval, or the request closes; the seller confirms receiving the return within 10 days
    of its dispatch, or the refund is made automatically; a closed case may be reopened within
    15 days.

    Args:
        seller_answer_unshipped: the seller's time to answer a request on an order not shipped.
        seller_answer_shipped: the seller's time to answer a request on a shipped order.
        buyer_ships_return: the buyer's time to ship the return after the approval.
        seller_confirms_return: the seller's time to confirm receiving the return after the
            buyer shipped it.
        reopen_window: how long after closing a case may be reopened.

    Raises:
        ValidationError: a timeout that is not a ``timedelta`` of more than 0 and at most 365
            days.
    """

    seller_answer_unshipped: _dt.timedelta = attrs.field(
        default=_dt.timedelta(hours=48), converter=_duration
    )
    seller_answer_shipped: _dt.timedelta = attrs.field(
        default=_dt.timedelta(days=5), converter=_duration
    )
    buyer_ships_return: _dt.timedelta = attrs.field(
        default=_dt.timedelta(days=7), converter=_duration
    )
    seller_confirms_return: _dt.timedelta = attrs.field(
        default=_dt.timedelta(days=10), converter=_duration
    )
    reopen_window: _dt.timedelta = attrs.field(default=_dt.timedelta(days=15), converter=_duration)
