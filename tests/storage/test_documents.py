"""The document envelope, schema versions and upcasting, the registry, and how values are
written: each malformed document raises a library error that names the field."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import attrs
import pendulum
import pytest

from ecservice.errors import EcServiceError, InvalidAmount, NaiveDatetime, ValidationError
from ecservice.money import Money
from ecservice.orders import Order, OrderStatus
from ecservice.storage import (
    CART_SERIALIZER,
    ORDER_SERIALIZER,
    AggregateSerializer,
    DocumentError,
    SerializerRegistry,
    UnsupportedSchemaVersion,
    default_registry,
    dump_order,
    load_order,
    load_payment,
    parse_datetime,
)
from ecservice.workflow import bind_workflow
from tests.storage.aggregates import STAFF, an_order


@pytest.fixture
def document() -> dict[str, Any]:
    """A confirmed order's document, as JSON gives it back."""
    order = an_order()
    order.confirm(actor=STAFF, note="地址已核对")
    loaded: dict[str, Any] = json.loads(json.dumps(dump_order(order)))
    return loaded


# --- the envelope ------------------------------------------------------------------------------


def _without(doc: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != key}


ENVELOPE_DAMAGE: dict[str, Callable[[dict[str, Any]], object]] = {
    "a list": lambda d: [d],
    "a JSON string": lambda d: json.dumps(d),
    "no type": lambda d: _without(d, "type"),
    "no body": lambda d: _without(d, "body"),
    "an extra key": lambda d: {**d, "etag": "x"},
    "an unknown type": lambda d: {**d, "type": "invoice"},
    "a type that is not a str": lambda d: {**d, "type": ["order"]},
    "schema_version true": lambda d: {**d, "schema_version": True},
    "schema_version '1'": lambda d: {**d, "schema_version": "1"},
    "schema_version 1.0": lambda d: {**d, "schema_version": 1.0},
    "schema_version 0": lambda d: {**d, "schema_version": 0},
    "version -1": lambda d: {**d, "version": -1},
    "version '1'": lambda d: {**d, "version": "1"},
    "an id that is a number": lambda d: {**d, "id": 7},
    "a body that is a list": lambda d: {**d, "body": []},
}


@pytest.mark.parametrize("damage", ENVELOPE_DAMAGE, ids=list(ENVELOPE_DAMAGE))
def test_a_damaged_envelope_is_refused_naming_the_key(
    document: dict[str, Any], damage: str
) -> None:
    """Each damaged envelope raises DocumentError, through the registry and the serializer."""
    bad = ENVELOPE_DAMAGE[damage](copy.deepcopy(document))
    for load in (default_registry().load, load_order):
        with pytest.raises(DocumentError) as info:
            load(bad)
        assert info.value.problems
        assert "is not valid" in str(info.value)


def test_the_version_in_the_envelope_must_match_the_history(document: dict[str, Any]) -> None:
    """The envelope's version is the aggregate's: a stale or forged one is refused by the
    aggregate's own check (one history record per version)."""
    with pytest.raises(ValidationError, match="history has 1 records but version is 2"):
        load_order({**document, "version": 2})


# --- the body ----------------------------------------------------------------------------------


def _body(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**doc, "body": {**doc["body"], **changes}}


def test_every_problem_of_a_body_is_listed_with_its_place(document: dict[str, Any]) -> None:
    """A body with several problems raises one DocumentError listing each, by path."""
    body = copy.deepcopy(document["body"])
    body["lines"][0]["quantity"] = 2.0
    body["lines"][1]["unit_price"]["amount"] = 9.9
    body["address"]["phone"] = 13800138000
    del body["remarks"]
    body["coupon"] = "SAVE10"
    body["history"][0]["source"] = "pending_confirmation"
    body["history"][0]["actor"]["kind"] = "staff"
    with pytest.raises(DocumentError) as info:
        load_order({**document, "body": body})
    text = "\n".join(info.value.problems)
    for place in (
        "body.remarks: missing",
        "body: unexpected key(s) 'coupon'",
        "body.lines[0].quantity: must be an integer, not a float 2.0",
        "body.lines[1].unit_price: must be an amount as a decimal string",
        "body.address.phone: must be a string, not an integer",
        "body.history[0].source: must be the name of a state of workflow 'order'",
        "body.history[0].actor.kind: must be the name of a ActorKind (BUYER, STAFF, SYSTEM",
    ):
        assert place in text
    assert str(info.value).startswith("order document 'O-1' is not valid:")


