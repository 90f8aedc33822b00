"""The consultation session: the reception flow, its loops and ends, and what it refuses."""

from __future__ import annotations

import datetime as _dt
import inspect
from typing import Any

import attrs
import pendulum
import pytest

from ecservice.clock import FixedClock
from ecservice.consultation import (
    CONSULTATION_WORKFLOW,
    ENQUIRY_PROMOTION,
    ENQUIRY_SIZE,
    ENQUIRY_STOCK,
    ConfirmationCheck,
    ConsultationSession,
    ConsultationStatus,
    ObjectionKind,
    OrderNotConfirmed,
    Remark,
    RemarksOpen,
    Sender,
)
from ecservice.errors import (
    EcServiceError,
    GuardRejected,
    InvalidTransition,
    NaiveDatetime,
    PolicyViolation,
    ValidationError,
)
from ecservice.workflow import Actor
from tests.consultation.rig import (
    AGENT,
    CHAT,
    FAR_ADDRESS,
    START,
    WARRANTY,
    ShopChecker,
    details,
    handed_over,
    new_session,
    rebuilt,
    selling,
    snapshot,
)

S = ConsultationStatus


def test_every_trigger_has_a_typed_method() -> None:
    """Each trigger of the default workflow is a method with annotated keyword parameters."""
    for trig in CONSULTATION_WORKFLOW.triggers:
        method = getattr(ConsultationSession, trig)
        assert inspect.isfunction(method), trig
        hints = inspect.get_annotations(method)
        assert "return" in hints
        params = inspect.signature(method).parameters
        assert "actor" in params
        assert all(p in hints for p in params if p != "self"), trig
        assert all(p.kind is p.KEYWORD_ONLY for n, p in params.items() if n != "self"), trig


def test_every_state_has_both_labels() -> None:
    """Each state is labelled in English and Chinese, the steps with the reception flow's
    words."""
    assert all(s.label_en and s.label_zh for s in ConsultationStatus)
    assert [s.label_zh for s in list(S)[1:9]] == [
        "进门问好",
        "接待咨询",
        "推荐产品",
        "处理异议",
        "促成交易",
        "确认订单",
        "礼貌告别",
        "下单发货",
    ]


def test_the_whole_reception_flow_completes() -> None:
    """Greet, enquire, recommend, object, close, confirm, goodbye, hand over, follow up,
    complete: every step recorded, one event each."""
    clock = FixedClock(START)
    session = new_session(clock=clock)
    session.greet(actor=AGENT)
    session.take_enquiry(type=ENQUIRY_SIZE, note="170 cm", actor=AGENT)
    session.recommend(sku="DRESS-1", actor=AGENT)
    session.handle_objection(kind=ObjectionKind.PRICE, actor=AGENT)
    session.close_deal(actor=AGENT)
    session.confirm_order(details=details(), checker=ShopChecker(), actor=AGENT)
    session.say_goodbye(actor=AGENT)
    session.hand_over(remarks=["gift wrap", "no invoice in the box"], actor=AGENT)
    session.follow_up_remark(index=1, note="warehouse told", actor=AGENT)
    session.follow_up_remark(index=0, note="wrapped", actor=AGENT)
    session.complete(actor=AGENT)
    assert session.status is S.COMPLETED
    assert session.is_final
    assert not session.is_open
    assert [r.dest for r in session.history if not r.internal] == [*list(S)[1:9], S.COMPLETED]
    assert [type(e).__name__ for e in session.pull_events()] == [
        "ConsultationGreeted",
        "EnquiryTaken",
        "ProductRecommended",
        "ObjectionHandled",
        "ClosingAttempted",
        "ConsultationOrderConfirmed",
        "FarewellSaid",
        "HandedOver",
        "RemarkFollowedUp",
        "RemarkFollowedUp",
        "ConsultationCompleted",
    ]
    assert session.remarks == (
        Remark(text="gift wrap", followed_up=True, note="wrapped"),
        Remark(text="no invoice in the box", followed_up=True, note="warehouse told"),
    )
    assert rebuilt(session) == session


