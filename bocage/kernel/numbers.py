"""Numbers from outside (ids and counts in paths, queries, forms, log pages), read once, at
the edge, into what the store can hold.

Both databases hold ids as signed 64-bit integers (0 <= id < 2**63). A bigger number used to
reach the driver and overflow there (SQLite's `OverflowError`, PostgreSQL's "bigint out of
range"): a 500 for a server that merely looked up an id, which it then retried. Python's
`str.isdigit()` is no guard either: it takes "²" (which `int()` refuses) and "٣" (which it
reads), and `int()` refuses strings of more than 4,300 digits. Only ASCII digits count here,
and a string too long to be an id is not converted at all.
"""

from __future__ import annotations

ID_LIMIT = 1 << 63  # ids are 0 <= id < ID_LIMIT
_ID_DIGITS = len(str(ID_LIMIT - 1))


def _digits(value: object) -> str | None:
    """`value` as a string of ASCII digits without leading zeros ("0" for zero), or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not (value.isascii() and value.isdigit()):
        return None
    return value.lstrip("0") or "0"


def parse_id(value: object) -> int | None:
    """The id `value` spells (a string of ASCII digits, or an int), or None when it spells
    none: not digits, or beyond what a database column holds."""
    digits = _digits(value)
    if digits is None or len(digits) > _ID_DIGITS:
        return None
    number = int(digits)
    return number if number < ID_LIMIT else None


def parse_count(value: object, maximum: int) -> int | None:
    """A count from outside (a page's `limit`…): ASCII digits, at most `maximum` (a bigger
    one is `maximum`, as Mastodon clamps); None when it is not a whole number."""
    digits = _digits(value)
    if digits is None:
        return None
    return maximum if len(digits) > len(str(maximum)) else min(int(digits), maximum)


def parse_integer(value: object) -> int | None:
    """A whole number from outside, signed ("-5"), that a rule will bound (an expiry in
    seconds, an index): beyond 64 bits it reads as -2**63 or 2**63, past any bound a rule
    sets, without converting thousands of digits. None when it is not a whole number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return max(-ID_LIMIT, min(value, ID_LIMIT))
    if not isinstance(value, str):
        return None
    signed = value.startswith(("-", "+"))
    digits = _digits(value[1:] if signed else value)
    if digits is None:
        return None
    size = ID_LIMIT if len(digits) > _ID_DIGITS else min(int(digits), ID_LIMIT)
    return -size if value.startswith("-") else size


def _at_most(bound: str) -> str:
    """A regular expression for the strings of ASCII digits whose value is at most `bound`
    (leading zeros allowed), written digit by digit: shorter strings, then for each digit of
    `bound` the same prefix with a smaller digit there, then `bound` itself."""
    shorter = f"[0-9]{{1,{len(bound) - 1}}}"
    same = [
        f"{bound[:i]}[0-{int(digit) - 1}][0-9]{{{len(bound) - i - 1}}}"
        for i, digit in enumerate(bound)
        if digit != "0"
    ]
    return f"0*(?:{'|'.join([shorter, *same, bound])})"


ID_PATTERN = _at_most(str(ID_LIMIT - 1))  # paths: `{post_id:id}` (bocage/routing.py)
