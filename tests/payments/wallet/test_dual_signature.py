"""Dual-signed purchases: the two parts, the dual signature, and what the merchant holds."""

from __future__ import annotations

import hashlib
import json
import pickle
from typing import Any

import attrs
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.errors import InsufficientFunds, InvalidAmount, InvalidSignature, ValidationError
from ecservice.money import Money
from ecservice.payments.wallet import (
    DUAL_ORDER_TYPE,
    ORDER_PART_TYPE,
    PAYMENT_PART_TYPE,
    STORED_VALUE,
    DualSignedOrder,
    FullCardNumberRefused,
    InvalidEnvelope,
    OrderPart,
    PaymentPart,
    UnknownCard,
    WrongPin,
    dual_digest,
    open_payment,
    verify_order_part,
    verify_payment_part,
)
from ecservice.payments.wallet._dual_signature import dual_sign, sign_dual
from tests.payments.wallet.dual_rig import PIN, TOKEN, Rig, cny, make_rig


@pytest.fixture
def rig() -> Rig:
    return make_rig()


def opened(rig: Rig, signed: DualSignedOrder) -> PaymentPart:
    request = signed.for_gateway()
    return open_payment(request.sealed_payment, rig.gateway_key, request.order_digest)


# --- the construction -------------------------------------------------------------------------


def test_the_dual_signature_is_ed25519_over_sha256_of_both_part_digests(rig: Rig) -> None:
    """signature = Ed25519(SHA-256(SHA-256(OI) || SHA-256(PI))), as the module documents."""
    signed = rig.purchase()
    payment = opened(rig, signed)
    oid = hashlib.sha256(signed.order.canonical_bytes()).digest()
    pid = hashlib.sha256(payment.canonical_bytes()).digest()
    assert signed.order.digest() == oid
    assert signed.payment_digest == pid == payment.digest()
    assert dual_digest(oid, pid) == hashlib.sha256(oid + pid).digest()
    public = Ed25519PrivateKey.from_private_bytes(rig.buyer.export_signing_key()).public_key()
    public.verify(signed.signature, hashlib.sha256(oid + pid).digest())  # raises if not


