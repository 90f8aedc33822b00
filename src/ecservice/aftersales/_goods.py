"""What the shop says about the goods of a line, for the rules of returns: classes and state.

The 7-day no-reason return (七天无理由退货) depends on the nature of the goods and on their state
when the buyer asks. The shop describes each SKU of a request with an :class:`ItemTraits`: the
:class:`GoodsClass` members that apply to it, whether the buyer confirmed at purchase that it
cannot be returned without a reason, whether its seal is broken, whether it is intact, and its
warranty period.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import attrs

from ecservice._shown import shown
from ecservice.aftersales._checks import check_days, flag
from ecservice.errors import ValidationError
from ecservice.workflow import LabelledState

__all__ = [
    "CONFIRMABLE_EXCLUSIONS",
    "MAX_WARRANTY_DAYS",
    "OUTRIGHT_EXCLUSIONS",
    "EvidenceKind",
    "GoodsClass",
    "ItemTraits",
]

#: Longest warranty period accepted, in days (ten years).
MAX_WARRANTY_DAYS: Final = 3653


class GoodsClass(LabelledState):
    """Classes of goods that the rules of the 7-day no-reason return treat apart.

    The first five are excluded outright by the Consumer Rights Protection Law (消费者权益保护法)
    art. 25 para. 1; the last three only when the buyer confirmed it at purchase (art. 25
    para. 2, and art. 7 of the Interim Measures for 7-day No-reason Returns of Goods Bought
    Online, 网络购买商品七日无理由退货暂行办法, 2017).
    """

    #: Made to the buyer's order (消费者定作的), CPL art. 25 para. 1 (1).
    MADE_TO_ORDER = ("made_to_order", "Made to order", "消费者定作")
    #: Fresh, live or perishable (鲜活易腐的), CPL art. 25 para. 1 (2).
    PERISHABLE = ("perishable", "Fresh or perishable", "鲜活易腐")
    #: Digital goods downloaded online (在线下载的数字化商品), CPL art. 25 para. 1 (3).
    DIGITAL_DOWNLOAD = ("digital_download", "Downloaded digital goods", "在线下载的数字化商品")
    #: Audio-video products and software on a medium, excluded once the buyer unsealed them
    #: (消费者拆封的音像制品、计算机软件), CPL art. 25 para. 1 (3).
    AUDIO_VIDEO_SOFTWARE = ("audio_video_software", "Audio-video or software", "音像制品、软件")
    #: Newspapers and periodicals once delivered (交付的报纸、期刊), CPL art. 25 para. 1 (4).
    NEWSPAPER_PERIODICAL = ("newspaper_periodical", "Newspapers and periodicals", "报纸、期刊")
    #: Goods whose unsealing affects safety or health, or changes their quality (拆封后易影响
    #: 人身安全或者生命健康的商品), Interim Measures art. 7 (1); their necessary one-time seal,
    #: once broken, also makes them not intact (art. 9 (1)).
    SAFETY_HEALTH_WHEN_UNSEALED = (
        "safety_health_when_unsealed",
        "Safety or health affected once unsealed",
        "拆封后影响人身安全或健康",
    )
    #: Goods whose value drops sharply once activated or tried (一经激活或者试用后价值贬损较大
    #: 的商品), Interim Measures art. 7 (2).
    VALUE_DROPS_ON_ACTIVATION = (
        "value_drops_on_activation",
        "Value drops on activation or trial",
        "激活或试用后价值贬损较大",
    )
    #: Goods sold as near their expiry date or as flawed, said so at the sale (销售时已明示的
    #: 临期商品、有瑕疵的商品), Interim Measures art. 7 (3).
    NEAR_EXPIRY_OR_FLAWED = (
        "near_expiry_or_flawed",
        "Sold as near-expiry or flawed",
        "明示的临期或瑕疵商品",
    )


#: Classes never returned without a reason (CPL art. 25 para. 1). Audio-video products and
#: software are excluded only once unsealed.
OUTRIGHT_EXCLUSIONS: Final = frozenset(
    {
        GoodsClass.MADE_TO_ORDER,
        GoodsClass.PERISHABLE,
        GoodsClass.DIGITAL_DOWNLOAD,
        GoodsClass.AUDIO_VIDEO_SOFTWARE,
        GoodsClass.NEWSPAPER_PERIODICAL,
    }
)

#: Classes excluded only when the buyer confirmed it at purchase (CPL art. 25 para. 2; Interim
#: Measures art. 7). Without the confirmation the shop may not refuse (Regulations for the
#: Implementation of the CPL, 2024, art. 19: exclusion may not be a default option).
CONFIRMABLE_EXCLUSIONS: Final = frozenset(
    {
        GoodsClass.SAFETY_HEALTH_WHEN_UNSEALED,
        GoodsClass.VALUE_DROPS_ON_ACTIVATION,
        GoodsClass.NEAR_EXPIRY_OR_FLAWED,
    }
)


class EvidenceKind(LabelledState):
    """A kind of evidence attached to an after-sales request (凭证)."""

    #: Photos of the goods, the label or the parcel.
    PHOTO = ("photo", "Photo", "照片")
    #: A video, e.g. of unpacking.
    VIDEO = ("video", "Video", "视频")
    #: A repair record or a test report from a repairer (维修记录、检测报告).
    REPAIR_RECORD = ("repair_record", "Repair record", "维修记录")
    #: The carrier's proof (a signed-for record, a loss statement).
    CARRIER_PROOF = ("carrier_proof", "Carrier's proof", "物流凭证")
    #: A record of the conversation with the shop (聊天记录).
    CHAT_RECORD = ("chat_record", "Chat record", "聊天记录")


def _classes(value: Iterable[GoodsClass]) -> frozenset[GoodsClass]:
    given: object = value
    if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise ValidationError(
            f"classes must be an iterable of GoodsClass members, not {shown(value)}"
        )
    items = frozenset(value)
    for item in items:
        if not isinstance(item, GoodsClass):
            raise ValidationError(
                f"classes must hold GoodsClass members, not {shown(item)}; allowed: "
                + ", ".join(m.value for m in GoodsClass)
            )
    return items


def _warranty(value: int | None) -> int | None:
    if value is None:
        return None
    return check_days(value, "warranty_days", MAX_WARRANTY_DAYS)


@attrs.frozen(kw_only=True)
class ItemTraits:
    """What the shop says about one SKU of a request: its classes and the state of the goods.

    Opening the package to inspect the goods, or trying them reasonably to check their quality
    and function, does not make them not intact (Interim Measures for 7-day No-reason Returns
    art. 8; Regulations for the Implementation of the CPL, 2024, art. 19), so ``seal_broken``
    alone refuses a no-reason return only for audio-video products and software (CPL art. 25
    para. 1 (3)) and for goods whose necessary one-time seal protects safety or health
    (Interim Measures art. 9 (1)). The default describes ordinary goods, sealed and intact.

    Args:
        classes: the :class:`GoodsClass` members that apply (a set); empty by default: ordinary
            goods, which the buyer may return without a reason (CPL art. 25 para. 1).
        confirmed_at_purchase: whether the buyer confirmed at purchase that the goods are not
            returned without a reason (needed for the classes of
            :data:`CONFIRMABLE_EXCLUSIONS`; CPL art. 25 para. 2). ``False`` by default.
        seal_broken: whether the goods' seal or packaging has been opened; ``False`` by
            default. Opening to inspect does not void the right (Interim Measures art. 8).
        intact: whether the goods keep their quality and function, with their accessories and
            labels (CPL art. 25 para. 3; Interim Measures art. 8). ``True`` by default.
        warranty_days: the warranty period (三包有效期) in days, from 1 to
            :data:`MAX_WARRANTY_DAYS`, or ``None`` for the policy's default.

    Raises:
        ValidationError: a class that is not a :class:`GoodsClass`, a flag that is not a bool,
            a warranty that is not a whole number of days in range.
    """

    classes: frozenset[GoodsClass] = attrs.field(default=frozenset(), converter=_classes)
    confirmed_at_purchase: bool = attrs.field(
        default=False, validator=flag("confirmed_at_purchase")
    )
    seal_broken: bool = attrs.field(default=False, validator=flag("seal_broken"))
    intact: bool = attrs.field(default=True, validator=flag("intact"))
    warranty_days: int | None = attrs.field(default=None, converter=_warranty)

    @property
    def outright_exclusions(self) -> frozenset[GoodsClass]:
        """The classes that exclude a no-reason return whatever the buyer confirmed.

        Audio-video products and software count only once unsealed (CPL art. 25 para. 1 (3)).
        """
        found = self.classes & OUTRIGHT_EXCLUSIONS
        if not self.seal_broken:
            found -= {GoodsClass.AUDIO_VIDEO_SOFTWARE}
        return found

    @property
    def confirmed_exclusions(self) -> frozenset[GoodsClass]:
        """The classes that exclude a no-reason return because the buyer confirmed at purchase."""
        if not self.confirmed_at_purchase:
            return frozenset()
        return self.classes & CONFIRMABLE_EXCLUSIONS

    @property
    def unconfirmed_exclusions(self) -> frozenset[GoodsClass]:
        """The confirmable classes the buyer did not confirm (they do not refuse the return)."""
        if self.confirmed_at_purchase:
            return frozenset()
        return self.classes & CONFIRMABLE_EXCLUSIONS

    @property
    def seal_spoils(self) -> bool:
        """Whether the broken seal makes the goods not intact (Interim Measures art. 9 (1))."""
        return self.seal_broken and GoodsClass.SAFETY_HEALTH_WHEN_UNSEALED in self.classes


#: Ordinary goods: no class, sealed, intact, the policy's warranty.
ORDINARY: Final = ItemTraits()
