"""How error messages show a value they refuse: briefly, and never failing themselves.

Private to ecservice; every area's messages use it. ``repr`` of a hostile value can be huge (a
10 MB string) or raise (an int of more than 4,300 digits, :func:`sys.set_int_max_str_digits`); an
error message must do neither.

>>> shown(10**5000)
'an int of about 5001 digits'
>>> shown("x" * 100)
"'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'... (str of 100 characters)"
"""

from __future__ import annotations

__all__ = ["shown"]


def shown(value: object, limit: int = 60) -> str:
    """A short ``repr`` of ``value`` for an error message (type and size when it is long)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**limit:
        return f"an int of about {int(abs(value).bit_length() * 0.30103) + 1} digits"
    if isinstance(value, (str, bytes)) and len(value) > limit:
        kind = "characters" if isinstance(value, str) else "bytes"
        return f"{value[: limit - 4]!r}... ({type(value).__name__} of {len(value)} {kind})"
    try:
        text = repr(value)
    except Exception:
        return f"a {type(value).__name__}"
    if len(text) > limit:
        return f"{text[: limit - 3]}... ({type(value).__name__})"
    return text
