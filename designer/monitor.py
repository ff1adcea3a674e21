"""The operator's list of instances (``/instances/``, DESIGN §1 and §6): filters kept in the URL,
keyset pagination, bulk pause, resume, cancel and retry. Server-rendered; the ticking durations and the row
selection are ``static/instances.js`` (the CSP allows no inline script).

Pagination is by keyset, not OFFSET: the cursor is the last row's sort key plus its id, signed, so
page 2,000 costs what page 1 does and a tampered cursor is refused (400), never trusted. Every sort
has a partial index of its own (migration 0007), and the status counts read the status index only.
The free text is a range of the primary key for an id prefix and trigram index scans for the
business key and the error message (migration 0008).
"""

from __future__ import annotations

import datetime as dt
import string
import uuid
from dataclasses import dataclass

from django import forms
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
)
from django.db.models.fields.json import KT, KeyTransform
from django.db.models.functions import Left
from django.db.models.lookups import Exact
from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from workflows import engine
from workflows.core.status import InstanceStatus, StepStatus
from workflows.keyset import past
from workflows.models import Instance, StepRun, Template, TemplateVersion
from workflows.presenters import human_duration, status_label
from workflows.query_checks import ERROR_TYPE_MAX_CHARS, no_control_characters
from workflows.roles import CONTROL_REFUSED, can_control_instance

PAGE_SIZE = 50
BULK_MAX = 200  # four pages: a bulk action is a deliberate act on rows someone looked at
COUNT_CAP = 10_000  # a status chip counts this far, then says "10,000+"
CURSOR_SALT = "flowdesk.instances.cursor"
DONE_STEPS = (StepStatus.COMPLETED, StepStatus.SKIPPED, StepStatus.FAILED)


class DurationKey(Func):
    """Seconds from start to finish: the duration column's sort key. A run that has not finished
    sorts as the longest (it is still going), so the key never changes while someone pages. The SQL
    is the expression migration 0007 indexes; keep the two the same or the sort scans the table."""

    template = "(COALESCE(EXTRACT(EPOCH FROM (%(expressions)s)), 1e12))::float8"
    arg_joiner = " - "
    output_field = FloatField()

    def __init__(self):
        super().__init__(F("finished_at"), F("started_at"))

    def as_sqlite(self, compiler, connection, **extra):  # the embedded local run
        template = "COALESCE((julianday(%(expressions)s)) * 86400.0, 1e12)"
        return self.as_sql(compiler, connection, template=template, arg_joiner=") - julianday(", **extra)


class NodeCount(Func):
    """The number of nodes in a version's graph, counted by the database (graphs can be megabytes)."""

    output_field = IntegerField()

    def __init__(self):
        super().__init__(KeyTransform("nodes", "graph"), function="jsonb_array_length")

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="json_array_length", **extra)


@dataclass(frozen=True)
class Sort:
    """A column's sort: its keys (the last two always ``created_at, id``, so the order is total)."""

    column: str
    keys: tuple[str, ...]


SORTS = {
    "started": Sort("started", ("created_at", "id")),
    "duration": Sort("duration", ("duration_key", "created_at", "id")),
    "priority": Sort("priority", ("priority", "created_at", "id")),
    "status": Sort("status", ("status", "created_at", "id")),
}
SORT_CHOICES = [(f"{sign}{name}", f"{name} {'descending' if sign else 'ascending'}") for name in SORTS for sign in ("-", "")]
DEFAULT_SORT = "-started"

# How a cursor's JSON values become the sort keys' Python values again.
_KEY_TYPES = {"created_at": dt.datetime.fromisoformat, "id": uuid.UUID, "duration_key": float, "priority": int, "status": str}


def _json_key(value):
    return value.isoformat() if isinstance(value, dt.datetime) else str(value) if isinstance(value, uuid.UUID) else value


