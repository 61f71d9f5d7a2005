"""Auth webhook mode against a real HTTP receiver: Hasura's GET and POST contracts, 200 / 401 /
other answers, and reuse of an answer for as long as its Cache-Control / Expires allow."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import pytest

from livegres.auth import Authenticator, Session
from livegres.config import ConfigError, load_settings
from livegres.errors import QueryError
from tests.auth.support import Answer, Receiver, Seen, receiver


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


def auth_for(r: Receiver, mode: str = "GET", send_request_body: bool = True) -> Authenticator:
    return Authenticator(
        admin_secret="s3cret",
        auth_hook=r.url + "/auth",
        auth_hook_mode=mode,
        auth_hook_send_request_body=send_request_body,
    )


async def error_of(auth: Authenticator, headers: dict[str, str], request: Any = None) -> tuple[str, str, int]:
    with pytest.raises(QueryError) as info:
        await auth.resolve(headers, request)
    return info.value.code, info.value.message, info.value.status


CLIENT = {
    "Authorization": "Bearer abc",
    "Cookie": "sid=1",
    "X-Custom": "yes",
    "User-Agent": "browser",
    "Content-Type": "application/json",
    "Origin": "https://app.example",
}


async def test_get_forwards_the_client_headers_and_reads_the_session(hook: Receiver) -> None:
    hook.answer = Answer(200, {"X-Hasura-Role": "user", "X-Hasura-User-Id": "7", "Other": "dropped"})
    auth = auth_for(hook)
    session = await auth.resolve(CLIENT)
    assert session == Session("user", {"x-hasura-role": "user", "x-hasura-user-id": "7"})
    [seen] = hook.seen
    assert (seen.method, seen.path) == ("GET", "/auth")
    assert seen.headers["authorization"] == "Bearer abc"
    assert seen.headers["cookie"] == "sid=1"
    assert seen.headers["x-custom"] == "yes"
    # Hasura's list of common client headers is not forwarded.
    assert seen.headers.get("origin") is None
    assert seen.headers.get("user-agent") != "browser"
    await auth.aclose()


async def test_post_sends_headers_and_the_graphql_request(hook: Receiver) -> None:
    hook.answer = Answer(200, {"x-hasura-role": "editor"})
    auth = auth_for(hook, "POST")
    request = {"query": "query Q($id: Int) { a(id: $id) { b } }", "variables": {"id": 1}, "operationName": "Q"}
    assert (await auth.resolve(CLIENT, request)).role == "editor"
    [seen] = hook.seen
    assert seen.method == "POST"
    assert seen.headers["content-type"] == "application/json"
    assert seen.body["request"] == request
    assert seen.body["headers"]["authorization"] == "Bearer abc"
    assert seen.body["headers"]["origin"] == "https://app.example"
    await auth.aclose()

    without_body = auth_for(hook, "POST", send_request_body=False)
    await without_body.resolve(CLIENT, request)
    assert "request" not in hook.seen[-1].body
    await without_body.aclose()


ANSWERS: list[tuple[str, Answer, tuple[str, str, int]]] = [
    ("401", Answer(401, {"error": "nope"}), ("access-denied", "Authentication hook unauthorized this request", 401)),
    ("403", Answer(403, {}), ("unexpected", "Invalid response from authorization hook", 500)),
    ("500", Answer(500, {}), ("unexpected", "Invalid response from authorization hook", 500)),
    (
        "no role",
        Answer(200, {"x-hasura-user-id": "1"}),
        ("invalid-params", "x-hasura-role not found in session variables", 400),
    ),
    (
        "a number",
        Answer(200, {"x-hasura-role": "user", "x-hasura-user-id": 1}),
        (
            "unexpected",
            "Invalid response from authorization hook: Error in $['x-hasura-user-id']: parsing Text failed, "
            "expected String, but encountered Number",
            500,
        ),
    ),
    (
        "a list",
        Answer(200, ["user"]),
        (
            "unexpected",
            "Invalid response from authorization hook: Error in $: parsing HashMap ~Text failed, "
            "expected Object, but encountered Array",
            500,
        ),
    ),
]


@pytest.mark.parametrize(("case", "answer", "expected"), ANSWERS, ids=[a[0] for a in ANSWERS])
@pytest.mark.parametrize("mode", ["GET", "POST"])
async def test_answers(hook: Receiver, mode: str, case: str, answer: Answer, expected: tuple[str, str, int]) -> None:
    hook.answer = answer
    auth = auth_for(hook, mode)
    assert await error_of(auth, CLIENT) == expected
    await auth.aclose()


async def test_answer_that_is_not_json(hook: Receiver) -> None:
    hook.answer = Answer(200, b"<html>")
    auth = auth_for(hook)
    code, message, status = await error_of(auth, CLIENT)
    assert (code, status) == ("unexpected", 500)
    assert message.startswith("Invalid response from authorization hook: Error in $")
    await auth.aclose()


async def test_unreachable_hook() -> None:
    with receiver() as gone:
        url = gone.url
    auth = Authenticator(admin_secret="s", auth_hook=url)
    assert await error_of(auth, CLIENT) == ("unexpected", "webhook authentication request failed", 500)
    await auth.aclose()


async def test_admin_secret_skips_the_hook(hook: Receiver) -> None:
    auth = auth_for(hook)
    assert (await auth.resolve({"x-hasura-admin-secret": "s3cret"})).is_admin
    assert await error_of(auth, {"x-hasura-admin-secret": "bad"}) == (
        "access-denied",
        "invalid x-hasura-admin-secret/x-hasura-access-key",
        401,
    )
    assert hook.seen == []
    await auth.aclose()


# --- caching -------------------------------------------------------------------------------


def per_token(max_age: str | None = None, where: str = "body") -> Any:
    """An answer naming the user after the bearer token, with optional caching."""

    def answer(seen: Seen) -> Answer:
        source = seen.headers if seen.method == "GET" else seen.body["headers"]
        user = source.get("authorization", "anonymous").removeprefix("Bearer ")
        body = {"x-hasura-role": "user", "x-hasura-user-id": user}
        headers: dict[str, str] = {}
        if max_age is not None:
            if where == "body":
                body["Cache-Control"] = max_age
            else:
                headers["Cache-Control"] = max_age
        return Answer(200, body, headers)

    return answer


@pytest.mark.parametrize("mode", ["GET", "POST"])
async def test_answer_reused_per_cache_control(hook: Receiver, mode: str) -> None:
    hook.answer = per_token("max-age=60")
    auth = auth_for(hook, mode)
    first = await auth.resolve({"Authorization": "Bearer u1"})
    assert first.variables["x-hasura-user-id"] == "u1"
    assert first.expires_at is not None and 55 < first.expires_at - time.time() <= 60
    assert await auth.resolve({"Authorization": "Bearer u1"}) == first
    assert len(hook.seen) == 1
    # Another caller is another question.
    second = await auth.resolve({"Authorization": "Bearer u2"})
    assert second.variables["x-hasura-user-id"] == "u2"
    assert len(hook.seen) == 2
    await auth.aclose()


async def test_post_with_a_request_orjson_cannot_write(hook: Receiver) -> None:
    hook.answer = Answer(200, {"x-hasura-role": "user"})
    auth = auth_for(hook, "POST")
    request = {"query": "query ($n: Int) { a }", "variables": {"n": 10**30}}
    assert (await auth.resolve(CLIENT, request)).role == "user"
    assert hook.seen[0].body["request"]["variables"]["n"] == 10**30
    await auth.aclose()


async def test_post_with_another_request_asks_again(hook: Receiver) -> None:
    hook.answer = per_token("max-age=60")
    auth = auth_for(hook, "POST")
    await auth.resolve({"Authorization": "Bearer u1"}, {"query": "{ a }"})
    await auth.resolve({"Authorization": "Bearer u1"}, {"query": "{ a }"})
    await auth.resolve({"Authorization": "Bearer u1"}, {"query": "{ b }"})
    assert len(hook.seen) == 2
    await auth.aclose()


async def test_http_cache_control_header_and_expiry(hook: Receiver) -> None:
    hook.answer = per_token("max-age=1", where="http")
    auth = auth_for(hook)
    await auth.resolve({"Authorization": "Bearer u1"})
    await auth.resolve({"Authorization": "Bearer u1"})
    assert len(hook.seen) == 1
    time.sleep(1.1)
    await auth.resolve({"Authorization": "Bearer u1"})
    assert len(hook.seen) == 2
    await auth.aclose()


async def test_expires_in_the_answer(hook: Receiver) -> None:
    expires = formatdate(time.time() + 120, usegmt=True)
    hook.answer = Answer(200, {"x-hasura-role": "user", "Expires": expires})
    auth = auth_for(hook)
    session = await auth.resolve(CLIENT)
    assert session.expires_at is not None and 100 < session.expires_at - time.time() <= 120
    await auth.resolve(CLIENT)
    assert len(hook.seen) == 1
    await auth.aclose()


@pytest.mark.parametrize("cache_control", [None, "no-cache", "no-store", "max-age=0"])
async def test_answers_without_a_lifetime_are_not_reused(hook: Receiver, cache_control: str | None) -> None:
    hook.answer = per_token(cache_control)
    auth = auth_for(hook)
    for _ in range(3):
        session = await auth.resolve({"Authorization": "Bearer u1"})
        assert session.expires_at is None
    assert len(hook.seen) == 3
    await auth.aclose()


async def test_refusals_are_not_reused(hook: Receiver) -> None:
    hook.answer = Answer(401, {}, {"Cache-Control": "max-age=60"})
    auth = auth_for(hook)
    for _ in range(2):
        assert (await error_of(auth, CLIENT))[0] == "access-denied"
    assert len(hook.seen) == 2
    hook.answer = Answer(200, {"x-hasura-role": "user"})
    assert (await auth.resolve(CLIENT)).role == "user"
    await auth.aclose()


# --- configuration ---------------------------------------------------------------------------


def test_settings_rules() -> None:
    env = {"HASURA_GRAPHQL_AUTH_HOOK": "http://hook", "HASURA_GRAPHQL_AUTH_HOOK_MODE": "post"}
    with pytest.raises(ConfigError, match="requires --admin-secret"):
        load_settings({}, env)
    settings = load_settings({}, {**env, "HASURA_GRAPHQL_ADMIN_SECRET": "s"})
    assert (settings.auth_hook, settings.auth_hook_mode, settings.auth_hook_send_request_body) == (
        "http://hook",
        "POST",
        True,
    )
    with pytest.raises(ConfigError, match="not allowed when --auth-hook"):
        load_settings({}, {**env, "HASURA_GRAPHQL_ADMIN_SECRET": "s", "HASURA_GRAPHQL_UNAUTHORIZED_ROLE": "anon"})
    with pytest.raises(ConfigError, match="expected GET or POST"):
        load_settings({}, {**env, "HASURA_GRAPHQL_ADMIN_SECRET": "s", "HASURA_GRAPHQL_AUTH_HOOK_MODE": "PUT"})
    with pytest.raises(ConfigError, match="cannot be enabled at the same time"):
        Authenticator(admin_secret="s", auth_hook="http://hook", jwt_secret='{"type": "HS256", "key": "x"}')
