"""JSON bodies with a size limit (DRF reads the stream itself, past Django's upload limit)."""

from __future__ import annotations

import io

from django.conf import settings
from rest_framework.exceptions import APIException
from rest_framework.parsers import JSONParser


class PayloadTooLarge(APIException):
    status_code = 413
    default_code = "too_large"


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.FLOWDESK["MAX_INPUT_BYTES"] + 64_000  # the input plus the request around it
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"the request body is {int(declared):,} bytes; the limit is {limit:,}")
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise PayloadTooLarge(f"the request body is larger than {limit:,} bytes")
        return super().parse(io.BytesIO(data), media_type, parser_context)
