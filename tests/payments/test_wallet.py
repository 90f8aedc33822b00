"""The e-wallet: PIN verification and lock-out, card references, signed instructions, holds.

Most tests hash PINs with a deliberately cheap scrypt (``KdfParams(n=2**4)``) so the suite stays
fast; one test checks that the secure default is what the documentation says and works.
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Callable
from decimal import Decimal

import attrs
import pendulum
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import (
    CurrencyMismatch,
    EcServiceError,
    InsufficientFunds,
    InvalidAmount,
    InvalidSignature,
    PolicyViolation,
    ValidationError,
)
from ecservice.money import Money
from ecservice.payments.wallet import (
    DEFAULT_KDF,
    INSTRUCTION_TYPE,
    STORED_VALUE,
    CardExpired,
    CardReference,
    DuplicateWalletItem,
    EntryKind,
    EWallet,
    FullCardNumberRefused,
    Holding,
    HoldingKind,
    HoldSettled,
    HoldStatus,
    InvalidPin,
    InvalidSession,
    KdfParams,
    PinHash,
    PinPolicy,
    SignedInstruction,
    UnknownCard,
    UnknownHold,
    UnknownHolding,
    WalletLocked,
    WalletSession,
    WrongPin,
    hash_pin,
    looks_like_card_number,
    luhn_valid,
    verify_instruction,
)
from ecservice.payments.wallet._instruction import sign_instruction

PIN = "739154"
OTHER_PIN = "482913"
FAST = KdfParams(n=2**4)
START = pendulum.datetime(2026, 11, 11, 9, 0, tz="Asia/Shanghai")


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def make_wallet(clock: FixedClock, **kwargs: object) -> EWallet:
    options: dict[str, object] = {"kdf": FAST, "wallet_id": "w-test"}
    options.update(kwargs)
    return EWallet("alice", PIN, clock=clock, **options)  # type: ignore[arg-type]


@pytest.fixture
def wallet(clock: FixedClock) -> EWallet:
    return make_wallet(clock)


def visa(**changes: object) -> CardReference:
    fields: dict[str, object] = {
        "token": "tok_1Nv0visa",
        "brand": "visa",
        "last4": "4242",
        "exp_month": 12,
        "exp_year": 2027,
    }
    fields.update(changes)
    return CardReference(**fields)  # type: ignore[arg-type]


def state(wallet: EWallet) -> object:
    """Everything an operation could change, except the PIN failure count."""
    return (
        [(c, wallet.available(c), wallet.held(c)) for c in ("CNY", "USD", "JPY")],
        wallet.ledger,
        wallet.holds(None),
        wallet.cards(),
        wallet.holdings(),
    )


# --- PIN hashing -------------------------------------------------------------------------------


def test_default_kdf_is_the_documented_secure_setting(clock: FixedClock) -> None:
    """The default is scrypt n=2**14, r=8, p=1 with a 16-byte salt, and a wallet built with it
    verifies its PIN (the only test that pays the real cost)."""
    assert (DEFAULT_KDF.n, DEFAULT_KDF.r, DEFAULT_KDF.p) == (2**14, 8, 1)
    assert (DEFAULT_KDF.salt_size, DEFAULT_KDF.dklen) == (16, 32)
    wallet = EWallet("alice", PIN, clock=clock)
    assert wallet.kdf == DEFAULT_KDF
    wallet.verify_pin(PIN)


def test_hash_uses_a_fresh_salt_and_stores_its_parameters() -> None:
    """Two hashes of one PIN differ (random salt); each records n, r, p and round-trips."""
    a, b = hash_pin(PIN, FAST), hash_pin(PIN, FAST)
    assert a.salt != b.salt
    assert a.digest != b.digest
    assert len(a.salt) == 16
    assert a.params == FAST
    assert a.encode().startswith("$scrypt$ln=4,r=8,p=1$")
    back = PinHash.decode(a.encode())
    assert back == a
    assert back.matches(PIN)
    assert not back.matches(OTHER_PIN)


@pytest.mark.parametrize("text", ["", "$scrypt$ln=4,r=8,p=1$", "$argon2id$v=19$x$y", "garbage"])
def test_malformed_encoded_hash_is_refused(text: str) -> None:
    """Decoding anything but a well-formed scrypt hash raises ValidationError."""
    with pytest.raises(ValidationError):
        PinHash.decode(text)


@pytest.mark.parametrize(
    "params", [{"n": 1000}, {"n": 1}, {"r": 0}, {"p": 0}, {"salt_size": 8}, {"dklen": 8}]
)
def test_bad_kdf_parameters_are_refused(params: dict[str, int]) -> None:
    """n must be a power of two, r and p positive, salts at least 16 bytes."""
    with pytest.raises(ValidationError):
        KdfParams(**params)


@pytest.mark.parametrize(
    "pin", ["123", "1234567890123", "12a4", " 1234", "1234\n", "١٢٣٤", "１２３４", ""]
)
def test_a_new_pin_must_be_4_to_12_ascii_digits(clock: FixedClock, pin: str) -> None:
    """Setting a malformed PIN raises InvalidPin without repeating it."""
    with pytest.raises(InvalidPin) as info:
        EWallet("alice", pin, clock=clock, kdf=FAST)
    if pin.strip():
        assert pin.strip() not in str(info.value)


def test_non_string_pin_is_refused(clock: FixedClock) -> None:
    """A PIN given as an int is refused when set (it would lose leading zeros)."""
    with pytest.raises(InvalidPin):
        EWallet("alice", 1234, clock=clock, kdf=FAST)  # type: ignore[arg-type]


# --- verification and lock-out -----------------------------------------------------------------


def test_wrong_pin_is_counted_and_a_right_one_resets_the_count(wallet: EWallet) -> None:
    """Each failure counts down the attempts left; success resets to zero."""
    for left in (4, 3, 2):
        with pytest.raises(WrongPin) as info:
            wallet.verify_pin(OTHER_PIN)
        assert info.value.attempts_left == left
    assert wallet.failed_attempts == 3
    wallet.verify_pin(PIN)
    assert wallet.failed_attempts == 0
    for _ in range(4):  # four more failures do not lock: the count started again
        with pytest.raises(WrongPin):
            wallet.verify_pin(OTHER_PIN)
    assert not wallet.is_locked


def test_five_failures_lock_for_fifteen_minutes(clock: FixedClock, wallet: EWallet) -> None:
    """The fifth consecutive failure locks the wallet until the clock reaches now + 15 min;
    while locked even the right PIN is refused and nothing is counted; afterwards it works."""
    for _ in range(4):
        with pytest.raises(WrongPin):
            wallet.verify_pin(OTHER_PIN)
    with pytest.raises(WalletLocked) as info:
        wallet.verify_pin(OTHER_PIN)
    until = clock.now() + _dt.timedelta(minutes=15)
    assert info.value.locked_until == until == wallet.locked_until
    assert isinstance(info.value, PolicyViolation)

    clock.advance(minutes=14, seconds=59)
    with pytest.raises(WalletLocked):
        wallet.verify_pin(PIN)
    assert wallet.failed_attempts == 5
    assert wallet.locked_until == until

    clock.advance(seconds=1)
    assert not wallet.is_locked
    assert wallet.failed_attempts == 0
    wallet.verify_pin(PIN)
    assert wallet.locked_until is None


def test_lock_out_is_configurable(clock: FixedClock) -> None:
    """max_failures and the lock-out duration come from the wallet's PinPolicy."""
    wallet = make_wallet(clock, policy=PinPolicy(max_failures=2, lockout=_dt.timedelta(hours=1)))
    with pytest.raises(WrongPin):
        wallet.verify_pin("0000")
    with pytest.raises(WalletLocked):
        wallet.verify_pin("0000")
    clock.advance(minutes=59)
    assert wallet.is_locked
    clock.advance(minutes=1)
    wallet.verify_pin(PIN)


