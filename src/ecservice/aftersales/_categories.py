"""What went wrong, who is liable, and the remedies an after-sales case can give.

The problem categories follow the grouping of Chinese online shops' service practice: problems
with the product, with the service, with the logistics, and causes on the buyer's side. Each
member carries an English and a Simplified Chinese label (``label_en``, ``label_zh``).
"""

from __future__ import annotations

from ecservice.workflow import LabelledState

__all__ = ["Liability", "ProblemCategory", "ProblemKind", "RemedyKind"]


class ProblemCategory(LabelledState):
    """The four groups of after-sales problems."""

    PRODUCT = ("product", "Product problem", "商品问题")
    SERVICE = ("service", "Service problem", "服务问题")
    LOGISTICS = ("logistics", "Logistics problem", "物流问题")
    BUYER = ("buyer", "Buyer's cause", "买家原因")


class ProblemKind(LabelledState):
    """The problem itself (a subcategory); :attr:`category` says which group it belongs to."""

    # Product (商品问题)
    QUALITY = ("quality", "Quality problem", "质量问题")
    COLOUR_DIFFERENCE = ("colour_difference", "Colour difference", "色差")
    SIZE = ("size", "Size problem", "尺码问题")
    DEFECT = ("defect", "Defect", "瑕疵")
    WRONG_ITEM = ("wrong_item", "Wrong item sent", "发错货")
    MISSING_OR_EXTRA = ("missing_or_extra", "Missing or extra items", "少件或多件")
    NOT_AS_PICTURED = ("not_as_pictured", "Not as pictured", "与图片不符")
    OUT_OF_STOCK = ("out_of_stock", "Out of stock", "缺货")
    # Service (服务问题)
    PRESALE_ATTITUDE = ("presale_attitude", "Pre-sale attitude", "售前态度")
    MISLEADING_SALES = ("misleading_sales", "Misleading sales", "误导销售")
    AFTERSALES_ATTITUDE = ("aftersales_attitude", "After-sales attitude", "售后态度")
    AFTERSALES_EFFICIENCY = ("aftersales_efficiency", "After-sales efficiency", "售后效率")
    # Logistics (物流问题)
    WRONG_CARRIER = ("wrong_carrier", "Wrong carrier", "快递选择错误")
    LATE_DELIVERY = ("late_delivery", "Late delivery", "发货或配送延迟")
    COURIER_ATTITUDE = ("courier_attitude", "Courier attitude", "快递员态度")
    LOST_PARCEL = ("lost_parcel", "Lost parcel", "包裹丢失")
    # Buyer's cause (买家原因)
    ADDRESS_CHANGED = ("address_changed", "Address changed after ordering", "下单后修改地址")
    REFUND_BEFORE_SHIPMENT = ("refund_before_shipment", "Refund before shipment", "发货前退款")
    REFUND_AFTER_SHIPMENT = ("refund_after_shipment", "Refund after shipment", "发货后退款")
    WRONG_ADDRESS = ("wrong_address", "Wrong address given", "地址填写错误")
    BUYER_AWAY = ("buyer_away", "Buyer away, cannot receive", "买家不在无法收货")
    NO_REASON_RETURN = ("no_reason_return", "7-day no-reason return", "七天无理由退货")
    BEYOND_SEVEN_DAYS = ("beyond_seven_days", "Return beyond 7 days", "超过七天退货")

    @property
    def category(self) -> ProblemCategory:
        """The group the problem belongs to."""
        return _CATEGORY_OF[self]


_CATEGORY_OF: dict[ProblemKind, ProblemCategory] = {
    **dict.fromkeys(
        (
            ProblemKind.QUALITY,
            ProblemKind.COLOUR_DIFFERENCE,
            ProblemKind.SIZE,
            ProblemKind.DEFECT,
            ProblemKind.WRONG_ITEM,
            ProblemKind.MISSING_OR_EXTRA,
            ProblemKind.NOT_AS_PICTURED,
            ProblemKind.OUT_OF_STOCK,
        ),
        ProblemCategory.PRODUCT,
    ),
    **dict.fromkeys(
        (
            ProblemKind.PRESALE_ATTITUDE,
            ProblemKind.MISLEADING_SALES,
            ProblemKind.AFTERSALES_ATTITUDE,
            ProblemKind.AFTERSALES_EFFICIENCY,
        ),
        ProblemCategory.SERVICE,
    ),
    **dict.fromkeys(
        (
            ProblemKind.WRONG_CARRIER,
            ProblemKind.LATE_DELIVERY,
            ProblemKind.COURIER_ATTITUDE,
            ProblemKind.LOST_PARCEL,
        ),
        ProblemCategory.LOGISTICS,
    ),
    **dict.fromkeys(
        (
            ProblemKind.ADDRESS_CHANGED,
            ProblemKind.REFUND_BEFORE_SHIPMENT,
            ProblemKind.REFUND_AFTER_SHIPMENT,
            ProblemKind.WRONG_ADDRESS,
            ProblemKind.BUYER_AWAY,
            ProblemKind.NO_REASON_RETURN,
            ProblemKind.BEYOND_SEVEN_DAYS,
        ),
        ProblemCategory.BUYER,
    ),
}
assert set(_CATEGORY_OF) == set(ProblemKind)


class Liability(LabelledState):
    """Who is liable for a problem, and so pays the freight and the remedy."""

    SELLER = ("seller", "Seller", "卖家")
    BUYER = ("buyer", "Buyer", "买家")
    CARRIER = ("carrier", "Carrier", "承运方")
    PLATFORM = ("platform", "Platform", "平台")


class RemedyKind(LabelledState):
    """What an after-sales case asks for (售后类型)."""

    RETURN_AND_REFUND = ("return_and_refund", "Return and refund", "退货退款")
    EXCHANGE = ("exchange", "Exchange", "换货")
    REFUND_ONLY = ("refund_only", "Refund only", "仅退款")
    REPAIR = ("repair", "Repair under warranty", "维修")
    RESHIP = ("reship", "Reship", "补发")
    COMPENSATION = ("compensation", "Compensation", "补偿")
