"""Owner verification: PINs hashed with scrypt, and the lock-out policy.

A PIN is 4 to 12 ASCII digits. It is never stored: :func:`hash_pin` derives a key with
:func:`hashlib.scrypt` from the PIN and a fresh random salt, and the wallet keeps only the
:class:`PinHash` (parameters, salt and derived key). Checking a PIN derives the key again with
the *stored* parameters and compares with :func:`hmac.compare_digest`.

Secure default: :data:`DEFAULT_KDF` is ``n=2**14, r=8, p=1`` (16 MiB, about 0.1 s per check),
the interactive-login setting of RFC 7914 and the :mod:`hashlib` documentation. A PIN has at
most 10**12 values (10**4 for a four-digit one), so no KDF makes a stolen hash safe against an
offline search; what protects a PIN is the online lock-out of :class:`PinPolicy` and keeping the
hash out of reach. Tests lower the cost explicitly, for example ``KdfParams(n=2**10)``; never do
that in production.

>>> fast = KdfParams(n=2**4)  # for this example only
>>> h = hash_pin("2468", fast)
>>> h.matches("2468"), h.matches("2469")
(True, False)
>>> h
PinHash(scrypt, n=16, r=8, p=1, <redacted>)
>>> PinHash.decode(h.encode()).matches("2468")
True
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from typing import Final, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import ensure_utc
from ecservice.errors import ValidationError
from ecservice.payments.wallet._errors import InvalidPin, WalletLocked, WrongPin

__all__ = ["DEFAULT_KDF", "KdfParams", "PinHash", "PinPolicy", "hash_pin"]

_PIN: Final = re.compile(r"[0-9]{4,12}")


def _power_of_two(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"scrypt {attribute.name} must be an int, not {type(value).__name__}")
    if value < 2 or value > 2**20 or value & (value - 1):
        raise ValidationError(
            f"scrypt n must be a power of two between 2 and 2**20, not {shown(value)}"
        )


def _int_between(low: int, high: int) -> Callable[[object, attrs.Attribute[int], int], None]:
    def check(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValidationError(
                f"scrypt {attribute.name} must be an int from {low} to {high}, not {shown(value)}"
            )

    return check


@final
@attrs.frozen(slots=True)
class KdfParams:
    """scrypt cost parameters, stored with every :class:`PinHash`.

    Args:
        n: CPU/memory cost, a power of two from 2 to ``2**20`` (default ``2**14``, the
            interactive-login setting of RFC 7914; lower only in tests).
        r: block size, 1 to 32 (default 8, the value RFC 7914 suggests).
        p: parallelism, 1 to 16 (default 1).
        dklen: length of the derived key in bytes, 16 to 64 (default 32).
        salt_size: length of the random salt in bytes, 16 to 64 (default 16).

    Raises:
        ValidationError: a parameter is out of range.
    """

    n: int = attrs.field(default=2**14, validator=_power_of_two)
    r: int = attrs.field(default=8, validator=_int_between(1, 32))
    p: int = attrs.field(default=1, validator=_int_between(1, 16))
    dklen: int = attrs.field(default=32, validator=_int_between(16, 64))
    salt_size: int = attrs.field(default=16, validator=_int_between(16, 64))

    @property
    def maxmem(self) -> int:
        """Memory scrypt needs for these parameters (OpenSSL's bound), plus 1 MiB of slack."""
        return 128 * self.r * (self.n + self.p + 2) + 2**20

    def derive(self, pin: str, salt: bytes) -> bytes:
        """Derive the key for ``pin`` and ``salt`` with these parameters."""
        return hashlib.scrypt(
            pin.encode("utf-8", "surrogatepass"),
            salt=salt,
            n=self.n,
            r=self.r,
            p=self.p,
            maxmem=self.maxmem,
            dklen=self.dklen,
        )


#: The secure default: scrypt with n=2**14, r=8, p=1, a 16-byte salt and a 32-byte key.
DEFAULT_KDF: Final = KdfParams()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


@final
@attrs.frozen(slots=True, repr=False)
class PinHash:
    """A PIN's scrypt hash with its salt and parameters; its ``repr`` shows only the parameters.

    Build one with :func:`hash_pin`; store it with :meth:`encode` (a PHC-style string
    ``$scrypt$ln=14,r=8,p=1$<salt>$<key>``, base64 without padding) and read it back with
    :meth:`decode`.

    Args:
        params: the scrypt parameters the digest was derived with (RFC 7914).
        salt: the random salt, ``params.salt_size`` bytes.
        digest: the derived key, ``params.dklen`` bytes.

    Raises:
        ValidationError: ``params`` is not :class:`KdfParams`, or the salt or digest is not
            ``bytes`` of the length the parameters give (``salt_size``, ``dklen``).
    """

    params: KdfParams
    salt: bytes = attrs.field(repr=False)
    digest: bytes = attrs.field(repr=False)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.params, KdfParams):
            raise ValidationError(f"a PIN hash needs KdfParams, not {type(self.params).__name__}")
        for name, size in (("salt", self.params.salt_size), ("digest", self.params.dklen)):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != size:
                raise ValidationError(
                    f"a PIN hash's {name} must be {size} bytes (its parameters say so)"
                )

    def matches(self, pin: str) -> bool:
        """``True`` when ``pin`` derives the stored key (constant-time comparison)."""
        candidate = self.params.derive(pin, self.salt)
        return hmac.compare_digest(candidate, self.digest)

    def encode(self) -> str:
        """The hash as a PHC-style string, for storage."""
        p = self.params
        log_n = p.n.bit_length() - 1
        return f"$scrypt$ln={log_n},r={p.r},p={p.p}${_b64(self.salt)}${_b64(self.digest)}"

    @classmethod
    def decode(cls, text: str) -> PinHash:
        """Read a string made by :meth:`encode`.

        Raises:
            ValidationError: the string is not a scrypt hash in that format.
        """
        if not isinstance(text, str):
            raise ValidationError(f"a PIN hash must be a str, not {type(text).__name__}")
        match = re.fullmatch(
            r"\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)",
            text,
        )
        if match is None:
            raise ValidationError("not a scrypt PIN hash in the $scrypt$ln=..,r=..,p=..$ format")
        try:
            salt, digest = _unb64(match[4]), _unb64(match[5])
        except (binascii.Error, ValueError):
            raise ValidationError("the salt or key of a scrypt PIN hash is not base64") from None
        params = KdfParams(
            n=2 ** int(match[1]),
            r=int(match[2]),
            p=int(match[3]),
            dklen=len(digest),
            salt_size=len(salt),
        )
        return cls(params, salt, digest)

    def __repr__(self) -> str:
        p = self.params
        return f"PinHash(scrypt, n={p.n}, r={p.r}, p={p.p}, <redacted>)"