def test_after_a_lock_runs_out_the_full_allowance_returns(
    clock: FixedClock, wallet: EWallet
) -> None:
    """Once the lock has expired, a wrong PIN starts a new count instead of re-locking."""
    for _ in range(5):
        with pytest.raises((WrongPin, WalletLocked)):
            wallet.verify_pin(OTHER_PIN)
    clock.advance(minutes=15)
    with pytest.raises(WrongPin) as info:
        wallet.verify_pin(OTHER_PIN)
    assert info.value.attempts_left == 4


def test_lock_out_closes_sessions(clock: FixedClock, wallet: EWallet) -> None:
    """A session opened before a lock-out stops working, even after the lock ends."""
    session = wallet.open_session(PIN)
    wallet.credit(cny("10.00"), "top-up")
    for _ in range(5):
        with pytest.raises((WrongPin, WalletLocked)):
            wallet.verify_pin(OTHER_PIN)
    with pytest.raises(WalletLocked):
        wallet.pay(cny("1.00"), "tea", auth=session)
    clock.advance(minutes=15)
    with pytest.raises(InvalidSession):
        wallet.pay(cny("1.00"), "tea", auth=session)


def test_change_pin_requires_the_old_pin(wallet: EWallet) -> None:
    """A wrong old PIN is counted and changes nothing; a malformed new PIN is refused before
    the old one is checked; afterwards only the new PIN works and old sessions are closed."""
    session = wallet.open_session(PIN)
    with pytest.raises(WrongPin):
        wallet.change_pin(OTHER_PIN, "5555")
    assert wallet.failed_attempts == 1
    with pytest.raises(InvalidPin):
        wallet.change_pin(PIN, "55")
    assert wallet.failed_attempts == 1
    wallet.verify_pin(PIN)

    wallet.change_pin(PIN, "5555")
    wallet.verify_pin("5555")
    with pytest.raises(WrongPin):
        wallet.verify_pin(PIN)
    with pytest.raises(InvalidSession):
        wallet.pay(cny("1.00"), "tea", auth=session)