class CursorField(forms.CharField):
    """A signed cursor: the sort it belongs to and the last row's keys."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            data = signing.loads(value, salt=CURSOR_SALT)
            sort, keys = data["sort"], data["after"]
            if sort not in dict(SORT_CHOICES):
                raise ValueError(sort)
            names = SORTS[sort.lstrip("-")].keys
            if not isinstance(keys, list) or len(keys) != len(names):
                raise ValueError(keys)
            return {"sort": sort, "after": [_KEY_TYPES[n](v) for n, v in zip(names, keys)]}
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            raise forms.ValidationError("this page link is not valid (it was changed or is from another site); start again from the first page") from None


class Filters(forms.Form):
    """The list's query string. Unknown values are field errors (a 400 page), never a 500."""

    template = forms.ModelChoiceField(Template.objects.all(), to_field_name="name", required=False)
    version = forms.IntegerField(min_value=1, required=False)
    status = forms.MultipleChoiceField(choices=[(s.value, s.value) for s in InstanceStatus], required=False)
    priority = forms.IntegerField(min_value=0, max_value=100, required=False, label="priority at least")
    business_key = forms.CharField(max_length=200, required=False)
    started_from = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    started_to = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    q = forms.CharField(max_length=200, required=False, strip=True)
    error_type = forms.CharField(max_length=ERROR_TYPE_MAX_CHARS, required=False, strip=False, validators=[no_control_characters])
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)
    cursor = CursorField(max_length=2000, required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("started_from"), data.get("started_to")
        if start and end and end < start:
            self.add_error("started_to", "the end date is before the start date")
        data["sort"] = data.get("sort") or DEFAULT_SORT
        cursor = data.get("cursor")
        if cursor and cursor["sort"] != data["sort"]:
            self.add_error("cursor", "this page link belongs to another sort order; start again from the first page")
        return data


def present(params: QueryDict) -> QueryDict:
    """The query without empty values: a submitted filter form leaves its blank fields in the URL."""
    kept = QueryDict(mutable=True)
    for name, values in params.lists():
        values = [v for v in values if v.strip()]
        if values:
            kept.setlist(name, values)
    return kept


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filtered(data: dict, *, with_status: bool = True):
    """Instances (never test runs) matching the filters; ``with_status=False`` for the chips' counts."""
    qs = Instance.objects.filter(is_test=False)
    if data.get("template"):
        qs = qs.filter(template=data["template"])
    if data.get("version"):
        versions = TemplateVersion.objects.filter(number=data["version"])
        if data.get("template"):
            versions = versions.filter(template=data["template"])
        qs = qs.filter(version__in=versions)
    if data.get("priority") is not None:
        qs = qs.filter(priority__gte=data["priority"])
    if data.get("business_key"):
        qs = qs.filter(business_key=data["business_key"])
    if data.get("started_from"):
        qs = qs.filter(created_at__gte=_midnight(data["started_from"]))
    if data.get("started_to"):
        qs = qs.filter(created_at__lt=_midnight(data["started_to"] + dt.timedelta(days=1)))
    if data.get("error_type"):
        qs = qs.filter(Exact(KT("error__type"), data["error_type"]))
    if data.get("q"):
        qs = qs.filter(_text_match(data["q"]))
    if with_status and data.get("status"):
        qs = qs.filter(status__in=data["status"])
    return qs


def _text_match(text: str) -> Q:
    """An id (whole, or the 8-character prefix the list shows), a business key or an error message,
    any case. The substring matches are what migration 0008's trigram indexes serve (their
    expressions are the SQL of these lookups: keep the two the same or the search reads every row)."""
    try:
        return Q(pk=uuid.UUID(text))
    except ValueError:
        pass
    match = Q(business_key__icontains=text) | Q(error__message__icontains=text)
    if (ids := id_prefix_range(text)) is not None:
        match |= Q(pk__range=ids)
    return match


_UUID_SHAPE = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"


def id_prefix_range(text: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """The ids whose text starts with ``text`` (at least 4 characters), as a range of the primary key
    index: ids order as their hex digits do. None if no id's text could start so."""
    text = text.lower()
    if not 4 <= len(text) <= len(_UUID_SHAPE):
        return None
    for char, slot in zip(text, _UUID_SHAPE):
        if (char == "-") != (slot == "-") or (char != "-" and char not in string.hexdigits):
            return None
    digits = text.replace("-", "")
    return uuid.UUID(digits.ljust(32, "0")), uuid.UUID(digits.ljust(32, "f"))


def page_query(data: dict):
    """The rows of one page, in the chosen order, after the cursor's row (sliced by the caller)."""
    sort = SORTS[data["sort"].lstrip("-")]
    descending = data["sort"].startswith("-")
    qs = filtered(data)
    if "duration_key" in sort.keys:
        qs = qs.annotate(duration_key=DurationKey())
    if data.get("cursor"):
        qs = qs.filter(past(sort.keys, data["cursor"]["after"], descending=descending))
    order = [F(k).desc() if descending else F(k).asc() for k in sort.keys]
    return (
        qs.select_related("template", "version")
        .only("id", "template", "version", "status", "priority", "business_key", "created_at", "started_at", "finished_at", "template__name", "version__number")
        .annotate(error_type=KT("error__type"), error_line=Left(KT("error__message"), 300))
        .order_by(*order)
    )


def page_of(data: dict) -> tuple[list[Instance], str | None]:
    """One page of rows in the chosen order, and the cursor of the next page (None on the last)."""
    sort = SORTS[data["sort"].lstrip("-")]
    qs = page_query(data)
    rows = list(qs[: PAGE_SIZE + 1])
    more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    _add_progress(rows)
    if not more:
        return rows, None
    last = rows[-1]
    keys = [_json_key(getattr(last, k)) for k in sort.keys]
    return rows, signing.dumps({"sort": data["sort"], "after": keys}, salt=CURSOR_SALT)


def _add_progress(rows: list[Instance]) -> None:
    """Steps done / steps in the graph, for one page in two queries (never one per row)."""
    done = dict(
        StepRun.objects.filter(instance__in=[r.pk for r in rows], status__in=DONE_STEPS)
        .values("instance").annotate(n=Count("node_id", distinct=True)).values_list("instance", "n")
    )
    nodes = dict(
        TemplateVersion.objects.filter(pk__in={r.version_id for r in rows})
        .annotate(n=NodeCount())
        .values_list("pk", "n")
    )
    now, zone = timezone.now(), timezone.get_current_timezone()
    some = uuid.UUID(int=0)
    page_url = reverse("instance", args=[some]).removesuffix(f"{some}/")  # one reverse, not 50
    for row in rows:
        # Text made here, not by template filters: 50 rows x 10 cells of filters cost more than the queries.
        row.pk_text = str(row.pk)
        row.short_id, row.href = row.pk_text[:8], f"{page_url}{row.pk_text}/"
        row.steps_done, row.steps_total = done.get(row.pk, 0), nodes.get(row.version_id) or 0
        row.is_live = not InstanceStatus(row.status).is_final
        row.started_text = row.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
        row.running_since = f"{row.started_at.timestamp():.3f}" if row.is_live and row.started_at else ""
        end = row.finished_at or (now if row.is_live else None)
        row.duration_text = duration_text((end - row.started_at).total_seconds()) if row.started_at and end else "—"


def duration_text(seconds: float | None) -> str:
    return human_duration(seconds, empty="—")


def status_counts(data: dict) -> dict[str, int]:
    """Per status, for the other filters applied, counted up to ``COUNT_CAP`` (shown as "10,000+").
    One bounded count per status reads at most that many entries of the status index, so the chips
    cost the same at 100,000 instances as at 10 million; a GROUP BY would read every row."""
    base = filtered(data, with_status=False)
    if data.get("q"):  # the text match reads every row anyway: read them once for all the statuses
        counts = dict(base.order_by().values_list("status").annotate(n=Count("*")))
        return {s.value: counts.get(s.value, 0) for s in InstanceStatus}
    return {s.value: base.filter(status=s.value)[: COUNT_CAP + 1].count() for s in InstanceStatus}


def _how_many(counts: dict[str, int]) -> str:
    total, capped = sum(min(n, COUNT_CAP) for n in counts.values()), max(counts.values()) > COUNT_CAP
    one = total == 1 and not capped
    return f"{total:,}{'+' if capped else ''} instance{'' if one else 's'}", "matches" if one else "match"


def bad_request(request, errors, *, back: str):
    return render(request, "bad_filters.html", {"errors": errors, "back": back, "back_label": "the instances"}, status=400)


@login_required
def instance_list(request):
    params = present(request.GET)
    form = Filters(params)
    if not form.is_valid():
        return bad_request(request, form.errors, back=reverse("instances"))
    data = form.cleaned_data
    rows, next_cursor = page_of(data)
    counts = status_counts(data)

    def link(**changes) -> str:
        query = params.copy()
        query.pop("cursor", None)
        for name, value in changes.items():
            query.pop(name, None)
            if value:
                query.setlist(name, value if isinstance(value, list) else [value])
        return f"?{query.urlencode()}" if query else "?"

    chosen = data.get("status") or []
    chips = [
        {"status": s, "count": f"{COUNT_CAP:,}+" if counts[s] > COUNT_CAP else f"{counts[s]:,}", "on": s in chosen, "href": link(status=[x for x in chosen if x != s] if s in chosen else [*chosen, s])}
        for s in counts
    ]
    columns = {}
    for name in SORTS:
        current = data["sort"].lstrip("-") == name
        descending = data["sort"].startswith("-")
        columns[name] = {
            "href": link(sort=(name if current and descending else f"-{name}")),
            "arrow": ("▼" if descending else "▲") if current else "",
            "aria": ("descending" if descending else "ascending") if current else "none",
        }
    first_page = link()
    context = {
        "form": form,
        "data": data,
        "rows": rows,
        "chips": chips,
        "all_count": (how_many := _how_many(counts))[0],
        "match": how_many[1],
        "columns": columns,
        "next_href": link(cursor=next_cursor) if next_cursor else None,
        "first_href": first_page if data.get("cursor") else None,
        "clear_href": reverse("instances") if params else None,
        "filtered": bool(set(params) - {"sort", "cursor"}),
        "templates": Template.objects.order_by("name").values_list("name", flat=True),
        "query": params.urlencode(),
        "status_shown": " or ".join(status_label(s).lower() for s in chosen),
        "error_type_off": link(error_type=None) if data.get("error_type") else None,
        "can_control": can_control_instance(request.user),
        "control_refused": CONTROL_REFUSED,
    }
    return render(request, "instances/list.html", context)


# --- bulk pause, resume, cancel and retry ----------------------------------------------------------


class IdsField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value if isinstance(value, list) else [value] if value else []
        try:
            ids = list(dict.fromkeys(uuid.UUID(v) for v in values))
        except (ValueError, TypeError, AttributeError):
            raise forms.ValidationError("an instance id is not valid") from None
        if not ids:
            raise forms.ValidationError("select at least one instance")
        if len(ids) > BULK_MAX:
            raise forms.ValidationError(f"select at most {BULK_MAX} instances at once")
        return ids


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in ("pause", "resume", "cancel", "retry")])
    ids = IdsField()
    back = forms.CharField(required=False, max_length=4000)  # the list's query string, to return to it
    confirm = forms.BooleanField(required=False)


