"""The e-wallet gateway authorises dual-signed purchases: it opens the sealed payment part,
checks the dual signature with the order digest only, and adopts the wallet's hold."""

from __future__ import annotations

import attrs
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ecservice.errors import IdempotencyConflict, InvalidAmount, InvalidSignature, ValidationError
from ecservice.money import Money
from ecservice.payments import WalletGateway
from ecservice.payments.gateways._base import AuthorizationState
from ecservice.payments.wallet import (
    STORED_VALUE,
    DualSignedPayment,
    InvalidEnvelope,
    PurchaseMismatch,
)
from ecservice.payments.wallet._dual_signature import dual_sign
from tests.payments.wallet.dual_rig import PIN, SHOP_PIN, TOKEN, Rig, cny, make_rig


@pytest.fixture
def rig() -> Rig:
    return make_rig()


def test_a_dual_signed_purchase_is_authorised_captured_and_credited(rig: Rig) -> None:
    """The gateway adopts the wallet's hold; capture pays the merchant, value is conserved."""
    request = rig.purchase("36.00").for_gateway()
    answer = rig.gateway.authorize_dual(
        request, cny("36.00"), reference="P-1", idempotency_key="k-1"
    )
    assert answer.approved, answer.message
    assert answer.amount == cny("36.00")
    assert rig.gateway.hold_of(answer.reference) == "H000001"
    assert rig.gateway.held("CNY") == cny("36.00")
    assert rig.buyer.held("CNY") == cny("36.00")  # the same hold, not a second one
    taken = rig.gateway.capture(answer.reference, cny("30.00"), idempotency_key="k-2")
    assert taken.approved, taken.message
    assert rig.gateway.buyer_balance("w-buyer-1", "CNY") == cny("170.00")
    assert rig.gateway.merchant_balance("CNY") == cny("30.00")
    assert rig.gateway.total_value("CNY") == cny("200.00")


def test_voiding_a_dual_authorisation_releases_the_wallets_hold(rig: Rig) -> None:
    """Void works on an adopted hold like on any other."""
    answer = rig.gateway.authorize_dual(
        rig.purchase("20.00").for_gateway(), cny("20.00"), reference="P-1", idempotency_key="k"
    )
    assert rig.gateway.void(answer.reference, idempotency_key="v").approved
    assert rig.gateway.authorization_state(answer.reference) is AuthorizationState.VOIDED
    assert rig.buyer.held("CNY") == cny("0.00")
    assert rig.buyer.available("CNY") == cny("200.00")


def test_the_idempotency_key_makes_a_retry_safe_and_a_replay_is_declined(rig: Rig) -> None:
    """Same key and request: the stored answer; another key: declined; another request under
    the key: IdempotencyConflict."""
    request = rig.purchase("36.00").for_gateway()
    first = rig.gateway.authorize_dual(request, cny("36.00"), reference="P-1", idempotency_key="k")
    again = rig.gateway.authorize_dual(request, cny("36.00"), reference="P-1", idempotency_key="k")
    assert again == first
    assert rig.gateway.outcome("k") == first
    replay = rig.gateway.authorize_dual(
        request, cny("36.00"), reference="P-1", idempotency_key="k-other"
    )
    assert not replay.approved
    assert first.reference in replay.message
    assert rig.gateway.held("CNY") == cny("36.00")
    other = rig.purchase("10.00").for_gateway()
    with pytest.raises(IdempotencyConflict):
        rig.gateway.authorize_dual(other, cny("10.00"), reference="P-2", idempotency_key="k")


def _refused(rig: Rig, request: DualSignedPayment, error: type[Exception], **kw: object) -> None:
    """The call raises ``error`` and changes nothing, the idempotency key stays free."""
    before = rig.snapshot()
    arguments: dict[str, object] = {"reference": "P-1", "idempotency_key": "k-bad"}
    amount = kw.pop("amount", cny("36.00"))
    arguments.update(kw)
    with pytest.raises(error):
        rig.gateway.authorize_dual(request, amount, **arguments)  # type: ignore[arg-type]
    assert rig.snapshot() == before
    assert rig.gateway.outcome("k-bad") is None
    assert rig.gateway.calls == []


def test_swapping_the_order_digest_or_the_envelope_or_the_signature_is_refused(
    rig: Rig,
) -> None:
    """Parts of two purchases of the same amount cannot be combined at the gateway."""
    first = rig.purchase("36.00", "order A").for_gateway()
    second = rig.purchase("36.00", "order A").for_gateway()
    _refused(rig, attrs.evolve(first, order_digest=second.order_digest), InvalidEnvelope)
    _refused(rig, attrs.evolve(first, sealed_payment=second.sealed_payment), InvalidEnvelope)
    _refused(rig, attrs.evolve(first, signature=second.signature), InvalidSignature)


def test_an_amount_or_payee_other_than_the_signed_one_is_refused(rig: Rig) -> None:
    """The gateway authorises only what the buyer signed, for its own merchant."""
    request = rig.purchase("36.00").for_gateway()
    _refused(rig, request, PurchaseMismatch, amount=cny("36.01"))
    _refused(rig, request, PurchaseMismatch, amount=Money("36.00", "USD"))
    elsewhere = WalletGateway(
        {"w-buyer-1": rig.buyer},
        rig.shop,
        lambda _w: PIN,
        merchant_auth=lambda: SHOP_PIN,
        sealing_key=rig.gateway_key,
        merchant_id="another shop",
    )
    with pytest.raises(PurchaseMismatch, match="another shop"):
        elsewhere.authorize_dual(request, cny("36.00"), reference="P-1", idempotency_key="k")


