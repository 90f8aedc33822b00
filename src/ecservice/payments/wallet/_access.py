"""Who may act on a wallet, and how: the owner's sessions, the ``auth`` argument, the lock."""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar, final

import attrs
from pendulum import DateTime

from ecservice.errors import ValidationError
from ecservice.payments.wallet._errors import InvalidSession, WalletLocked, WrongPin
from ecservice.payments.wallet._pin import check_pin_format, check_pin_type, hash_pin

if TYPE_CHECKING:
    from ecservice.payments.wallet._ewallet import EWallet

__all__ = [
    "Auth",
    "WalletSession",
    "authenticate",
    "change_pin",
    "check_auth",
    "close_session",
    "locked",
    "open_session",
    "verify_pin",
]

_log = logging.getLogger("ecservice.payments.wallet")


@final
@attrs.frozen(slots=True)
class WalletSession:
    """Proof that the owner entered the right PIN recently; pass it as ``auth`` instead of the PIN.

    Opened by :meth:`EWallet.open_session`; valid until ``expires_at`` (by the wallet's clock),
    until :meth:`EWallet.close_session`, a PIN change or a lock-out. The token is random and is
    neither shown by ``repr`` nor compared by anyone but the wallet that issued it.

    Args:
        wallet_id: the id of the wallet that opened it.
        expires_at: when it stops being accepted, in UTC (opening time plus the
            ``session_ttl`` of the wallet's :class:`PinPolicy`).
        token: the wallet's random secret for the session (16 bytes).
    """

    wallet_id: str
    expires_at: DateTime
    token: bytes = attrs.field(repr=False)


Auth = str | WalletSession

_P = ParamSpec("_P")
_R = TypeVar("_R")


def locked(
    method: Callable[Concatenate[EWallet, _P], _R],
) -> Callable[Concatenate[EWallet, _P], _R]:
    """Run a wallet method under the wallet's lock."""

    @functools.wraps(method)
    def run(self: EWallet, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with self._lock:
            return method(self, *args, **kwargs)

    return run


def check_auth(auth: object) -> Auth:
    """Return ``auth`` if it is a PIN (a ``str``) or a :class:`WalletSession`.

    Raises:
        ValidationError: anything else (``None``, a number, ``bytes``...): a mistake of the
            calling program, refused before any PIN attempt is counted.
    """
    if isinstance(auth, (str, WalletSession)):
        return auth
    raise ValidationError(
        "auth must be the owner's PIN (a str of 4 to 12 digits) or a WalletSession, "
        f"not {type(auth).__name__}; nothing was counted against the PIN"
    )


def authenticate(wallet: EWallet, auth: Auth) -> None:
    """Accept ``auth`` (the PIN or an open session of this wallet), or raise.

    A session is checked without changing anything; a PIN is checked by :func:`verify_pin`
    (a wrong one is counted).
    """
    auth = check_auth(auth)
    if isinstance(auth, WalletSession):
        now = wallet.clock.now()
        lock = wallet._guard.current_lock(now)
        if lock is not None:
            raise WalletLocked(lock, wallet._guard.failures)
        expires = wallet._sessions.get(auth.token)
        if auth.wallet_id != wallet.wallet_id or expires is None or now >= expires:
            raise InvalidSession(
                "the wallet session is unknown, closed or expired: open a new one with the PIN"
            )
        return
    verify_pin(wallet, auth)


def verify_pin(wallet: EWallet, pin: str) -> None:
    """What :meth:`EWallet.verify_pin` does, under the wallet's lock."""
    check_pin_type(pin, "a PIN")
    now = wallet.clock.now()
    was_locked = wallet._guard.current_lock(now) is not None
    try:
        wallet._guard.verify(pin, now)
    except WrongPin:
        _log.info("wallet %s: wrong PIN", wallet.wallet_id)
        raise
    except WalletLocked as lockout:
        if not was_locked:
            wallet._sessions.clear()
            _log.warning(
                "wallet %s locked after %d wrong PINs until %s",
                wallet.wallet_id,
                lockout.failures,
                lockout.locked_until.isoformat(),
            )
        raise


def change_pin(wallet: EWallet, old_pin: str, new_pin: str) -> None:
    """What :meth:`EWallet.change_pin` does, under the wallet's lock."""
    check_pin_type(old_pin, "the old PIN")
    check_pin_format(new_pin)
    verify_pin(wallet, old_pin)
    wallet._guard.pin_hash = hash_pin(new_pin, wallet.kdf)
    wallet._sessions.clear()
    _log.info("wallet %s: PIN changed", wallet.wallet_id)


def open_session(wallet: EWallet, pin: str) -> WalletSession:
    """What :meth:`EWallet.open_session` does, under the wallet's lock."""
    verify_pin(wallet, pin)
    now = wallet.clock.now()
    for stale in [t for t, until in wallet._sessions.items() if now >= until]:
        del wallet._sessions[stale]
    expires = now + wallet.policy.session_ttl
    token = secrets.token_bytes(16)
    wallet._sessions[token] = expires
    return WalletSession(wallet.wallet_id, expires, token)


def close_session(wallet: EWallet, session: WalletSession) -> None:
    """What :meth:`EWallet.close_session` does, under the wallet's lock."""
    if not isinstance(session, WalletSession):
        raise ValidationError(f"expected a WalletSession, not {type(session).__name__}")
    wallet._sessions.pop(session.token, None)