def test_a_domain_error_is_kept_as_the_cause(document: dict[str, Any]) -> None:
    """A value the domain refuses while one field is read (an amount with too many decimals)
    is a DocumentError naming the field, caused by the domain's own error."""
    bad = _body(document, shipping_fee={"amount": "10.001", "currency": "CNY"})
    with pytest.raises(DocumentError, match=r"body.shipping_fee: 10.001 has 3 decimal") as info:
        load_order(bad)
    assert isinstance(info.value.__cause__, InvalidAmount)


def test_a_broken_invariant_raises_a_document_error_naming_the_document(
    document: dict[str, Any],
) -> None:
    """Checks across fields are the constructor's: its error comes out as a DocumentError
    that names the document, with the constructor's message and error as its cause."""
    bad = _body(document, shipping_fee={"amount": "-1.00", "currency": "CNY"})
    with pytest.raises(DocumentError, match="shipping_fee must not be negative") as info:
        load_order(bad)
    assert info.value.subject == f"order document {bad['id']!r}"
    assert isinstance(info.value.__cause__, ValidationError)
    assert not isinstance(info.value.__cause__, DocumentError)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-11-11T08:00:00.000000+08:00", "2026-11-11T00:00:00+00:00"),
        ("2026-11-11T00:00:00Z", "2026-11-11T00:00:00+00:00"),
        ("2026-11-10T19:00:00.5-05:00", "2026-11-11T00:00:00.500000+00:00"),
    ],
)
def test_instants_with_any_offset_are_read_as_utc(text: str, utc: str) -> None:
    """An instant with an offset is read and converted to UTC, keeping the instant."""
    instant = parse_datetime(text)
    assert instant.isoformat() == utc
    assert instant.tzinfo is pendulum.UTC


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("2026-11-11T08:00:00", NaiveDatetime),
        ("2026-11-11 08:00:00+00:00", ValidationError),
        ("2026-13-11T08:00:00+00:00", ValidationError),
        ("２０２６-11-11T08:00:00+00:00", ValidationError),
        (1_700_000_000, ValidationError),
        (None, ValidationError),
    ],
)
def test_instants_without_offset_or_of_another_form_are_refused(
    value: object, error: type[Exception]
) -> None:
    """A naive time, another format, a timestamp number: each refused with a library error."""
    with pytest.raises(error):
        parse_datetime(value)


def test_a_naive_time_in_a_document_names_the_field(document: dict[str, Any]) -> None:
    """A stored time without offset is refused with the place and NaiveDatetime as the cause."""
    with pytest.raises(DocumentError, match=r"body.created_at: .* has no UTC offset") as info:
        load_order(_body(document, created_at="2026-11-11T08:00:00.000000"))
    assert isinstance(info.value.__cause__, NaiveDatetime)


def test_decimals_are_written_as_strings_and_floats_refused(document: dict[str, Any]) -> None:
    """Weights are decimal strings; a float weight is refused (it is not exact)."""
    assert document["body"]["lines"][0]["weight_kg"] == "0"
    body = copy.deepcopy(document["body"])
    body["lines"][0]["weight_kg"] = 0.1
    with pytest.raises(DocumentError, match=r"lines\[0\].weight_kg: must be a decimal number"):
        load_order({**document, "body": body})


def test_a_document_of_another_type_is_refused_by_a_serializer(document: dict[str, Any]) -> None:
    """Each serializer reads its own type only."""
    with pytest.raises(DocumentError, match="must be one of the registered document types"):
        load_payment(document)
    with pytest.raises(DocumentError):
        CART_SERIALIZER.load(document)


# --- schema versions and upcasting ------------------------------------------------------------


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class GiftOrder(Order[OrderStatus]):
    """An order with a gift note: a field added in schema version 2 and renamed in 3."""

    gift_note: str = ""


bind_workflow(GiftOrder, Order.workflow)


def _add_gift_message(body: dict[str, Any]) -> dict[str, Any]:
    body["gift_message"] = ""
    return body


def _rename_gift_message(body: dict[str, Any]) -> dict[str, Any]:
    body["gift_note"] = body.pop("gift_message")
    return body


GIFT_ORDERS = AggregateSerializer(
    GiftOrder,
    "gift-order",
    schema_version=3,
    upcasters={1: _add_gift_message, 2: _rename_gift_message},
)

