"""Who may read or change an order's personal details: the rule against disclosing a buyer's
address, phone or remarks to anyone but the account that placed the order.

Customer-service practice warns of the breach: an agent pasted an order's address into a chat
with someone other than the account that placed the order. The rule is to confirm or change an
order's details only with the account that placed and paid the order, unless that account
consented. The law behind it:

* PIPL (个人信息保护法) art. 13: personal information is processed with the person's consent, or
  where necessary to perform a contract the person is a party to (the shop and the carrier
  delivering the order); disclosing it to someone else is neither.
* PIPL art. 23 and art. 25: providing personal information to another party, or disclosing it,
  needs the person's separate consent.
* PIPL art. 51: the processor sets who may operate on personal information and takes
  technical measures against unauthorised access, disclosure and alteration.
* E-Commerce Law (电子商务法) art. 23: operators that collect and use users' personal information
  follow the laws on personal information protection.

:func:`authorize_disclosure` applies the rule: the actor is the buyer account that placed the
order (:attr:`DisclosureBasis.ACCOUNT_HOLDER`), staff acting on that account's verified request
(:attr:`DisclosureBasis.VERIFIED_REQUEST`: the request came through the account, e.g. its
logged-in chat, or the agent verified the caller as the account holder), or anyone the account
consented to, for the details and the time it consented to (:attr:`DisclosureBasis.CONSENT`).
Anything else raises :class:`DisclosureRefused`, naming the rule. Every disclosure allowed is a
:class:`Disclosure` record, which :class:`~ecservice.application.DisclosureService` writes to the
store's outbox in the same transaction as the read or change it allows.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import ensure_utc
from ecservice.errors import PolicyViolation, ValidationError
from ecservice.text import check_text, text
from ecservice.workflow import Actor, ActorKind, DomainEvent, LabelledState

if TYPE_CHECKING:
    from ecservice.orders._order import Order

__all__ = [
    "REQUEST_VALIDITY",
    "Consent",
    "Disclosure",
    "DisclosureBasis",
    "DisclosureRefused",
    "OrderDetail",
    "OrderDetailsDisclosed",
    "VerifiedRequest",
    "authorize_disclosure",
]


class OrderDetail(LabelledState):
    """A personal detail of an order that only its account may see or change."""

    ADDRESS = ("address", "Shipping address", "收货地址")
    RECIPIENT = ("recipient", "Recipient", "收货人")
    PHONE = ("phone", "Phone number", "联系电话")
    REMARKS = ("remarks", "Buyer's remarks", "买家留言")


class DisclosureBasis(LabelledState):
    """Why a disclosure was allowed."""

    ACCOUNT_HOLDER = ("account_holder", "The account that placed the order", "下单账号本人")
    VERIFIED_REQUEST = (
        "verified_request",
        "Staff on the account's verified request",
        "本人核实请求",
    )
    CONSENT = ("consent", "The account's recorded consent", "本人同意")


class DisclosureRefused(PolicyViolation):
    """A disclosure or change of an order's personal details that the rule does not allow; the
    message names the rule and what would allow it. Nothing is disclosed or recorded.

    Args:
        message: what was refused and the rule's words.
        rule: the part of the rule that refused it (below).

    Attributes:
        rule: a short name of the rule that refused it (``"not_the_account"``,
            ``"unverified_request"``, ``"consent_missing"``, ``"consent_expired"``,
            ``"consent_scope"``).
    """

    def __init__(self, message: str, *, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


# Shown as ecservice.orders.DisclosureRefused in tracebacks, where users import it from.
DisclosureRefused.__module__ = "ecservice.orders"


def _details(value: Iterable[OrderDetail]) -> frozenset[OrderDetail]:
    return _checked_details(value)


def _checked_details(value: object) -> frozenset[OrderDetail]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValidationError(f"details must be a set of OrderDetail, not {shown(value)}")
    items = list(value)
    for item in items:
        if not isinstance(item, OrderDetail):
            raise ValidationError(f"details must hold OrderDetail values, not {shown(item)}")
    if not items:
        raise ValidationError("details must name at least one OrderDetail")
    return frozenset(items)


def _instant(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="an instant of a disclosure")


def _optional_instant(value: _dt.datetime | None) -> DateTime | None:
    return None if value is None else _instant(value)


def _optional_short(what: str) -> Any:
    short = text(what)

    def check(instance: Any, attribute: Any, value: Any) -> None:
        if value is not None:
            short(instance, attribute, value)

    return check


def _actor(_: Any, __: Any, value: Any) -> None:
    if not isinstance(value, Actor):
        raise ValidationError(f"an actor is an Actor, not {shown(value)}")


def _basis(_: Any, __: Any, value: Any) -> None:
    if not isinstance(value, DisclosureBasis):
        raise ValidationError(f"a basis is a DisclosureBasis, not {shown(value)}")


def _flag(_: Any, __: Any, value: Any) -> None:
    if type(value) is not bool:
        raise ValidationError(f"change is True or False, not {shown(value)}")


@final
@attrs.frozen(slots=True, kw_only=True)
class VerifiedRequest:
    """A request of the account that placed an order, verified by the agent who acts on it.

    A request serves the agent who verified it, for :data:`REQUEST_VALIDITY` after it was
    verified (one conversation): a later question needs a new verification.

    Args:
        account_id: the buyer account the request came from (short text).
        staff_id: the id of the staff member who verified it and acts on it (short text).
        method: how it was verified (short text): ``"logged-in chat"`` (the request came
            through the account itself), ``"SMS code to the order's phone"``, ...
        verified_at: when it was verified; aware.
        reference: the shop's reference of the request (a chat or call id; short text).
        order_id: the order it is about, or ``None`` for any order of the account.

    Raises:
        ValidationError: an empty or over-long text, a naive instant.
    """

    account_id: str = attrs.field(validator=text("a request's account_id"))
    staff_id: str = attrs.field(validator=text("a request's staff_id"))
    method: str = attrs.field(validator=text("a request's method"))
    verified_at: DateTime = attrs.field(converter=_instant)
    reference: str = attrs.field(validator=text("a request's reference"))
    order_id: str | None = attrs.field(default=None, validator=_optional_short("order_id"))


@final
@attrs.frozen(slots=True, kw_only=True)
class Consent:
    """The account's consent that someone else may see or change some details of its orders
    (PIPL art. 23: separate consent to provide personal information to another party).

    Args:
        account_id: the buyer account that consented (short text).
        grantee: the actor it consented to (kind and id), e.g. the colleague who receives the
            parcel (a buyer account) or a staff member.
        details: the details it covers (at least one :class:`OrderDetail`).
        given_at: when it was given; aware.
        expires_at: when it ends (exclusive), or ``None`` until withdrawn; after ``given_at``.
        reference: where it is recorded (a message or form id; short text).
        allows_change: whether the grantee may also change those details (``False``: read
            only).

    Raises:
        ValidationError: an empty detail set, a naive instant, ``expires_at`` not after
            ``given_at``, a bad text.
    """

    account_id: str = attrs.field(validator=text("a consent's account_id"))
    grantee: Actor = attrs.field(validator=_actor)
    details: frozenset[OrderDetail] = attrs.field(converter=_details)
    given_at: DateTime = attrs.field(converter=_instant)
    expires_at: DateTime | None = attrs.field(default=None, converter=_optional_instant)
    reference: str = attrs.field(validator=text("a consent's reference"))
    allows_change: bool = attrs.field(default=False, validator=_flag)

    def __attrs_post_init__(self) -> None:
        if self.expires_at is not None and self.expires_at <= self.given_at:
            raise ValidationError(
                f"a consent must expire after it is given ({self.given_at.isoformat()}), not "
                f"at {self.expires_at.isoformat()}"
            )


@final
@attrs.frozen(slots=True, kw_only=True)
class Disclosure:
    """A record of an allowed read or change of an order's personal details. It holds no
    personal data itself: which details, to whom, on which basis, why and when.

    Args:
        order_id: the order.
        details: the details disclosed or changed.
        actor: who saw or changed them.
        basis: why it was allowed.
        purpose: what for (short text, e.g. ``"confirm the address before shipping"``).
        change: whether the details were changed (``False``: only read).
        at: when; aware.
        reference: the verified request's or the consent's reference, ``""`` for the account
            itself.

    Raises:
        ValidationError: a field of the wrong type.
    """

    order_id: str = attrs.field(validator=text("a disclosure's order_id"))
    details: frozenset[OrderDetail] = attrs.field(converter=_details)
    actor: Actor = attrs.field(validator=_actor)
    basis: DisclosureBasis = attrs.field(validator=_basis)
    purpose: str = attrs.field(validator=text("a disclosure's purpose"))
    change: bool = attrs.field(validator=_flag)
    at: DateTime = attrs.field(converter=_instant)
    reference: str = ""

    def event(self) -> OrderDetailsDisclosed:
        """The record as a domain event, for the outbox."""
        return OrderDetailsDisclosed(
            aggregate_id=self.order_id,
            occurred_at=self.at,
            actor=self.actor,
            details=tuple(sorted(d.value for d in self.details)),
            basis=self.basis.value,
            purpose=self.purpose,
            change=self.change,
            reference=self.reference,
        )


@final
@attrs.frozen(slots=True, kw_only=True)
class OrderDetailsDisclosed(DomainEvent):
    """An order's personal details were read or changed by ``actor`` (a :class:`Disclosure`).

    Args:
        aggregate_id: the order's id.
        occurred_at: when, in UTC.
        actor: who saw or changed them.
        details: the details' values (``"address"``, ``"phone"``, ...), sorted.
        basis: the :class:`DisclosureBasis` value.
        purpose: what for.
        change: whether they were changed.
        reference: the request's or consent's reference.
    """

    details: tuple[str, ...]
    basis: str
    purpose: str
    change: bool
    reference: str


#: How long a verified request serves the agent who verified it: one conversation. A choice of
#: this library (no rule fixes a number); a later question needs a new verification.
REQUEST_VALIDITY: Final = _dt.timedelta(hours=2)

#: The rule's words, shared by every refusal.
_RULE: Final = (
    "an order's address, recipient, phone and remarks are disclosed or changed only for the "
    "account that placed it, staff acting on that account's verified request, or someone the "
    "account consented to (PIPL art. 13, 23)"
)


def authorize_disclosure(
    order: Order[Any],
    actor: Actor,
    details: Iterable[OrderDetail],
    *,
    purpose: str,
    at: _dt.datetime,
    change: bool = False,
    request: VerifiedRequest | None = None,
    consent: Consent | None = None,
) -> Disclosure:
    """The :class:`Disclosure` that lets ``actor`` read (or, with ``change``, change) ``details``
    of ``order`` at ``at``, or :class:`DisclosureRefused`.

    Allowed when ``actor`` is the buyer account that placed the order; when ``actor`` is staff
    and ``request`` is a verified request of that account made by ``at``; or when ``consent``
    is that account's consent to ``actor``, covering ``details``, in force at ``at``. A buyer
    who is not the account, a carrier or the system, staff without a verified request of the
    account, and a consent of another account, to another actor, for other details, not yet
    given or expired are refused.

    Args:
        order: the order.
        actor: who asks.
        details: which details (at least one).
        purpose: what for (short text, recorded).
        at: when; aware.
        change: whether the details are to be changed, not only read.
        request: the account's verified request that staff act on.
        consent: the account's consent to ``actor``.

    Raises:
        DisclosureRefused: the rule does not allow it (its ``rule`` says which part).
        ValidationError: an argument of the wrong type.
    """
    from ecservice.orders._order import Order

    if not isinstance(order, Order):
        raise ValidationError(f"order must be an Order, not {shown(order)}")
    if not isinstance(actor, Actor):
        raise ValidationError(f"actor must be an Actor, not {shown(actor)}")
    wanted = _details(details)
    if request is not None and not isinstance(request, VerifiedRequest):
        raise ValidationError(f"request must be a VerifiedRequest, not {shown(request)}")
    if consent is not None and not isinstance(consent, Consent):
        raise ValidationError(f"consent must be a Consent, not {shown(consent)}")
    if type(change) is not bool:
        raise ValidationError(f"change must be True or False, not {shown(change)}")
    when = _instant(at)
    account = order.buyer_id
    basis: DisclosureBasis | None = None
    reference = ""
    if actor.kind is ActorKind.BUYER and actor.id == account:
        basis = DisclosureBasis.ACCOUNT_HOLDER
    elif consent is not None:
        if consent.account_id != account or consent.grantee != actor:
            raise DisclosureRefused(
                f"the consent {consent.reference!r} was given by {consent.account_id!r} to "
                f"{consent.grantee}, not by the account of order {order.id!r} to "
                f"{actor}: {_RULE}",
                rule="consent_missing",
            )
        if not consent.given_at <= when or (
            consent.expires_at is not None and when >= consent.expires_at
        ):
            raise DisclosureRefused(
                f"the consent {consent.reference!r} is not in force at {when.isoformat()}: {_RULE}",
                rule="consent_expired",
            )
        if not wanted <= consent.details:
            missing = sorted(d.value for d in wanted - consent.details)
            raise DisclosureRefused(
                f"the consent {consent.reference!r} does not cover {', '.join(missing)}: {_RULE}",
                rule="consent_scope",
            )
        if change and not consent.allows_change:
            raise DisclosureRefused(
                f"the consent {consent.reference!r} lets {actor} read, not change, the "
                f"details: {_RULE}",
                rule="consent_scope",
            )
        basis, reference = DisclosureBasis.CONSENT, consent.reference
    elif actor.kind is ActorKind.STAFF:
        if (
            request is None
            or request.account_id != account
            or request.staff_id != actor.id
            or (request.order_id is not None and request.order_id != order.id)
            or not request.verified_at <= when < request.verified_at + REQUEST_VALIDITY
        ):
            raise DisclosureRefused(
                f"staff {actor.id!r} has no verified request of the account that placed order "
                f"{order.id!r} (verified by that staff member, about this order, within "
                f"{REQUEST_VALIDITY} before): {_RULE}",
                rule="unverified_request",
            )
        basis, reference = DisclosureBasis.VERIFIED_REQUEST, request.reference
    else:
        raise DisclosureRefused(
            f"{actor} is not the account that placed order {order.id!r}: {_RULE}",
            rule="not_the_account",
        )
    return Disclosure(
        order_id=order.id,
        details=wanted,
        actor=actor,
        basis=basis,
        purpose=check_text(purpose, "purpose"),
        change=change,
        at=when,
        reference=reference,
    )