def test_enquiries_recommendations_and_objections_loop() -> None:
    """Several enquiries, recommendations and objections, in any order among the selling
    steps, are each kept; a shop's own enquiry type is accepted."""
    session = selling(new_session())
    session.handle_objection(kind=ObjectionKind.SIZE, actor=AGENT)
    session.take_enquiry(type=ENQUIRY_STOCK, actor=AGENT)
    session.take_enquiry(type=WARRANTY, note="how long?", actor=AGENT)
    session.recommend(sku="DRESS-2", actor=AGENT)
    session.close_deal(actor=AGENT)
    session.handle_objection(kind=ObjectionKind.PRICE, actor=AGENT)
    session.take_enquiry(type=ENQUIRY_SIZE, actor=AGENT)
    assert [e.type.code for e in session.enquiries] == ["size", "stock", "warranty", "size"]
    assert session.enquiry_types == (ENQUIRY_SIZE, ENQUIRY_STOCK, WARRANTY)
    assert session.recommended == ("DRESS-1", "DRESS-2")
    assert session.objections == (ObjectionKind.SIZE, ObjectionKind.PRICE)
    assert rebuilt(session) == session


def test_an_enquiry_is_stamped_with_the_clock() -> None:
    """The enquiry's instant is its transition's."""
    clock = FixedClock(START)
    session = new_session(clock=clock)
    session.greet(actor=AGENT)
    clock.advance(minutes=2)
    session.take_enquiry(type=ENQUIRY_PROMOTION, actor=AGENT)
    assert session.enquiries[0].at == START.add(minutes=2) == session.history[-1].at


def test_the_flow_is_kept_in_order() -> None:
    """A step out of the flow raises InvalidTransition naming the state and the allowed
    triggers."""
    session = new_session()
    with pytest.raises(InvalidTransition, match=r"'take_enquiry'.*OPENED.*greet"):
        session.take_enquiry(type=ENQUIRY_SIZE, actor=AGENT)
    session.greet(actor=AGENT)
    with pytest.raises(InvalidTransition):
        session.recommend(sku="X", actor=AGENT)
    with pytest.raises(InvalidTransition):
        session.handle_objection(kind=ObjectionKind.PRICE, actor=AGENT)
    with pytest.raises(InvalidTransition):
        session.confirm_order(details=details(), checker=ShopChecker(), actor=AGENT)


def test_a_failed_confirmation_names_each_check_and_changes_nothing() -> None:
    """The carrier does not reach the address and the colour does not exist: both are named,
    with the shop's reasons; the session is as it was."""
    session = selling(new_session())
    before = snapshot(session)
    order = details(address=FAR_ADDRESS, colour="purple")
    with pytest.raises(OrderNotConfirmed) as caught:
        session.confirm_order(details=order, checker=ShopChecker(), actor=AGENT)
    error = caught.value
    assert error.checks == {ConfirmationCheck.CARRIER_REACH, ConfirmationCheck.ITEM_OPTION}
    assert "SF does not deliver to 西藏" in str(error)
    assert "no purple DRESS-1" in str(error)
    assert "Address is valid" not in str(error)
    assert isinstance(error, PolicyViolation)
    assert snapshot(session) == before
    assert not session.can("confirm_order", details=order, checker=ShopChecker(), actor=AGENT)
    assert session.can("confirm_order", details=details(), checker=ShopChecker(), actor=AGENT)


def test_a_presale_date_the_carrier_cannot_meet_is_refused() -> None:
    """Presale goods promised before the shop can dispatch them fail the presale check; a
    later date passes."""
    session = selling(new_session())
    early = details(presale_ship_by=pendulum.datetime(2026, 5, 20, tz="Asia/Shanghai"))
    with pytest.raises(OrderNotConfirmed) as caught:
        session.confirm_order(details=early, checker=ShopChecker(), actor=AGENT)
    assert caught.value.checks == {ConfirmationCheck.PRESALE_DATE}
    late = details(presale_ship_by=pendulum.datetime(2026, 6, 2, tz="Asia/Shanghai"))
    session.confirm_order(details=late, checker=ShopChecker(), actor=AGENT)
    assert session.order == late


def test_a_confirmed_order_may_be_corrected_but_not_replaced() -> None:
    """Confirming again corrects the same order (another colour); another order id is
    refused."""
    session = selling(new_session())
    session.confirm_order(details=details(), checker=ShopChecker(), actor=AGENT)
    session.confirm_order(details=details(colour="blue"), checker=ShopChecker(), actor=AGENT)
    assert session.status is S.ORDER_CONFIRMED
    assert session.order is not None
    assert session.order.items[0].colour == "blue"
    with pytest.raises(PolicyViolation, match="same order"):
        session.confirm_order(details=details(order_id="O-2"), checker=ShopChecker(), actor=AGENT)


