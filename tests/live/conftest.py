"""The live-query tests run against a real ``livegres serve`` process with the blog schema."""

from __future__ import annotations

import pytest

from tests.live.support import setup_blog
from tests.support.server import LivegresProcess


@pytest.fixture(scope="module")
def blog(server: LivegresProcess) -> LivegresProcess:
    setup_blog(server.url)
    return server
