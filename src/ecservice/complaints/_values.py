"""The value objects of a complaint: priorities, channels, judgements, causes, solutions and
follow-up visits, and the limits they obey."""

from __future__ import annotations

import datetime as _dt
import itertools
from collections.abc import Iterable, Mapping
from typing import Any, Final, final

import attrs

from ecservice._shown import shown
from ecservice.aftersales import CaseLine, RemedyKind
from ecservice.errors import InvalidQuantity, ValidationError
from ecservice.text import LONG_TEXT_MAX, check_text
from ecservice.workflow import LabelledState

__all__ = [
    "DEFAULT_REOPEN_WINDOW",
    "ESCALATION_LEVELS",
    "MAX_ESCALATION_LEVEL",
    "MAX_REOPEN_WINDOW",
    "MAX_SATISFACTION",
    "MIN_SATISFACTION",
    "ComplaintCause",
    "ComplaintChannel",
    "ComplaintPriority",
    "ComplaintSolution",
    "ComplaintValidity",
    "FollowUpVisit",
    "RootCause",
    "ThirdParty",
    "complaint_lines",
]

#: How long a closed complaint may be reopened, counted from its closing. A shop setting: no
#: platform rule fixes it; the default matches the reopening window of after-sales cases
#: (:attr:`~ecservice.aftersales.CaseTimeouts.reopen_window`, Taobao's refund rules).
DEFAULT_REOPEN_WINDOW: Final = _dt.timedelta(days=15)
#: The longest reopening window a complaint accepts.
MAX_REOPEN_WINDOW: Final = _dt.timedelta(days=366)
#: The lowest and highest satisfaction scores of a follow-up visit (a 5-point scale, as
#: marketplaces' service ratings use).
MIN_SATISFACTION: Final = 1
MAX_SATISFACTION: Final = 5
#: The escalation levels, ``(English, 中文)`` by level: 0 is the first line of customer service.
ESCALATION_LEVELS: Final = (
    ("First line", "一线客服"),
    ("Supervisor", "主管"),
    ("Manager", "经理"),
    ("Head of customer service", "客服总监"),
)
#: The highest escalation level.
MAX_ESCALATION_LEVEL: Final = len(ESCALATION_LEVELS) - 1


class ComplaintPriority(LabelledState):
    """How urgent a complaint is (优先级)."""

    LOW = ("low", "Low", "低")
    NORMAL = ("normal", "Normal", "普通")
    HIGH = ("high", "High", "高")
    URGENT = ("urgent", "Urgent", "紧急")


class ComplaintChannel(LabelledState):
    """Where the complaint came from (投诉渠道)."""

    CHAT = ("chat", "Online chat", "在线客服")
    PHONE = ("phone", "Phone", "电话")
    EMAIL = ("email", "Email", "邮件")
    PLATFORM = ("platform", "Marketplace complaint", "平台投诉")
    REGULATOR = ("regulator", "Regulator (12315)", "12315")
    SOCIAL_MEDIA = ("social_media", "Social media", "社交媒体")


class ComplaintValidity(LabelledState):
    """The judgement of a complaint (判断投诉): founded or not."""

    VALID = ("valid", "Valid", "有效投诉")
    INVALID = ("invalid", "Invalid", "无效投诉")


class RootCause(LabelledState):
    """Where the cause of a complaint lies (分析投诉: 根本原因)."""

    PRODUCT = ("product", "The product itself", "商品本身")
    LISTING = ("listing", "The listing or description", "商品描述")
    STAFF = ("staff", "Customer-service staff", "客服人员")
    WAREHOUSE = ("warehouse", "Warehouse or packing", "仓储包装")
    CARRIER = ("carrier", "Carrier", "物流承运")
    SUPPLIER = ("supplier", "Supplier or manufacturer", "供应商")
    SYSTEM = ("system", "Systems or platform", "系统或平台")
    CUSTOMER = ("customer", "Customer's misunderstanding", "客户误解")


class ThirdParty(LabelledState):
    """Whom a complaint waits for (等待第三方)."""

    CARRIER = ("carrier", "Carrier", "快递公司")
    INSPECTION = ("inspection", "Inspection", "检验")
    TESTING = ("testing", "Testing", "检测")
    APPRAISAL = ("appraisal", "Appraisal", "鉴定")
    MANUFACTURER = ("manufacturer", "Manufacturer", "厂家")
    PLATFORM = ("platform", "Marketplace", "平台")


#: The third parties whose wait is an inspection, testing or appraisal (检验、检测、鉴定).
INSPECTIONS: Final = frozenset({ThirdParty.INSPECTION, ThirdParty.TESTING, ThirdParty.APPRAISAL})


def _long(what: str) -> Any:
    def validate(_: object, __: object, value: object) -> None:
        if check_text(value, what, limit=LONG_TEXT_MAX, multiline=True) != value:
            raise ValidationError(f"{what} must not start or end with white space")

    return validate


def _short(what: str) -> Any:
    def validate(_: object, __: object, value: object) -> None:
        if check_text(value, what) != value:
            raise ValidationError(f"{what} must not start or end with white space, got {value!r}")

    return validate