VERBS = {"pause": ("Pause", "paused"), "resume": ("Resume", "resumed"), "cancel": ("Cancel", "cancelled"), "retry": ("Retry", "retried")}


@login_required
@require_POST
def bulk(request):
    """Confirm (how many, which), then call the engine once per instance and report each outcome."""
    if not can_control_instance(request.user):
        raise PermissionDenied(CONTROL_REFUSED)
    form = BulkForm(request.POST)
    back = reverse("instances") + (f"?{QueryDict(request.POST.get('back', '')).urlencode()}" if request.POST.get("back") else "")
    if not form.is_valid():
        return bad_request(request, form.errors, back=back)
    action, ids = form.cleaned_data["action"], form.cleaned_data["ids"]
    found = {i.pk: i for i in Instance.objects.filter(pk__in=ids, is_test=False).select_related("template", "version").only("id", "template", "version", "status", "template__name", "version__number")}
    verb, done = VERBS[action]
    context = {"action": action, "verb": verb, "back": back, "back_query": form.cleaned_data["back"], "ids": ids}
    if not form.cleaned_data["confirm"]:
        context["instances"] = [found.get(i) or {"pk": i, "missing": True} for i in ids]
        return render(request, "instances/confirm.html", context)
    outcomes = []
    by = request.user.get_username()
    reason = f"cancelled by {by} from the instance list"
    act = {
        "pause": lambda pk: engine.pause_instance(pk, by=by),
        "resume": lambda pk: engine.resume_instance(pk, by=by),
        "cancel": lambda pk: engine.cancel_instance(pk, reason=reason, by=by),
        "retry": lambda pk: engine.retry_instance(pk, by=by),
    }[action]
    for pk in ids:
        instance = found.get(pk)
        if instance is None:
            outcomes.append({"pk": pk, "ok": False, "message": "no such instance"})
            continue
        try:
            after = act(pk)
        except engine.EngineError as exc:
            outcomes.append({"pk": pk, "instance": instance, "ok": False, "message": str(exc)})
        else:
            outcomes.append({"pk": pk, "instance": instance, "ok": True, "message": f"{done}; now {status_label(after.status).lower()}"})
    context.update(outcomes=outcomes, succeeded=sum(o["ok"] for o in outcomes), refused=sum(not o["ok"] for o in outcomes), done=done)
    return render(request, "instances/done.html", context)
