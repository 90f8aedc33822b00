"""The error hierarchy of ecservice.

Every error the library raises on purpose derives from :class:`EcServiceError`, so a shop can
catch the whole family in one place. Errors about bad input also derive from :class:`ValueError`
(or :class:`TypeError` where the *type* is wrong), so generic code that already catches those keeps
working. Every message says what was wrong and, where there is a choice, what is allowed.

An operation that raises one of these errors leaves the object it was called on exactly as it was.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "AggregateNotFound",
    "ConcurrencyConflict",
    "CurrencyMismatch",
    "DoubleSpend",
    "EcServiceError",
    "EmptyCart",
    "GatewayUnavailable",
    "GuardRejected",
    "IdempotencyConflict",
    "InsufficientFunds",
    "InvalidAddress",
    "InvalidAmount",
    "InvalidQuantity",
    "InvalidSignature",
    "InvalidTransition",
    "InvalidWorkflow",
    "NaiveDatetime",
    "NestedUnitOfWork",
    "PolicyViolation",
    "ReadOnlyField",
    "ReentrantTrigger",
    "StorageUnavailable",
    "TrackingOutOfOrder",
    "TransientStorageError",
    "UnknownCurrency",
    "UnknownLine",
    "UnsupportedOperand",
    "ValidationError",
    "WorkflowError",
]


class EcServiceError(Exception):
    """Base class of every error raised by ecservice."""


# --- bad input -------------------------------------------------------------------------------


class ValidationError(EcServiceError, ValueError):
    """A value given to the library is not acceptable."""


class InvalidAmount(ValidationError):
    """A money amount is not a valid amount of its currency (a float, too many decimals, ...)."""


class UnknownCurrency(ValidationError):
    """A currency code is not an ISO 4217 code known to the library."""


class UnsupportedOperand(InvalidAmount, TypeError):
    """Money was combined with something that is not Money (``m + 1``, ``m * Decimal("1.5")``,
    ``m < 1``, ``sum([m, m])``). Also a :class:`TypeError`, as Python's operators raise.

    The message names the operation to use instead: :meth:`Money.multiply
    <ecservice.money.Money.multiply>` with an explicit rounding for a fractional factor,
    :func:`~ecservice.money.sum_money` to add up amounts.
    """


class CurrencyMismatch(ValidationError):
    """Two amounts in different currencies were combined.

    Args:
        left: the ISO 4217 code of the first amount (or of the cart, order or wallet).
        right: the ISO 4217 code of the amount that does not match it.
        operation: what was attempted, as a verb for the message (``"add"``, ``"mix"``).
    """

    def __init__(self, left: str, right: str, operation: str) -> None:
        self.left = left
        self.right = right
        self.operation = operation
        super().__init__(
            f"cannot {operation} {left} and {right}: amounts must be in the same currency; "
            "convert one of them explicitly first"
        )


class NaiveDatetime(ValidationError):
    """A datetime without a time zone was given where an instant is required."""


class InvalidQuantity(ValidationError):
    """A quantity is not a positive whole number, or exceeds what is available."""


class UnknownLine(ValidationError):
    """A line (SKU) was named that the cart, order or shipment does not contain."""


class EmptyCart(ValidationError):
    """Checkout was attempted with no lines in the cart."""


class InvalidAddress(ValidationError):
    """A shipping address is incomplete or malformed."""


class TrackingOutOfOrder(ValidationError):
    """A carrier tracking event is older than the last event already recorded."""


# --- workflows ---------------------------------------------------------------------------------


class WorkflowError(EcServiceError):
    """Base class of errors raised by the workflow kernel."""


class InvalidWorkflow(WorkflowError):
    """A workflow definition is inconsistent; raised when the workflow is defined.

    Args:
        workflow: the workflow's name.
        problems: everything wrong with the definition, one sentence each.
    """

    def __init__(self, workflow: str, problems: Iterable[str]) -> None:
        self.workflow = workflow
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"workflow {workflow!r} is invalid:\n{lines}")


def _names(items: Iterable[str]) -> str:
    items = sorted(items)
    return ", ".join(items) if items else "none"


class InvalidTransition(WorkflowError):
    """A trigger was fired in a state where the workflow does not allow it.

    Args:
        trigger: the trigger's name.
        state: the name of the state the aggregate is in.
        allowed: the triggers allowed in that state (kept sorted).
        subject: the aggregate, for the message (``"Order 'o-1'"``).
    """

    def __init__(self, trigger: str, state: str, allowed: Iterable[str], *, subject: str) -> None:
        self.trigger = trigger
        self.state = state
        self.allowed = tuple(sorted(allowed))
        self.subject = subject
        super().__init__(
            f"cannot {trigger!r} {subject} in state {state!r}; "
            f"triggers allowed in {state!r}: {_names(self.allowed)}"
        )


class GuardRejected(WorkflowError):
    """Every transition a trigger could take was rejected by one of its guards.

    Args:
        trigger: the trigger's name.
        state: the name of the state the aggregate is in.
        failed: the guards that rejected, each as its name and the first line of its docstring.
        subject: the aggregate, for the message (``"Order 'o-1'"``).
    """

    def __init__(self, trigger: str, state: str, failed: Iterable[str], *, subject: str) -> None:
        self.trigger = trigger
        self.state = state
        self.failed = tuple(failed)
        self.subject = subject
        super().__init__(
            f"cannot {trigger!r} {subject} in state {state!r}: "
            f"rejected by {'; '.join(self.failed) or 'its guards'}"
        )


class ReentrantTrigger(WorkflowError):
    """A trigger was fired on an aggregate while one of its own triggers was still running.

    Hooks and guards must not fire triggers on the aggregate they run for: the outer transition
    would then record a state and history the inner one already changed. The aggregate is left
    exactly as it was before the outer trigger. To chain triggers, fire the second one after the
    first returned (or from whatever consumes the first one's events).

    Args:
        trigger: the trigger that was fired too early.
        running: the trigger still running on the same aggregate.
        subject: the aggregate, for the message (``"Order 'o-1'"``).
    """

    def __init__(self, trigger: str, running: str, *, subject: str) -> None:
        self.trigger = trigger
        self.running = running
        self.subject = subject
        super().__init__(
            f"cannot {trigger!r} {subject} while its trigger {running!r} is running; "
            f"fire {trigger!r} after {running!r} has returned"
        )


class ReadOnlyField(WorkflowError):
    """A kernel-managed field (``status``, ``version``, ``history``) was assigned directly.

    These fields change only when a trigger fires, so that every state change is checked by the
    workflow, recorded in the history and counted in the version.
    """


class PolicyViolation(EcServiceError):
    """An operation breaks a business policy (a deadline passed, a window closed, ...)."""


class ConcurrencyConflict(EcServiceError):
    """An aggregate was changed by someone else since it was loaded (version mismatch).

    Nothing was written: reload the aggregate, apply the change again and save it (see
    :func:`~ecservice.storage.run_in_transaction`, which can do this).

    Args:
        aggregate_type: the document type (``"order"``).
        aggregate_id: the aggregate's id.
        expected: the version the write was conditional on, or ``None`` for an aggregate added
            as new.
        found: the version stored now, or ``None`` if none is stored.
    """

    def __init__(
        self, aggregate_type: str, aggregate_id: str, *, expected: int | None, found: int | None
    ) -> None:
        self.aggregate_type = aggregate_type
        self.aggregate_id = aggregate_id
        self.expected = expected
        self.found = found
        subject = f"{aggregate_type} {aggregate_id!r}"
        if expected is None and found is None:
            what = f"cannot save {subject}: its events at this version are already recorded"
        elif expected is None:
            what = f"cannot add {subject}: it is already stored (version {found})"
        elif found is None:
            what = f"cannot save {subject} loaded at version {expected}: it is no longer stored"
        else:
            what = (
                f"cannot save {subject}: it was loaded at version {expected} but version "
                f"{found} is stored now (changed by someone else)"
            )
        super().__init__(f"{what}; reload it and apply the change again")


# --- payments ----------------------------------------------------------------------------------


class IdempotencyConflict(ValidationError):
    """An idempotency key was reused for a different request.

    The same key with the same request is a retry and returns the first outcome; a different
    request needs a new key.
    """


class GatewayUnavailable(EcServiceError):
    """A gateway could not say whether an operation happened (a timeout, a lost answer).

    Nothing is recorded on the payment; retry the same call with the same idempotency key, and
    the gateway returns the outcome of the first attempt if there was one, or performs it once.
    """


class InsufficientFunds(EcServiceError):
    """A payment or transfer asks for more value than is available."""


class DoubleSpend(EcServiceError):
    """A coin or payment was presented again in a way that conflicts with an earlier use."""


class InvalidSignature(EcServiceError):
    """A signature does not verify: the data was forged or altered, or the key is wrong."""


# --- storage -----------------------------------------------------------------------------------


class AggregateNotFound(EcServiceError, LookupError):
    """No aggregate of that type and id is stored.

    Args:
        aggregate_type: the document type (``"order"``).
        aggregate_id: the id looked up.
    """

    def __init__(self, aggregate_type: str, aggregate_id: str) -> None:
        self.aggregate_type = aggregate_type
        self.aggregate_id = aggregate_id
        super().__init__(f"no {aggregate_type} {aggregate_id!r} is stored")


class StorageUnavailable(EcServiceError):
    """The database failed or could not be reached; the message says what it answered.

    The transaction was rolled back: nothing it wrote is kept.
    """


class NestedUnitOfWork(StorageUnavailable):
    """A unit of work of an SQLite store was started in a thread that already has one open on
    the same store. SQLite has one writer at a time and every unit of work of the store takes the
    write lock (``BEGIN IMMEDIATE``), so the second one would only wait for the first, which
    waits for it, until the busy timeout. Nothing was started.

    Finish the first unit of work before starting the next. A gateway that keeps its books in a
    store (:class:`~ecservice.application.WalletPaymentService`) and is called inside a unit of
    work (:meth:`OrderService.pay <ecservice.application.OrderService.pay>` calls its gateway
    in one) needs a store on another database file, or PostgreSQL, where both may share one
    database.
    """


class TransientStorageError(StorageUnavailable):
    """The database refused a transaction for a reason that may pass: a serialization failure
    or deadlock on PostgreSQL (SQLSTATE 40001, 40P01), a locked database on SQLite.

    The transaction was rolled back; running it again may succeed
    (:func:`~ecservice.storage.run_in_transaction` does, a bounded number of times, and raises
    this error, chained to the last failure, when it gives up).
    """
