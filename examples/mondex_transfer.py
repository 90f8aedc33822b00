"""Mondex purses: a transfer that succeeds, one that aborts with value in limbo, and recovery.

Then a transfer the payee cannot take (it would pass the payee's limit): refused before either
purse changes; and a rate table that would let round trips create value: refused.

Run with ``python examples/mondex_transfer.py``. It prints a short trace and exits 0; it raises
(exit 1) if any accounting check fails.
"""

from __future__ import annotations

from decimal import Decimal

import pendulum

from ecservice.clock import FixedClock
from ecservice.errors import DoubleSpend
from ecservice.money import Money
from ecservice.payments.mondex import (
    Archive,
    BalanceLimitExceeded,
    Network,
    Purse,
    RateTable,
    UnsafeRates,
    Val,
    audit,
    transfer,
)


def show_books(title: str, purses: list[Purse], archive: Archive, start: Money) -> None:
    """Print the accounting equation for the currency of ``start`` and check it holds."""
    books = audit(purses, archive)
    cur = start.currency
    print(
        f"  [{title}] balances {books.balance(cur)} + in flight {books.in_flight_value(cur)}"
        f" + lost {books.lost_value(cur)} = {books.accounted_total(cur)}"
        f" (started with {start})"
    )
    if books.accounted_total(cur) != start:
        raise SystemExit(f"accounting broken: {books.accounted_total(cur)} != {start}")


def main() -> int:
    """Run the three scenes and return the exit status."""
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 9, 0, tz="Asia/Shanghai"))
    alice = Purse("alice", balances=[Money("100.00", "CNY"), Money("20.00", "USD")], clock=clock)
    bob = Purse("bob", balances=[Money("10.00", "CNY")], clock=clock)
    purses = [alice, bob]
    archive = Archive(clock=clock)
    start = alice.balance("CNY") + bob.balance("CNY")

    print("1. A transfer that succeeds")
    result = transfer(alice, bob, Money("30.00", "CNY"))
    for outcome in result.outcomes:
        print(f"  {outcome}")
    print(f"  completed={result.completed}; alice {alice.balance('CNY')}, bob {bob.balance('CNY')}")
    show_books("after transfer", purses, archive, start)

    print("2. A transfer that aborts with value in limbo")
    net = Network(purses)
    details = net.start_transfer("alice", "bob", Money("12.50", "CNY"))
    print(f"  started {details}; in flight: {[type(m).__name__ for m in net.in_flight]}")
    print(f"  {net.deliver()}")  # alice receives Req, debits, sends Val
    lost_val = net.drop()
    print(f"  the channel loses {type(lost_val).__name__}({lost_val.details})")
    show_books("value in flight", purses, archive, start)
    print(f"  {net.abort('bob')}")
    print(f"  {net.abort('alice')}")
    net.replay(Val(details))
    print(f"  replayed Val too late: {net.deliver()}")
    show_books("both sides logged", purses, archive, start)

    print("3. Accounting and recovery from the archive")
    for purse in purses:
        archive.upload(purse)
        cleared = purse.clear_exception_log(archive)
        print(f"  {purse.id} uploaded its exception log, then cleared {len(cleared)} entry")
    for lost in archive.lost_payments():
        print(f"  definitely lost: {lost}")
    print(f"  lost value: {archive.lost_value('CNY')}")
    show_books("logs archived", purses, archive, start)
    recovery = archive.recover(details, alice)
    when = recovery.recovered_at.isoformat()
    print(f"  refunded {recovery.refunded} to {recovery.purse} at {when}")
    try:
        archive.recover(details, alice)
    except DoubleSpend as error:
        print(f"  second recovery refused: {error}")
    show_books("after recovery", purses, archive, start)
    print(f"  alice {alice.balance('CNY')}, bob {bob.balance('CNY')}")

    print("4. A conversion inside a purse, with the rounding remainder recorded")
    rates = RateTable({("USD", "CNY"): Decimal("7.12345")})
    record = alice.convert(Money("3.33", "USD"), "CNY", rates)
    print(
        f"  {record.source} at {record.rate} = {record.exact} CNY exactly; credited "
        f"{record.target}, remainder {record.remainder} CNY ({record.rounding})"
    )
    books = audit(purses, archive)
    for money in (start, Money("20.00", "USD")):
        if books.accounted_total(money.currency) != money:
            raise SystemExit(f"conversion accounting broken in {money.currency}")
    print(
        f"  CNY accounted {books.accounted_total('CNY')}, USD accounted "
        f"{books.accounted_total('USD')}: nothing created, nothing vanished"
    )

    print("5. All or nothing: a transfer the payee cannot take changes neither purse")
    carol = Purse("carol", balances=[Money("95.00", "CNY")], limits=[Money("100.00", "CNY")])
    before = (alice.balance("CNY"), carol.balance("CNY"))
    try:
        transfer(alice, carol, Money("10.00", "CNY"))
    except BalanceLimitExceeded as error:
        print(f"  refused: {error}")
    if (alice.balance("CNY"), carol.balance("CNY")) != before:
        raise SystemExit("a refused transfer changed a purse")
    print(f"  alice still {alice.balance('CNY')}, carol still {carol.balance('CNY')}")
    try:
        RateTable({("CNY", "JPY"): "20", ("JPY", "CNY"): "0.05"}, rounding="ROUND_UP")
    except UnsafeRates as error:
        print(f"  rate table refused: {error}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