def _optional_enum(what: str, kind: type) -> Any:
    def validate(_: object, __: object, value: object) -> None:
        if value is not None and not isinstance(value, kind):
            raise ValidationError(f"{what} must be a {kind.__name__} or None, not {shown(value)}")

    return validate


@final
@attrs.frozen(slots=True, kw_only=True)
class ComplaintCause:
    """The cause found by analysing a complaint (分析投诉).

    Args:
        text: what caused it (long text, :data:`~ecservice.text.LONG_TEXT_MAX` characters at
            most, without surrounding white space).
        root_cause: where the cause lies, when known.

    Raises:
        ValidationError: blank or unacceptable text, or a ``root_cause`` that is not a
            :class:`RootCause`.
    """

    text: str = attrs.field(validator=_long("a complaint's cause"))
    root_cause: RootCause | None = attrs.field(
        default=None, validator=_optional_enum("a cause's root_cause", RootCause)
    )


@final
@attrs.frozen(slots=True, kw_only=True)
class ComplaintSolution:
    """The solution told to the customer (反馈投诉), and the after-sales case that carries it
    out, if one does.

    Args:
        text: the solution as told (long text).
        case_id: the id of the after-sales case that resolves the complaint (short text), or
            ``None`` when no case is needed (an apology, an explanation, a coupon).
        remedy: the case's remedy; given exactly when ``case_id`` is.

    Raises:
        ValidationError: unacceptable text, or ``case_id`` and ``remedy`` not given together.
    """

    text: str = attrs.field(validator=_long("a complaint's solution"))
    case_id: str | None = attrs.field(default=None)
    remedy: RemedyKind | None = attrs.field(
        default=None, validator=_optional_enum("a solution's remedy", RemedyKind)
    )

    @case_id.validator
    def _check_case(self, _: object, value: object) -> None:
        if value is not None:
            _short("a solution's case_id")(None, None, value)

    def __attrs_post_init__(self) -> None:
        if (self.case_id is None) is not (self.remedy is None):
            raise ValidationError(
                "a solution names an after-sales case and its remedy together, or neither "
                f"(got case_id={shown(self.case_id)}, remedy={shown(self.remedy)})"
            )


@final
@attrs.frozen(slots=True, kw_only=True)
class FollowUpVisit:
    """The follow-up visit (投诉回访): the customer's satisfaction, or that they could not be
    reached.

    Args:
        reached: whether the customer answered.
        satisfaction: from :data:`MIN_SATISFACTION` to :data:`MAX_SATISFACTION` (5 is very
            satisfied) when reached; ``None`` when not.
        comment: what the customer said, or how they were tried (long text, may be empty).

    Raises:
        ValidationError: ``reached`` not a bool, a score outside 1-5 or not an ``int``, a score
            for an unreached customer or none for a reached one, or an unacceptable comment.
    """

    reached: bool = attrs.field()
    satisfaction: int | None = attrs.field(default=None)
    comment: str = attrs.field(default="")

    @reached.validator
    def _check_reached(self, _: object, value: object) -> None:
        if type(value) is not bool:
            raise ValidationError(f"reached must be True or False, not {shown(value)}")

    @satisfaction.validator
    def _check_score(self, _: object, value: object) -> None:
        if value is None:
            return
        if type(value) is not int or not MIN_SATISFACTION <= value <= MAX_SATISFACTION:
            raise ValidationError(
                f"satisfaction must be a whole number from {MIN_SATISFACTION} to "
                f"{MAX_SATISFACTION}, not {shown(value)}"
            )

    @comment.validator
    def _check_comment(self, _: object, value: object) -> None:
        if type(value) is str and value == "":
            return
        _long("a follow-up comment")(None, None, value)

    def __attrs_post_init__(self) -> None:
        if self.reached is (self.satisfaction is None):
            raise ValidationError(
                "a follow-up visit that reached the customer records their satisfaction "
                "(1-5); one that did not records none"
            )


def complaint_lines(value: object) -> tuple[CaseLine, ...]:
    """Order lines from a mapping ``{sku: quantity}`` or :class:`~ecservice.aftersales.CaseLine`
    values, sorted by SKU; ``None`` or an empty mapping gives none.

    Raises:
        InvalidQuantity: a quantity that is not a whole number above 0, or a SKU named twice.
        ValidationError: a bad SKU, or a value that is neither a mapping nor lines.
    """
    if value is None:
        return ()
    if isinstance(value, Mapping):
        lines = [CaseLine(sku=sku, quantity=qty) for sku, qty in value.items()]
    elif isinstance(value, Iterable) and not isinstance(value, str | bytes):
        lines = list(value)
        for line in lines:
            if not isinstance(line, CaseLine):
                raise ValidationError(
                    "a complaint's lines are a mapping {sku: quantity} or CaseLine values, "
                    f"not {shown(line)}"
                )
    else:
        raise ValidationError(
            f"a complaint's lines are a mapping {{sku: quantity}}, not {type(value).__name__}"
        )
    lines.sort(key=lambda line: line.sku)
    for before, after in itertools.pairwise(lines):
        if before.sku == after.sku:
            raise InvalidQuantity(f"a complaint names line {before.sku!r} twice")
    return tuple(lines)
