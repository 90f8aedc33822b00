"""Running the same gateway operations on two sides (stored books and books in memory) and
comparing the answers: what the stored payment services' property tests share.

:func:`operations` draws lists of authorisations, captures, voids and refunds; a :class:`Side`
runs them on one gateway and writes each answer with the references it handed out replaced by
their place (``#a0`` for the first authorisation, ``#c0`` for the first capture), so that two
gateways handing out different references give equal answers when they behave the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import strategies as st

from ecservice.errors import EcServiceError
from ecservice.money import Money
from ecservice.payments import GatewayResponse, Instrument

KEYS = st.sampled_from([f"K{n}" for n in range(6)])
UNITS = st.integers(1, 60).map(lambda n: Money(f"{n}.00", "CNY"))


def operations(instruments: Sequence[str]) -> st.SearchStrategy[list[tuple[Any, ...]]]:
    """Lists of up to 14 operations on ``instruments`` (by id) and the references made."""
    return st.lists(
        st.one_of(
            st.tuples(st.just("authorize"), st.sampled_from(list(instruments)), UNITS, KEYS),
            st.tuples(st.just("capture"), st.integers(0, 3), UNITS, KEYS),
            st.tuples(st.just("void"), st.integers(0, 3), KEYS),
            st.tuples(st.just("refund"), st.integers(0, 3), UNITS, KEYS),
        ),
        max_size=14,
    )


class Side:
    """One way of running the operations on ``gateway``, paying with ``instrument_of(id)``.

    With ``caps_named_by_auth``, a capture's reference is its authorisation's with ``-cap-``
    for ``-auth-`` (the e-wallet gateway's), and is named so in messages too.
    """

    def __init__(
        self,
        gateway: Any,
        instrument_of: Callable[[str], Instrument],
        *,
        caps_named_by_auth: bool = False,
    ) -> None:
        self.gateway = gateway
        self.instrument_of = instrument_of
        self.caps_named_by_auth = caps_named_by_auth
        self.auths: list[str] = []
        self.caps: list[str] = []

    def name(self, text: str) -> str:
        for kind, refs in (("a", self.auths), ("c", self.caps)):
            for n, ref in enumerate(refs):
                if kind == "c" and self.caps_named_by_auth:
                    ref = ref.replace("-auth-", "-cap-")
                text = text.replace(ref, f"#{kind}{n}")
        return text

    def run(self, op: tuple[Any, ...]) -> object:
        kind, *args = op
        try:
            if kind == "authorize":
                who, amount, key = args
                answer: GatewayResponse = self.gateway.authorize(
                    self.instrument_of(who), amount, reference="P-1", idempotency_key=key
                )
                if answer.approved and answer.reference not in self.auths:
                    self.auths.append(answer.reference)
            elif kind in ("capture", "void"):
                index, *rest = args
                if index >= len(self.auths):
                    return "no authorisation"
                ref = self.auths[index]
                if kind == "capture":
                    answer = self.gateway.capture(ref, rest[0], idempotency_key=rest[1])
                    if answer.approved and answer.reference not in self.caps:
                        self.caps.append(answer.reference)
                else:
                    answer = self.gateway.void(ref, idempotency_key=rest[0])
            else:
                index, amount, key = args
                if index >= len(self.caps):
                    return "no capture"
                answer = self.gateway.refund(self.caps[index], amount, idempotency_key=key)
        except EcServiceError as exc:
            return type(exc).__name__
        if kind == "refund" and answer.approved:
            return (answer.approved, answer.amount, answer.message)
        return (
            answer.approved,
            answer.amount,
            self.name(answer.message),
            self.name(answer.reference),
        )

    def named(self, references: dict[str, Money]) -> dict[str, Money]:
        """``references`` with each reference named by its place."""
        return {self.name(ref): amount for ref, amount in references.items()}
