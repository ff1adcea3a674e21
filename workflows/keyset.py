"""Keyset (cursor) pagination's parts, shared by the instance list page (``designer/monitor.py``)
and the API's cursor pages (``workflows/api/cursors.py``): a page starts after the last row's sort
keys, never at an OFFSET, so page 2,000 costs what page 1 does. ``ROW(a, b) > ROW(x, y)`` is one
range of an index on ``(a, b)``: each ordering needs an index ending in the same columns."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import CharField, F, Func, Value
from django.db.models.lookups import GreaterThan, LessThan


class Row(Func):
    """``ROW(a, b, c)``: a keyset comparison the planner matches to a multi-column index."""

    function = "ROW"
    output_field = CharField()  # never selected; only compared with another ROW

    def as_sqlite(self, compiler, connection, **extra):  # SQLite's row values have no ROW keyword
        return self.as_sql(compiler, connection, function="", **extra)


def past(keys: Sequence[str], values: Sequence, *, descending: bool = False):
    """The rows after (``descending``: before) the row whose ``keys`` are ``values``, in that order."""
    compare = LessThan if descending else GreaterThan
    return compare(Row(*[F(k) for k in keys]), Row(*[Value(v) for v in values]))
