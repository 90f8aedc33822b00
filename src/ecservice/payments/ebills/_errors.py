"""Errors specific to electronic commercial drafts (电子商业汇票).

Each one derives from the closest class of :mod:`ecservice.errors`, so callers that catch the
general family (``ValidationError``, ``InvalidSignature``, ``PolicyViolation``) keep working. A
refused act changes nothing: the draft is left exactly as it was.
"""

from __future__ import annotations

from ecservice.errors import InvalidAmount, InvalidSignature, PolicyViolation, ValidationError

__all__ = [
    "ActChainBroken",
    "DeadlinePassed",
    "ForgedAct",
    "MalformedAct",
    "NonStandardAmount",
    "NotTransferable",
    "RecourseAmountExceeded",
    "RecourseNotAllowed",
    "TenorTooLong",
    "WrongSigner",
]


class MalformedAct(ValidationError):
    """An act lacks a field its kind needs, carries one its kind forbids, or has a bad value."""


class ForgedAct(InvalidSignature):
    """An act's Ed25519 signature does not verify: a field was altered after signing, or the
    signature was made with another key than the one the act names."""


class WrongSigner(InvalidSignature):
    """An act is validly signed, but by a party not entitled to make it (an endorsement not
    signed by the holder, a payment not signed by the acceptor...)."""


class ActChainBroken(InvalidSignature):
    """An act does not continue the draft's chain: it names another draft, its ``previous``
    digest is not the digest of the draft's last act (an act made for another state, replayed,
    or out of order), or its instant is before the last act's."""


class NonStandardAmount(InvalidAmount):
    """An amount is not a whole multiple of the standard sub-ticket amount (标准金额), is not in
    the allowed currency, or needs more sub-tickets than a draft package can number."""


class TenorTooLong(PolicyViolation):
    """The maturity date is not after the issue date, or more than the maximum tenor after it."""


class DeadlinePassed(PolicyViolation):
    """An act comes outside the period the rules allow for it (acceptance after the acceptor's
    answer time, presentment before maturity or after the presentment period, recourse after the
    recourse period), or a timer is fired before it is due."""


class NotTransferable(PolicyViolation):
    """The holder may not endorse: the drawer or the endorser who transferred the draft to the
    holder marked it 不得转让 (not transferable)."""


class RecourseNotAllowed(PolicyViolation):
    """Recourse against a party that is not an earlier party of the claimant (a later party,
    the claimant itself, or after an overdue presentment anyone but the drawer, the acceptor
    and their guarantors), or a claim against a party already claimed against."""


class RecourseAmountExceeded(PolicyViolation):
    """A recourse claim asks for another principal than the one owed, or more interest or
    expenses than the rules allow; or a settlement pays another amount than the one claimed."""
