"""``http``: calls an HTTP endpoint, so integrations need no code.

Connection errors, timeouts and 5xx answers are retryable; 4xx answers are not (DESIGN §5.7).
Where it may connect, how much it reads and for how long are ``http_client``'s business.
"""

from __future__ import annotations

import codecs
import json
import re
import time
from collections.abc import Mapping
from typing import Any

from ..errors import NonRetryableError, StepError, ValidationError
from ..expressions import render
from .base import StepContext, StepType, object_schema, register

DEFAULT_TIMEOUT_S = 30.0  # the longest a server may stay silent; the step's timeout bounds the whole call
_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)


@register
class Http(StepType):
    name = "http"
    label = "HTTP request"
    category = "work"
    description = "Calls an HTTP endpoint; 5xx and connection errors retry, 4xx do not."
    inline = False
    schema = object_schema(
        {
            "method": {"type": "string", "enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"], "default": "GET"},
            "url": {"type": "string", "minLength": 1, "maxLength": 2000, "title": "URL"},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "query": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}},
            "body": {"title": "JSON body"},
            "expected_status": {
                "type": "array",
                "items": {"type": "integer", "minimum": 100, "maximum": 599},
                "minItems": 1,
                "description": "status codes that count as success (default: any 2xx)",
            },
            "follow_redirects": {
                "type": "boolean",
                "default": False,
                "title": "Follow redirects",
                "description": "follow 301/302/303/307/308 answers; every hop is checked like the first",
            },
            "max_redirects": {"type": "integer", "minimum": 1, "maximum": 5, "default": 3, "title": "Max redirects"},
        },
        ["url"],
        worker=True,
        heartbeats=False,
    )

    def prepare(self, config: Mapping[str, Any], scope: Mapping[str, Any]) -> Any:
        return {
            "method": config.get("method", "GET"),
            "url": render(config["url"], scope),
            "headers": render(config.get("headers", {}), scope),
            "query": render(config.get("query", {}), scope),
            "body": render(config.get("body"), scope),
        }

    def execute(self, config: Mapping[str, Any], input: Any, ctx: StepContext) -> Any:
        from ..http_client import Request, exchange, with_query  # urllib3 is loaded only where a call is made

        method = input.get("method", "GET")
        url = with_query(str(input["url"]), input.get("query") or {})
        headers = {"Idempotency-Key": ctx.idempotency_key, **{str(k): str(v) for k, v in (input.get("headers") or {}).items()}}
        body = None
        if input.get("body") is not None:
            try:
                body = json.dumps(input["body"], allow_nan=False).encode()
            except (TypeError, ValueError) as exc:
                raise ValidationError(f"the body is not JSON: {exc}") from exc
            if not any(k.lower() == "content-type" for k in headers):
                headers["Content-Type"] = "application/json"
        response = exchange(
            Request(method, url, headers, body),
            ctx.egress,
            deadline=ctx.deadline if ctx.deadline is not None else time.time() + DEFAULT_TIMEOUT_S,
            follow_redirects=bool(config.get("follow_redirects", False)),
            max_redirects=int(config.get("max_redirects", 3)),
            abandoned=ctx.abandoned,
            idle_timeout=DEFAULT_TIMEOUT_S,
        )
        result = {"status": response.status, "headers": response.headers, "body": _body(response), "url": response.url}
        expected = config.get("expected_status")
        ok = response.status in expected if expected else 200 <= response.status < 300
        if ok:
            return result
        message = f"{method} {url} answered {response.status}"
        if 300 <= response.status < 400:
            hint = "" if config.get("follow_redirects") else "; set follow_redirects to follow it"
            location = response.header("Location") or "nowhere"
            raise NonRetryableError(f"{message} (a redirect to {location}){hint}", type="HTTPRedirect", details=result)
        if 400 <= response.status < 500 and response.status not in (408, 429):
            raise NonRetryableError(message, type="HTTPClientError", details=result)
        raise StepError(message, type="HTTPServerError", details=result)


def _body(response) -> Any:
    content_type = response.header("Content-Type")
    text = response.body.decode(_charset(content_type), errors="replace")
    if "json" in content_type:
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            pass
    return text


def _charset(content_type: str) -> str:
    match = _CHARSET.search(content_type)
    try:
        return codecs.lookup(match.group(1)).name if match else "utf-8"
    except LookupError:
        return "utf-8"
