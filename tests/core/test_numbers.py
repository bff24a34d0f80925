"""Numbers from outside (kernel/numbers.py): what each parser takes, what it refuses, and the
path convertor's pattern, which must take exactly the ids a database column holds."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from bocage.kernel import numbers

ID = re.compile(numbers.ID_PATTERN)
LIMIT = numbers.ID_LIMIT


@given(st.integers(min_value=0, max_value=10**22), st.integers(min_value=0, max_value=3))
@example(LIMIT - 1, 0)
@example(LIMIT, 0)
@example(10**20, 0)
@example(9213372036854775807, 0)  # a digit below the bound's, then nines
@example(1, 30)
def test_the_path_pattern_takes_exactly_the_ids_below_2_63(number: int, zeros: int) -> None:
    text = "0" * zeros + str(number)
    assert bool(ID.fullmatch(text)) is (number < LIMIT)
    assert numbers.parse_id(text) == (number if number < LIMIT else None)


@given(st.text(max_size=30))
@example("²")  # str.isdigit() takes it; int() refuses it
@example("٣")  # str.isdigit() takes it; int() reads it as 3
@example("-1")
@example(" 1")
@example("1_000")  # int() reads it as 1000
def test_only_ascii_digits_are_an_id(text: str) -> None:
    found = numbers.parse_id(text)
    if text.isascii() and text.isdigit() and int(text) < LIMIT:
        assert found == int(text)
    else:
        assert found is None
    assert ID.fullmatch(text) is None or found is not None


def test_thousands_of_digits_are_no_id_and_are_not_converted() -> None:
    # int() refuses more than 4,300 digits (ValueError): the parsers never call it on them.
    assert numbers.parse_id("9" * 5000) is None
    assert numbers.parse_id("0" * 5000 + "7") == 7
    assert numbers.parse_count("9" * 5000, 40) == 40
    assert numbers.parse_integer("-" + "9" * 5000) == -LIMIT


@given(st.one_of(st.integers(), st.booleans(), st.none(), st.floats(), st.text(max_size=25)))
def test_counts_and_integers_are_bounded_or_refused(value: object) -> None:
    count = numbers.parse_count(value, 40)
    assert count is None or 0 <= count <= 40
    integer = numbers.parse_integer(value)
    assert integer is None or -LIMIT <= integer <= LIMIT
    if isinstance(value, bool) or not isinstance(value, int | str):
        assert count is None and integer is None
    if isinstance(value, int) and not isinstance(value, bool):
        assert integer == max(-LIMIT, min(value, LIMIT))
