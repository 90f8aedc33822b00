"""Personal data never shows in a repr: an address shows its region, the street's first two
characters, the recipient's first character and the phone's first three and last four digits;
an order shows its remarks' length only."""

from __future__ import annotations

import logging
import string

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecservice.orders import Address, mask_name, mask_phone, mask_text
from tests.orders.test_order import ADDRESS, new_order

#: Names in Chinese characters, streets in Latin letters: neither can look like a part of the
#: other or of the phone number.
NAMES = st.text("王李张刘陈杨赵黄周吴", min_size=2, max_size=6)
STREETS = (
    st.text(string.ascii_letters + " ", min_size=4, max_size=30)
    .map(str.strip)
    .filter(lambda s: len(s) >= 4)
)


@st.composite
def addresses(draw: st.DrawFn) -> Address:
    digits = draw(st.text("0123456789", min_size=11, max_size=11))
    return Address(
        recipient=draw(NAMES),
        phone=draw(st.sampled_from([digits, f"+86 {digits}", f"{digits[:3]}-{digits[3:]}"])),
        province="浙江省",
        city="杭州市",
        street=draw(STREETS),
    )


@given(address=addresses())
def test_an_address_repr_hides_the_phone_street_and_name(address: Address) -> None:
    digits = "".join(c for c in address.phone if c.isdigit())[-11:]
    for shown in (repr(address), str(address), address.masked()):
        assert digits not in shown
        assert digits[:3] in shown
        assert digits[-4:] in shown
        assert address.street not in shown
        assert address.recipient not in shown
        assert "浙江省 杭州市" in shown


def test_the_masks_follow_the_platform_display() -> None:
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("+86 138-0013-8000") == "138****8000"
    assert mask_phone("0571 8888 66") == "********66"
    assert mask_name("王小明") == "王**"
    assert mask_text("龙井路 1 号") == "龙井*****"
    assert repr(ADDRESS) == "Address(<浙江省 杭州市 西湖区 龙井***** (王**, 138****8000)>)"


def test_an_order_repr_hides_the_address_and_remarks(caplog: pytest.LogCaptureFixture) -> None:
    order = attrs.evolve(new_order(), remarks="请放门口，电话 13900001111，301 室")
    shown = repr(order)
    for secret in ("13800138000", "138 0013 8000", "龙井路", "王小明", "13900001111", "301 室"):
        assert secret not in shown
    assert f"remarks=<{len(order.remarks)} characters>" in shown
    with caplog.at_level(logging.INFO):
        logging.getLogger("shop").info("order placed: %r", order)
    assert "13900001111" not in caplog.text
    assert "138****8000" in caplog.text
    # the values themselves are intact for the account that placed the order
    assert order.address.phone == "138 0013 8000"
    assert order.remarks.startswith("请放门口")