def test_sessions_expire_and_are_bound_to_their_wallet(clock: FixedClock) -> None:
    """A session works until its ttl, not after; another wallet's session, a closed one and a
    forged one are refused."""
    wallet = make_wallet(clock, policy=PinPolicy(session_ttl=_dt.timedelta(minutes=5)))
    other = make_wallet(clock, wallet_id="w-other")
    wallet.credit(cny("10.00"), "top-up")
    session = wallet.open_session(PIN)
    assert session.expires_at == clock.now() + _dt.timedelta(minutes=5)
    wallet.pay(cny("1.00"), "tea", auth=session)

    foreign = other.open_session(PIN)
    forged = WalletSession("w-test", session.expires_at, b"\x00" * 16)
    for bad in (foreign, forged):
        with pytest.raises(InvalidSession):
            wallet.pay(cny("1.00"), "tea", auth=bad)

    clock.advance(minutes=5)
    with pytest.raises(InvalidSession):
        wallet.pay(cny("1.00"), "tea", auth=session)

    again = wallet.open_session(PIN)
    wallet.close_session(again)
    with pytest.raises(InvalidSession):
        wallet.pay(cny("1.00"), "tea", auth=again)
    assert wallet.available("CNY") == cny("9.00")


# --- nothing secret leaks ----------------------------------------------------------------------


def _secrets_of(wallet: EWallet, pin: str) -> list[str]:
    pin_hash = wallet._guard.pin_hash  # white-box: the values that must never be shown
    encoded = pin_hash.encode()
    return [
        pin,
        pin_hash.digest.hex(),
        pin_hash.salt.hex(),
        encoded,
        encoded.split("$")[-1],
        encoded.split("$")[-2],
    ]


