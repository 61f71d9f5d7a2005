"""The JSON comparison of the conformance runner (Hasura's validate.py rules)."""

from __future__ import annotations

from tests.conformance.compare import compare_headers, compare_json, first_difference, is_error_response
from tests.conformance.corpus import Expected, Request
from tests.conformance.transport import Reply, check_reply


def test_object_keys_are_order_insensitive() -> None:
    expected = {"data": {"author": [{"name": "Author 1", "id": 1}]}}
    actual = {"data": {"author": [{"id": 1, "name": "Author 1"}]}}
    assert compare_json(expected, actual).passed
    assert compare_json(expected, actual, strict=True).passed


def test_arrays_are_ordered() -> None:
    expected = {"data": {"author": [{"id": 1}, {"id": 2}]}}
    actual = {"data": {"author": [{"id": 2}, {"id": 1}]}}
    verdict = compare_json(expected, actual)
    assert not verdict.passed
    assert verdict.reason == "$.data.author[0].id: expected 1, got 2"


def test_differences_are_reported_by_path() -> None:
    assert first_difference({"a": [1, 2]}, {"a": [1, 2, 3]}) == "$.a: expected 2 items, got 3"
    assert first_difference({"a": 1}, {}) == "$.a: missing (expected 1)"
    assert first_difference({}, {"b": None}) == "$.b: unexpected key (got null)"
    assert first_difference({"odd key": "x"}, {"odd key": "y"}) == '$["odd key"]: expected "x", got "y"'


def test_scalars() -> None:
    assert first_difference(1, 1.0) is None
    assert first_difference(True, 1) is not None
    assert first_difference(0, False) is not None
    assert first_difference("1", 1) is not None
    assert first_difference(None, None) is None
    assert first_difference({1: "x", False: "y", None: "z"}, {"1": "x", "false": "y", "null": "z"}) is None


def test_long_reasons_are_truncated() -> None:
    verdict = compare_json({"a": "x" * 1000}, {"a": "y" * 1000})
    assert not verdict.passed
    assert len(verdict.reason) <= 300


def _error(message: str, code: str = "validation-failed") -> dict[str, object]:
    return {"errors": [{"extensions": {"path": "$", "code": code}, "message": message}]}


def test_both_errors_pass_leniently_with_a_note() -> None:
    expected = _error("field 'x' not found in type: 'query_root'")
    actual = _error("field \"x\" not found in type: 'author'")
    verdict = compare_json(expected, actual)
    assert verdict.passed
    assert verdict.note.startswith("error response differs (lenient): $.errors[0].message")


def test_strict_mode_requires_the_same_error() -> None:
    verdict = compare_json(_error("one"), _error("two"), strict=True)
    assert not verdict.passed
    assert "$.errors[0].message" in verdict.reason


def test_error_versus_data_fails_in_both_modes() -> None:
    expected = _error("boom")
    actual: dict[str, object] = {"data": {"author": []}}
    assert not compare_json(expected, actual).passed
    assert not compare_json(actual, expected).passed


def test_batches_are_judged_per_element() -> None:
    expected = [{"data": {"a": 1}}, _error("one")]
    assert compare_json(expected, [{"data": {"a": 1}}, _error("two")]).passed
    assert not compare_json(expected, [{"data": {"a": 2}}, _error("two")]).passed
    assert not compare_json(expected, [{"data": {"a": 1}}]).passed


def test_error_detection() -> None:
    assert is_error_response({"error": "x", "code": "y"})
    assert is_error_response(_error("x"))
    assert not is_error_response({"errors": []})
    assert not is_error_response([_error("x")])


def test_response_headers_are_a_subset() -> None:
    actual = {"Content-Type": "application/json", "X-Request-Id": "abc"}
    assert compare_headers({"content-type": "application/json"}, actual) is None
    assert compare_headers({"X-Missing": "1"}, actual) is not None
    assert compare_headers({"X-Request-Id": "other"}, actual) is not None


def test_check_reply_status_first_then_allowed_responses() -> None:
    request = Request(
        url="/v1/graphql",
        status=200,
        query={"query": "{ a }"},
        headers={},
        expected=(Expected({"data": {"a": 1}}), Expected({"data": {"a": 2}})),
    )
    reply = Reply(200, '{"data":{"a":2}}', {}, {"data": {"a": 2}}, True)
    assert check_reply(request, reply, strict=True).passed
    wrong = Reply(200, '{"data":{"a":3}}', {}, {"data": {"a": 3}}, True)
    assert "none of the 2 allowed responses" in check_reply(request, wrong, strict=True).reason
    not_found = Reply(404, "Not Found", {})
    assert check_reply(request, not_found, strict=False).reason == "status: expected 200, got 404 Not Found"