def check_pin_format(pin: object) -> str:
    """Return ``pin`` if it is 4 to 12 ASCII digits.

    Raises:
        InvalidPin: it is not; the message never repeats the value.
    """
    if not isinstance(pin, str) or _PIN.fullmatch(pin) is None:
        raise InvalidPin("a PIN must be a string of 4 to 12 digits (0-9)")
    return pin


def check_pin_type(pin: object, what: str) -> str:
    """Return ``pin`` if it is a ``str``; refuse anything else with :class:`ValidationError`.

    ``None``, a number, ``bytes`` or a list is a programming mistake of the caller (a lost
    form field, a PIN parsed as a number): the owner never typed it, so it must not use up the
    owner's attempts. The message never repeats the value.
    """
    if not isinstance(pin, str):
        raise ValidationError(
            f"{what} must be a str of 4 to 12 digits (0-9), not {type(pin).__name__}; "
            "nothing was counted against the PIN"
        )
    return pin


def hash_pin(pin: str, params: KdfParams = DEFAULT_KDF) -> PinHash:
    """Hash a new PIN with a fresh random salt.

    Args:
        pin: 4 to 12 ASCII digits.
        params: scrypt parameters; the default is :data:`DEFAULT_KDF`.

    Raises:
        InvalidPin: the PIN is not 4 to 12 digits.
    """
    check_pin_format(pin)
    salt = secrets.token_bytes(params.salt_size)
    return PinHash(params, salt, params.derive(pin, salt))


