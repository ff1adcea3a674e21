"""``http``: calls an HTTP endpoint, so integrations need no code.

Connection errors, timeouts and 5xx answers are retryable; 4xx answers are not (DESIGN §5.7).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..errors import NonRetryableError, StepError
from ..expressions import render
from .base import StepContext, StepType, object_schema, register

MAX_BODY_CHARS = 1_000_000
DEFAULT_TIMEOUT_S = 30.0


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
        },
        ["url"],
        worker=True,
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
        import requests  # imported here so the pure core loads without it

        url = str(input["url"])
        if not url.startswith(("http://", "https://")):
            raise NonRetryableError(f"url must start with http:// or https://, got {url[:80]!r}", type="ConfigurationError")
        timeout = DEFAULT_TIMEOUT_S
        if ctx.deadline is not None:
            import time

            timeout = max(0.1, min(timeout, ctx.deadline - time.time()))
        headers = {"Idempotency-Key": ctx.idempotency_key, **{str(k): str(v) for k, v in (input.get("headers") or {}).items()}}
        try:
            response = requests.request(
                input.get("method", "GET"),
                url,
                headers=headers,
                params=input.get("query") or None,
                json=input.get("body"),
                timeout=timeout,
            )
        except requests.Timeout as exc:
            raise StepError(f"{url} did not answer in {timeout:.1f} s", type="HTTPTimeout") from exc
        except requests.RequestException as exc:
            raise StepError(f"could not reach {url}: {exc}", type="HTTPConnectionError") from exc
        result = {"status": response.status_code, "headers": dict(response.headers), "body": _body(response)}
        expected = config.get("expected_status")
        ok = response.status_code in expected if expected else 200 <= response.status_code < 300
        if ok:
            return result
        message = f"{input.get('method', 'GET')} {url} answered {response.status_code}"
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
            raise NonRetryableError(message, type="HTTPClientError", details=result)
        raise StepError(message, type="HTTPServerError", details=result)


def _body(response) -> Any:
    text = response.text[:MAX_BODY_CHARS]
    if "json" in response.headers.get("Content-Type", ""):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text
