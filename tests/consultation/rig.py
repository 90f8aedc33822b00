"""Builders shared by the consultation tests: a session, a shop checker, sessions driven through
random valid paths."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import attrs
import pendulum
from hypothesis import strategies as st
from pendulum import DateTime

from ecservice.clock import FixedClock
from ecservice.consultation import (
    DEFAULT_ENQUIRY_TYPES,
    ENQUIRY_SIZE,
    ConsultationSession,
    EnquiryType,
    ItemChoice,
    ObjectionKind,
    OrderDetails,
    Sender,
)
from ecservice.orders import Address
from ecservice.workflow import Actor

AGENT = Actor.staff("kefu-1")
CHAT = Actor.system("chat")
START = pendulum.datetime(2026, 5, 6, 1, 30, tz="UTC")  # 09:30 in Shanghai, a Wednesday
MICRO = _dt.timedelta(microseconds=1)
EARLIEST_DISPATCH = pendulum.datetime(2026, 6, 1, tz="UTC")
WARRANTY = EnquiryType(code="warranty", label_en="Warranty", label_zh="保修")

ADDRESS = Address(
    recipient="Li Na", phone="13800138000", province="浙江", city="杭州", street="文三路 1 号"
)
FAR_ADDRESS = Address(
    recipient="Li Na", phone="13800138000", province="西藏", city="阿里", street="狮泉河镇 2 号"
)


def details(
    *,
    order_id: str = "O-1",
    address: Address = ADDRESS,
    colour: str = "red",
    presale_ship_by: DateTime | None = None,
) -> OrderDetails:
    """An order of one red dress in M, to Hangzhou by SF."""
    return OrderDetails(
        order_id=order_id,
        address=address,
        carrier="SF",
        items=[ItemChoice(sku="DRESS-1", style="A-line", colour=colour, size="M")],
        presale_ship_by=presale_ship_by,
    )


@attrs.define
class ShopChecker:
    """A fake shop checker: red and blue dresses exist, SF does not reach 西藏, presale goods
    ship by 2026-06-01 at the earliest."""

    earliest: DateTime = EARLIEST_DISPATCH

    def address_problem(self, address: Address) -> str | None:
        return None if len(address.street) > 2 else "the street is incomplete"

    def reach_problem(self, address: Address, carrier: str) -> str | None:
        return (
            f"{carrier} does not deliver to {address.province}"
            if address.province == "西藏"
            else None
        )

    def option_problem(self, item: ItemChoice) -> str | None:
        return None if item.colour in ("red", "blue") else f"no {item.colour} {item.sku}"

    def presale_problem(self, ship_by: DateTime, address: Address, carrier: str) -> str | None:
        return (
            None if ship_by >= self.earliest else f"the earliest dispatch is {self.earliest.date()}"
        )


def new_session(*, clock: FixedClock | None = None, **overrides: Any) -> ConsultationSession:
    fields: dict[str, Any] = {
        "id": "C-1",
        "buyer_id": "b-1",
        "opened_at": START,
        "clock": clock if clock is not None else FixedClock(START),
    }
    fields.update(overrides)
    return ConsultationSession(**fields)


def snapshot(session: ConsultationSession) -> dict[str, Any]:
    """Every field of the session (the clock aside) and its queued events."""
    fields = attrs.asdict(session, recurse=False)
    fields.pop("clock")
    return {**fields, "history": tuple(session.history), "events": session.pending_events}


def rebuilt(session: ConsultationSession) -> ConsultationSession:
    """The session built again from its fields, as storage would."""
    fields = {f.name: getattr(session, f.name) for f in attrs.fields(ConsultationSession) if f.init}
    return ConsultationSession(**fields)


def selling(session: ConsultationSession) -> ConsultationSession:
    """Greeted, a size enquiry taken, a dress recommended."""
    session.greet(actor=AGENT)
    session.take_enquiry(type=ENQUIRY_SIZE, note="170 cm, 60 kg", actor=AGENT)
    session.recommend(sku="DRESS-1", actor=AGENT)
    return session


def handed_over(
    session: ConsultationSession, remarks: tuple[str, ...] = ("gift wrap",)
) -> ConsultationSession:
    selling(session)
    session.confirm_order(details=details(), checker=ShopChecker(), actor=AGENT)
    session.say_goodbye(actor=AGENT)
    session.hand_over(remarks=remarks, actor=AGENT)
    return session


def candidates(session: ConsultationSession) -> list[tuple[str, dict[str, Any]]]:
    """Calls a session may accept (valid arguments; ``can`` decides which apply now)."""
    n = session.version
    open_index = session.open_remarks[0][0] if session.open_remarks else 0
    return [
        ("message", {"sender": Sender.BUYER, "length": 1 + n}),
        ("message", {"sender": Sender.AGENT, "length": 2 + n}),
        ("greet", {}),
        ("take_enquiry", {"type": DEFAULT_ENQUIRY_TYPES[n % 7]}),
        ("take_enquiry", {"type": WARRANTY, "note": "how long"}),
        ("recommend", {"sku": f"SKU-{n % 3}"}),
        ("handle_objection", {"kind": list(ObjectionKind)[n % 3]}),
        ("close_deal", {}),
        ("confirm_order", {"details": details(), "checker": ShopChecker()}),
        ("say_goodbye", {}),
        ("hand_over", {"remarks": ["gift wrap", "ship with O-0"][: n % 3]}),
        ("follow_up_remark", {"index": open_index, "note": "done"}),
        ("complete", {}),
        ("end", {"reason": "the buyer left"}),
        ("transfer_to_aftersales", {"reason": "asks about a parcel received", "case_id": None}),
    ]


SIDE_STEPS = frozenset({"message", "end", "transfer_to_aftersales"})


@st.composite
def sessions(
    draw: st.DrawFn, *, max_steps: int = 20, session_id: str = "C-1"
) -> ConsultationSession:
    """A session after a random valid path, its events pulled (as a store's save would)."""
    clock = FixedClock(START + draw(st.timedeltas(_dt.timedelta(0), _dt.timedelta(days=3))))
    session = new_session(clock=clock, id=session_id, opened_at=clock.now())
    for _ in range(draw(st.integers(0, max_steps))):
        clock.set(
            clock.now() + draw(st.timedeltas(min_value=MICRO, max_value=_dt.timedelta(minutes=20)))
        )
        options = [
            (trigger, {**kwargs, "actor": CHAT if trigger == "message" else AGENT})
            for trigger, kwargs in candidates(session)
            if session.can(trigger, **{**kwargs, "actor": CHAT if trigger == "message" else AGENT})
        ]
        if not options:
            break
        forward = [o for o in options if o[0] not in SIDE_STEPS]
        if session.order is None and len(forward) > 1 and draw(st.integers(0, 9)) < 8:
            forward = [o for o in forward if o[0] != "say_goodbye"]  # mostly sell on
        side = [o for o in options if o[0] in SIDE_STEPS]
        pick = draw(st.integers(0, 9))
        pool = side if side and (not forward or pick < 3) else forward
        if pool is side and pick > 0:
            pool = [o for o in side if o[0] == "message"] or side
        trigger, kwargs = draw(st.sampled_from(pool))
        getattr(session, trigger)(**kwargs)
    session.pull_events()
    return session
