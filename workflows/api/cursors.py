"""Cursor pages for lists that grow to many thousands of rows (an instance's step attempts): each
page starts after the previous page's last row (``workflows.keyset``), so the 100th page costs what
the first does, and rows written while a client pages never shift it (no row skipped or repeated).
Forward only; ``next`` is null on the last page. There is no total count (it would read every row):
the list's owner says how many there are elsewhere (the instance detail's ``step_counts``)."""

from __future__ import annotations

from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Expression
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from workflows.api.params import int_param
from workflows.keyset import past

CURSOR_MAX_CHARS = 2000


class KeysetPagination(BasePagination):
    """Pages in one of ``orderings``: a name the client picks with ``?order=`` and the model fields
    that sort by it. The fields must be unique together over the rows paged (a total order) and be
    the trailing columns of an index, so that "after this row" is one index range.

    The cursor is the last row's values of those fields, signed: a changed or foreign cursor is a
    400 naming ``cursor``, never trusted; one from another order is a 400 too.

    A key may also be a value computed from the row (``computed``: name -> expression), annotated
    only when the order asked for uses it."""

    orderings: dict[str, tuple[str, ...]] = {}
    computed: dict[str, Expression] = {}
    default_order = ""
    default_limit = 100
    max_limit = 500
    salt = ""

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        order = request.query_params.get("order") or self.default_order
        if order not in self.orderings:
            raise ValidationError({"order": [f"must be one of: {', '.join(self.orderings)}"]})
        limit = int_param(request, "limit", self.default_limit, minimum=1, maximum=self.max_limit)
        keys = self.orderings[order]
        queryset = queryset.annotate(**{k: self.computed[k] for k in keys if k in self.computed})
        after = self.read_cursor(request.query_params.get("cursor"), order, queryset.model)
        if after is not None:
            queryset = queryset.filter(past(keys, after))
        rows = list(queryset.order_by(*keys)[: limit + 1])
        self.next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = [getattr(rows[-1], k) if k in self.computed else queryset.model._meta.get_field(k).value_to_string(rows[-1]) for k in keys]
            self.next_cursor = signing.dumps({"order": order, "after": last}, salt=self.salt)
        return rows

    def key_field(self, model, key: str):
        return self.computed[key].output_field if key in self.computed else model._meta.get_field(key)

    def read_cursor(self, token: str | None, order: str, model) -> list | None:
        if not token:
            return None
        try:
            if len(token) > CURSOR_MAX_CHARS:
                raise ValueError(token)
            data = signing.loads(token, salt=self.salt)
            keys = self.orderings[data["order"]]
            values = data["after"]
            if not isinstance(values, list) or len(values) != len(keys):
                raise ValueError(values)
            after = [self.key_field(model, k).to_python(v) for k, v in zip(keys, values)]
        except (signing.BadSignature, KeyError, TypeError, ValueError, DjangoValidationError):
            raise ValidationError({"cursor": ["is not one this list gave (it was changed, or belongs to another list); start again without it"]}) from None
        if data["order"] != order:
            raise ValidationError({"cursor": [f"belongs to order={data['order']}; ask with that order, or start again without a cursor"]})
        return after

    def get_next_link(self) -> str | None:
        if self.next_cursor is None:
            return None
        return replace_query_param(self.request.build_absolute_uri(), "cursor", self.next_cursor)

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {"type": "string", "format": "uri", "nullable": True, "description": "the next page; null on the last"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "order",
                "in": "query",
                "required": False,
                "description": f"the order of the rows (default {self.default_order})",
                "schema": {"type": "string", "enum": list(self.orderings)},
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": f"rows per page (default {self.default_limit}, at most {self.max_limit})",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "where the page starts: take it from the previous page's `next`",
                "schema": {"type": "string", "maxLength": CURSOR_MAX_CHARS},
            },
        ]
