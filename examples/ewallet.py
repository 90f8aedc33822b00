"""An e-wallet: PIN and lock-out, cards, holds, signed instructions, threads, and reloading.

Run with ``python examples/ewallet.py``. It prints a short trace and exits 0; it raises (exit 1)
if any check fails. The PIN is hashed with the secure default scrypt parameters, so the few PIN
checks take a fraction of a second each.
"""

from __future__ import annotations

import threading

import attrs
import pendulum
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecservice.clock import FixedClock
from ecservice.errors import EcServiceError, InsufficientFunds, InvalidSignature
from ecservice.money import Money
from ecservice.payments.wallet import (
    CardReference,
    EWallet,
    FullCardNumberRefused,
    Holding,
    HoldingKind,
    LedgerEntry,
    WalletLocked,
    WrongPin,
    verify_instruction,
)


def main() -> None:
    """Run the scenes; raise SystemExit with a message if a check fails."""
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 9, 0, tz="Asia/Shanghai"))
    signing_key = Ed25519PrivateKey.generate()
    wallet = EWallet("alice", "739154", clock=clock, wallet_id="w-alice", signing_key=signing_key)
    print(f"1. Opened {wallet!r}")

    session = wallet.open_session("739154")
    print(f"  session valid until {session.expires_at.isoformat()}")

    print("2. Cards: a token and the last four digits, never the number")
    card = wallet.add_card(
        CardReference("tok_1Nv0visa", "visa", "4242", exp_month=12, exp_year=2027), auth=session
    )
    print(f"  added {card}")
    try:
        CardReference("4111 1111 1111 1111", "visa", "1111", exp_month=1, exp_year=2028)
    except FullCardNumberRefused as exc:
        print(f"  refused: {exc}")

    print("3. Stored value, a hold and a partial capture")
    wallet.credit(Money("200.00", "CNY"), "top-up 1")
    wallet.add_holding(Holding(HoldingKind.ECASH, "coinwallet-1", Money("15.00", "CNY"), "coins"))
    hold = wallet.authorize(Money("80.00", "CNY"), "order 17", auth=session)
    print(f"  {hold.hold_id}: available {wallet.available('CNY')}, held {wallet.held('CNY')}")
    captured = wallet.capture(hold.hold_id, Money("72.50", "CNY"))
    print(f"  captured {captured.captured}, released {captured.released}")
    try:
        wallet.pay(Money("500.00", "CNY"), "order 18", auth=session)
    except InsufficientFunds as exc:
        print(f"  refused: {exc}")
    for entry in wallet.ledger:
        print(f"  ledger #{entry.seq} {entry.kind.value:<8} {entry.amount} {entry.reference}")
    print(f"  balance {wallet.balance('CNY')}, with e-cash {wallet.total_value('CNY')}")

    print("4. A signed instruction, verified, then tampered with")
    signed = wallet.instruct(
        "teahouse", Money("36.00", "CNY"), "order 19", auth=session, card=card.token
    )
    verify_instruction(signed, wallet.public_key)
    print(f"  {signed.payer} -> {signed.payee}: {signed.amount} via {signed.funding}: verified")
    try:
        verify_instruction(attrs.evolve(signed, amount=Money("3600.00", "CNY")))
    except InvalidSignature as exc:
        print(f"  altered amount refused: {exc}")

    print("5. A card number is refused in any text the wallet stores or signs")
    try:
        wallet.instruct("4111 1111 1111 1111", Money("1.00", "CNY"), "order 20", auth=session)
    except FullCardNumberRefused as exc:
        print(f"  refused: {exc}")

    print("6. Eight threads pay 60.00 at once from 127.50: the wallet's lock lets two through")
    barrier, paid, refused = threading.Barrier(8), [], []

    def pay(i: int) -> None:
        barrier.wait()
        try:
            paid.append(wallet.pay(Money("60.00", "CNY"), f"order {30 + i}", auth=session))
        except InsufficientFunds:
            refused.append(i)

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"  paid {len(paid)}, refused {len(refused)}, available {wallet.available('CNY')}")
    if len(paid) != 2 or wallet.available("CNY").is_negative():
        raise SystemExit("the wallet let parallel payments overdraw it")
    for entry in paid:
        wallet.credit(entry.amount, f"refund of {entry.reference}")

    print("7. Stored and loaded again: every part is checked")
    pin_hash, failures, locked_until = wallet.pin_record

    def load(ledger: tuple[LedgerEntry, ...]) -> EWallet:
        return EWallet.restore(
            owner=wallet.owner,
            wallet_id=wallet.wallet_id,
            pin_hash=pin_hash,
            failures=failures,
            locked_until=locked_until,
            clock=clock,
            signing_key=signing_key,
            kdf=wallet.kdf,
            policy=wallet.policy,
            cards=wallet.cards(),
            ledger=ledger,
            holds=wallet.holds(None),
            holdings=wallet.holdings(),
        )

    loaded = load(wallet.ledger)
    print(f"  loaded {loaded!r}: balance {loaded.balance('CNY')}")
    try:
        load(wallet.ledger[1:])
    except EcServiceError as exc:
        print(f"  a damaged ledger is refused: {exc}")
    if loaded.balance("CNY") != wallet.balance("CNY"):
        raise SystemExit("the loaded wallet differs from the stored one")

    print("8. Wrong PINs lock the wallet for 15 minutes")
    for _ in range(wallet.policy.max_failures):
        try:
            wallet.verify_pin("000000")
        except WrongPin as exc:
            print(f"  {exc}")
        except WalletLocked as exc:
            print(f"  {exc}")
    clock.advance(minutes=15)
    wallet.verify_pin("739154")
    print(f"  15 minutes later the right PIN works again: locked={wallet.is_locked}")

    if wallet.balance("CNY") != Money("127.50", "CNY"):
        raise SystemExit(f"unexpected balance {wallet.balance('CNY')}")


if __name__ == "__main__":
    main()
