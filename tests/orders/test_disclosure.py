"""The disclosure rule: an order's address, recipient, phone and remarks go only to the account
that placed it, to staff acting on its verified request, or to whom it consented, for the
details and the time it consented to; anything else is refused, naming the rule."""

from __future__ import annotations

import datetime as _dt

import attrs
import pendulum
import pytest

from ecservice.errors import PolicyViolation, ValidationError
from ecservice.orders import (
    REQUEST_VALIDITY,
    Consent,
    DisclosureBasis,
    DisclosureRefused,
    OrderDetail,
    VerifiedRequest,
    authorize_disclosure,
)
from ecservice.workflow import Actor
from tests.orders.test_order import new_order

AT = pendulum.datetime(2026, 11, 12, 10, tz="Asia/Shanghai")
ACCOUNT = "u-1001"  # the buyer of new_order()
ALL = set(OrderDetail)


def consent(**overrides: object) -> Consent:
    fields: dict[str, object] = {
        "account_id": ACCOUNT,
        "grantee": Actor.buyer("u-2002"),
        "details": {OrderDetail.ADDRESS, OrderDetail.PHONE},
        "given_at": AT.subtract(days=1),
        "expires_at": AT.add(hours=1),
        "reference": "chat-77",
    }
    fields.update(overrides)
    return Consent(**fields)  # type: ignore[arg-type]


def test_the_account_that_placed_the_order_sees_everything() -> None:
    disclosure = authorize_disclosure(
        new_order(), Actor.buyer(ACCOUNT), ALL, purpose="check my address", at=AT
    )
    assert disclosure.basis is DisclosureBasis.ACCOUNT_HOLDER
    assert disclosure.details == frozenset(ALL)
    assert disclosure.reference == ""
    assert disclosure.at == AT


def test_another_account_is_refused_naming_the_rule() -> None:
    with pytest.raises(DisclosureRefused, match="not the account that placed order 'O-1'") as info:
        authorize_disclosure(
            new_order(), Actor.buyer("u-2002"), {OrderDetail.ADDRESS}, purpose="where?", at=AT
        )
    assert info.value.rule == "not_the_account"
    assert isinstance(info.value, PolicyViolation)
    assert "PIPL art. 13, 23" in str(info.value)


@pytest.mark.parametrize("actor", [Actor.carrier("sf"), Actor.system("bot")])
def test_carriers_and_the_system_are_refused(actor: Actor) -> None:
    with pytest.raises(DisclosureRefused) as info:
        authorize_disclosure(new_order(), actor, {OrderDetail.PHONE}, purpose="call", at=AT)
    assert info.value.rule == "not_the_account"


def test_staff_need_a_verified_request_of_the_account() -> None:
    order, staff = new_order(), Actor.staff("kefu-07")
    request = VerifiedRequest(
        account_id=ACCOUNT,
        staff_id="kefu-07",
        method="logged-in chat",
        verified_at=AT,
        reference="chat-1",
    )
    disclosure = authorize_disclosure(
        order, staff, {OrderDetail.ADDRESS}, purpose="confirm", at=AT, request=request
    )
    assert (disclosure.basis, disclosure.reference) == (DisclosureBasis.VERIFIED_REQUEST, "chat-1")
    last = attrs.evolve(request, verified_at=AT - REQUEST_VALIDITY + _dt.timedelta(microseconds=1))
    authorize_disclosure(order, staff, {OrderDetail.ADDRESS}, purpose="c", at=AT, request=last)
    for bad in (
        None,
        VerifiedRequest(
            account_id="u-2002", staff_id="kefu-07", method="call", verified_at=AT, reference="c-2"
        ),
        # verified a microsecond after the disclosure: not yet
        VerifiedRequest(
            account_id=ACCOUNT,
            staff_id="kefu-07",
            method="call",
            verified_at=AT.add(microseconds=1),
            reference="c",
        ),
        # verified by another agent
        attrs.evolve(request, staff_id="kefu-08"),
        # about another order
        attrs.evolve(request, order_id="O-2"),
        # verified too long ago: exactly REQUEST_VALIDITY before
        attrs.evolve(request, verified_at=AT - REQUEST_VALIDITY),
    ):
        with pytest.raises(DisclosureRefused) as info:
            authorize_disclosure(
                order, staff, {OrderDetail.ADDRESS}, purpose="confirm", at=AT, request=bad
            )
        assert info.value.rule == "unverified_request"


def test_a_consent_covers_its_grantee_details_and_time_to_the_microsecond() -> None:
    order, friend = new_order(), Actor.buyer("u-2002")
    given = consent()
    ok = authorize_disclosure(
        order, friend, {OrderDetail.PHONE}, purpose="pick up", at=given.given_at, consent=given
    )
    assert (ok.basis, ok.reference) == (DisclosureBasis.CONSENT, "chat-77")
    last = given.expires_at - _dt.timedelta(microseconds=1)  # type: ignore[operator]
    authorize_disclosure(order, friend, {OrderDetail.PHONE}, purpose="p", at=last, consent=given)
    cases = [
        ({"at": given.expires_at}, "consent_expired"),
        ({"at": given.given_at.subtract(microseconds=1)}, "consent_expired"),
        ({"at": AT, "details": {OrderDetail.REMARKS}}, "consent_scope"),
        ({"at": AT, "actor": Actor.buyer("u-3003")}, "consent_missing"),
        # the grantee's id under another kind of actor is not the grantee
        ({"at": AT, "actor": Actor.carrier("u-2002")}, "consent_missing"),
        ({"at": AT, "actor": Actor.staff("u-2002")}, "consent_missing"),
        # a consent to read does not allow a change
        ({"at": AT, "change": True}, "consent_scope"),
        ({"at": AT, "consent": consent(account_id="u-9")}, "consent_missing"),
    ]
    for change, rule in cases:
        kwargs: dict[str, object] = {
            "actor": friend,
            "details": {OrderDetail.PHONE},
            "consent": given,
            **change,
        }
        with pytest.raises(DisclosureRefused) as info:
            authorize_disclosure(order, purpose="p", **kwargs)  # type: ignore[arg-type]
        assert info.value.rule == rule


def test_bad_arguments_raise_library_errors() -> None:
    order, buyer = new_order(), Actor.buyer(ACCOUNT)
    with pytest.raises(ValidationError, match="at least one"):
        authorize_disclosure(order, buyer, set(), purpose="p", at=AT)
    with pytest.raises(ValidationError, match="OrderDetail values"):
        authorize_disclosure(order, buyer, {"address"}, purpose="p", at=AT)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="set of OrderDetail"):
        authorize_disclosure(order, buyer, "address", purpose="p", at=AT)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="no time zone"):
        authorize_disclosure(
            order, buyer, {OrderDetail.PHONE}, purpose="p", at=_dt.datetime(2026, 11, 12)
        )
    with pytest.raises(ValidationError, match="expire after"):
        consent(expires_at=AT.subtract(days=1))
    with pytest.raises(ValidationError, match="an Actor"):
        authorize_disclosure(order, "u-1001", {OrderDetail.PHONE}, purpose="p", at=AT)  # type: ignore[arg-type]
