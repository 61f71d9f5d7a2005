"""The small JSONPath dialect of Hasura's JWT settings: ``$.a.b``, ``$['a key']``, ``$.roles[0]``."""

from __future__ import annotations

from typing import Any

Path = tuple[str | int, ...]

_MISSING = object()


def parse_json_path(text: str) -> Path:
    """``$.hasura['x-claims'][0]`` -> ``("hasura", "x-claims", 0)``; ValueError when malformed."""
    i = 1 if text.startswith("$") else 0
    parts: list[str | int] = []
    while i < len(text):
        char = text[i]
        if char == ".":
            end = i + 1
            while end < len(text) and text[end] not in ".[":
                end += 1
            if end == i + 1:
                raise ValueError(f"empty key at position {i}")
            parts.append(text[i + 1 : end])
            i = end
        elif char == "[":
            close = _bracket(text, i)
            inner = text[i + 1 : close]
            if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
                parts.append(inner[1:-1])
            elif inner.isdigit():
                parts.append(int(inner))
            else:
                raise ValueError(f"invalid index {inner!r}")
            i = close + 1
        elif not parts and i == 0:
            # A path may start without "$." ("hasura.claims").
            end = i
            while end < len(text) and text[end] not in ".[":
                end += 1
            parts.append(text[i:end])
            i = end
        else:
            raise ValueError(f"unexpected {char!r} at position {i}")
    return tuple(parts)


def _bracket(text: str, start: int) -> int:
    quote = text[start + 1] if start + 1 < len(text) else ""
    if quote in ("'", '"'):
        close = text.find(quote + "]", start + 2)
        if close < 0:
            raise ValueError(f"unterminated key at position {start}")
        return close + 1
    close = text.find("]", start)
    if close < 0:
        raise ValueError(f"unterminated index at position {start}")
    return close


def encode_json_path(path: Path) -> str:
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part and all(c.isalnum() or c in "_-" for c in part) and not part[0].isdigit():
            out += "." + part
        else:
            out += "['" + part + "']"
    return out


def lookup(value: Any, path: Path) -> Any:
    """The value at ``path``, or ``MISSING``."""
    for part in path:
        if isinstance(part, int):
            if not isinstance(value, list) or part >= len(value):
                return _MISSING
            value = value[part]
        else:
            if not isinstance(value, dict) or part not in value:
                return _MISSING
            value = value[part]
    return value


MISSING = _MISSING
