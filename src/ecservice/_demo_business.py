"""The demo's business orders without importing the draft code: which orders they are, and the
desk that pays them with drafts when the ``crypto`` extra is installed (see
:mod:`ecservice._demo_drafts`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ecservice._demo_store import crypto_available, stored_ids
from ecservice.application import OrderService
from ecservice.clock import FixedClock
from ecservice.storage import Store

if TYPE_CHECKING:
    from ecservice._demo_drafts import DraftDesk, DraftFigures

__all__ = ["business_figures", "business_orders", "earlier_business_orders", "open_draft_desk"]


def business_orders(first: int, n: int) -> list[str]:
    """This run's business orders (none without the crypto extra)."""
    if not crypto_available():
        return []
    from ecservice._demo_drafts import b2b_ids

    return b2b_ids(first, n)


def earlier_business_orders(store: Store) -> list[str]:
    """The business orders of earlier runs whose drafts a database holds (none in memory)."""
    drafts = stored_ids(store, "electronic_draft")
    if not drafts or not crypto_available():
        return []
    from ecservice._demo_drafts import order_of_draft

    return [order_of_draft(d) for d in drafts]


def open_draft_desk(
    store: Store,
    clock: FixedClock,
    seed: int,
    orders: OrderService,
    mine: Callable[[str], bool],
) -> DraftDesk | None:
    """The business desk of one worker, or ``None`` without the crypto extra."""
    if not crypto_available():
        return None
    from ecservice._demo_drafts import DraftDesk

    return DraftDesk(store, clock, seed, orders, mine)


def business_figures(store: Store, order_ids: list[str]) -> DraftFigures | None:
    """The drafts' figures of the business orders ``order_ids`` (``None`` when there are none,
    or without the crypto extra)."""
    if not order_ids or not crypto_available():
        return None
    from ecservice._demo_drafts import draft_figures, shop_party

    return draft_figures(store, order_ids, shop_party()[0])
