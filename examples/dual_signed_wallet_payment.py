"""A dual-signed wallet payment (SET's 双重数字签名): the merchant sees the order, the gateway the
payment, and one signature binds the two.

Run with ``python examples/dual_signed_wallet_payment.py``. It prints who sees what at each step
and exits 0; it raises (exit 1) if any check fails.
"""

from __future__ import annotations

import attrs
import pendulum
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ecservice.clock import FixedClock
from ecservice.errors import InvalidSignature
from ecservice.money import Money
from ecservice.payments import WalletGateway
from ecservice.payments.wallet import (
    CardReference,
    DualSignedOrder,
    EWallet,
    KdfParams,
    PurchaseMismatch,
    verify_order_part,
)

BUYER_PIN = "582031"
SHOP_PIN = "482916"


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"check failed: {what}")


def main() -> None:
    """Run the purchase; raise SystemExit with a message if a check fails."""
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 9, 0, tz="Asia/Shanghai"))
    fast = KdfParams(n=2**4)  # a cheap PIN hash keeps the example quick; use the default in a shop
    buyer = EWallet("buyer-1", BUYER_PIN, clock=clock, kdf=fast, wallet_id="w-buyer-1")
    buyer.credit(Money("200.00", "CNY"), "top-up")
    buyer.add_card(
        CardReference("tok_9Qm2unionpay", "unionpay", "0005", exp_month=6, exp_year=2028),
        auth=BUYER_PIN,
    )
    shop = EWallet("teahouse", SHOP_PIN, clock=clock, kdf=fast, wallet_id="w-teahouse")
    gateway = WalletGateway(
        {"w-buyer-1": buyer},
        shop,
        lambda _wallet_id: BUYER_PIN,
        merchant_auth=lambda: SHOP_PIN,
        sealing_key=X25519PrivateKey.generate(),
    )

    print("1. The buyer's wallet dual-signs the purchase and seals the payment part")
    signed = buyer.instruct_dual(
        "teahouse",
        Money("88.00", "CNY"),
        "order O-12",
        auth=BUYER_PIN,
        gateway_key=gateway.sealing_public_key,
    )
    print(
        f"  order part: {signed.order.reference}, {signed.order.amount} to {signed.order.merchant}"
    )
    print(f"  payment part: sealed, {len(signed.sealed_payment.ciphertext)} bytes")
    print(f"  stored value held by the wallet: {buyer.held('CNY')}")

    print("2. The merchant checks the order part with the payment part's digest only")
    received = DualSignedOrder.from_json(signed.to_json())  # as it arrives over the network
    verify_order_part(received, buyer.public_key)
    print("  dual signature verified")
    held = received.to_json() + repr(received)
    for secret in ("w-buyer-1", "stored-value", "H000001"):
        check(secret not in held, f"the merchant sees no {secret}")
    print("  wallet id, funding and hold: not in anything the merchant holds")
    tampered = attrs.evolve(
        received, order=attrs.evolve(received.order, amount=Money("8.80", "CNY"))
    )
    try:
        verify_order_part(tampered)
    except InvalidSignature as exc:
        print(f"  altered amount refused: {exc}")
    else:
        raise SystemExit("an altered order part verified")

    print("3. The gateway opens the payment part and checks it with the order digest only")
    request = received.for_gateway()
    try:
        gateway.authorize_dual(
            request, Money("80.00", "CNY"), reference="P-12", idempotency_key="a"
        )
    except PurchaseMismatch as exc:
        print(f"  refused: {exc}")
    answer = gateway.authorize_dual(
        request, Money("88.00", "CNY"), reference="P-12", idempotency_key="pay-O-12"
    )
    check(answer.approved, answer.message)
    print(f"  authorised as {answer.reference} over hold {gateway.hold_of(answer.reference)}")
    retry = gateway.authorize_dual(
        request, Money("88.00", "CNY"), reference="P-12", idempotency_key="pay-O-12"
    )
    check(retry == answer, "a retry under the same key answers the same")
    print("  retried with the same idempotency key: the same answer, nothing moved")

    print("4. Capture: the merchant is paid")
    taken = gateway.capture(answer.reference, Money("88.00", "CNY"), idempotency_key="cap-O-12")
    check(taken.approved, taken.message)
    print(f"  buyer {buyer.balance('CNY')}, merchant {shop.balance('CNY')}")

    print("5. Paid by card: the token travels sealed; this gateway moves stored value only")
    by_card = buyer.instruct_dual(
        "teahouse",
        Money("36.00", "CNY"),
        "order O-13",
        auth=BUYER_PIN,
        gateway_key=gateway.sealing_public_key,
        card="tok_9Qm2unionpay",
    )
    check("tok_9Qm2unionpay" not in by_card.to_json(), "the merchant sees no card token")
    print("  card token: not in anything the merchant holds")
    declined = gateway.authorize_dual(
        by_card.for_gateway(), Money("36.00", "CNY"), reference="P-13", idempotency_key="pay-O-13"
    )
    print(f"  e-wallet gateway: {declined.message}")


if __name__ == "__main__":
    main()
