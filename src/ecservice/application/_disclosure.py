"""Reading an order's personal details through the service API, under the disclosure rule.

:class:`DisclosureService` loads the order, applies
:func:`~ecservice.orders.authorize_disclosure` (the account that placed the order, staff on its
verified request, or its consent) and, when it allows, returns the details asked for and
records the disclosure as an :class:`~ecservice.orders.OrderDetailsDisclosed` outbox row in the
same unit of work: no detail leaves the store without its record, and a refusal
(:class:`~ecservice.orders.DisclosureRefused`) records and returns nothing.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from typing import final

import attrs

from ecservice._shown import shown
from ecservice.application._runner import UseCaseRunner, check_clock, check_store
from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import ValidationError
from ecservice.orders import (
    Address,
    Consent,
    Disclosure,
    OrderDetail,
    VerifiedRequest,
    authorize_disclosure,
    mask_name,
    mask_phone,
)
from ecservice.storage import Store, UnitOfWork
from ecservice.storage._repository import event_record
from ecservice.storage._retrying import default_backoff
from ecservice.workflow import Actor

__all__ = ["DisclosedDetails", "DisclosureService"]


def _masked_optional(mask: Callable[[str], str]) -> Callable[[str | None], str]:
    def shown(value: str | None) -> str:
        return "None" if value is None else repr(mask(value))

    return shown


def _remarks_shown(value: str | None) -> str:
    return "None" if value is None else f"<{len(value)} characters>"


@final
@attrs.frozen(slots=True, kw_only=True)
class DisclosedDetails:
    """The personal details of an order disclosed to one actor, with the record of it. A detail
    not asked for is ``None``; ``repr()`` masks the values.

    Args:
        order_id: the order.
        address: the shipping address, if :attr:`~ecservice.orders.OrderDetail.ADDRESS` was
            asked for.
        recipient: the recipient's name, if asked for.
        phone: the phone number, if asked for.
        remarks: the buyer's remarks, if asked for.
        disclosure: the record written to the outbox.
    """

    order_id: str
    address: Address | None
    recipient: str | None = attrs.field(repr=_masked_optional(mask_name))
    phone: str | None = attrs.field(repr=_masked_optional(mask_phone))
    remarks: str | None = attrs.field(repr=_remarks_shown)
    disclosure: Disclosure


@final
class DisclosureService:
    """Disclose an order's personal details to those the rule allows, and record each
    disclosure.

    Each call is one unit of work through :func:`~ecservice.storage.run_in_transaction`
    (retried on transient failures). The record is an outbox row of the order (event type
    ``OrderDetailsDisclosed``, event id ``"order:{id}:disclosed:{random}"``) written in the
    same transaction as the read, holding which details, to whom, on which basis, why, when and
    the request's or consent's reference, never the details themselves.

    Args:
        store: where the orders are.
        clock: the time of the disclosures.
        attempts: how many times a unit of work is tried.
        backoff: seconds to wait before attempt ``n + 1``.
        sleep: how to wait (tests pass a fake).

    Raises:
        ValidationError: a ``store`` without a callable ``unit_of_work`` (a
            :class:`~ecservice.storage.Store` is needed), or a ``clock`` that is not a
            :class:`~ecservice.clock.Clock` (with ``now()``).
    """

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock = SYSTEM_CLOCK,
        attempts: int = 5,
        backoff: Callable[[int], float] = default_backoff,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        check_store(store, "DisclosureService")
        check_clock(clock, "DisclosureService")
        self.store = store
        self.clock = clock
        self._run = UseCaseRunner(store, attempts, backoff, sleep)

    def read_details(
        self,
        order_id: str,
        actor: Actor,
        details: Iterable[OrderDetail],
        *,
        purpose: str,
        request: VerifiedRequest | None = None,
        consent: Consent | None = None,
    ) -> DisclosedDetails:
        """The ``details`` of order ``order_id`` for ``actor``, recorded as disclosed.

        Args:
            order_id: the order.
            actor: who asks: the buyer account that placed the order, staff acting on its
                ``request``, or the actor its ``consent`` names.
            details: which details (at least one :class:`~ecservice.orders.OrderDetail`).
            purpose: what for (short text, recorded).
            request: the account's verified request, for staff.
            consent: the account's consent to ``actor``.

        Raises:
            AggregateNotFound: no such order.
            DisclosureRefused: the rule does not allow it; nothing is recorded.
            ValidationError: an argument of the wrong type.
            StorageUnavailable, TransientStorageError: the store failed.
        """
        given: object = details
        if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
            raise ValidationError(f"details must be a set of OrderDetail, not {shown(given)}")
        wanted: tuple[OrderDetail, ...] = tuple(given)

        def work(uow: UnitOfWork) -> DisclosedDetails:
            order = uow.orders.get(order_id)
            disclosure = authorize_disclosure(
                order,
                actor,
                wanted,
                purpose=purpose,
                at=self.clock.now(),
                request=request,
                consent=consent,
            )
            event = disclosure.event()
            uow.append_outbox(
                [
                    event_record(
                        event,
                        event_id=f"order:{order.id}:disclosed:{uuid.uuid4().hex}",
                        aggregate_type="order",
                    )
                ]
            )
            allowed = disclosure.details
            address = order.address
            return DisclosedDetails(
                order_id=order.id,
                address=address if OrderDetail.ADDRESS in allowed else None,
                recipient=address.recipient if OrderDetail.RECIPIENT in allowed else None,
                phone=address.phone if OrderDetail.PHONE in allowed else None,
                remarks=order.remarks if OrderDetail.REMARKS in allowed else None,
                disclosure=disclosure,
            )

        return self._run(work)
