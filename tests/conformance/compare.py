"""Comparing an actual JSON response with the expected one, the way Hasura's validate.py does.

- Objects are compared without regard to key order; arrays are compared in order.
- ``true``/``false`` never equal numbers; ``1`` equals ``1.0``.
- When the expected and the actual responses are both error responses (an object with a
  non-empty ``error`` or ``errors``) and differ, Hasura's harness only warns. The default
  (lenient) mode does the same: the comparison passes, with a note saying what differed.
  Strict mode requires exact equality. A batched response (a list) is judged element by element.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REASON_LIMIT = 300
_VALUE_LIMIT = 120
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Verdict:
    """The result of a comparison: ``reason`` says why it failed, ``note`` why it passed leniently."""

    passed: bool
    reason: str = ""
    note: str = ""


def truncate(text: str, limit: int = REASON_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def show(value: Any) -> str:
    """A short JSON rendering of a value, for messages."""
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return truncate(text, _VALUE_LIMIT)


def json_key(key: Any) -> str:
    """A YAML mapping key as JSON spells it (YAML allows keys such as ``1`` or ``true``)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if _IDENTIFIER.match(key) else f"{path}[{json.dumps(key)}]"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def first_difference(expected: Any, actual: Any, path: str = "$") -> str | None:
    """The first place where ``actual`` differs from ``expected``, as a message; None if equal."""
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        exp = {json_key(k): v for k, v in expected.items()}
        act = {json_key(k): v for k, v in actual.items()}
        for key, value in exp.items():
            if key not in act:
                return f"{_child(path, key)}: missing (expected {show(value)})"
            diff = first_difference(value, act[key], _child(path, key))
            if diff is not None:
                return diff
        for key, value in act.items():
            if key not in exp:
                return f"{_child(path, key)}: unexpected key (got {show(value)})"
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        for index, (e, a) in enumerate(zip(expected, actual, strict=False)):
            diff = first_difference(e, a, f"{path}[{index}]")
            if diff is not None:
                return diff
        if len(expected) != len(actual):
            return f"{path}: expected {len(expected)} items, got {len(actual)}"
        return None
    if _is_number(expected) and _is_number(actual):
        equal = expected == actual
    else:
        equal = type(expected) is type(actual) and expected == actual
    if equal:
        return None
    return f"{path}: expected {show(expected)}, got {show(actual)}"


def is_error_response(value: Any) -> bool:
    """Hasura's ``is_err_msg``: an object with a non-empty ``error`` or ``errors``."""
    return isinstance(value, Mapping) and any(value.get(key) for key in ("error", "errors"))


def compare_json(expected: Any, actual: Any, *, strict: bool = False) -> Verdict:
    """Compare a response body with the expected one (see the module docstring)."""
    diff = first_difference(expected, actual)
    if diff is None:
        return Verdict(True)
    if strict:
        return Verdict(False, truncate(diff))
    batched = isinstance(expected, list) and isinstance(actual, list)
    if batched and len(expected) != len(actual):
        return Verdict(False, truncate(diff))
    pairs = list(zip(expected, actual, strict=True)) if batched else [(expected, actual)]
    notes = []
    for index, (exp, act) in enumerate(pairs):
        path = f"$[{index}]" if batched else "$"
        item_diff = first_difference(exp, act, path)
        if item_diff is None:
            continue
        if is_error_response(exp) and is_error_response(act):
            notes.append(item_diff)
            continue
        return Verdict(False, truncate(item_diff))
    return Verdict(True, note=truncate("error response differs (lenient): " + "; ".join(notes)))


def compare_headers(expected: Mapping[Any, Any], actual: Mapping[str, str]) -> str | None:
    """``expected`` must be a subset of ``actual``: names case-insensitive, values exact."""
    lowered = {name.lower(): value for name, value in actual.items()}
    for name, value in expected.items():
        got = lowered.get(str(name).lower())
        if got is None:
            return f"response header {name}: missing (expected {show(str(value))})"
        if got != str(value):
            return f"response header {name}: expected {show(str(value))}, got {show(got)}"
    return None