def _failure_messages(wallet: EWallet, pin: str, clock: FixedClock) -> list[str]:
    """Run every kind of failure the owner can cause and collect the messages."""
    messages: list[str] = []
    wrong = pin[:-1] + str((int(pin[-1]) + 1) % 10)
    attempts: list[Callable[[], object]] = [
        lambda: wallet.change_pin(pin, pin + "x"),
        lambda: wallet.change_pin(wrong, pin),
        lambda: wallet.pay(cny("1000000.00"), "too much", auth=pin),
        lambda: wallet.instruct("shop", cny("1.00"), "r", auth=pin, card="tok_unknown"),
        lambda: wallet.capture("H999999"),
        lambda: wallet.add_card(visa(exp_year=2020), auth=pin),
        lambda: visa(token=f"tok {pin} 4111 1111 1111 1111"),
    ]
    attempts += [lambda: wallet.verify_pin(wrong)] * 6
    for attempt in attempts:
        try:
            attempt()
        except EcServiceError as exc:
            messages.append(str(exc))
            messages.append(repr(exc))
    assert len(messages) >= 2 * 10
    return messages


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pin=st.text("0123456789", min_size=8, max_size=12))
def test_no_pin_or_hash_in_repr_errors_or_logs(pin: str, caplog: pytest.LogCaptureFixture) -> None:
    """The PIN, its hash and salt appear in no repr, no error message and no log record."""
    clock = FixedClock(START)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        wallet = EWallet("alice", pin, clock=clock, kdf=FAST, wallet_id="w-test")
        wallet.credit(cny("5.00"), "top-up")
        texts = [repr(wallet), str(wallet), repr(wallet._guard.pin_hash)]
        texts += [repr(wallet.open_session(pin))]
        texts += _failure_messages(wallet, pin, clock)
        texts += [repr(wallet)]
    texts += [record.getMessage() for record in caplog.records]
    assert any("locked" in r.getMessage() for r in caplog.records)
    for secret in _secrets_of(wallet, pin):
        for text in texts:
            assert secret not in text


# --- card references ---------------------------------------------------------------------------


