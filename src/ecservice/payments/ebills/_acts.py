"""Signed acts on a draft: each act is an Ed25519-signed, hash-chained value.

《电子商业汇票业务管理办法》 requires each party's act on an electronic draft (出票, 承兑,
交付, 背书, 保证, 提示付款, 付款 or 拒付, 追索, 清偿) to carry its reliable electronic
signature. Here a :class:`DraftAct` is signed with Ed25519 over its *canonical bytes*, which
include the digest of the draft's previous act, so the acts form a hash chain: an act made for
another state of the draft, replayed, or moved to another draft does not continue the chain.

Canonical serialisation (version ``ecservice.ebills.act/1``): a JSON object with exactly the keys
below, sorted, dumped with ``json.dumps(obj, sort_keys=True, separators=(",", ":"),
ensure_ascii=True)`` and encoded as ASCII::

    amount            {"amount": "12.30", "currency": "CNY"} or null
    at                the instant in UTC, "YYYY-MM-DDTHH:MM:SS.ffffffZ"
    by                the signing party: {"account", "bank", "name", "public_key" (hex)}
    draft_no          the draft (package) number
    expenses          like amount, or null
    interest          like amount, or null
    kind              the act's kind ("issue", "accept", "endorse", ...)
    not_transferable  true or false
    party             the other party of the act (same form as by), or null
    previous          the previous act's digest, 64 lowercase hex digits (64 zeros for issue)
    reason            the dishonour reason ("insufficient_funds", ...) or null
    terms             the issue act's terms (see DraftTerms.canonical) or null
    type              "ecservice.ebills.act/1"

The signature is the 64-byte Ed25519 signature of those bytes by the key in ``by``; an act's
digest is the SHA-256 of its canonical bytes followed by its signature.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Final, final

import attrs
from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import UTC, ensure_utc
from ecservice.errors import EcServiceError, ValidationError
from ecservice.money import Money
from ecservice.payments.ebills._errors import ForgedAct, MalformedAct, WrongSigner
from ecservice.payments.ebills._parties import DraftParty, DraftTerms
from ecservice.payments.wallet._instruction import raw_public_key
from ecservice.text import text
from ecservice.workflow import LabelledState

if TYPE_CHECKING:
    import datetime as _dt

__all__ = [
    "ACT_TYPE",
    "GENESIS",
    "ActKind",
    "DishonourReason",
    "DraftAct",
    "sign_act",
    "verify_act",
]

#: The ``type`` field of every act's canonical bytes, naming the format's version.
ACT_TYPE: Final = "ecservice.ebills.act/1"
#: The ``previous`` digest of the first act (the issue): 32 zero bytes.
GENESIS: Final = bytes(32)


class ActKind(LabelledState):
    """The kinds of act on a draft, and who signs each."""

    #: Issue (出票), signed by the drawer.
    ISSUE = ("issue", "Issue", "出票")
    #: Acceptance (承兑), signed by the acceptor.
    ACCEPT = ("accept", "Accept", "承兑")
    #: Delivery to the payee (交付, 提示收票), signed by the drawer.
    DELIVER = ("deliver", "Deliver", "交付")
    #: Endorsement to an endorsee (背书), signed by the holder.
    ENDORSE = ("endorse", "Endorse", "背书")
    #: Guarantee of a debtor's obligation (保证), signed by the guarantor.
    GUARANTEE = ("guarantee", "Guarantee", "保证")
    #: Presentment for payment (提示付款), signed by the holder.
    PRESENT = ("present", "Present for payment", "提示付款")
    #: Payment of the face amount (付款), signed by the acceptor.
    PAY = ("pay", "Pay", "付款")
    #: Refusal to pay, with a reason (拒付), signed by the acceptor.
    DISHONOUR = ("dishonour", "Dishonour", "拒付")
    #: Recourse claim on an earlier party (追索), signed by the holder.
    CLAIM_RECOURSE = ("claim_recourse", "Claim recourse", "追索")
    #: Settlement of a recourse claim (追索清偿), signed by the party claimed from.
    SETTLE_RECOURSE = ("settle_recourse", "Settle recourse", "追索清偿")


class DishonourReason(LabelledState):
    """Why an acceptor refused payment (拒付理由).

    The defences of 票据法 arts. 12-13 and the reasons the draft system offers; the system's
    own reason codes could not be confirmed and are not used. ``NO_ANSWER`` is recorded by the
    draft itself when the acceptor did not answer in time, never signed by an acceptor.
    """

    INSUFFICIENT_FUNDS = ("insufficient_funds", "Insufficient funds", "承兑人账户余额不足")
    OBLIGATION_UNFULFILLED = (
        "obligation_unfulfilled",
        "The holder did not perform the underlying contract",
        "与自己有直接债权债务关系的持票人未履行约定义务",
    )
    IMPROPER_ACQUISITION = (
        "improper_acquisition",
        "Acquired by fraud, theft, coercion or in bad faith",
        "持票人以欺诈、偷盗或者胁迫等手段或出于恶意取得票据",
    )
    COURT_ORDER = ("court_order", "Frozen or stopped by a court", "被法院冻结或止付")
    PRESENTMENT_OVERDUE = ("presentment_overdue", "Presented after the period", "超过提示付款期")
    OTHER = ("other", "Other", "其他")
    NO_ANSWER = ("no_answer", "No answer in time", "逾期未应答视同拒付")


def a_kind(kind: ActKind) -> str:
    """The kind with its article, for messages: ``"an accept"``, ``"a pay"``."""
    return f"{'an' if kind.value[:1] in 'aeiou' else 'a'} {kind.value}"


def _money(value: Money | None) -> dict[str, str] | None:
    if value is None:
        return None
    return {"amount": str(value.amount), "currency": value.currency.code}


def _opt(kind: type, what: str) -> Any:
    def check(_instance: object, _attribute: object, value: object) -> None:
        if value is not None and type(value) is not kind:
            raise MalformedAct(f"{what} must be None or a {kind.__name__}, not {shown(value)}")

    return check


def _digest_bytes(_instance: object, _attribute: object, value: Any) -> None:
    if type(value) is not bytes or len(value) != 32:
        raise MalformedAct(f"an act's previous digest must be 32 bytes, not {shown(value)}")


def _signature_bytes(_instance: object, _attribute: object, value: Any) -> None:
    if type(value) is not bytes or len(value) not in (0, 64):
        raise MalformedAct(f"an act's signature must be 64 bytes, not {shown(value)}")


def _kind(_instance: object, _attribute: object, value: Any) -> None:
    if type(value) is not ActKind:
        raise MalformedAct(f"an act's kind must be an ActKind, not {shown(value)}")


def _by(_instance: object, _attribute: object, value: Any) -> None:
    if type(value) is not DraftParty:
        raise MalformedAct(f"an act's signer (by) must be a DraftParty, not {shown(value)}")


def _flag(_instance: object, _attribute: object, value: Any) -> None:
    if type(value) is not bool:
        raise MalformedAct(f"not_transferable must be True or False, not {shown(value)}")


def _at(value: _dt.datetime) -> DateTime:
    try:
        return ensure_utc(value, what="an act's instant")
    except EcServiceError:
        raise
    except Exception:  # an object that is not a datetime
        raise ValidationError(
            f"an act's instant must be an aware datetime, not {shown(value)}"
        ) from None


def _short(data: bytes) -> str:
    return data.hex()[:16] + "..."


#: The fields each kind needs (besides the common ones); any other optional field must be None.
_NEEDS: Final[dict[ActKind, frozenset[str]]] = {
    ActKind.ISSUE: frozenset({"terms"}),
    ActKind.ACCEPT: frozenset(),
    ActKind.DELIVER: frozenset({"party"}),
    ActKind.ENDORSE: frozenset({"party"}),
    ActKind.GUARANTEE: frozenset({"party"}),
    ActKind.PRESENT: frozenset(),
    ActKind.PAY: frozenset({"amount"}),
    ActKind.DISHONOUR: frozenset({"reason"}),
    ActKind.CLAIM_RECOURSE: frozenset({"party", "amount", "interest", "expenses"}),
    ActKind.SETTLE_RECOURSE: frozenset({"amount"}),
}
_OPTIONAL: Final = ("terms", "party", "amount", "interest", "expenses", "reason")


@final
@attrs.frozen(slots=True, kw_only=True)
class DraftAct:
    """One signed act on a draft. Build one with :func:`sign_act` (or
    :meth:`ElectronicDraft.sign <ecservice.payments.ebills.ElectronicDraft.sign>`); check its
    signature with :func:`verify_act`. Every field but ``signature`` is signed (see the module
    documentation for the exact bytes).

    The constructor checks the fields' types and that the kind has exactly the fields it needs:
    ``terms`` for an issue; ``party`` for a delivery (the payee), an endorsement (the endorsee),
    a guarantee (the party guaranteed) and a recourse claim (the party claimed against);
    ``amount`` for a payment (the face amount), a recourse claim (the principal) and a
    settlement (the whole amount claimed); ``interest`` and ``expenses`` for a claim; ``reason``
    for a dishonour. ``not_transferable`` may be ``True`` only on an endorsement.

    Args:
        draft_no: the number of the draft the act is on.
        kind: what the act is.
        at: when the party signed; an aware datetime, converted to UTC (signed to the
            microsecond).
        by: the party who signs; the signature must verify with its ``public_key``.
        previous: the digest of the draft's previous act (:data:`GENESIS` for the issue).
        terms: the draft's terms (issue only).
        party: the other party of the act (see above), or ``None``.
        amount: see above, or ``None``.
        interest: the interest a recourse claim adds (at least 0), or ``None``.
        expenses: the expenses a recourse claim adds (at least 0), or ``None``.
        not_transferable: an endorsement marked 不得转让 (票据法 art. 34).
        reason: why the acceptor refused payment (dishonour only), or ``None``.
        signature: the 64-byte Ed25519 signature of :meth:`canonical_bytes` (empty only while
            being signed).

    Raises:
        MalformedAct: a field of the wrong type, or one the kind needs missing or one it
            forbids present, or a negative amount.
        ValidationError: ``draft_no`` is not acceptable text, or ``at`` is not an aware
            datetime.
    """

    draft_no: str = attrs.field(validator=text("an act's draft number", MalformedAct))
    kind: ActKind = attrs.field(validator=_kind)
    at: DateTime = attrs.field(converter=_at)
    by: DraftParty = attrs.field(validator=_by)
    previous: bytes = attrs.field(validator=_digest_bytes, repr=_short)
    terms: DraftTerms | None = attrs.field(default=None, validator=_opt(DraftTerms, "terms"))
    party: DraftParty | None = attrs.field(default=None, validator=_opt(DraftParty, "party"))
    amount: Money | None = attrs.field(default=None, validator=_opt(Money, "amount"))
    interest: Money | None = attrs.field(default=None, validator=_opt(Money, "interest"))
    expenses: Money | None = attrs.field(default=None, validator=_opt(Money, "expenses"))
    not_transferable: bool = attrs.field(default=False, validator=_flag)
    reason: DishonourReason | None = attrs.field(
        default=None, validator=_opt(DishonourReason, "reason")
    )
    signature: bytes = attrs.field(default=b"", validator=_signature_bytes, repr=_short)

    def __attrs_post_init__(self) -> None:
        needs = _NEEDS[self.kind]
        for name in _OPTIONAL:
            present = getattr(self, name) is not None
            if present != (name in needs):
                verb = "needs" if name in needs else "must not have"
                raise MalformedAct(f"{a_kind(self.kind)} act {verb} {name!r}")
        if self.not_transferable and self.kind is not ActKind.ENDORSE:
            raise MalformedAct("only an endorsement may be marked not transferable")
        for name in ("amount", "interest", "expenses"):
            value = getattr(self, name)
            if value is not None and value.is_negative():
                raise MalformedAct(f"an act's {name} must not be negative, got {value}")
        if self.amount is not None and self.amount.is_zero():
            raise MalformedAct(f"{a_kind(self.kind)} act's amount must be positive")
        if self.terms is not None and self.terms.number != self.draft_no:
            raise MalformedAct(
                f"an issue act's terms name draft {self.terms.number!r}, not {self.draft_no!r}"
            )

    def canonical_bytes(self) -> bytes:
        """The exact bytes that are signed."""
        fields: dict[str, object] = {
            "amount": _money(self.amount),
            "at": self.at.in_tz(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "by": self.by.canonical(),
            "draft_no": self.draft_no,
            "expenses": _money(self.expenses),
            "interest": _money(self.interest),
            "kind": self.kind.value,
            "not_transferable": self.not_transferable,
            "party": None if self.party is None else self.party.canonical(),
            "previous": self.previous.hex(),
            "reason": None if self.reason is None else self.reason.value,
            "terms": None if self.terms is None else self.terms.canonical(),
            "type": ACT_TYPE,
        }
        dumped = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return dumped.encode("ascii")

    @property
    def digest(self) -> bytes:
        """The SHA-256 of the canonical bytes followed by the signature (32 bytes), which the
        next act names as its ``previous``."""
        return hashlib.sha256(self.canonical_bytes() + self.signature).digest()

    @property
    def claimed(self) -> Money | None:
        """A recourse claim's total (amount + interest + expenses); ``None`` for other acts."""
        if self.kind is not ActKind.CLAIM_RECOURSE:
            return None
        assert self.amount is not None
        assert self.interest is not None
        assert self.expenses is not None
        return self.amount + self.interest + self.expenses


