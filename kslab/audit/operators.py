"""The benchmark's comparison operators, read two ways.

:func:`kube_bench_compare` is kube-bench's reading: every value is the text it found, compared as
text (``has`` is a substring test, ``gte`` needs a decimal integer, ``eq`` folds case only for
booleans). :func:`typed_compare` is kslab's: the value is what the component parsed (a bool, an int,
a duration in seconds, a list), so ``0s`` equals ``0`` and ``Node`` must be an element of the list.

>>> kube_bench_compare("noteq", "0s", "0"), typed_compare("noteq", 0.0, "0", "duration")[0]
(True, False)
>>> kube_bench_compare("has", "NodeX,RBAC", "Node"), typed_compare("has", ["NodeX", "RBAC"], "Node", "strings")[0]
(True, False)
"""

from __future__ import annotations

import re
from typing import Any

from kslab.audit.flags import ValueError_, go_bool, go_duration, show
from kslab.text import brief

#: How each operator's expectation reads (kube-bench's wording, so imported results look alike).
EXPECTED = {
    "eq": "'{name}' is equal to '{value}'",
    "noteq": "'{name}' is not equal to '{value}'",
    "gt": "'{name}' is greater than {value}",
    "gte": "'{name}' is greater or equal to {value}",
    "lt": "'{name}' is lower than {value}",
    "lte": "'{name}' is lower or equal to {value}",
    "has": "'{name}' has '{value}'",
    "nothave": "'{name}' does not have '{value}'",
    "regex": "'{name}' matched by regex expression '{value}'",
    "valid_elements": "'{name}' contains valid elements from '{value}'",
    "bitmask": "'{name}' has permissions {value} or more restrictive",
}


def expected_text(op: str | None, name: str, value: str = "", *, set_: bool = True) -> str:
    """The sentence that says what an item expects.

    >>> expected_text("gte", "--audit-log-maxage", "30")
    "'--audit-log-maxage' is greater or equal to 30"
    >>> expected_text(None, "--token-auth-file", set_=False)
    "'--token-auth-file' is not present"
    """
    if not set_:
        return f"'{name}' is not present"
    if op is None:
        return f"'{name}' is present"
    return EXPECTED[op].format(name=name, value=value)


def _atoi(text: str) -> int | None:
    """Go's ``strconv.Atoi`` as kube-bench calls it: None for anything else, including a number
    outside int64 (which Python is not even asked to convert past 19 digits)."""
    t = text.strip()
    if not re.fullmatch(r"[+-]?\d+", t) or len(t.lstrip("+-").lstrip("0")) > 19:
        return None
    value = int(t)
    return value if -(1 << 63) <= value < (1 << 63) else None


def _elements(text: str) -> list[str]:
    clean = text.strip().rstrip(",")
    return [p.strip() for p in clean.split(",")] if clean else []


def _all_valid(actual: list[str], allowed: list[str]) -> bool:
    if not actual and not allowed:
        return True
    if not actual or not allowed:
        return False
    return all(a in allowed for a in actual)


def kube_bench_compare(op: str, actual: str, expected: str) -> bool:
    """Compare the way kube-bench's ``compareOp`` does, on text.

    >>> kube_bench_compare("eq", "False", "false"), kube_bench_compare("gte", "030", "30")
    (True, True)
    >>> kube_bench_compare("gte", "30d", "30"), kube_bench_compare("bitmask", "640", "600")
    (False, False)
    """
    if op in ("eq", "noteq"):
        low = actual.lower()
        same = (low == expected) if low in ("true", "false") else (actual == expected)
        return same if op == "eq" else not same
    if op in ("gt", "gte", "lt", "lte"):
        a, b = _atoi(actual), _atoi(expected)
        if a is None or b is None:
            return False
        return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]
    if op == "has":
        return expected in actual
    if op == "nothave":
        return expected not in actual
    if op == "regex":
        return re.search(expected, actual) is not None
    if op == "valid_elements":
        return _all_valid(_elements(actual), _elements(expected))
    if op == "bitmask":
        try:
            requested, allowed = int(actual, 8), int(expected, 8)
        except ValueError:
            return False
        return (allowed & requested) == requested
    raise ValueError(f"unknown operator {brief(op)}")


def typed_compare(op: str, value: Any, expected: str, flag_type: str | None) -> tuple[bool, str]:
    """Compare the value the component parsed; returns (result, why it failed or "").

    >>> typed_compare("gte", 24, "30", "int")
    (False, '24 is less than 30')
    >>> typed_compare("gte", "thirty", "30", "string")
    (False, "'thirty' is not an integer")
    >>> typed_compare("bitmask", "600", "600", "string")
    (False, 'bitmask compares file permissions; it does not apply to a flag')
    """
    if op == "bitmask":
        return False, "bitmask compares file permissions; it does not apply to a flag"
    if op in ("eq", "noteq"):
        try:
            if isinstance(value, bool):
                same = value == go_bool(expected)
            elif flag_type == "duration" and isinstance(value, (int, float)):
                same = float(value) == go_duration(expected)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                same = float(value) == float(expected)
            else:
                same = show(value) == expected
        except (ValueError_, ValueError):
            same = show(value) == expected
        ok = same if op == "eq" else not same
        return ok, "" if ok else f"{show(value, flag_type)} {'is not' if op == 'eq' else 'is'} {expected}"
    if op in ("gt", "gte", "lt", "lte"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False, f"{brief(show(value))} is not an integer"
        b = float(expected)
        ok = {"gt": value > b, "gte": value >= b, "lt": value < b, "lte": value <= b}[op]
        words = {"gt": "not greater than", "gte": "less than", "lt": "not less than",
                 "lte": "greater than"}
        return ok, "" if ok else f"{show(value)} is {words[op]} {expected}"
    if op in ("has", "nothave"):
        if isinstance(value, list):
            inside = expected in value
        elif isinstance(value, dict):
            inside = expected in value or expected in show(value)
        else:
            inside = expected in show(value)
        ok = inside if op == "has" else not inside
        return ok, "" if ok else f"{expected} is {'missing' if op == 'has' else 'listed'}"
    if op == "regex":
        ok = re.search(expected, show(value)) is not None
        return ok, "" if ok else f"{brief(show(value))} does not match {brief(expected)}"
    if op == "valid_elements":
        actual = [str(v).strip() for v in value] if isinstance(value, list) else _elements(show(value))
        allowed = _elements(expected)
        ok = _all_valid(actual, allowed)
        bad = [a for a in actual if a not in allowed]
        return ok, "" if ok else (f"not allowed: {', '.join(bad)}" if bad else "the list is empty")
    raise ValueError(f"unknown operator {brief(op)}")