def test_both_parts_have_canonical_sorted_ascii_json_with_their_type(rig: Rig) -> None:
    """Each part serialises as sorted, compact, ASCII JSON naming its format version."""
    signed = rig.purchase(reference="订单 O-11")
    payment = opened(rig, signed)
    order_bytes = signed.order.canonical_bytes()
    order = json.loads(order_bytes)
    assert order_bytes.isascii()
    compact = json.dumps(order, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    assert order_bytes == compact.encode("ascii")
    assert list(order) == sorted(order)
    assert order["type"] == ORDER_PART_TYPE
    assert sorted(order) == [
        "amount", "currency", "issued_at", "merchant", "nonce", "public_key", "purchase_id",
        "reference", "type",
    ]  # fmt: skip
    assert order["reference"] == "订单 O-11"
    assert "\\u8ba2" in order_bytes.decode()
    fields = json.loads(payment.canonical_bytes())
    assert fields["type"] == PAYMENT_PART_TYPE
    assert sorted(fields) == [
        "amount", "currency", "funding", "hold_id", "issued_at", "nonce", "payee", "payer",
        "public_key", "purchase_id", "type", "wallet_id",
    ]  # fmt: skip
    assert fields["public_key"] == rig.buyer.public_key.hex() == order["public_key"]
    assert fields["purchase_id"] == order["purchase_id"]
    assert fields["issued_at"] == "2026-11-11T01:00:00.000000Z"


def test_parts_read_back_from_canonical_bytes_and_refuse_any_other_form(rig: Rig) -> None:
    """from_canonical_bytes round-trips and refuses reordered, spaced or foreign documents."""
    signed = rig.purchase()
    payment = opened(rig, signed)
    assert OrderPart.from_canonical_bytes(signed.order.canonical_bytes()) == signed.order
    assert PaymentPart.from_canonical_bytes(payment.canonical_bytes()) == payment
    spaced = json.dumps(json.loads(signed.order.canonical_bytes()), sort_keys=True).encode()
    with pytest.raises(ValidationError, match="canonical form"):
        OrderPart.from_canonical_bytes(spaced)
    with pytest.raises(ValidationError, match="order-part"):
        OrderPart.from_canonical_bytes(payment.canonical_bytes())
    with pytest.raises(ValidationError, match="payment-part"):
        PaymentPart.from_canonical_bytes(signed.order.canonical_bytes())
    fields = json.loads(payment.canonical_bytes())
    fields["amount"] = "36.001"
    bad = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    with pytest.raises(ValidationError):
        PaymentPart.from_canonical_bytes(bad)
    with pytest.raises(ValidationError):
        PaymentPart.from_canonical_bytes(b"\xff")


def test_part_constructors_validate(rig: Rig) -> None:
    """A part refuses a malformed nonce, key, amount or blank text."""
    order = rig.purchase().order
    for change in (
        {"nonce": "XYZ"},
        {"purchase_id": "0" * 31},
        {"public_key": b"\x00" * 31},
        {"amount": Money("0.00", "CNY")},
        {"merchant": "  "},
    ):
        with pytest.raises(ValidationError):
            attrs.evolve(order, **change)


# --- the merchant's side ----------------------------------------------------------------------


def test_the_merchant_verifies_the_order_part_with_the_payment_digest_only(rig: Rig) -> None:
    """verify_order_part needs no payment part, with or without the expected wallet key."""
    signed = rig.purchase()
    verify_order_part(signed)
    verify_order_part(signed, rig.buyer.public_key)
    verify_order_part(signed, Ed25519PrivateKey.from_private_bytes(
        rig.buyer.export_signing_key()).public_key())  # fmt: skip


ORDER_CHANGES: dict[str, Any] = {
    "purchase_id": "f" * 32,
    "reference": "order O-99",
    "merchant": "mallory",
    "amount": Money("36.01", "CNY"),
    "nonce": "0" * 32,
    "public_key": Ed25519PrivateKey.generate().public_key().public_bytes_raw(),
}


@pytest.mark.parametrize("field", [*ORDER_CHANGES, "issued_at", "currency"])
def test_altering_any_order_field_fails_the_merchants_check(rig: Rig, field: str) -> None:
    """Every field of the order part is covered by the dual signature."""
    signed = rig.purchase()
    if field == "issued_at":
        order = attrs.evolve(signed.order, issued_at=signed.order.issued_at.add(microseconds=1))
    elif field == "currency":
        order = attrs.evolve(signed.order, amount=Money("36.00", "USD"))
    else:
        order = attrs.evolve(signed.order, **{field: ORDER_CHANGES[field]})
    with pytest.raises(InvalidSignature, match="order part"):
        verify_order_part(attrs.evolve(signed, order=order))


def test_swapping_a_part_between_two_purchases_fails_the_merchants_check(rig: Rig) -> None:
    """Another purchase's order part, payment digest or signature does not verify."""
    first, second = rig.purchase("36.00", "order A"), rig.purchase("36.00", "order A")
    for swapped in (
        attrs.evolve(first, order=second.order),
        attrs.evolve(first, payment_digest=second.payment_digest),
        attrs.evolve(first, signature=second.signature),
    ):
        with pytest.raises(InvalidSignature):
            verify_order_part(swapped)


def test_a_purchase_re_signed_by_another_key_fails_when_the_wallet_key_is_expected(
    rig: Rig,
) -> None:
    """An impostor's purchase verifies under its own key, never as the buyer's wallet."""
    forged = dual_sign(
        Ed25519PrivateKey.generate(),
        rig.gateway.sealing_public_key,
        merchant="teahouse",
        reference="order O-10",
        wallet_id=rig.buyer.wallet_id,
        payer=rig.buyer.owner,
        amount=cny("36.00"),
        funding=STORED_VALUE,
        hold_id="H000001",
        issued_at=rig.clock.now(),
    )
    verify_order_part(forged)
    with pytest.raises(InvalidSignature, match="different key"):
        verify_order_part(forged, rig.buyer.public_key)
    payment = opened(rig, forged)
    with pytest.raises(InvalidSignature, match="different key"):
        verify_payment_part(payment, forged.order.digest(), forged.signature, rig.buyer.public_key)
    # Naming the buyer's key in the parts does not help: the signature is not the buyer's.
    with pytest.raises(InvalidSignature):
        verify_order_part(attrs.evolve(forged, order=attrs.evolve(
            forged.order, public_key=rig.buyer.public_key)))  # fmt: skip


def test_sign_dual_refuses_parts_of_different_purchases(rig: Rig) -> None:
    """The wallet never signs an order part and a payment part that disagree."""
    signed = rig.purchase()
    payment = opened(rig, signed)
    key = Ed25519PrivateKey.from_private_bytes(rig.buyer.export_signing_key())
    assert sign_dual(key, signed.order, payment) == signed.signature
    with pytest.raises(ValidationError, match="same purchase"):
        sign_dual(key, attrs.evolve(signed.order, amount=cny("1.00")), payment)
    with pytest.raises(ValidationError, match="signing key"):
        sign_dual(Ed25519PrivateKey.generate(), signed.order, payment)


def _merchant_bytes(signed: DualSignedOrder) -> bytes:
    """Every byte the merchant holds, in every form it may keep or log."""
    return b"\n".join(
        [
            signed.order.canonical_bytes(),
            signed.payment_digest,
            signed.signature,
            signed.sealed_payment.enc,
            signed.sealed_payment.ciphertext,
            signed.to_json().encode(),
            repr(signed).encode(),
            repr(signed.for_gateway()).encode(),
            pickle.dumps(signed),
            pickle.dumps(signed.for_gateway()),
            json.dumps(attrs.asdict(signed, recurse=True), default=repr).encode(),
        ]
    )


def test_the_merchant_never_holds_the_card_token_or_the_wallet_in_clear(rig: Rig) -> None:
    """The token, the wallet id and the payer are found in no form of the merchant's object,
    though the gateway finds them in the payment part it opens."""
    signed = rig.purchase(card=TOKEN)
    held = _merchant_bytes(signed)
    for secret in (TOKEN, TOKEN.encode().hex(), rig.buyer.wallet_id, "buyer-1", "H000"):
        assert secret.encode() not in held, secret
    payment = opened(rig, signed)
    assert payment.funding == f"card:{TOKEN}"
    assert payment.hold_id is None
    assert TOKEN.encode() in payment.canonical_bytes()
    assert TOKEN not in repr(payment)  # the funding is left out of the part's repr too


def test_the_merchants_document_round_trips_and_refuses_damage(rig: Rig) -> None:
    """to_json / from_json keep every field; a damaged document is refused."""
    signed = rig.purchase()
    text = signed.to_json()
    assert json.loads(text)["type"] == DUAL_ORDER_TYPE
    again = DualSignedOrder.from_json(text)
    assert again == signed
    verify_order_part(again, rig.buyer.public_key)
    document = json.loads(text)
    for key, value in (("signature", "zz"), ("type", "x"), ("order", [])):
        damaged = dict(document, **{key: value})
        with pytest.raises(ValidationError):
            DualSignedOrder.from_json(json.dumps(damaged))
    with pytest.raises(ValidationError):
        DualSignedOrder.from_json("{")


# --- the wallet ---------------------------------------------------------------------------------


def test_instruct_dual_places_a_hold_for_stored_value_and_none_for_a_card(rig: Rig) -> None:
    """Funding works as for single instructions: a hold named in the payment part."""
    signed = rig.purchase("36.00")
    payment = opened(rig, signed)
    assert (payment.funding, payment.hold_id) == (STORED_VALUE, "H000001")
    assert rig.buyer.hold("H000001").amount == cny("36.00")
    assert str(rig.buyer.held("CNY")) == "36.00 CNY"
    by_card = opened(rig, rig.purchase("500.00", card=TOKEN))
    assert by_card.hold_id is None
    assert str(rig.buyer.held("CNY")) == "36.00 CNY"


@pytest.mark.parametrize(
    ("call", "error"),
    [
        ({"amount": Money("0.00", "CNY")}, InvalidAmount),
        ({"gateway_key": b"\x00" * 31}, ValidationError),
        ({"gateway_key": "not a key"}, ValidationError),
        ({"merchant": "4111111111111111"}, FullCardNumberRefused),
        ({"reference": " "}, ValidationError),
        ({"card": "tok_unknown"}, UnknownCard),
        ({"auth": "000000"}, WrongPin),
        ({"amount": Money("900.00", "CNY")}, InsufficientFunds),
    ],
)
def test_bad_input_to_instruct_dual_raises_and_changes_nothing(
    rig: Rig, call: dict[str, Any], error: type[Exception]
) -> None:
    """Each refusal is a specific ecservice error; no hold is placed, nothing is signed."""
    arguments: dict[str, Any] = {
        "merchant": "teahouse",
        "amount": cny("10.00"),
        "reference": "order O-1",
        "auth": PIN,
        "gateway_key": rig.gateway.sealing_public_key,
    }
    arguments.update(call)
    before = (rig.buyer.ledger, rig.buyer.holds(None))
    with pytest.raises(error) as raised:
        rig.buyer.instruct_dual(**arguments)
    assert type(raised.value).__module__.startswith("ecservice")
    assert (rig.buyer.ledger, rig.buyer.holds(None)) == before


# --- properties ---------------------------------------------------------------------------------

_texts = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), min_size=1, max_size=30
).filter(lambda t: t.strip() == t and t.strip() != "" and not any(c.isdigit() for c in t))
_amounts = st.decimals(min_value="0.01", max_value="199.99", places=2)