def test_a_checker_that_does_not_follow_the_protocol_is_refused() -> None:
    """A checker without the four methods, or one answering something else than text or None,
    raises ValidationError."""
    session = selling(new_session())
    with pytest.raises(ValidationError, match="OrderChecker"):
        session.confirm_order(details=details(), checker=object(), actor=AGENT)  # type: ignore[arg-type]

    class Sloppy(ShopChecker):
        def address_problem(self, address: object) -> str | None:
            return 0  # type: ignore[return-value]

    with pytest.raises(ValidationError, match="address_problem must return"):
        session.confirm_order(details=details(), checker=Sloppy(), actor=AGENT)


def test_remarks_must_be_followed_up_before_completing() -> None:
    """Completing with an open remark raises RemarksOpen listing it; following it up twice is
    refused; a bad index is refused."""
    session = handed_over(new_session(), remarks=("gift wrap", "ship with O-0"))
    before = snapshot(session)
    with pytest.raises(RemarksOpen) as caught:
        session.complete(actor=AGENT)
    assert caught.value.open_remarks == ((0, "gift wrap"), (1, "ship with O-0"))
    assert snapshot(session) == before
    assert not session.can("complete", actor=AGENT)
    session.follow_up_remark(index=0, note="wrapped", actor=AGENT)
    with pytest.raises(PolicyViolation, match="already"):
        session.follow_up_remark(index=0, note="again", actor=AGENT)
    with pytest.raises(ValidationError, match="from 0 to 1"):
        session.follow_up_remark(index=2, note="x", actor=AGENT)
    with pytest.raises(ValidationError):
        session.follow_up_remark(index=True, note="x", actor=AGENT)
    assert [i for i, _ in session.open_remarks] == [1]
    session.follow_up_remark(index=1, note="merged", actor=AGENT)
    session.complete(actor=AGENT)
    assert session.status is S.COMPLETED


def test_a_hand_over_without_remarks_completes_at_once() -> None:
    """No remark, nothing to follow up."""
    session = handed_over(new_session(), remarks=())
    session.complete(actor=AGENT)
    assert session.status is S.COMPLETED


def test_a_goodbye_without_an_order_ends_the_session() -> None:
    """A buyer who does not buy: goodbye, then end (the reason is the history note); the
    hand-over is refused."""
    session = selling(new_session())
    session.say_goodbye(actor=AGENT)
    with pytest.raises(PolicyViolation, match="no confirmed order"):
        session.hand_over(actor=AGENT)
    session.end(reason="will think about it", actor=AGENT)
    assert session.status is S.ENDED
    assert session.history[-1].note == "will think about it"


def test_a_session_with_an_order_does_not_end_without_it() -> None:
    """Once an order is confirmed, ending is refused: hand it over (or transfer)."""
    session = selling(new_session())
    session.confirm_order(details=details(), checker=ShopChecker(), actor=AGENT)
    with pytest.raises(InvalidTransition):
        session.end(reason="left", actor=AGENT)
    session.say_goodbye(actor=AGENT)
    with pytest.raises(PolicyViolation, match="hand it over"):
        session.end(reason="left", actor=AGENT)


@pytest.mark.parametrize("steps", [0, 1, 3])
def test_the_buyer_may_leave_before_any_order(steps: int) -> None:
    """From the opening, the greeting or a selling step, the session may end."""
    session = new_session()
    if steps >= 1:
        session.greet(actor=AGENT)
    if steps >= 3:
        session.take_enquiry(type=ENQUIRY_SIZE, actor=AGENT)
    session.end(reason="the buyer left", actor=AGENT)
    assert session.status is S.ENDED


def test_any_open_session_may_go_to_after_sales() -> None:
    """A handed-over session with an open remark may still be transferred; the case id is
    kept; the remark stays open."""
    session = handed_over(new_session())
    session.transfer_to_aftersales(reason="asks about a broken parcel", case_id="AS-9", actor=AGENT)
    assert session.status is S.TRANSFERRED
    assert session.aftersales_case_id == "AS-9"
    assert session.open_remarks
    assert session.open_remarks[0][1].text == "gift wrap"
    event = session.pull_events()[-1]
    assert type(event).__name__ == "ConsultationTransferred"
    with pytest.raises(InvalidTransition):
        session.message(sender=Sender.BUYER, length=3, actor=CHAT)