#: A gift order as schema version 1 stored it: no gift message yet.
STORED_V1: dict[str, Any] = {
    "type": "gift-order",
    "schema_version": 1,
    "id": "O-7",
    "version": 1,
    "body": {
        "status": "PROCESSING",
        "buyer_id": "u-1001",
        "lines": [
            {
                "sku": "TEA-250",
                "name": "龙井",
                "unit_price": {"amount": "88.00", "currency": "CNY"},
                "quantity": 2,
                "weight_kg": "0.25",
            }
        ],
        "address": {
            "recipient": "王小明",
            "phone": "138 0013 8000",
            "province": "浙江省",
            "city": "杭州市",
            "district": "",
            "street": "龙井路 1 号",
            "postal_code": "",
            "country": "CN",
        },
        "shipping_fee": {"amount": "10.00", "currency": "CNY"},
        "created_at": "2026-11-11T02:00:00.000000+00:00",
        "remarks": "",
        "presale": None,
        "shipments": [],
        "cancellations": [],
        "out_of_stock": [],
        "history": [
            {
                "trigger": "confirm",
                "source": "PENDING_CONFIRMATION",
                "dest": "PROCESSING",
                "at": "2026-11-11T02:05:00.000000+00:00",
                "actor": {"kind": "STAFF", "id": "kefu-07"},
                "note": "",
            }
        ],
    },
}


def test_a_version_1_document_is_upcast_through_every_step() -> None:
    """A document stored before the field existed loads with the field's upcast value, through
    both steps (1 -> 2 adds it, 2 -> 3 renames it); the stored dict is not changed."""
    stored = copy.deepcopy(STORED_V1)
    order = GIFT_ORDERS.load(stored)
    assert stored == STORED_V1
    assert order.gift_note == ""
    assert order.status is OrderStatus.PROCESSING
    assert order.history[0].at == pendulum.datetime(2026, 11, 11, 2, 5)
    written = GIFT_ORDERS.dump(order)
    assert written["schema_version"] == 3
    assert written["body"]["gift_note"] == ""
    assert GIFT_ORDERS.load(written) == order


def test_a_version_2_document_takes_the_remaining_step() -> None:
    """A document of an intermediate version runs only the steps after it."""
    v2 = copy.deepcopy(STORED_V1)
    v2["schema_version"] = 2
    v2["body"]["gift_message"] = "生日快乐"
    assert GIFT_ORDERS.load(v2).gift_note == "生日快乐"


def test_a_newer_schema_version_is_refused() -> None:
    """A document from a newer release is refused before its body is read."""
    newer = {**STORED_V1, "schema_version": 4, "body": {"whatever": "comes next"}}
    with pytest.raises(UnsupportedSchemaVersion, match="4 is newer than 3"):
        GIFT_ORDERS.load(newer)


def test_an_upcaster_failing_on_a_damaged_document_raises_a_document_error() -> None:
    """An old document the upcasters cannot handle (here: no gift message to rename) raises a
    DocumentError naming the step, not the upcaster's KeyError."""
    v2 = {**STORED_V1, "schema_version": 2}
    with pytest.raises(DocumentError, match="upcasting from schema version 2 to 3 failed"):
        GIFT_ORDERS.load(v2)


def test_upcasters_must_cover_every_step() -> None:
    """A serializer whose upcasters leave a gap, or are not callable, is refused when built."""
    with pytest.raises(ValidationError, match="no upcaster from schema version 2 to 3"):
        AggregateSerializer(GiftOrder, "g", schema_version=3, upcasters={1: _add_gift_message})
    with pytest.raises(ValidationError, match="not callable"):
        AggregateSerializer(GiftOrder, "g", schema_version=2, upcasters={1: "add"})  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="schema_version"):
        AggregateSerializer(GiftOrder, "g", schema_version=0)


# --- the registry ------------------------------------------------------------------------------


def test_the_registry_reads_by_type_and_writes_by_exact_class(document: dict[str, Any]) -> None:
    """The registry picks the serializer from the document's type and the object's class; a
    class without a serializer, or a second one for a name or class, is refused."""
    registry = default_registry()
    order = registry.load(document)
    assert type(order) is Order
    assert registry.dump(order) == document
    with pytest.raises(DocumentError, match="no serializer is registered for GiftOrder"):
        registry.dump(
            GiftOrder(
                **{str(a.alias): getattr(order, a.name) for a in attrs.fields(Order) if a.init}
            )
        )
    with pytest.raises(ValidationError, match="already registered"):
        registry.register(AggregateSerializer(GiftOrder, "order"))
    with pytest.raises(ValidationError, match="already written as 'order'"):
        registry.register(AggregateSerializer(Order, "order-2"))
    registry.register(GIFT_ORDERS)
    assert registry.load(copy.deepcopy(STORED_V1)).gift_note == ""
    assert registry.type_names == (
        "aftersales_case",
        "cart",
        "complaint",
        "consultation",
        "feedback",
        "gift-order",
        "order",
        "payment",
        "rating",
        "survey",
    )
    assert default_registry().type_names == (
        "aftersales_case",
        "cart",
        "complaint",
        "consultation",
        "feedback",
        "order",
        "payment",
        "rating",
        "survey",
    )


