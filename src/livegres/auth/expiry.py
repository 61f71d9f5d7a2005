"""How long an HTTP answer may be reused: ``Cache-Control`` first, then ``Expires``."""

from __future__ import annotations

from email.utils import parsedate_to_datetime


def expiry_from(cache_control: str | None, expires: str | None, now: float) -> float | None:
    """The absolute time (epoch seconds) until which an answer is valid.

    ``None`` when neither header says anything usable; ``now`` when the answer must not be
    kept (``no-cache``, ``no-store``, or ``must-revalidate`` without a max-age).
    """
    if cache_control:
        directives: dict[str, str | None] = {}
        for item in cache_control.split(","):
            name, _, value = item.strip().partition("=")
            if name:
                directives[name.strip().lower()] = value.strip().strip('"') or None
        max_age: int | None = None
        for name in ("s-maxage", "max-age"):
            raw = directives.get(name)
            if raw is not None and raw.isdigit():
                max_age = int(raw)
                break
        if "must-revalidate" in directives:
            return now + max_age if max_age is not None else now
        if "no-cache" in directives or "no-store" in directives:
            return now
        if max_age is not None:
            return now + max_age
    if expires:
        try:
            return parsedate_to_datetime(expires.strip()).timestamp()
        except (TypeError, ValueError, IndexError):
            return None
    return None