def test_messages_are_recorded_in_time_order() -> None:
    """A message before the previous one, before the opening or after the clock is refused;
    the same instant is accepted."""
    clock = FixedClock(START.add(minutes=10))
    session = new_session(clock=clock)
    session.message(sender=Sender.BUYER, length=5, at=START.add(minutes=1), actor=CHAT)
    session.message(sender=Sender.AGENT, length=5, at=START.add(minutes=1), actor=CHAT)
    before = snapshot(session)
    for at in (START, START.subtract(seconds=1), START.add(minutes=11)):
        with pytest.raises(ValidationError):
            session.message(sender=Sender.BUYER, length=5, at=at, actor=CHAT)
    with pytest.raises(NaiveDatetime):
        session.message(sender=Sender.BUYER, length=5, at=_dt.datetime(2026, 5, 6), actor=CHAT)
    for bad in ({"sender": "buyer", "length": 5}, {"sender": Sender.BUYER, "length": 0}):
        with pytest.raises(ValidationError):
            session.message(**bad, actor=CHAT)  # type: ignore[arg-type]
    assert snapshot(session) == before
    session.message(sender=Sender.BUYER, length=7, actor=CHAT)
    assert session.messages[-1].at == clock.now()
    assert session.history[-1].internal
    assert rebuilt(session) == session


@pytest.mark.parametrize(
    ("trigger", "kwargs"),
    [
        ("take_enquiry", {"type": "size"}),
        ("recommend", {"sku": "  "}),
        ("handle_objection", {"kind": "price"}),
        ("confirm_order", {"details": "O-1", "checker": ShopChecker()}),
    ],
)
def test_bad_arguments_are_refused_and_change_nothing(
    trigger: str, kwargs: dict[str, object]
) -> None:
    """A wrong type or blank text raises ValidationError and leaves the session as it was."""
    session = selling(new_session())
    before = snapshot(session)
    with pytest.raises(ValidationError):
        getattr(session, trigger)(**kwargs, actor=AGENT)
    assert snapshot(session) == before
    assert not session.can(trigger, **kwargs, actor=AGENT)  # type: ignore[arg-type]


def _fields(session: ConsultationSession) -> dict[str, object]:
    return {f.name: getattr(session, f.name) for f in attrs.fields(ConsultationSession) if f.init}


@pytest.mark.parametrize(
    "change",
    [
        {"messages": ()},
        {"enquiries": ()},
        {"recommended": ("DRESS-1", "DRESS-2")},
        {"objections": ()},
        {"order": None},
        {"remarks": ()},
        {"remarks": (Remark(text="gift wrap"), Remark(text="x"))},
        {"aftersales_case_id": "AS-1"},
        {"buyer_id": " b-1"},
        {"messages": ["not a message"]},
    ],
)
def test_loading_refuses_fields_that_disagree_with_the_history(change: dict[str, object]) -> None:
    """The constructor (the storage path) refuses a session whose fields do not match what its
    history did."""
    clock = FixedClock(START)
    session = new_session(clock=clock)
    session.message(sender=Sender.BUYER, length=3, actor=CHAT)
    clock.advance(seconds=30)
    session.message(sender=Sender.AGENT, length=3, actor=CHAT)
    selling(session)
    session.handle_objection(kind=ObjectionKind.PRICE, actor=AGENT)
    session.confirm_order(details=details(), checker=ShopChecker(), actor=AGENT)
    session.say_goodbye(actor=AGENT)
    session.hand_over(remarks=["gift wrap"], actor=AGENT)
    session.follow_up_remark(index=0, note="done", actor=AGENT)
    assert rebuilt(session) == session
    with pytest.raises(EcServiceError):
        ConsultationSession(**{**_fields(session), **change})  # type: ignore[arg-type]


def test_loading_refuses_a_message_moved_in_time() -> None:
    """A message whose instant differs from what its record describes is refused."""
    clock = FixedClock(START)
    session = new_session(clock=clock)
    session.message(sender=Sender.BUYER, length=3, actor=CHAT)
    moved = attrs.evolve(session.messages[0], at=START.add(seconds=1))
    with pytest.raises(ValidationError, match="records"):
        ConsultationSession(**{**_fields(session), "messages": (moved,)})  # type: ignore[arg-type]