def sign_act(
    key: Ed25519PrivateKey,
    *,
    draft_no: str,
    kind: ActKind,
    at: _dt.datetime,
    by: DraftParty,
    previous: bytes,
    terms: DraftTerms | None = None,
    party: DraftParty | None = None,
    amount: Money | None = None,
    interest: Money | None = None,
    expenses: Money | None = None,
    not_transferable: bool = False,
    reason: DishonourReason | None = None,
) -> DraftAct:
    """Build an act and sign it with ``key``, the private key of ``by``.

    Raises:
        WrongSigner: ``key``'s public key is not ``by.public_key``.
        MalformedAct: as :class:`DraftAct`'s constructor.
        ValidationError: ``key`` is not an Ed25519 private key.
    """
    if not isinstance(key, Ed25519PrivateKey):
        raise ValidationError(f"key must be an Ed25519PrivateKey, not {shown(key)}")
    unsigned = DraftAct(
        draft_no=draft_no,
        kind=kind,
        at=at,
        by=by,
        previous=previous,
        terms=terms,
        party=party,
        amount=amount,
        interest=interest,
        expenses=expenses,
        not_transferable=not_transferable,
        reason=reason,
    )
    if raw_public_key(key) != by.public_key:
        raise WrongSigner(
            f"the key given does not belong to {by.name!r}: an act is signed by the party "
            "it names as its signer (by)"
        )
    return attrs.evolve(unsigned, signature=key.sign(unsigned.canonical_bytes()))


def verify_act(act: DraftAct) -> None:
    """Check that ``act`` is signed by the key of its signer ``act.by``.

    Raises:
        ForgedAct: the signature is missing or does not verify (a field altered after signing,
            or signed by another key).
        ValidationError: ``act`` is not a :class:`DraftAct`.
    """
    if type(act) is not DraftAct:
        raise ValidationError(f"an act must be a DraftAct, not {shown(act)}")
    try:
        public = Ed25519PublicKey.from_public_bytes(act.by.public_key)
        public.verify(act.signature, act.canonical_bytes())
    except (_CryptoInvalidSignature, ValueError):
        raise ForgedAct(
            f"the {act.kind.value} act on draft {act.draft_no!r} signed as {act.by.name!r} "
            "does not verify: a field was altered after signing, or another key signed it"
        ) from None
