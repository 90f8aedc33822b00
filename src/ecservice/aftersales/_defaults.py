"""The default after-sales rules per problem: remedies allowed, liability, evidence required.

Each default is the practice of Chinese online shops' customer service, read with the law it
follows: the seller is liable for problems with the goods it sold and with its service
(Consumer Rights Protection Law, 消费者权益保护法, art. 24 and art. 23), and toward the buyer
for the transport it arranged (E-Commerce Law, 电子商务法, art. 20); the buyer for causes on
the buyer's side, including the 7-day no-reason return (CPL art. 25). A buyer who claims a
problem with the goods proves it (Taobao's dispute rules, 淘宝网争议处理规范: the party
asserting a quality or description problem provides the evidence), which is why photos are
required for problems that a photo can show.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from ecservice.aftersales._categories import Liability, ProblemCategory, ProblemKind, RemedyKind
from ecservice.aftersales._goods import EvidenceKind

__all__ = ["DEFAULT_EVIDENCE", "DEFAULT_LIABILITY", "DEFAULT_REMEDIES", "QUALITY_PROBLEMS"]

_R = RemedyKind
_P = ProblemKind

#: Which remedies each problem allows by default.
#:
#: Quality problems and defects follow the 三包 rules (部分商品修理更换退货责任规定 art. 9-11:
#: return, exchange or repair) and CPL art. 24, plus a keep-the-item partial refund. The 7-day
#: no-reason return is a return and refund (CPL art. 25: "退货"). A lost parcel is answered by a
#: reship or a refund (E-Commerce Law art. 20: the seller bears the transport's risk). Complaints
#: about service or a courier's attitude are answered by an apology and compensation.
DEFAULT_REMEDIES: Final[Mapping[ProblemKind, frozenset[RemedyKind]]] = MappingProxyType(
    {
        _P.QUALITY: frozenset({_R.RETURN_AND_REFUND, _R.EXCHANGE, _R.REPAIR, _R.COMPENSATION}),
        _P.DEFECT: frozenset({_R.RETURN_AND_REFUND, _R.EXCHANGE, _R.REPAIR, _R.COMPENSATION}),
        _P.COLOUR_DIFFERENCE: frozenset({_R.RETURN_AND_REFUND, _R.EXCHANGE, _R.COMPENSATION}),
        _P.SIZE: frozenset({_R.RETURN_AND_REFUND, _R.EXCHANGE}),
        _P.WRONG_ITEM: frozenset({_R.RETURN_AND_REFUND, _R.EXCHANGE, _R.COMPENSATION}),
        _P.MISSING_OR_EXTRA: frozenset({_R.RESHIP, _R.REFUND_ONLY}),
        _P.NOT_AS_PICTURED: frozenset({_R.RETURN_AND_REFUND, _R.EXCHANGE, _R.COMPENSATION}),
        _P.OUT_OF_STOCK: frozenset({_R.REFUND_ONLY, _R.COMPENSATION}),
        _P.PRESALE_ATTITUDE: frozenset({_R.COMPENSATION}),
        _P.MISLEADING_SALES: frozenset({_R.RETURN_AND_REFUND, _R.COMPENSATION}),
        _P.AFTERSALES_ATTITUDE: frozenset({_R.COMPENSATION}),
        _P.AFTERSALES_EFFICIENCY: frozenset({_R.COMPENSATION}),
        _P.WRONG_CARRIER: frozenset({_R.COMPENSATION}),
        _P.LATE_DELIVERY: frozenset({_R.REFUND_ONLY, _R.COMPENSATION}),
        _P.COURIER_ATTITUDE: frozenset({_R.COMPENSATION}),
        _P.LOST_PARCEL: frozenset({_R.RESHIP, _R.REFUND_ONLY, _R.COMPENSATION}),
        _P.ADDRESS_CHANGED: frozenset({_R.REFUND_ONLY, _R.RESHIP}),
        _P.REFUND_BEFORE_SHIPMENT: frozenset({_R.REFUND_ONLY}),
        _P.REFUND_AFTER_SHIPMENT: frozenset({_R.REFUND_ONLY, _R.RETURN_AND_REFUND}),
        _P.WRONG_ADDRESS: frozenset({_R.RESHIP, _R.REFUND_ONLY}),
        _P.BUYER_AWAY: frozenset({_R.RESHIP, _R.REFUND_ONLY}),
        _P.NO_REASON_RETURN: frozenset({_R.RETURN_AND_REFUND}),
        _P.BEYOND_SEVEN_DAYS: frozenset({_R.RETURN_AND_REFUND, _R.EXCHANGE}),
    }
)
assert set(DEFAULT_REMEDIES) == set(ProblemKind)

#: Who is liable for each problem by default: the seller for the goods and its service (CPL
#: art. 23-24) and, toward the buyer, for logistics (E-Commerce Law art. 20; a lost parcel is the
#: carrier's fault, which the seller recovers from the carrier); the buyer for the buyer's
#: causes (CPL art. 25 para. 3 for the no-reason return).
DEFAULT_LIABILITY: Final[Mapping[ProblemKind, Liability]] = MappingProxyType(
    {
        kind: (
            Liability.BUYER
            if kind.category is ProblemCategory.BUYER
            else Liability.CARRIER
            if kind in (_P.LOST_PARCEL, _P.COURIER_ATTITUDE)
            else Liability.SELLER
        )
        for kind in ProblemKind
    }
)

#: The problems that the 三包 windows (7 days return, 15 days exchange, warranty repair) apply
#: to: failures of the goods' quality and function (部分商品修理更换退货责任规定 art. 9-11, "性能
#: 故障"; CPL art. 24).
QUALITY_PROBLEMS: Final = frozenset({_P.QUALITY, _P.DEFECT})

_PHOTO: Final = frozenset({EvidenceKind.PHOTO})

#: The evidence each problem needs by default: a photo for the problems a photo shows (quality,
#: defect, colour difference, not as pictured, wrong item), as Taobao's dispute rules ask the
#: buyer asserting them to prove them; nothing for the others.
DEFAULT_EVIDENCE: Final[Mapping[ProblemKind, frozenset[EvidenceKind]]] = MappingProxyType(
    {
        kind: (
            _PHOTO
            if kind
            in (
                _P.QUALITY,
                _P.DEFECT,
                _P.COLOUR_DIFFERENCE,
                _P.NOT_AS_PICTURED,
                _P.WRONG_ITEM,
            )
            else frozenset()
        )
        for kind in ProblemKind
    }
)