def test_a_shop_can_read_every_order_as_its_own_subclass(document: dict[str, Any]) -> None:
    """Replacing the "order" serializer makes stored orders load as the shop's subclass."""
    registry = SerializerRegistry([CART_SERIALIZER])
    registry.register(ORDER_SERIALIZER)
    gift = AggregateSerializer(
        GiftOrder, "order", schema_version=2, upcasters={1: lambda b: {**b, "gift_note": ""}}
    )
    registry.register(gift, replace=True)
    loaded = registry.load(document)
    assert type(loaded) is GiftOrder
    assert registry.dump(loaded)["schema_version"] == 2


def test_a_non_serializer_cannot_be_registered() -> None:
    """Only objects with a type name and a class are serializers."""
    with pytest.raises(ValidationError, match="expected a Serializer"):
        default_registry().register(object())  # type: ignore[arg-type]


def test_errors_are_library_errors_and_pickle() -> None:
    """DocumentError is a ValidationError (so ValueError) and survives pickling."""
    import pickle

    error = DocumentError("order document 'O-1'", ["body.x: missing"])
    assert isinstance(error, EcServiceError)
    assert isinstance(error, ValueError)
    again = pickle.loads(pickle.dumps(error))
    assert again.problems == error.problems
    assert str(again) == str(error)


def test_money_is_written_with_the_currencys_decimals() -> None:
    """Amounts keep their currency's minor unit (JPY none, KWD three) as text."""
    converter = ORDER_SERIALIZER.converter
    assert converter.unstructure(Money("5", "JPY")) == {"amount": "5", "currency": "JPY"}
    assert converter.unstructure(Money("1.5", "KWD")) == {"amount": "1.500", "currency": "KWD"}
    assert converter.structure({"amount": "1.500", "currency": "KWD"}, Money) == Money("1.5", "KWD")


# --- a shop's own field types -----------------------------------------------------------------


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class TaggedOrder(Order[OrderStatus]):
    """An order with a field of a type the default converter does not know."""

    tags: frozenset[str] = frozenset()


bind_workflow(TaggedOrder, Order.workflow)


def _tagged() -> TaggedOrder:
    order = an_order()
    fields = {str(a.alias): getattr(order, a.name) for a in attrs.fields(Order) if a.init}
    return TaggedOrder(**fields, tags=frozenset({"vip", "gift"}))


def test_a_field_the_converter_cannot_write_is_refused_when_dumping() -> None:
    """A value that would not be JSON is refused when written, naming the field, instead of
    producing a document that fails later in json.dumps."""
    with pytest.raises(DocumentError, match=r"body.tags: a frozenset is not JSON data"):
        AggregateSerializer(TaggedOrder, "tagged-order").dump(_tagged())


def test_a_shop_registers_hooks_for_its_own_types() -> None:
    """With hooks on the serializer's converter (a sorted list for a frozenset of tags), the
    subclass round-trips through JSON."""
    from ecservice.storage import make_converter

    converter = make_converter()
    converter.register_unstructure_hook_func(lambda kind: kind == frozenset[str], sorted)
    converter.register_structure_hook_func(
        lambda kind: kind == frozenset[str],
        lambda value, _: frozenset(converter.structure(value, tuple[str, ...])),
    )
    tagged = AggregateSerializer(TaggedOrder, "tagged-order", converter=converter)
    order = _tagged()
    document = json.loads(json.dumps(tagged.dump(order)))
    assert document["body"]["tags"] == ["gift", "vip"]
    assert tagged.load(document, clock=order.clock) == order
    with pytest.raises(DocumentError, match=r"body.tags\[0\]: must be a string, not an integer"):
        tagged.load({**document, "body": {**document["body"], "tags": [1]}})


def test_storing_orders_needs_no_crypto_extra() -> None:
    """Orders, carts, payments and after-sales cases are stored without cryptography
    installed; the instruments' serializers say which extra they need."""
    script = (
        "import sys; sys.modules['cryptography'] = None\n"
        "import ecservice.storage as storage\n"
        "assert storage.default_registry().type_names == "
        "('aftersales_case', 'cart', 'complaint', 'consultation', 'feedback', 'order', "
        "'payment', 'rating', 'survey')\n"
        "from ecservice.storage import MemoryStore, dump_order\n"
        "try:\n"
        "    storage.MintSerializer\n"
        "except ImportError as exc:\n"
        "    assert 'ecservice[crypto]' in str(exc), exc\n"
        "else:\n"
        "    raise AssertionError('MintSerializer imported without cryptography')\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


def test_the_lazily_served_names_are_the_instrument_modules_own() -> None:
    """``ecservice.storage`` serves exactly the instrument serializers' public names lazily."""
    import ecservice.storage as storage
    from ecservice.storage import _instruments

    assert set(_instruments.__all__) == storage._INSTRUMENT_NAMES
    assert set(storage.__all__) >= storage._INSTRUMENT_NAMES