def _complete_luhn(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    """A Luhn-valid number of 13 to 19 ASCII digits."""
    length = draw(st.integers(min_value=13, max_value=19))
    return _complete_luhn(draw(st.text("0123456789", min_size=length - 1, max_size=length - 1)))


@st.composite
def formatted_card_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(digits, how they are written): grouped with spaces or dashes, in surrounding text."""
    digits = draw(card_numbers())
    cuts = sorted(draw(st.sets(st.integers(1, len(digits) - 1), max_size=6)))
    groups = [digits[i:j] for i, j in zip([0, *cuts], [*cuts, len(digits)], strict=True)]
    seps = draw(st.lists(st.sampled_from([" ", "-", " - ", "  ", "\u2013"]), min_size=len(groups)))
    written = groups[0] + "".join(s + g for s, g in zip(seps, groups[1:], strict=False))
    words = st.text("abcxyzXYZ_:/#é中 ", max_size=8)
    return digits, draw(words) + written + draw(words).lstrip(" -")


KNOWN_PANS = [
    "4111111111111111",  # Visa test number
    "5555 5555 5555 4444",  # Mastercard test number
    "3782-822463-10005",  # Amex test number (15 digits)
    "6200000000000005",  # UnionPay test number
    "4222222222222",  # 13-digit Visa
    "card 4242424242424242 exp 12/27",
    "４１１１１１１１１１１１１１１１",  # full-width digits
]


@pytest.mark.parametrize("text", KNOWN_PANS)
def test_known_test_card_numbers_are_detected(text: str) -> None:
    """Public test PANs are recognised however they are written."""
    assert looks_like_card_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "4242",
        "tok_1Nv0visa",
        "4111111111111112",  # fails the Luhn check
        "411111111111",  # 12 digits
        "12345678901234567890123",  # one unbroken run longer than 19 digits
        "order 2026-11-11 12:30",
        "",
    ],
)
def test_ordinary_text_is_not_taken_for_a_card_number(text: str) -> None:
    """Last four digits, tokens, Luhn-invalid or too short numbers and dates pass."""
    assert not looks_like_card_number(text)


@settings(max_examples=200)
@given(formatted_card_numbers(), st.sampled_from(["token", "brand", "last4", "label"]))
def test_any_full_card_number_in_any_field_is_refused(pan: tuple[str, str], field: str) -> None:
    """A Luhn-valid 13-19 digit number, spaced or dashed, anywhere in token, brand, last4 or
    label raises FullCardNumberRefused, whose message repeats neither the number nor its tail."""
    digits, written = pan
    with pytest.raises(FullCardNumberRefused) as info:
        visa(**{field: written})
    message = str(info.value)
    assert info.value.field == field
    assert isinstance(info.value, ValidationError)
    assert digits not in message
    assert written not in message
    assert digits[-6:] not in message


@given(st.text("0123456789 -", max_size=30).filter(lambda t: sum(c.isdigit() for c in t) <= 12))
def test_short_digit_strings_are_fine(text: str) -> None:
    """Text with at most 12 digits is never taken for a card number (e.g. a last4 or a PIN)."""
    assert not looks_like_card_number(text)
    if text.strip():
        assert visa(token="tok_" + text, label=text).label == text


def test_card_fields_are_validated() -> None:
    """last4 is four ASCII digits; expiry month 1-12; token and brand non-empty."""
    for bad in ({"last4": "42a2"}, {"last4": "424"}, {"exp_month": 13}, {"token": " "}):
        with pytest.raises(ValidationError):
            visa(**bad)
    assert str(visa()) == "visa ****4242 (12/2027)"


def test_card_expires_after_its_month_in_the_shop_zone() -> None:
    """A 12/2027 card works through 31 Dec 2027 in Asia/Shanghai and is expired from then on."""
    card = visa(exp_month=12, exp_year=2027)
    end = pendulum.datetime(2028, 1, 1, tz="Asia/Shanghai")
    assert card.expires_at() == end
    assert not card.is_expired(end - _dt.timedelta(microseconds=1))
    assert card.is_expired(end)
    assert card.expires_at("UTC") == pendulum.datetime(2028, 1, 1, tz="UTC")


def test_cards_added_listed_removed(wallet: EWallet) -> None:
    """Adding needs the PIN; duplicates and expired cards are refused; removal by token."""
    card = wallet.add_card(visa(), auth=PIN)
    assert wallet.cards() == (card,)
    assert wallet.card(card.token) is card
    with pytest.raises(DuplicateWalletItem):
        wallet.add_card(visa(), auth=PIN)
    with pytest.raises(CardExpired):
        wallet.add_card(visa(token="tok_old", exp_year=2026, exp_month=10), auth=PIN)
    with pytest.raises(WrongPin):
        wallet.add_card(visa(token="tok_b"), auth=OTHER_PIN)
    assert wallet.remove_card(card.token) == card
    with pytest.raises(UnknownCard):
        wallet.card(card.token)


def test_expired_cards_are_refused_for_payments(clock: FixedClock, wallet: EWallet) -> None:
    """A card in the wallet cannot fund an instruction once the clock passes its expiry."""
    card = wallet.add_card(visa(exp_month=11, exp_year=2026), auth=PIN)
    signed = wallet.instruct("shop", cny("10.00"), "o1", auth=PIN, card=card.token)
    assert signed.funding == f"card:{card.token}"
    assert signed.hold_id is None
    clock.set(pendulum.datetime(2026, 12, 1, tz="Asia/Shanghai"))
    assert wallet.cards(usable_only=True) == ()
    before = state(wallet)
    with pytest.raises(CardExpired):
        wallet.instruct("shop", cny("10.00"), "o2", auth=PIN, card=card.token)
    assert state(wallet) == before


# --- signed instructions -----------------------------------------------------------------------


@pytest.fixture
def signed(wallet: EWallet) -> SignedInstruction:
    wallet.credit(cny("100.00"), "top-up")
    return wallet.instruct("teahouse", cny("12.30"), "order 18", auth=PIN)


def test_instruction_verifies_and_reserves_stored_value(
    wallet: EWallet, signed: SignedInstruction
) -> None:
    """A stored-value instruction is signed by the wallet's key and holds its amount."""
    verify_instruction(signed)
    verify_instruction(signed, wallet.public_key)
    assert signed.funding == STORED_VALUE
    assert signed.payer == "alice"
    assert signed.public_key == wallet.public_key
    assert len(signed.signature) == 64
    hold = wallet.hold(signed.hold_id or "")
    assert hold.amount == signed.amount
    assert hold.is_open
    assert wallet.available("CNY") == cny("87.70")
    assert wallet.capture(hold.hold_id).status is HoldStatus.CAPTURED


def _unsigned(signed: SignedInstruction) -> dict[str, object]:
    fields = attrs.asdict(signed, recurse=False)
    del fields["public_key"], fields["signature"]
    return fields


TAMPERED = {
    "wallet_id": "w-other",
    "payer": "mallory",
    "payee": "mallory",
    "amount": cny("12.31"),
    "reference": "order 19",
    "funding": "card:tok_x",
    "hold_id": None,
    "issued_at": START.add(seconds=1),
    "nonce": "0" * 32,
}


@pytest.mark.parametrize(("field", "value"), TAMPERED.items(), ids=list(TAMPERED))
def test_altering_any_field_breaks_the_signature(
    signed: SignedInstruction, field: str, value: object
) -> None:
    """Every field is covered by the signature."""
    assert getattr(signed, field) != value
    with pytest.raises(InvalidSignature):
        verify_instruction(attrs.evolve(signed, **{field: value}))  # type: ignore[arg-type]


def test_same_amount_in_another_currency_breaks_the_signature(signed: SignedInstruction) -> None:
    """The currency is signed, not only the number."""
    with pytest.raises(InvalidSignature):
        verify_instruction(attrs.evolve(signed, amount=Money("12.30", "USD")))


def test_signature_by_another_key_is_refused(wallet: EWallet, signed: SignedInstruction) -> None:
    """Re-signed with another key but claiming the wallet's key: refused. Re-signed under the
    other key's own public key: refused when the wallet's key is expected."""
    other = Ed25519PrivateKey.generate()
    claimed = attrs.evolve(signed, signature=other.sign(signed.canonical_bytes()))
    with pytest.raises(InvalidSignature):
        verify_instruction(claimed)

    resigned = sign_instruction(other, **_unsigned(signed))  # type: ignore[arg-type]
    verify_instruction(resigned)  # self-consistent...
    with pytest.raises(InvalidSignature):
        verify_instruction(resigned, wallet.public_key)  # ...but not the wallet's


@pytest.mark.parametrize(
    "change",
    [
        {"signature": b"\x00" * 64},
        {"signature": b""},
        {"public_key": b"\x01" * 31},
        {"public_key": Ed25519PrivateKey.generate().public_key().public_bytes_raw()},
    ],
)
def test_malformed_or_foreign_key_material_is_refused(
    signed: SignedInstruction, change: dict[str, bytes]
) -> None:
    """Garbage signatures and keys raise InvalidSignature, never a library error."""
    with pytest.raises(InvalidSignature):
        verify_instruction(attrs.evolve(signed, **change))  # type: ignore[arg-type]


def test_canonical_serialisation_is_sorted_compact_json(clock: FixedClock) -> None:
    """The signed bytes are exactly the documented sorted, compact, ASCII JSON."""
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    signed = sign_instruction(
        key,
        wallet_id="w-1",
        payer="alice",
        payee="茶馆",
        amount=Money("500", "JPY"),
        reference="order 7",
        funding="card:tok_a",
        hold_id=None,
        issued_at=START,
        nonce="ab" * 16,
    )
    pk = signed.public_key.hex()
    assert signed.canonical_bytes() == (
        '{"amount":"500","currency":"JPY","funding":"card:tok_a","hold_id":null,'
        '"issued_at":"2026-11-11T01:00:00.000000Z","nonce":"' + "ab" * 16 + '",'
        '"payee":"\\u8336\\u9986","payer":"alice","public_key":"' + pk + '",'
        '"reference":"order 7","type":"' + INSTRUCTION_TYPE + '","wallet_id":"w-1"}'
    ).encode("ascii")
    assert signed == sign_instruction(key, **_unsigned(signed))  # type: ignore[arg-type]


@settings(max_examples=50)
@given(payee=st.text(min_size=1, max_size=40), reference=st.text(min_size=1, max_size=40))
def test_any_text_signs_and_verifies(payee: str, reference: str) -> None:
    """Unicode (even lone surrogates) in payee and reference serialise and verify."""
    key = Ed25519PrivateKey.from_private_bytes(b"\x07" * 32)
    fields = {
        "wallet_id": "w-1",
        "payer": "alice",
        "payee": payee,
        "amount": cny("1.00"),
        "reference": reference,
        "funding": STORED_VALUE,
        "hold_id": "H000001",
        "issued_at": START,
        "nonce": "cd" * 16,
    }
    signed = sign_instruction(key, **fields)  # type: ignore[arg-type]
    verify_instruction(signed, key.public_key())
    with pytest.raises(InvalidSignature):
        verify_instruction(attrs.evolve(signed, reference=reference + "x"))


def test_instruct_needs_auth_and_funds(wallet: EWallet) -> None:
    """A wrong PIN or too little stored value signs nothing and holds nothing."""
    wallet.credit(cny("5.00"), "top-up")
    before = state(wallet)
    with pytest.raises(WrongPin):
        wallet.instruct("shop", cny("1.00"), "o", auth=OTHER_PIN)
    with pytest.raises(InsufficientFunds):
        wallet.instruct("shop", cny("5.01"), "o", auth=PIN)
    with pytest.raises(UnknownCard):
        wallet.instruct("shop", cny("1.00"), "o", auth=PIN, card="tok_none")
    assert state(wallet) == before


# --- stored value, holds and the ledger --------------------------------------------------------


def test_pay_refuses_more_than_available_and_says_how_much_is(wallet: EWallet) -> None:
    """InsufficientFunds names the available amount; nothing changes."""
    wallet.credit(cny("30.00"), "top-up")
    wallet.authorize(cny("10.00"), "order 1", auth=PIN)
    before = state(wallet)
    with pytest.raises(InsufficientFunds, match=r"only 20\.00 CNY is available"):
        wallet.pay(cny("20.01"), "order 2", auth=PIN)
    with pytest.raises(InsufficientFunds):
        wallet.pay(Money("1", "JPY"), "order 3", auth=PIN)
    assert state(wallet) == before
    wallet.pay(cny("20.00"), "order 2", auth=PIN)
    assert wallet.available("CNY") == cny("0.00")


@pytest.mark.parametrize("amount", [cny("0.00"), cny("-1.00"), Decimal("1.00")])
def test_amounts_must_be_positive_money(wallet: EWallet, amount: object) -> None:
    """Zero, negative and non-Money amounts are refused by every entry point."""
    wallet.credit(cny("10.00"), "top-up")
    before = state(wallet)
    for call in (
        lambda: wallet.credit(amount, "x"),  # type: ignore[arg-type]
        lambda: wallet.pay(amount, "x", auth=PIN),  # type: ignore[arg-type]
        lambda: wallet.authorize(amount, "x", auth=PIN),  # type: ignore[arg-type]
    ):
        with pytest.raises(InvalidAmount):
            call()
    assert state(wallet) == before


def test_partial_capture_releases_the_rest_and_is_idempotent(wallet: EWallet) -> None:
    """Capture spends part of the hold and returns the rest; the same capture again returns
    the same hold and changes nothing; a different one raises HoldSettled."""
    wallet.credit(cny("100.00"), "top-up")
    hold = wallet.authorize(cny("40.00"), "order 1", auth=PIN)
    assert (wallet.available("CNY"), wallet.held("CNY")) == (cny("60.00"), cny("40.00"))
    done = wallet.capture(hold.hold_id, cny("25.00"))
    assert done.captured == cny("25.00")
    assert done.released == cny("15.00")
    assert (wallet.available("CNY"), wallet.held("CNY")) == (cny("75.00"), cny("0.00"))
    assert [e.kind for e in wallet.ledger] == [
        EntryKind.CREDIT,
        EntryKind.HOLD,
        EntryKind.CAPTURE,
        EntryKind.RELEASE,
    ]
    before = state(wallet)
    assert wallet.capture(hold.hold_id, cny("25.00")) == done
    with pytest.raises(HoldSettled):
        wallet.capture(hold.hold_id)
    with pytest.raises(HoldSettled):
        wallet.release(hold.hold_id)
    assert state(wallet) == before


def test_release_is_idempotent_and_blocks_capture(wallet: EWallet) -> None:
    """Released holds return everything; releasing again is a no-op; capturing raises."""
    wallet.credit(cny("10.00"), "top-up")
    hold = wallet.authorize(cny("10.00"), "order 1", auth=PIN)
    released = wallet.release(hold.hold_id)
    assert released.status is HoldStatus.RELEASED
    assert released.released == cny("10.00")
    before = state(wallet)
    assert wallet.release(hold.hold_id) == released
    with pytest.raises(HoldSettled):
        wallet.capture(hold.hold_id)
    assert state(wallet) == before
    assert wallet.available("CNY") == cny("10.00")


def test_bad_captures_change_nothing(wallet: EWallet) -> None:
    """More than held, another currency, or an unknown hold: refused, nothing changes."""
    wallet.credit(cny("10.00"), "top-up")
    hold = wallet.authorize(cny("5.00"), "order 1", auth=PIN)
    before = state(wallet)
    with pytest.raises(InvalidAmount):
        wallet.capture(hold.hold_id, cny("5.01"))
    with pytest.raises(CurrencyMismatch):
        wallet.capture(hold.hold_id, Money("5.00", "USD"))
    with pytest.raises(UnknownHold):
        wallet.capture("H000099")
    with pytest.raises(UnknownHold):
        wallet.release("nope")
    assert state(wallet) == before
    assert wallet.holds() == (hold,)


def test_currencies_are_kept_apart(wallet: EWallet) -> None:
    """Each currency has its own available and held columns."""
    wallet.credit(cny("10.00"), "a")
    wallet.credit(Money("500", "JPY"), "b")
    wallet.authorize(Money("200", "JPY"), "c", auth=PIN)
    assert [c.code for c in wallet.currencies] == ["CNY", "JPY"]
    assert wallet.balance("JPY") == Money("500", "JPY")
    assert wallet.available("JPY") == Money("300", "JPY")
    assert wallet.available("CNY") == cny("10.00")
    assert wallet.held("CNY") == cny("0.00")


# --- holdings ----------------------------------------------------------------------------------


def test_holdings_are_generic_references_with_a_value(wallet: EWallet) -> None:
    """E-cash and purse holdings are recorded by kind and opaque reference, updated, removed,
    and counted in total_value but not in stored value."""
    coins = wallet.add_holding(Holding(HoldingKind.ECASH, "coinwallet-1", cny("5.00"), "coins"))
    wallet.add_holding(Holding(HoldingKind.PURSE, "purse-alice", cny("20.00")))
    wallet.credit(cny("1.00"), "top-up")
    assert wallet.holdings(HoldingKind.ECASH) == (coins,)
    assert wallet.holdings_value("CNY") == cny("25.00")
    assert wallet.total_value("CNY") == cny("26.00")
    assert wallet.balance("CNY") == cny("1.00")
    assert wallet.update_holding(HoldingKind.ECASH, "coinwallet-1", cny("1.80")).value == cny(
        "1.80"
    )
    with pytest.raises(DuplicateWalletItem):
        wallet.add_holding(Holding(HoldingKind.PURSE, "purse-alice", cny("1.00")))
    with pytest.raises(CurrencyMismatch):
        wallet.update_holding(HoldingKind.PURSE, "purse-alice", Money("1.00", "USD"))
    with pytest.raises(InvalidAmount):
        wallet.update_holding(HoldingKind.PURSE, "purse-alice", cny("-1.00"))
    wallet.remove_holding(HoldingKind.PURSE, "purse-alice")
    with pytest.raises(UnknownHolding):
        wallet.holding(HoldingKind.PURSE, "purse-alice")
    with pytest.raises(FullCardNumberRefused):
        Holding(HoldingKind.ECASH, "x", cny("1.00"), label="4111 1111 1111 1111")


def test_repr_is_short_and_useful(wallet: EWallet) -> None:
    """The wallet's repr names the owner, id, counts and lock state only."""
    wallet.credit(cny("1.00"), "x")
    assert repr(wallet) == (
        "EWallet(owner='alice', wallet_id='w-test', cards=0, currencies=['CNY'], "
        "open_holds=0, locked=False)"
    )