def _positive_duration(
    instance: object, attribute: attrs.Attribute[_dt.timedelta], value: object
) -> None:
    if not isinstance(value, _dt.timedelta) or value <= _dt.timedelta(0):
        raise ValidationError(f"{attribute.name} must be a positive timedelta, not {shown(value)}")


@final
@attrs.frozen(slots=True)
class PinPolicy:
    """How many wrong PINs lock a wallet, for how long, and how long a verified session lasts.

    Args:
        max_failures: consecutive wrong PINs that lock the wallet, 1 to 100 (default 5; NIST
            SP 800-63B section 5.2.2 allows at most 100 consecutive failures).
        lockout: how long the wallet stays locked, a positive ``timedelta`` (default 15
            minutes).
        session_ttl: how long a session opened with the PIN stays valid, a positive
            ``timedelta`` (default 5 minutes).
    """

    max_failures: int = attrs.field(default=5, validator=_int_between(1, 100))
    lockout: _dt.timedelta = attrs.field(
        default=_dt.timedelta(minutes=15), validator=_positive_duration
    )
    session_ttl: _dt.timedelta = attrs.field(
        default=_dt.timedelta(minutes=5), validator=_positive_duration
    )


def _failures(instance: PinGuard, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(
            f"a PIN failure count must be an int of 0 or more, not {shown(value)}"
        )
    policy = instance.policy
    if isinstance(policy, PinPolicy) and value > policy.max_failures:
        raise ValidationError(
            f"a PIN failure count cannot exceed the policy's {policy.max_failures}, "
            f"not {shown(value)}"
        )


def _optional_utc(value: _dt.datetime | None) -> DateTime | None:
    return None if value is None else ensure_utc(value, what="locked_until")


@attrs.define(slots=True, repr=False, eq=False)
class PinGuard:
    """The mutable verification state of one wallet: the hash, the failure count, the lock.

    Every check counts: a wrong PIN adds a failure, a right one resets the count. The failure
    that reaches ``policy.max_failures`` locks until ``now + policy.lockout`` and raises
    :class:`WalletLocked` (not :class:`WrongPin`); while locked, no PIN is even checked. When the
    lock has run out, the count starts again from zero. A PIN that is not a ``str`` is refused
    with :class:`ValidationError` before anything is counted. (The wallet undoes a right PIN's
    reset when the operation it guarded is then refused, with :meth:`state` and
    :meth:`restore_state`; a wrong PIN's count always stays.)

    **An attempt is counted before the slow hash.** :meth:`verify` first records the attempt as
    a failure (and, if that failure reaches the limit, the lock), then derives the key; only a
    match undoes the record. So however many guesses arrive at once, at most
    ``policy.max_failures`` wrong PINs are ever hashed before the lock, none after it, and an
    attempt interrupted during the hash stays counted. The owner (:class:`EWallet`) calls it
    under its lock, so the attempts of one wallet are checked one at a time.

    So the states a run can reach are: fewer than ``policy.max_failures`` failures and no
    lock, or exactly ``policy.max_failures`` failures and a lock (in force, or run out and not
    yet cleared). Construction refuses every other combination; :meth:`restored` also refuses a
    lock that ends later than ``policy.lockout`` after the current time.

    Raises:
        ValidationError: on construction, a field of the wrong type, a failure count outside
            0 to ``policy.max_failures``, a naive ``locked_until``, a lock without
            ``policy.max_failures`` failures, or that many failures without a lock.
    """

    pin_hash: PinHash = attrs.field()
    policy: PinPolicy = attrs.field()
    failures: int = attrs.field(default=0, validator=_failures)
    locked_until: DateTime | None = attrs.field(default=None, converter=_optional_utc)

    @pin_hash.validator
    def _check_hash(self, attribute: attrs.Attribute[PinHash], value: object) -> None:
        if not isinstance(value, PinHash):
            raise ValidationError(f"a PIN guard needs a PinHash, not {type(value).__name__}")

    @policy.validator
    def _check_policy(self, attribute: attrs.Attribute[PinPolicy], value: object) -> None:
        if not isinstance(value, PinPolicy):
            raise ValidationError(f"a PIN guard needs a PinPolicy, not {type(value).__name__}")

    def __attrs_post_init__(self) -> None:
        limit = self.policy.max_failures
        if self.locked_until is not None and self.failures != limit:
            raise ValidationError(
                f"a PIN lock comes only with the policy's {limit} failures, not {self.failures}: "
                "only the failure that reaches the limit locks, and the lock's end resets the count"
            )
        if self.locked_until is None and self.failures == limit:
            raise ValidationError(
                f"{limit} PIN failures (the policy's limit) always come with a lock; "
                "give locked_until, or a lower count"
            )

    @classmethod
    def restored(
        cls,
        pin_hash: PinHash,
        policy: PinPolicy,
        failures: int,
        locked_until: _dt.datetime | None,
        now: DateTime,
    ) -> PinGuard:
        """A guard as storage keeps it, checked against the rules and the time ``now``.

        A lock starts at the failure that reaches the limit and lasts ``policy.lockout``; that
        failure happened no later than ``now`` (clocks do not run backwards), so a lock may end
        at ``now + policy.lockout`` at the latest. A lock that has run out is accepted: the
        count is cleared at the next check.

        Raises:
            ValidationError: the construction rules above are broken, or the lock ends later
                than ``now + policy.lockout``.
        """
        now = ensure_utc(now, what="the current time")
        guard = cls(pin_hash, policy, failures, locked_until)
        if guard.locked_until is not None and guard.locked_until > now + policy.lockout:
            raise ValidationError(
                f"a PIN lock ending {guard.locked_until.isoformat()} is longer than the policy's "
                f"lock-out of {policy.lockout} from now ({now.isoformat()}); "
                f"it can end at {(now + policy.lockout).isoformat()} at the latest"
            )
        return guard

    def current_lock(self, now: DateTime) -> DateTime | None:
        """The end of the lock in force at ``now``, or ``None``."""
        if self.locked_until is not None and now < self.locked_until:
            return self.locked_until
        return None

    def _expire(self, now: DateTime) -> None:
        if self.locked_until is not None and now >= self.locked_until:
            self.locked_until = None
            self.failures = 0

    def check_not_locked(self, now: DateTime) -> None:
        """Raise :class:`WalletLocked` if a lock is in force at ``now``."""
        self._expire(now)
        if self.locked_until is not None:
            raise WalletLocked(self.locked_until, self.failures)

    def state(self) -> tuple[PinHash, int, DateTime | None]:
        """The hash, the failure count and the lock's end: what :meth:`restore_state` takes."""
        return self.pin_hash, self.failures, self.locked_until

    def restore_state(self, state: tuple[PinHash, int, DateTime | None]) -> None:
        """Put back a state read with :meth:`state` (an operation refused after its PIN check)."""
        self.pin_hash, self.failures, self.locked_until = state

    def verify(self, pin: object, now: DateTime) -> None:
        """Check ``pin``; the attempt is counted as a failure before the hash is computed.

        A ``pin`` that is not a ``str`` is a mistake of the calling program, not a guess: it is
        refused before anything is counted.

        Raises:
            ValidationError: ``pin`` is not a ``str`` (nothing counted).
            WalletLocked: a lock is in force, or this failure started one.
            WrongPin: the PIN does not match (the failure was counted).
        """
        pin = check_pin_type(pin, "a PIN")
        self.check_not_locked(now)
        self.failures += 1
        locks = self.failures >= self.policy.max_failures
        if locks:
            self.locked_until = now + self.policy.lockout
        if self.pin_hash.matches(pin):
            self.failures = 0
            self.locked_until = None  # only this attempt could have set it (checked above)
            return
        if locks:
            raise WalletLocked(now + self.policy.lockout, self.failures)
        raise WrongPin(self.policy.max_failures - self.failures)