@settings(max_examples=40)
@given(merchant=_texts, reference=_texts, amount=_amounts, by_card=st.booleans(), data=st.data())
def test_any_purchase_verifies_on_both_sides_and_any_altered_field_does_not(
    merchant: str, reference: str, amount: object, by_card: bool, data: st.DataObject
) -> None:
    """For random merchants, references, amounts and funding: both sides verify; changing one
    random field of either part, or swapping the digests, fails the side that checks it."""
    rig = make_rig()
    signed = rig.buyer.instruct_dual(
        merchant,
        cny(str(amount)),
        reference,
        auth=PIN,
        gateway_key=rig.gateway.sealing_public_key,
        card=TOKEN if by_card else None,
    )
    assert DualSignedOrder.from_json(signed.to_json()) == signed
    verify_order_part(signed, rig.buyer.public_key)
    payment = opened(rig, signed)
    verify_payment_part(payment, signed.order.digest(), signed.signature, rig.buyer.public_key)
    assert payment.amount == signed.order.amount
    assert payment.payee == signed.order.merchant

    order_field = data.draw(st.sampled_from(["reference", "merchant", "nonce", "purchase_id"]))
    new = data.draw(st.text(alphabet="0123456789abcdef", min_size=32, max_size=32))
    order_change: dict[str, Any] = {order_field: new}
    changed = attrs.evolve(signed.order, **order_change)
    if changed != signed.order:
        with pytest.raises(InvalidSignature):
            verify_order_part(attrs.evolve(signed, order=changed))
    payment_field = data.draw(st.sampled_from(["wallet_id", "payer", "payee", "funding", "nonce"]))
    payment_change: dict[str, Any] = {payment_field: new}
    altered = attrs.evolve(payment, **payment_change)
    if altered != payment:
        with pytest.raises(InvalidSignature):
            verify_payment_part(altered, signed.order.digest(), signed.signature)
    with pytest.raises(InvalidSignature):
        verify_payment_part(payment, signed.payment_digest, signed.signature)
    with pytest.raises(InvalidEnvelope):
        open_payment(signed.sealed_payment, rig.gateway_key, signed.payment_digest)
