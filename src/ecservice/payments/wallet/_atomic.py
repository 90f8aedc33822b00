"""All-or-nothing wallet calls: what a call that raises keeps, and how calls count in ``version``.

Every :class:`~ecservice.payments.wallet.EWallet` method that may change what storage keeps is
wrapped by :func:`changes`. The rule it applies is the wallet's lock-out rule (documented on
:class:`~ecservice.payments.wallet.EWallet` and :class:`~ecservice.payments.wallet.PinPolicy`): a
counted wrong PIN stays even when the call fails, everything else a failed call did is undone.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from ecservice.payments.wallet._errors import WalletLocked, WrongPin

if TYPE_CHECKING:
    from ecservice.payments.wallet._ewallet import EWallet

__all__ = ["changes"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def changes(
    method: Callable[Concatenate[EWallet, _P], _R],
) -> Callable[Concatenate[EWallet, _P], _R]:
    """Make a method that may change the wallet all-or-nothing, and count it in ``version``.

    A call that returns counts one. A call that raises leaves the wallet as it was and counts
    nothing, except for a PIN attempt it recorded: a wrong PIN's failure and lock (and the
    sessions a lock-out closed), or an attempt interrupted during the hash, stay and count one
    (the wallet's lock-out rule). A right PIN followed by a refusal (too little value, an
    expired card...) is undone with the rest: the failure count is put back as it was.
    """

    @functools.wraps(method)
    def run(self: EWallet, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        before = self._guard.state()
        try:
            result = method(self, *args, **kwargs)
        except BaseException as exc:
            after = self._guard.state()
            if after != before:
                _, failures, lock = after
                passed = failures == 0 and lock is None
                if passed and not isinstance(exc, (WrongPin, WalletLocked)):
                    self._guard.restore_state(before)  # a right PIN, then a refusal
                else:
                    self._version += 1  # a PIN attempt was counted: it is kept
            raise
        self._version += 1
        return result

    return run
