"""Gateways that misbehave on purpose, wrapping any :class:`PaymentGateway`.

:class:`ScriptedGateway` forwards each money-moving call to the gateway it wraps, unless the next
entry of its script for that operation says otherwise:

* ``"ok"``: forward (also what happens when the script is empty);
* ``"decline"``: answer ``approved=False`` without forwarding (the provider refused, nothing
  moved); if the wrapped gateway already approved the key, it forwards instead (a provider
  replays an approved request, it does not refuse it);
* ``"lose"``: forward, then raise :class:`~ecservice.errors.GatewayUnavailable` (the provider
  acted and the answer was lost);
* ``"timeout"``: forward, then raise :class:`TimeoutError`;
* ``"down"``: raise :class:`~ecservice.errors.GatewayUnavailable` without forwarding.

It works against the protocol only, so the same tests can run over every gateway.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from typing import Literal

from ecservice.errors import GatewayUnavailable
from ecservice.money import Money
from ecservice.payments import GatewayResponse, Instrument, OutcomeLookup, PaymentGateway

Behaviour = Literal["ok", "decline", "lose", "timeout", "down"]
OPERATIONS = ("authorize", "capture", "void", "refund")


class ScriptedGateway:
    """A :class:`PaymentGateway` (and :class:`OutcomeLookup` when the wrapped one is) that
    follows a script per operation."""

    def __init__(self, inner: PaymentGateway) -> None:
        self.inner = inner
        self.script: dict[str, deque[Behaviour]] = defaultdict(deque)

    def then(self, operation: str, *behaviours: Behaviour) -> ScriptedGateway:
        """Queue ``behaviours`` for the next calls of ``operation``."""
        assert operation in OPERATIONS
        self.script[operation].extend(behaviours)
        return self

    def _run(
        self, operation: str, key: str, call: Callable[[], GatewayResponse]
    ) -> GatewayResponse:
        queue = self.script[operation]
        behaviour: Behaviour = queue.popleft() if queue else "ok"
        if behaviour == "decline" and self.outcome(key) is None:
            return GatewayResponse(approved=False, message=f"{operation} declined by the script")
        if behaviour == "down":
            raise GatewayUnavailable(f"{operation}: no answer (nothing sent)")
        answer = call()
        if behaviour == "lose":
            raise GatewayUnavailable(f"{operation}: the answer was lost")
        if behaviour == "timeout":
            raise TimeoutError(f"{operation}: timed out")
        return answer

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str, idempotency_key: str
    ) -> GatewayResponse:
        return self._run(
            "authorize",
            idempotency_key,
            lambda: self.inner.authorize(
                instrument, amount, reference=reference, idempotency_key=idempotency_key
            ),
        )

    def capture(
        self, authorization: str, amount: Money, *, idempotency_key: str
    ) -> GatewayResponse:
        return self._run(
            "capture",
            idempotency_key,
            lambda: self.inner.capture(authorization, amount, idempotency_key=idempotency_key),
        )

    def void(self, authorization: str, *, idempotency_key: str) -> GatewayResponse:
        return self._run(
            "void",
            idempotency_key,
            lambda: self.inner.void(authorization, idempotency_key=idempotency_key),
        )

    def refund(self, capture: str, amount: Money, *, idempotency_key: str) -> GatewayResponse:
        return self._run(
            "refund",
            idempotency_key,
            lambda: self.inner.refund(capture, amount, idempotency_key=idempotency_key),
        )

    def outcome(self, idempotency_key: str) -> GatewayResponse | None:
        """The wrapped gateway's stored outcome (a lookup is never lost here)."""
        if isinstance(self.inner, OutcomeLookup):
            return self.inner.outcome(idempotency_key)
        return None


class BlindGateway:
    """A :class:`PaymentGateway` that cannot say what it did (no :class:`OutcomeLookup`): it
    forwards the four operations and nothing else, like a provider without a query API."""

    def __init__(self, inner: PaymentGateway) -> None:
        self.inner = inner

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str, idempotency_key: str
    ) -> GatewayResponse:
        return self.inner.authorize(
            instrument, amount, reference=reference, idempotency_key=idempotency_key
        )

    def capture(
        self, authorization: str, amount: Money, *, idempotency_key: str
    ) -> GatewayResponse:
        return self.inner.capture(authorization, amount, idempotency_key=idempotency_key)

    def void(self, authorization: str, *, idempotency_key: str) -> GatewayResponse:
        return self.inner.void(authorization, idempotency_key=idempotency_key)

    def refund(self, capture: str, amount: Money, *, idempotency_key: str) -> GatewayResponse:
        return self.inner.refund(capture, amount, idempotency_key=idempotency_key)


class MisreportingGateway(BlindGateway):
    """Forwards, then answers an approved operation named in ``says`` with another amount."""

    def __init__(self, inner: PaymentGateway, says: dict[str, Money]) -> None:
        super().__init__(inner)
        self.says = says

    def _said(self, operation: str, answer: GatewayResponse) -> GatewayResponse:
        if operation not in self.says or not answer.approved:
            return answer
        return GatewayResponse(
            approved=True, reference=answer.reference, amount=self.says[operation]
        )

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str, idempotency_key: str
    ) -> GatewayResponse:
        answer = super().authorize(
            instrument, amount, reference=reference, idempotency_key=idempotency_key
        )
        return self._said("authorize", answer)

    def capture(
        self, authorization: str, amount: Money, *, idempotency_key: str
    ) -> GatewayResponse:
        answer = super().capture(authorization, amount, idempotency_key=idempotency_key)
        return self._said("capture", answer)

    def refund(self, capture: str, amount: Money, *, idempotency_key: str) -> GatewayResponse:
        return self._said(
            "refund", super().refund(capture, amount, idempotency_key=idempotency_key)
        )