def test_a_purchase_signed_by_another_key_for_the_buyers_wallet_is_refused(rig: Rig) -> None:
    """The gateway expects the key of the wallet the payment part names."""
    forged = dual_sign(
        Ed25519PrivateKey.generate(),
        rig.gateway.sealing_public_key,
        merchant="teahouse",
        reference="order O-10",
        wallet_id="w-buyer-1",
        payer="buyer-1",
        amount=cny("36.00"),
        funding=STORED_VALUE,
        hold_id="H000001",
        issued_at=rig.clock.now(),
    )
    rig.purchase("36.00")  # the buyer's real hold H000001 exists
    _refused(rig, forged.for_gateway(), InvalidSignature)


def test_a_purchase_sealed_for_another_gateway_is_refused(rig: Rig) -> None:
    """Sealed to another gateway's key, the envelope does not open here."""
    signed = rig.buyer.instruct_dual(
        "teahouse",
        cny("36.00"),
        "order O-10",
        auth=PIN,
        gateway_key=X25519PrivateKey.generate().public_key(),
    )
    _refused(rig, signed.for_gateway(), InvalidEnvelope)


def test_bad_arguments_raise_specific_errors(rig: Rig) -> None:
    """Not a request, not a positive amount, or a bad reference: refused before opening."""
    request = rig.purchase("36.00").for_gateway()
    _refused(rig, "request", ValidationError)  # type: ignore[arg-type]
    _refused(rig, request, InvalidAmount, amount=cny("0.00"))
    _refused(rig, request, ValidationError, reference="")
    with pytest.raises(ValidationError, match="X25519PrivateKey"):
        WalletGateway(
            {},
            rig.shop,
            lambda _w: PIN,
            merchant_auth=lambda: SHOP_PIN,
            sealing_key="k",  # type: ignore[arg-type]
        )


def test_card_funding_unknown_wallets_and_settled_holds_are_declined(rig: Rig) -> None:
    """Verified but not payable here: declined (approved=False), nothing stored for the key."""
    by_card = rig.purchase("36.00", card=TOKEN).for_gateway()
    answer = rig.gateway.authorize_dual(by_card, cny("36.00"), reference="P", idempotency_key="a")
    assert not answer.approved
    assert "card" in answer.message
    assert rig.gateway.outcome("a") is None

    released = rig.purchase("20.00")
    rig.buyer.release("H000001")
    answer = rig.gateway.authorize_dual(
        released.for_gateway(), cny("20.00"), reference="P", idempotency_key="b"
    )
    assert not answer.approved
    assert "released" in answer.message

    stranger = WalletGateway(
        {}, rig.shop, lambda _w: PIN, merchant_auth=lambda: SHOP_PIN, sealing_key=rig.gateway_key
    )
    fresh = rig.purchase("5.00").for_gateway()
    answer = stranger.authorize_dual(fresh, cny("5.00"), reference="P", idempotency_key="c")
    assert not answer.approved
    assert "unknown e-wallet" in answer.message


def test_the_gateway_publishes_its_x25519_public_key(rig: Rig) -> None:
    """sealing_public_key is the raw public half of the gateway's key."""
    assert rig.gateway.sealing_public_key == rig.gateway_key.public_key().public_bytes_raw()
    assert len(rig.gateway.sealing_public_key) == 32
    assert rig.gateway.merchant_id == "teahouse"


def test_two_gateways_with_one_sealing_key_pay_the_merchant_once() -> None:
    """Two processes of one shop (two gateway objects, one sealing key) both authorise the same
    purchase: the first capture pays the merchant, the second is declined, no value is made."""
    import pendulum
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from ecservice.clock import FixedClock
    from ecservice.payments import WalletGateway
    from ecservice.payments.wallet import EWallet, KdfParams

    clock = FixedClock(pendulum.datetime(2026, 11, 11, 9, 30, tz="Asia/Shanghai"))
    fast = KdfParams(n=2**4)
    buyer = EWallet("buyer-1", "582031", clock=clock, kdf=fast, wallet_id="w-buyer-1")
    buyer.credit(Money("200.00", "CNY"), "top-up")
    shop = EWallet("teahouse", "482916", clock=clock, kdf=fast, wallet_id="w-teahouse")
    session, merchant = buyer.open_session("582031"), shop.open_session("482916")
    key = X25519PrivateKey.generate()
    gateways = [
        WalletGateway(
            {"w-buyer-1": buyer},
            shop,
            lambda _w: session,
            merchant_auth=lambda: merchant,
            sealing_key=key,
        )
        for _ in range(2)
    ]
    signed = buyer.instruct_dual(
        "teahouse",
        Money("88.00", "CNY"),
        "order O-1",
        auth=session,
        gateway_key=gateways[0].sealing_public_key,
    )
    answers = [
        g.authorize_dual(
            signed.for_gateway(), Money("88.00", "CNY"), reference="P-1", idempotency_key="k1"
        )
        for g in gateways
    ]
    captures = [
        g.capture(a.reference, Money("88.00", "CNY"), idempotency_key=f"c{i}")
        for i, (g, a) in enumerate(zip(gateways, answers, strict=True))
        if a.approved
    ]
    assert sum(c.approved for c in captures) == 1
    assert buyer.balance("CNY") == Money("112.00", "CNY")
    assert shop.balance("CNY") == Money("88.00", "CNY")
