"""``quote_literal`` (for SQL that cannot take parameters, such as trigger function bodies)
reads back as the same string whatever ``standard_conforming_strings`` the session has."""

from __future__ import annotations

import asyncpg
import pytest

from livegres.sql.fragment import quote_literal

VALUES = ["plain", "it's", "C:\\x", "\\", "\\'", "' OR 1=1 --", "\\' ); DROP TABLE x; --", "$$", "é ✓ 𝄞", "a\nb"]


@pytest.mark.parametrize("conforming", ["on", "off"])
async def test_literals_read_back_unchanged(database_url: str, conforming: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f"SET standard_conforming_strings = {conforming}")
        await conn.execute("SET escape_string_warning = off")
        for value in VALUES:
            assert await conn.fetchval(f"SELECT {quote_literal(value)}::text") == value
    finally:
        await conn.close()


def test_nul_is_refused() -> None:
    with pytest.raises(ValueError):
        quote_literal("a\x00b")