def test_loading_refuses_an_edited_enquiry_or_a_completed_session_with_an_open_remark() -> None:
    """An enquiry whose note is not its record's, or a completed session with a remark not
    followed up, is refused."""
    session = handed_over(new_session(), remarks=())
    session.complete(actor=AGENT)
    assert rebuilt(session) == session
    edited = attrs.evolve(session.enquiries[0], note="something else")
    with pytest.raises(ValidationError, match="note"):
        ConsultationSession(**{**_fields(session), "enquiries": (edited,)})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="completed"):
        ConsultationSession(**{**_fields(session), "remarks": (Remark(text="gift wrap"),)})  # type: ignore[arg-type]


class _SettableClock:
    """A clock that may be set back (a machine whose clock stepped back)."""

    def __init__(self, at: pendulum.DateTime) -> None:
        self.at = at

    def now(self) -> pendulum.DateTime:
        return self.at


def test_a_transition_before_the_opening_is_refused() -> None:
    """A clock behind the opening cannot record a step (it would never load again), and a new
    session cannot open after its clock's now, as a message cannot be recorded before it is
    sent."""
    clock = _SettableClock(START)
    session = new_session(clock=clock)
    clock.at = START.subtract(minutes=1)  # the machine's clock stepped back
    with pytest.raises(ValidationError, match="before"):
        session.greet(actor=AGENT)
    assert session.version == 0
    with pytest.raises(ValidationError, match="after the session's clock"):
        new_session(clock=FixedClock(START.subtract(minutes=1)))
    assert new_session(clock=FixedClock(START)).opened_at == START


def test_only_the_agent_runs_the_reception_flow_and_senders_record_their_messages() -> None:
    """A buyer cannot record the agent's message or another buyer's, nor greet, take an
    enquiry, recommend, handle an objection, close, confirm, say goodbye or hand over; a carrier
    neither; the chat log records both senders; refused calls raise GuardRejected naming who
    may, and change nothing."""
    clock = FixedClock(START)
    session = new_session(clock=clock)
    buyer, other, carrier = Actor.buyer("b-1"), Actor.buyer("b-2"), Actor.carrier("sf")

    def refused(call: Any) -> str:
        before = snapshot(session)
        with pytest.raises(GuardRejected) as caught:
            call()
        assert snapshot(session) == before
        return str(caught.value)

    assert "by_sender" in refused(
        lambda: session.message(sender=Sender.AGENT, length=30, actor=buyer)
    )
    refused(lambda: session.message(sender=Sender.BUYER, length=30, actor=other))
    refused(lambda: session.message(sender=Sender.BUYER, length=30, actor=AGENT))
    session.message(sender=Sender.BUYER, length=18, actor=buyer)
    session.message(sender=Sender.AGENT, length=18, actor=AGENT)
    session.message(sender=Sender.BUYER, length=18, actor=CHAT)
    for who in (buyer, carrier, CHAT):
        assert "by_agent" in refused(lambda who=who: session.greet(actor=who))
        assert not session.can("greet", actor=who)
    selling(session)
    steps = {
        "take_enquiry": {"type": ENQUIRY_STOCK},
        "recommend": {"sku": "DRESS-2"},
        "handle_objection": {"kind": ObjectionKind.PRICE},
        "close_deal": {},
        "confirm_order": {"details": details(), "checker": ShopChecker()},
        "say_goodbye": {},
    }
    for trigger, kwargs in steps.items():
        for who in (buyer, carrier):
            refused(
                lambda trigger=trigger, kwargs=kwargs, who=who: getattr(session, trigger)(
                    **kwargs, actor=who
                )
            )
    refused(lambda: session.end(reason="left", actor=buyer))
    session.confirm_order(details=details(), checker=ShopChecker(), actor=AGENT)
    session.say_goodbye(actor=AGENT)
    refused(lambda: session.hand_over(remarks=["gift wrap"], actor=buyer))
    refused(lambda: session.transfer_to_aftersales(reason="parcel", actor=buyer))
    session.hand_over(remarks=["gift wrap"], actor=AGENT)
    refused(lambda: session.follow_up_remark(index=0, note="done", actor=CHAT))
    session.follow_up_remark(index=0, note="done", actor=AGENT)
    assert "by_staff_or_system" in refused(lambda: session.complete(actor=buyer))
    session.complete(actor=CHAT)
    assert session.status is ConsultationStatus.COMPLETED
