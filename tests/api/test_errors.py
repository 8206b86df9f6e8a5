"""HTTP errors of every shape real providers and gateways send, read into one APIError."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.refdata import http_file
from tui.api.errors import APIError, from_error_object, from_http

NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def _json(obj) -> bytes:
    return json.dumps(obj).encode()


def test_openai_error_object():
    body = _json(
        {
            "error": {
                "message": "Invalid value for 'temperature': must be <= 2.",
                "type": "invalid_request_error",
                "param": "temperature",
                "code": "invalid_value",
            }
        }
    )
    err = from_http(400, body, httpx.Headers({"x-request-id": "req_abc123"}))
    assert err.status == 400
    assert err.kind == "http"
    assert err.message == "Invalid value for 'temperature': must be <= 2."
    assert err.type == "invalid_request_error"
    assert err.param == "temperature"
    assert err.code == "invalid_value"
    assert err.request_id == "req_abc123"
    assert err.hint is None
    text = str(err)
    assert text.startswith("HTTP 400 invalid_request_error code invalid_value: ")
    assert "must be <= 2" in text
    assert not err.retryable


@pytest.mark.parametrize(
    ("code", "expected"),
    [("rate_limit_exceeded", "rate_limit_exceeded"), (429, 429), (None, None), (True, None)],
)
def test_code_as_string_int_or_null(code, expected):
    body = _json({"error": {"message": "Slow down", "type": "rate_limit_error", "code": code}})
    err = from_http(429, body)
    assert err.code == expected
    assert err.message == "Slow down"
    assert err.retryable
    if isinstance(expected, str):
        assert f"code {expected}" in str(err)
    else:
        # A numeric code equal to the status, or no code, is not repeated.
        assert "code" not in str(err)


def test_error_as_a_string():
    # RedPill's gateway: HTTP 500 {"error": "Failed to fetch models"}
    err = from_http(500, _json({"error": "Failed to fetch models"}))
    assert err.message == "Failed to fetch models"
    assert err.status == 500
    assert str(err) == "HTTP 500: Failed to fetch models"


@pytest.mark.parametrize(
    "body",
    [{"message": "Not Found", "ok": False}, {"status": "failure", "message": "Not Found"}],
)
def test_top_level_message(body):
    err = from_http(404, _json(body))
    assert err.message == "Not Found"
    assert err.status == 404


def test_fastapi_detail_string():
    err = from_http(404, _json({"detail": "Signing address not found on this server"}))
    assert err.message == "Signing address not found on this server"


def test_fastapi_detail_list_is_shown_as_json():
    detail = [{"loc": ["body", "model"], "msg": "field required", "type": "missing"}]
    err = from_http(422, _json({"detail": detail}))
    assert "field required" in err.message
    assert json.loads(err.message) == detail


def test_html_from_a_gateway():
    err = from_http(502, NGINX_502, httpx.Headers({"content-type": "text/html"}))
    assert err.message == "502 Bad Gateway"
    assert err.status == 502
    assert err.retryable
    assert "<" not in str(err)


def test_html_without_a_title_is_reduced_to_its_words():
    body = b"<!DOCTYPE html><html><body><h1>Service down</h1><p>Try   later.</p></body></html>"
    err = from_http(503, body)
    assert err.message == "Service down Try later."


def test_long_html_is_bounded():
    body = b"<html><body>" + b"<p>word</p>" * 500 + b"</body></html>"
    err = from_http(500, body)
    assert 0 < len(err.message) <= 300
    assert "<" not in err.message


@pytest.mark.parametrize(("status", "reason"), [(500, "Internal Server Error"), (503, "Service")])
def test_empty_body(status, reason):
    err = from_http(status, b"")
    assert err.message.startswith(reason)
    assert "empty body" in err.message
    assert err.status == status


def test_whitespace_body_counts_as_empty():
    err = from_http(502, b"  \r\n ")
    assert err.message == "Bad Gateway (empty body)"


def test_an_error_object_without_a_message_is_not_called_an_empty_body():
    err = from_http(400, _json({"error": {"type": "invalid_request_error"}}))
    assert err.type == "invalid_request_error"
    assert err.message == "Bad Request"


def test_plain_text():
    err = from_http(500, b"upstream connect error or disconnect/reset before headers\n")
    assert err.message == "upstream connect error or disconnect/reset before headers"


def test_plain_text_with_angle_brackets_is_not_taken_for_html():
    err = from_http(400, b"max_tokens must be < 4096 and > 0")
    assert err.message == "max_tokens must be < 4096 and > 0"


def test_invalid_utf8_does_not_raise():
    err = from_http(500, b"\xff\xfe broken \xc3")
    assert "broken" in err.message


def test_json_that_is_not_an_object():
    assert from_http(400, b'"just a string"').message == "just a string"
    assert from_http(400, b"[1, 2]").message == "[1, 2]"


@pytest.mark.parametrize(
    "header", ["x-request-id", "X-Request-ID", "request-id", "x-amzn-requestid", "cf-ray"]
)
def test_request_id_from_headers(header):
    err = from_http(500, b"", httpx.Headers({header: "abc-1"}))
    assert err.request_id == "abc-1"


def test_no_request_id():
    assert from_http(500, b"", httpx.Headers({"content-type": "text/plain"})).request_id is None
    assert from_http(500, b"").request_id is None


def test_401_hint_names_the_key_variable():
    body = _json({"error": {"message": "Invalid API key provided", "type": "error"}})
    err = from_http(401, body, key_env="REDPILL_API_KEY")
    assert err.hint == "set REDPILL_API_KEY to your API key"
    assert "REDPILL_API_KEY" in str(err)
    assert "Invalid API key provided" in str(err)
    assert not err.retryable


def test_401_without_a_key_variable_still_hints():
    err = from_http(401, b"", key_env=None)
    assert err.hint == "this endpoint needs an API key"


@pytest.mark.parametrize("status", [400, 403, 404, 429, 500])
def test_no_key_hint_for_other_statuses(status):
    assert from_http(status, b"{}", key_env="REDPILL_API_KEY").hint is None


def test_llama_server_400_capture():
    status, headers, body = http_file("llama-server/error_400_bad_param.http")
    err = from_http(status, body, httpx.Headers(headers))
    assert status == 400
    assert err.status == 400
    assert err.code == 400
    assert err.type == "invalid_request_error"
    assert err.message == (
        "Field 'temperature': [json.exception.type_error.302] type must be number, but is string"
    )
    assert str(err).startswith("HTTP 400 invalid_request_error: Field 'temperature'")
    assert not err.retryable


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (408, True),
        (409, True),
        (422, False),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
    ],
)
def test_retryable_statuses(status, retryable):
    assert from_http(status, b"").retryable is retryable


def test_connection_and_timeout_errors_are_retryable():
    assert APIError("x", kind="connection").retryable
    assert APIError("x", kind="timeout").retryable
    assert not APIError("x", kind="stream").retryable
    assert not APIError("x", kind="protocol").retryable


@pytest.mark.parametrize("code", ["server_error", 500, None])
def test_in_stream_error_object(code):
    obj = {"error": {"message": "The server had an error", "type": "server_error", "code": code}}
    err = from_error_object(obj, kind="stream")
    assert err.kind == "stream"
    assert err.status is None
    assert err.code == code
    assert err.message == "The server had an error"
    assert str(err).startswith("stream server_error")


def test_round_trip_through_a_dict():
    err = from_http(
        429,
        _json({"error": {"message": "m", "type": "t", "code": "c", "param": "p"}}),
        httpx.Headers({"x-request-id": "r"}),
    )
    again = APIError.from_dict(err.to_dict())
    assert again == err
    assert str(again) == str(err)
    assert APIError.from_dict({}).message == ""
