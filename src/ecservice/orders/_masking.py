"""Masking a buyer's personal data for display in logs, reprs and staff screens (脱敏).

The display follows the way Chinese platforms and privacy waybills (隐私面单) show an order to
anyone but its buyer, a practice of de-identification (去标识化; GB/T 35273-2020
"信息安全技术 个人信息安全规范", 3.14 and 6.2): a mobile number keeps its first three and last
four digits (``138****5678``), a name keeps its first character (``张*``), a street address
keeps its first two characters; the region (province, city, district) is shown: it identifies
no one by itself and the carrier's reach depends on it. These are display choices of the
library, not a number any rule fixes.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MASK", "mask_name", "mask_phone", "mask_text"]

#: The character that stands for a hidden one.
MASK: Final = "*"


def mask_phone(phone: str) -> str:
    """``phone`` with its middle digits hidden: the first three and last four digits of a
    number of 11 or more digits (``"13812345678"`` -> ``"138****5678"``), the last two of a
    shorter one; spaces, dashes, a leading ``+`` and China's country code before a mobile
    number (``+86``) are dropped.

    >>> from ecservice.orders import mask_phone
    >>> mask_phone("+86 138-1234-5678")
    '138****5678'
    >>> mask_phone("0571-8888")
    '******88'
    """
    digits = "".join(c for c in phone if c.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) >= 11:
        return digits[:3] + MASK * (len(digits) - 7) + digits[-4:]
    return MASK * max(len(digits) - 2, 0) + digits[-2:]


def mask_name(name: str) -> str:
    """``name`` with every character but the first hidden (``"张三丰"`` -> ``"张**"``).

    >>> from ecservice.orders import mask_name
    >>> mask_name("张三丰"), mask_name("Li")
    ('张**', 'L*')
    """
    return name[:1] + MASK * (len(name) - 1)


def mask_text(text: str, keep: int = 2) -> str:
    """``text`` with every character after the first ``keep`` hidden, the length kept
    (``"文一西路969号"`` -> ``"文一******"``).

    >>> from ecservice.orders import mask_text
    >>> mask_text("文一西路969号")
    '文一******'
    """
    return text[:keep] + MASK * max(len(text) - keep, 0)
