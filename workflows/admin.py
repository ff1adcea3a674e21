"""The Django admin over every workflows model.

What people do here: browse and search templates, versions, instances and their history, read
payloads and tracebacks, and cancel, retry, pause or resume instances. Instances, step runs,
events, signals and timers are read-only: only the engine's service functions change a status, so
the admin's controls are thin callers of ``engine.cancel_instance`` / ``retry_instance`` /
``pause_instance`` / ``resume_instance`` (recording the admin user as who did it) and report what
the engine answered. Who may use them is ``roles.can_control_instance``, the rule the API follows too.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterable
from typing import Any, ClassVar
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from workflows import authoring, engine, schedules, sql
from workflows.core.status import InstanceStatus
from workflows.models import (
    Event,
    Fault,
    Instance,
    Schedule,
    Signal,
    StepRun,
    Template,
    TemplateVersion,
    Timer,
)
from workflows.presenters import human_duration
from workflows.roles import CONTROL_REFUSED, SCHEDULES_REFUSED, can_control_instance, can_manage_schedules

admin.site.site_header = "Flowdesk administration"
admin.site.site_title = "Flowdesk admin"
admin.site.index_title = "Workflows, instances and their history"
# The lists here are wide (status, timings, errors) and have their own filter column; the app
# list is one click away in the breadcrumbs, so the page width goes to the data.
admin.site.enable_nav_sidebar = False

#: Beyond this many characters a payload is cut on the page (a base64 image can be megabytes).
JSON_DISPLAY_LIMIT = 100_000
#: An instance page shows at most this many step runs and events inline; the rest are a link away.
INLINE_LIMIT = 200


# --- rendering helpers --------------------------------------------------------------------------
# Everything user-controlled (labels, payloads, messages) goes through format_html, which escapes:
# a graph or an output may contain markup, and it must show as text.


#: What the admin shows for "nothing" (a readonly field would print a returned None as "None").
EMPTY = "-"


def pretty_json(value: Any, *, css: str = "fd-json") -> str:
    """``value`` as indented, key-sorted JSON in a <pre>."""
    if value is None:
        return EMPTY
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    if len(text) > JSON_DISPLAY_LIMIT:
        text = f"{text[:JSON_DISPLAY_LIMIT]}\n… cut here: {len(text) - JSON_DISPLAY_LIMIT:,} more characters"
    return format_html('<pre class="{}">{}</pre>', css, text)


def compact_json(value: Any, limit: int = 160) -> str:
    """One line of JSON for lists and inlines, shortened; the full value is on the object's page."""
    if value in (None, {}, []):
        return EMPTY
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return format_html('<code class="fd-json-inline">{}</code>', Truncator(text).chars(limit))


def badge(status: str | None) -> str:
    if not status:
        return EMPTY
    return format_html('<span class="fd-badge fd-{}">{}</span>', status, status.replace("_", " "))


def change_url(obj: models.Model) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def link(obj: models.Model | None, text: Any = None) -> str:
    if obj is None:
        return EMPTY
    return format_html('<a class="fd-nowrap" href="{}">{}</a>', change_url(obj), obj if text is None else text)


def when(moment) -> str:
    """A compact local date and time that does not wrap in a table cell."""
    if moment is None:
        return EMPTY
    local = timezone.localtime(moment)
    return format_html('<span class="fd-nowrap" title="{}">{}</span>', local.isoformat(), local.strftime("%Y-%m-%d %H:%M:%S"))


def precise(moment) -> str:
    """A timestamp to the millisecond with its zone, for an object's own page."""
    if moment is None:
        return EMPTY
    local = timezone.localtime(moment)
    return format_html('<span title="{}">{} {}</span>', local.isoformat(), local.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3], local.strftime("%Z"))


def timestamp(field: str, description: str) -> Callable[[Any, Any], str]:
    """A read-only display of one datetime field, precise to the millisecond."""

    @admin.display(description=description, ordering=field)
    def show(self, obj) -> str:
        return precise(getattr(obj, field))

    return show


def clock(moment, since=None) -> str:
    """Time of day to the millisecond, and how long after ``since`` (the instance's start)."""
    if moment is None:
        return EMPTY
    local = timezone.localtime(moment)
    text = local.strftime("%H:%M:%S.%f")[:-3]
    if since is None:
        return format_html('<span class="fd-nowrap" title="{}">{}</span>', local.isoformat(), text)
    offset = human_duration((moment - since).total_seconds())
    return format_html('<span class="fd-nowrap" title="{}">{} <span class="fd-muted">+{}</span></span>', local.isoformat(), text, offset)


def changelist_link(model: type[models.Model], text: str, **filters: Any) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return format_html('<a class="fd-nowrap" href="{}?{}">{}</a>', url, urlencode(filters), text)


def short_id(instance_id: Any) -> str:
    return str(instance_id)[:8]


def instance_label(instance: Instance) -> str:
    """'schedule-generation · 1a2b3c4d' (needs ``template`` selected with the instance)."""
    return f"{instance.template.name} · {short_id(instance.pk)}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class PrettyJSONFormField(forms.JSONField):
    """Edits JSON indented (a draft graph is readable in its textarea); an emptied optional field
    gets the model's default back instead of a NULL the column refuses."""

    def __init__(self, *, indent: int | None = 2, empty: Any = None, **kwargs):
        self.indent, self.empty = indent, empty
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values and self.empty is not None:
            return copy.deepcopy(self.empty)
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, indent=self.indent, ensure_ascii=False, cls=self.encoder)


class JSONEditingMixin:
    """JSON fields edited as readable JSON; ``json_rows`` sizes each textarea (None: one line)."""

    json_rows: ClassVar[dict[str, int | None]] = {}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.JSONField):
            rows = self.json_rows.get(db_field.name, 12)
            kwargs["form_class"] = PrettyJSONFormField
            kwargs["indent"] = 2 if rows else None
            kwargs["empty"] = db_field.get_default() if db_field.blank else None
            if rows:
                kwargs["widget"] = forms.Textarea(attrs={"rows": rows, "class": "fd-json-input", "spellcheck": "false"})
            else:
                kwargs["widget"] = forms.TextInput(attrs={"class": "vTextField fd-mono", "spellcheck": "false"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class ReadOnlyAdmin(admin.ModelAdmin):
    """History and engine state: viewed here, never added, edited or deleted (a stale form saved
    over a row the engine is updating would be a second writer of state)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """History shown beside its parent: never added to or edited here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- templates and versions ---------------------------------------------------------------------


class VersionInline(ReadOnlyInline):
    model = TemplateVersion
    fields = ("version", "status_badge", "checksum_short", "instance_count", "published", "published_by", "change_note")
    readonly_fields = fields
    classes = ("fd-compact",)
    verbose_name_plural = "versions"

    def get_queryset(self, request):
        published = Instance.objects.filter(version=OuterRef("pk")).order_by().values("version").annotate(n=Count("*")).values("n")
        return (
            super().get_queryset(request)
            .select_related("published_by")
            .annotate(n_instances=Coalesce(Subquery(published), 0))
            .order_by("-number")
        )

    @admin.display(description="version")
    def version(self, obj):
        return link(obj, f"v{obj.number}")

    @admin.display(description="status")
    def status_badge(self, obj):
        return badge(obj.status)

    @admin.display(description="checksum")
    def checksum_short(self, obj):
        return format_html('<code title="{}">{}</code>', obj.checksum, obj.checksum[:12]) if obj.checksum else EMPTY

    @admin.display(description="instances")
    def instance_count(self, obj):
        return changelist_link(Instance, str(obj.n_instances), version__id__exact=obj.pk)

    @admin.display(description="published")
    def published(self, obj):
        return when(obj.published_at)


def presence_filter(title: str, parameter: str, field: str, *, absent: str, present: str):
    """A list filter on whether ``field`` is set (archived or active, sub-workflow or top-level)."""

    class PresenceFilter(admin.SimpleListFilter):
        parameter_name = parameter

        def lookups(self, request, model_admin):
            return (("no", absent), ("yes", present))

        def queryset(self, request, queryset):
            if self.value() in ("no", "yes"):
                return queryset.filter(**{f"{field}__isnull": self.value() == "no"})
            return queryset

    PresenceFilter.title = title
    return PresenceFilter


ArchivedFilter = presence_filter("archived", "archived", "archived_at", absent="active", present="archived")


@admin.register(Template)
class TemplateAdmin(JSONEditingMixin, admin.ModelAdmin):
    list_display = (
        "template_name",
        "title",
        "latest_version",
        "draft_version",
        "instance_count",
        "tag_list",
        "updated",
    )
    list_display_links = ("template_name",)
    list_filter = (ArchivedFilter, ("owner", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "title", "description")
    date_hierarchy = "created_at"
    ordering = ("name",)
    list_select_related = ("owner",)
    list_per_page = 50
    autocomplete_fields = ("owner",)
    json_rows: ClassVar[dict[str, int | None]] = {"tags": None, "example_input": 8}
    fieldsets = (
        (None, {"fields": ("name", "title", "description", "tags", "example_input", "owner", "archived_at")}),
        ("Versions and instances", {"fields": ("latest_version", "instance_count", "created_at", "updated_at")}),
    )
    readonly_fields = ("latest_version", "instance_count", "created_at", "updated_at")
    inlines = (VersionInline,)

    def get_queryset(self, request):
        # Subqueries rather than joins: two aggregates over two joins would multiply each other.
        latest = TemplateVersion.objects.filter(template=OuterRef("pk"), status=TemplateVersion.Status.PUBLISHED).order_by("-number")
        started = Instance.objects.filter(template=OuterRef("pk")).order_by().values("template").annotate(n=Count("*")).values("n")
        return (
            super()
            .get_queryset(request)
            .annotate(
                latest_number=Subquery(latest.values("number")[:1]),
                latest_id=Subquery(latest.values("pk")[:1]),
                draft_id=Subquery(TemplateVersion.objects.filter(template=OuterRef("pk"), status=TemplateVersion.Status.DRAFT).values("pk")[:1]),
                draft_number=Subquery(TemplateVersion.objects.filter(template=OuterRef("pk"), status=TemplateVersion.Status.DRAFT).values("number")[:1]),
                n_instances=Coalesce(Subquery(started), 0),
            )
        )

    def save_model(self, request, obj, form, change):
        """Through ``authoring`` like every other way in: a new template gets its first draft."""
        if change:
            authoring.update_template(obj)
        else:
            authoring.add_template(obj, user=request.user)

    def get_readonly_fields(self, request, obj=None):
        # The name is how the API, the CLI and other graphs (sub-workflows) refer to a template.
        return (*self.readonly_fields, "name") if obj else self.readonly_fields

    @admin.display(description="name", ordering="name")
    def template_name(self, obj):
        if obj.archived_at:
            return format_html('<span class="fd-nowrap">{} <span class="fd-badge fd-archived">archived</span></span>', obj.name)
        return format_html('<span class="fd-nowrap">{}</span>', obj.name)

    @admin.display(description="published", ordering="latest_number")
    def latest_version(self, obj):
        if getattr(obj, "latest_id", None) is None:
            return EMPTY
        url = reverse("admin:workflows_templateversion_change", args=[obj.latest_id])
        return format_html('<a href="{}">v{}</a>', url, obj.latest_number)

    @admin.display(description="draft", ordering="draft_number")
    def draft_version(self, obj):
        if getattr(obj, "draft_id", None) is None:
            return EMPTY
        url = reverse("admin:workflows_templateversion_change", args=[obj.draft_id])
        return format_html('<a href="{}">v{} draft</a>', url, obj.draft_number)

    @admin.display(description="updated", ordering="updated_at")
    def updated(self, obj):
        return when(obj.updated_at)

    @admin.display(description="instances", ordering="n_instances")
    def instance_count(self, obj):
        if obj.pk is None:
            return EMPTY
        return changelist_link(Instance, str(getattr(obj, "n_instances", 0)), template__id__exact=obj.pk)

    @admin.display(description="tags")
    def tag_list(self, obj):
        tags = obj.tags if isinstance(obj.tags, list) else []
        shown = format_html_join(" ", '<span class="fd-tag">{}</span>', ((str(t),) for t in tags))
        return format_html('<span class="fd-nowrap">{}</span>', shown) if tags else EMPTY


class DraftForm(forms.ModelForm):
    """A draft's note and graph, with the revision the form was loaded at: saving over a newer
    save (the designer autosaves) is refused, as the designer and the API refuse it."""

    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = TemplateVersion
        fields = ("change_note", "graph")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["revision"].initial = self.instance.revision

    def clean(self):
        data = super().clean()
        current = TemplateVersion.objects.filter(pk=self.instance.pk).values_list("revision", flat=True).first()
        if self.instance.pk and data.get("revision") is not None and current != data["revision"]:
            raise forms.ValidationError("Someone saved this draft since you opened it (the designer saves as it goes). Reload the page to edit the newest draft.")
        if "graph" in data and (problem := sql.unstorable(data["graph"], "graph")):
            self.add_error("graph", problem)
        return data


@admin.register(TemplateVersion)
class TemplateVersionAdmin(JSONEditingMixin, admin.ModelAdmin):
    """Versions are made in the designer or through the API and published by ``authoring.publish``.
    Here a draft's graph and note can be edited (through ``authoring.save_draft``); a published or
    archived version is read-only."""

    form = DraftForm

    list_display = (
        "version",
        "template_link",
        "status_badge",
        "checksum_short",
        "instance_count",
        "published",
        "published_by",
        "note",
    )
    list_display_links = ("version",)
    list_filter = ("status", ("template", admin.RelatedOnlyFieldListFilter))
    search_fields = ("template__name", "template__title", "change_note", "checksum")
    date_hierarchy = "created_at"
    ordering = ("template__name", "-number")
    list_select_related = ("template", "published_by")
    list_per_page = 50
    json_rows: ClassVar[dict[str, int | None]] = {"graph": 28}
    readonly_fields = (
        "template_link",
        "number",
        "status_badge",
        "checksum",
        "instance_count",
        "created_by",
        "created_at",
        "updated_at",
        "published_by",
        "published_at",
        "graph_pretty",
        "nodes",
        "validation",
    )

    def get_queryset(self, request):
        started = Instance.objects.filter(version=OuterRef("pk")).order_by().values("version").annotate(n=Count("*")).values("n")
        return super().get_queryset(request).annotate(n_instances=Coalesce(Subquery(started), 0))

    def get_fieldsets(self, request, obj=None):
        editable = obj is not None and obj.status == TemplateVersion.Status.DRAFT and self.has_change_permission(request, obj)
        version = ("template_link", "number", "status_badge", "checksum", "instance_count")
        who = ("created_by", "created_at", "updated_at", "published_by", "published_at")
        if editable:
            return (
                (None, {"fields": version}),
                ("Draft", {"fields": ("change_note", "validation", "nodes", "graph", "revision")}),
                ("History", {"fields": who}),
            )
        return (
            (None, {"fields": (*version, "change_note")}),
            ("History", {"fields": who}),
            ("Graph", {"fields": ("nodes", "graph_pretty"), "description": "Published versions are immutable: edit the draft and publish a new version."}),
        )

    def save_model(self, request, obj, form, change):
        try:
            authoring.save_draft(obj.template, obj.graph, user=request.user, revision=form.cleaned_data.get("revision"), change_note=obj.change_note)
        except authoring.StaleDraft as exc:  # saved in the instant between the form's check and here
            messages.error(request, str(exc))

    def has_add_permission(self, request):
        return False  # a draft is started in the designer or through the API

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != TemplateVersion.Status.DRAFT:
            return False  # published versions are immutable; archived ones are history
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status != TemplateVersion.Status.DRAFT:
            return False  # instances run it (or did): it is part of their history
        return super().has_delete_permission(request, obj)

    @admin.display(description="version", ordering="number")
    def version(self, obj):
        return f"v{obj.number}"

    @admin.display(description="template", ordering="template__name")
    def template_link(self, obj):
        return link(obj.template, obj.template.name)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return badge(obj.status)

    @admin.display(description="checksum", ordering="checksum")
    def checksum_short(self, obj):
        return format_html('<code title="{}">{}</code>', obj.checksum, obj.checksum[:12]) if obj.checksum else EMPTY

    @admin.display(description="instances", ordering="n_instances")
    def instance_count(self, obj):
        return changelist_link(Instance, str(getattr(obj, "n_instances", 0)), version__id__exact=obj.pk)

    @admin.display(description="published", ordering="published_at")
    def published(self, obj):
        return when(obj.published_at)

    @admin.display(description="change note")
    def note(self, obj):
        return Truncator(obj.change_note).chars(80) or EMPTY

    @admin.display(description="nodes")
    def nodes(self, obj):
        """The steps at a glance: id, type, label and what each runs (the full JSON is below)."""
        graph = obj.graph if isinstance(obj.graph, dict) else {}
        nodes = [n for n in graph.get("nodes") or [] if isinstance(n, dict)]
        if not nodes:
            return EMPTY
        targets: dict[str, list[str]] = {}
        for edge in graph.get("edges") or []:
            if isinstance(edge, dict):
                port = edge.get("port", "out")
                targets.setdefault(str(edge.get("source")), []).append(f"{edge.get('target')}" + ("" if port == "out" else f" ({port})"))
        rows = (
            (
                n.get("id", "?"),
                n.get("type", "?"),
                n.get("label", ""),
                _node_runs(n.get("config")),
                ", ".join(targets.get(str(n.get("id")), [])) or EMPTY,
            )
            for n in nodes
        )
        return format_html(
            '<table class="fd-nodes"><thead><tr><th>id</th><th>type</th><th>label</th><th>runs</th><th>then</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            format_html_join("", "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>", rows),
        )

    @admin.display(description="graph")
    def graph_pretty(self, obj):
        return pretty_json(obj.graph)

    @admin.display(description="validation")
    def validation(self, obj):
        """What publishing would say about the draft now."""
        result = authoring.validate_graph(obj.graph, template=obj.template.name)
        if result.valid:
            return format_html('<span class="fd-ok">{}</span>', "valid: ready to publish")
        rows = ((e.node or "graph", e.field or "", e.message) for e in result.errors)
        return format_html('<ul class="fd-errors">{}</ul>', format_html_join("", "<li><b>{}</b> {} — {}</li>", rows))


def _node_runs(config: Any) -> str:
    """What a node does, in a word: its handler, sub-workflow, URL, expression or wait."""
    if not isinstance(config, dict):
        return ""
    for key in ("handler", "workflow", "url", "expression", "for_s", "until", "name"):
        if key in config:
            value = config[key]
            return f"{key}: {value}" if key in ("for_s", "until", "name") else str(value)
    return ""


# --- instances and their history ------------------------------------------------------------------


class InstanceHistoryInline(ReadOnlyInline):
    """Rows of an instance's history, timed relative to the instance (hence its row, joined)."""

    classes = ("fd-compact",)

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("instance")


class StepRunInline(InstanceHistoryInline):
    model = StepRun
    fields = ("step", "node_type", "item_key", "attempt", "status_badge", "error", "started", "duration", "worker", "heartbeat_shown")
    verbose_name_plural = "step runs"

    @admin.display(description="step")
    def step(self, obj):
        undo = format_html(' <span class="fd-muted" title="{}">compensation</span>', "an attempt of its compensate handler (saga)") if obj.compensation else ""
        return format_html("{}{}", link(obj, obj.node_id), undo)

    @admin.display(description="heartbeat")
    def heartbeat_shown(self, obj):
        return heartbeat_summary(obj)

    @admin.display(description="started")
    def started(self, obj):
        return clock(obj.started_at, obj.instance.started_at)

    @admin.display(description="status")
    def status_badge(self, obj):
        return badge(obj.status)

    @admin.display(description="error")
    def error(self, obj):
        if not obj.error_type and not obj.error_message:
            return EMPTY
        return format_html(
            '<span class="fd-error-type">{}</span> <span class="fd-error-message" title="{}">{}</span>',
            obj.error_type,
            obj.error_message,
            Truncator(obj.error_message).chars(160),
        )

    @admin.display(description="duration")
    def duration(self, obj):
        return human_duration(obj.duration_ms / 1000 if obj.duration_ms is not None else None)


def heartbeat_summary(step: StepRun) -> str:
    """The last heartbeat: a progress bar when its details carry ``progress`` (0..1 or 0..100), and
    the details in one line."""
    if step.heartbeat_at is None and step.heartbeat is None:
        return EMPTY
    details = step.heartbeat
    fraction = progress_of(details)
    bar = format_html('<progress max="100" value="{}" title="{}%"></progress> {}% ', round(fraction * 100), round(fraction * 100), round(fraction * 100)) if fraction is not None else ""
    return format_html('{}<span class="fd-muted">{}</span> {}', bar, compact_json(details, limit=80) if details is not None else "", when(step.heartbeat_at))


def progress_of(details: Any) -> float | None:
    """``progress`` in heartbeat details as a fraction: 0..1 as it is, above 1 read as a percentage."""
    value = details.get("progress") if isinstance(details, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return min(max(value / 100 if value > 1 else value, 0.0), 1.0)


class SignalInline(InstanceHistoryInline):
    model = Signal
    fields = ("seq", "name", "payload_summary", "sent_by", "sent", "delivered")
    verbose_name_plural = "signals"

    @admin.display(description="seq")
    def seq(self, obj):
        return link(obj, obj.pk)

    @admin.display(description="payload")
    def payload_summary(self, obj):
        return compact_json(obj.payload)

    @admin.display(description="sent")
    def sent(self, obj):
        return clock(obj.created_at, obj.instance.started_at or obj.instance.created_at)

    @admin.display(description="delivered")
    def delivered(self, obj):
        return signal_delivery(obj)


def signal_delivery(signal: Signal) -> str:
    if signal.delivered_at is None:
        return format_html('<span class="fd-muted">{}</span>', "buffered: no signal node has taken it yet")
    item = f"[{signal.item_key}]" if signal.item_key else ""
    return format_html("to <code>{}{}</code> {}", signal.node_id, item, when(signal.delivered_at))


class EventInline(InstanceHistoryInline):
    model = Event
    fields = ("number", "type", "node_id", "attempt", "data_summary", "at")
    verbose_name_plural = "events"

    @admin.display(description="seq")
    def number(self, obj):
        return link(obj, obj.seq)

    @admin.display(description="at")
    def at(self, obj):
        return clock(obj.created_at, obj.instance.started_at or obj.instance.created_at)

    @admin.display(description="data")
    def data_summary(self, obj):
        return compact_json(obj.data)


RunKindFilter = presence_filter("started as", "started_as", "parent_step", absent="top-level workflow", present="sub-workflow")


class InputOutputMixin:
    """An instance's or a step's input and output, pretty-printed and escaped."""

    @admin.display(description="input")
    def input_pretty(self, obj):
        return pretty_json(obj.input)

    @admin.display(description="output")
    def output_pretty(self, obj):
        return pretty_json(obj.output)


@admin.register(Instance)
class InstanceAdmin(InputOutputMixin, admin.ModelAdmin):
    list_display = (
        "short_id",
        "template_version",
        "status_badge",
        "business_key",
        "created",
        "duration",
        "error_summary",
    )
    list_display_links = ("short_id",)
    list_filter = ("status", ("template", admin.RelatedOnlyFieldListFilter), RunKindFilter, "priority")
    search_fields = ("id", "business_key", "idempotency_key", "template__name")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    list_select_related = ("template", "version")
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over the whole table on every filtered page
    actions = ("cancel_instances", "retry_instances", "pause_instances", "resume_instances")
    change_form_template = "admin/workflows/instance/change_form.html"
    fieldsets = (
        (None, {"fields": ("id", "template_link", "version_link", "status_badge", "history")}),
        ("Run", {"fields": ("priority", "business_key", "idempotency_key", "parent_link", "started_by")}),
        ("Timing", {"fields": ("created_precise", "started", "finished", "duration", "deadline")}),
        ("Data", {"fields": ("input_pretty", "output_pretty", "vars_pretty", "error_pretty", "saga_pretty")}),
    )
    readonly_fields = (
        "id",
        "template_link",
        "version_link",
        "status_badge",
        "history",
        "priority",
        "business_key",
        "idempotency_key",
        "parent_link",
        "started_by",
        "created_precise",
        "started",
        "finished",
        "duration",
        "deadline",
        "input_pretty",
        "output_pretty",
        "vars_pretty",
        "error_pretty",
        "saga_pretty",
    )
    inlines = (StepRunInline, SignalInline, EventInline)
    created_precise = timestamp("created_at", "created")
    started = timestamp("started_at", "started")
    finished = timestamp("finished_at", "finished")
    deadline = timestamp("deadline_at", "deadline (workflow timeout)")

    def has_add_permission(self, request):
        return False  # instances are started through the engine

    def has_change_permission(self, request, obj=None):
        return False  # only the engine changes an instance; with view permission the page is read-only

    def has_delete_permission(self, request, obj=None):
        return False  # the history is the audit trail

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("template", "version", "started_by", "parent_step__instance__template")

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if obj is not None and isinstance(inline, (StepRunInline, SignalInline, EventInline)):
            # A long-running fan-out can have thousands of rows: show the latest, link to the rest.
            model = inline.model
            latest = model.objects.filter(instance=obj).order_by("-id").values("pk")[:INLINE_LIMIT]
            kwargs["queryset"] = kwargs["queryset"].filter(pk__in=Subquery(latest))
        return kwargs

    # --- columns and fields

    @admin.display(description="instance", ordering="id")
    def short_id(self, obj):
        return format_html('<code title="{}">{}</code>', obj.pk, short_id(obj.pk))

    @admin.display(description="template", ordering="template__name")
    def template_link(self, obj):
        return link(obj.template, obj.template.name)

    @admin.display(description="version", ordering="version__number")
    def version_link(self, obj):
        return link(obj.version, f"v{obj.version.number}")

    @admin.display(description="template", ordering="template__name")
    def template_version(self, obj):
        return format_html('<span class="fd-nowrap">{} {}</span>', link(obj.template, obj.template.name), link(obj.version, f"v{obj.version.number}"))

    @admin.display(description="created", ordering="created_at")
    def created(self, obj):
        return when(obj.created_at)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return badge(obj.status)

    @admin.display(description="duration")
    def duration(self, obj):
        if obj.duration_s is not None:
            return human_duration(obj.duration_s)
        if obj.started_at and not InstanceStatus(obj.status).is_final:
            elapsed = human_duration((timezone.now() - obj.started_at).total_seconds())
            return format_html('<span class="fd-muted fd-nowrap" title="still running">{} so far</span>', elapsed)
        return EMPTY

    @admin.display(description="error")
    def error_summary(self, obj):
        error = obj.error if isinstance(obj.error, dict) else None
        if not error:
            return EMPTY
        where = f"{error['node']}: " if error.get("node") else ""
        text = f"{where}{error.get('message') or error.get('type') or ''}"
        return format_html('<span class="fd-error-message" title="{}">{}</span>', text, Truncator(text).chars(70))

    @admin.display(description="parent step")
    def parent_link(self, obj):
        step = obj.parent_step
        if step is None:
            return EMPTY
        return format_html("{} in {}", link(step, f"{step.node_id}#{step.attempt}"), link(step.instance, instance_label(step.instance)))

    @admin.display(description="history")
    def history(self, obj):
        steps, events, timers = (model.objects.filter(instance=obj).count() for model in (StepRun, Event, Timer))
        parts = [
            changelist_link(StepRun, plural(steps, "step run"), instance__id__exact=obj.pk),
            changelist_link(Event, plural(events, "event"), instance__id__exact=obj.pk),
            changelist_link(Timer, plural(timers, "pending timer"), instance__id__exact=obj.pk),
        ]
        note = ""
        if max(steps, events) > INLINE_LIMIT:
            note = format_html(' <span class="fd-muted">(the lists below show the latest {} of each)</span>', INLINE_LIMIT)
        return format_html("{} · {} · {}{}", *parts, note)

    @admin.display(description="vars")
    def vars_pretty(self, obj):
        return pretty_json(obj.vars)

    @admin.display(description="error")
    def error_pretty(self, obj):
        return pretty_json(obj.error, css="fd-json fd-json-error")

    @admin.display(description="compensation (saga)")
    def saga_pretty(self, obj):
        return pretty_json(obj.saga) if obj.saga else EMPTY

    # --- controls: thin callers of the engine's service functions, for those who may control

    CONTROL_ACTIONS = ("cancel_instances", "retry_instances", "pause_instances", "resume_instances")

    def has_control_permission(self, request, obj=None) -> bool:
        """The admin's "view instance" permission is every role's: controlling needs the operators role."""
        return can_control_instance(request.user)

    def refuse_control(self, request: HttpRequest) -> None:
        self.message_user(request, f"{CONTROL_REFUSED[0].upper()}{CONTROL_REFUSED[1:]}; nothing was changed.", messages.ERROR)

    @admin.action(description="Cancel selected instances", permissions=["control"])
    def cancel_instances(self, request, queryset):
        by = request.user.get_username()
        reason = f"cancelled by {by} in the admin"
        self.control(request, queryset.select_related("template"), "cancelled", lambda i: engine.cancel_instance(i.pk, reason=reason, by=by))

    @admin.action(description="Retry selected failed instances", permissions=["control"])
    def retry_instances(self, request, queryset):
        by = request.user.get_username()
        self.control(request, queryset.select_related("template"), "retried", lambda i: engine.retry_instance(i.pk, by=by))

    @admin.action(description="Pause selected running instances", permissions=["control"])
    def pause_instances(self, request, queryset):
        by = request.user.get_username()
        self.control(request, queryset.select_related("template"), "paused", lambda i: engine.pause_instance(i.pk, by=by))

    @admin.action(description="Resume selected paused instances", permissions=["control"])
    def resume_instances(self, request, queryset):
        by = request.user.get_username()
        self.control(request, queryset.select_related("template"), "resumed", lambda i: engine.resume_instance(i.pk, by=by))

    def changelist_view(self, request, extra_context=None):
        # An action the user is not offered would otherwise be dropped as "No action selected".
        if request.method == "POST" and request.POST.get("action") in self.CONTROL_ACTIONS and not self.has_control_permission(request):
            self.refuse_control(request)
            return HttpResponseRedirect(request.get_full_path())
        return super().changelist_view(request, extra_context)

    def control(self, request: HttpRequest, instances: Iterable[Instance], done: str, call: Callable[[Instance], Any]) -> None:
        """Call the engine once per instance and report each success and each refusal."""
        if not self.has_control_permission(request):
            self.refuse_control(request)
            return
        succeeded: list[str] = []
        refused: list[tuple[str, str]] = []
        for instance in instances:
            try:
                call(instance)
            except engine.EngineError as exc:
                refused.append((instance_label(instance), str(exc)))
            else:
                succeeded.append(instance_label(instance))
                # The admin's own history of the instance ("History" button): who asked for what.
                self.log_change(request, instance, f"{done.capitalize()} through the engine.")
        shown = 20
        if succeeded:
            names = ", ".join(succeeded[:shown]) + (f" and {len(succeeded) - shown} more" if len(succeeded) > shown else "")
            self.message_user(request, f"{done.capitalize()} {plural(len(succeeded), 'instance')}: {names}.", messages.SUCCESS)
        for label, reason in refused[:shown]:
            self.message_user(request, f"{label} was not {done}: {reason}", messages.WARNING)
        if len(refused) > shown:
            self.message_user(request, f"… and {len(refused) - shown} more instances were not {done}.", messages.WARNING)

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        own = [
            path("<path:object_id>/cancel/", self.admin_site.admin_view(self.cancel_view), name=f"{info}_cancel"),
            path("<path:object_id>/retry/", self.admin_site.admin_view(self.retry_view), name=f"{info}_retry"),
            path("<path:object_id>/pause/", self.admin_site.admin_view(self.pause_view), name=f"{info}_pause"),
            path("<path:object_id>/resume/", self.admin_site.admin_view(self.resume_view), name=f"{info}_resume"),
        ]
        return own + super().get_urls()  # before the catch-all "<path:object_id>/"

    def _one(self, request, object_id) -> Instance | None:
        instance = self.get_object(request, unquote(object_id))
        if instance is not None and not self.has_view_permission(request, instance):
            raise PermissionDenied
        return instance

    def _back(self, request, instance: Instance | None):
        if instance is None:
            self.message_user(request, "That instance does not exist.", messages.WARNING)
            return HttpResponseRedirect(reverse("admin:workflows_instance_changelist"))
        return HttpResponseRedirect(change_url(instance))

    @method_decorator(require_POST)
    def cancel_view(self, request, object_id):
        instance = self._one(request, object_id)
        if instance is not None:
            self.cancel_instances(request, Instance.objects.filter(pk=instance.pk))
        return self._back(request, instance)

    @method_decorator(require_POST)
    def retry_view(self, request, object_id):
        instance = self._one(request, object_id)
        if instance is not None:
            self.retry_instances(request, Instance.objects.filter(pk=instance.pk))
        return self._back(request, instance)

    @method_decorator(require_POST)
    def pause_view(self, request, object_id):
        instance = self._one(request, object_id)
        if instance is not None:
            self.pause_instances(request, Instance.objects.filter(pk=instance.pk))
        return self._back(request, instance)

    @method_decorator(require_POST)
    def resume_view(self, request, object_id):
        instance = self._one(request, object_id)
        if instance is not None:
            self.resume_instances(request, Instance.objects.filter(pk=instance.pk))
        return self._back(request, instance)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        instance = self.get_object(request, unquote(object_id))
        if instance is not None:
            may = self.has_control_permission(request, instance)
            extra_context = {
                **(extra_context or {}),
                "can_cancel": may and not InstanceStatus(instance.status).is_final,
                "can_retry": may and instance.status == InstanceStatus.FAILED,
                "can_pause": may and instance.status == InstanceStatus.RUNNING,
                "can_resume": may and instance.status == InstanceStatus.PAUSED,
            }
        return super().change_view(request, object_id, form_url, extra_context)


class RetriedFilter(admin.SimpleListFilter):
    title = "attempt"
    parameter_name = "attempts"

    def lookups(self, request, model_admin):
        return (("first", "first attempt"), ("retry", "retries (attempt 2+)"))

    def queryset(self, request, queryset):
        if self.value() == "first":
            return queryset.filter(attempt=1)
        if self.value() == "retry":
            return queryset.filter(attempt__gt=1)
        return queryset


class TracebackMixin:
    @admin.display(description="traceback")
    def traceback(self, obj):
        if not obj.error_traceback:
            return EMPTY
        return format_html('<pre class="fd-traceback">{}</pre>', obj.error_traceback)


class InstanceLinkMixin:
    @admin.display(description="instance", ordering="instance__created_at")
    def instance_link(self, obj):
        return link(obj.instance, instance_label(obj.instance))


@admin.register(StepRun)
class StepRunAdmin(InputOutputMixin, InstanceLinkMixin, TracebackMixin, ReadOnlyAdmin):
    list_display = ("step", "instance_link", "status_badge", "error_type", "started", "duration", "worker")
    list_display_links = ("step",)
    list_filter = ("status", "node_type", RetriedFilter, "compensation", ("instance__template", admin.RelatedOnlyFieldListFilter))
    search_fields = ("node_id", "error_type", "error_message", "worker", "instance__id", "instance__business_key")
    date_hierarchy = "scheduled_at"
    ordering = ("-id",)
    list_select_related = ("instance__template",)
    list_per_page = 100
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("instance_link", "node_id", "node_type", "item_key", "attempt", "compensation", "status_badge", "ports", "attempts", "children_links", "priority")}),
        ("Timing", {"fields": ("scheduled", "not_before_at", "started_precise", "finished", "duration", "worker", "lease", "deadline")}),
        ("Heartbeat", {"fields": ("heartbeat_shown", "heartbeat_precise", "heartbeat_pretty")}),
        ("Data", {"fields": ("input_pretty", "output_pretty")}),
        ("Error", {"fields": ("error_type", "error_message", "traceback")}),
    )
    readonly_fields = (
        "instance_link",
        "node_id",
        "node_type",
        "item_key",
        "attempt",
        "compensation",
        "status_badge",
        "ports",
        "attempts",
        "children_links",
        "priority",
        "heartbeat_shown",
        "heartbeat_precise",
        "heartbeat_pretty",
        "scheduled",
        "not_before_at",
        "started_precise",
        "finished",
        "duration",
        "worker",
        "lease",
        "deadline",
        "input_pretty",
        "output_pretty",
        "error_type",
        "error_message",
        "traceback",
    )

    scheduled = timestamp("scheduled_at", "scheduled")
    not_before_at = timestamp("not_before", "not before (retry backoff)")
    started_precise = timestamp("started_at", "started")
    finished = timestamp("finished_at", "finished")
    lease = timestamp("lease_until", "lease until (renewed by the worker)")
    deadline = timestamp("deadline_at", "deadline (the step's timeout)")
    heartbeat_precise = timestamp("heartbeat_at", "last heartbeat at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("instance__template")

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return badge(obj.status)

    @admin.display(description="duration")
    def duration(self, obj):
        return human_duration(obj.duration_ms / 1000 if obj.duration_ms is not None else None)

    @admin.display(description="step", ordering="node_id")
    def step(self, obj):
        item = f"[{obj.item_key}]" if obj.item_key else ""
        undo = " compensation" if obj.compensation else ""
        return format_html('<span class="fd-nowrap">{}{}#{} <span class="fd-muted">{}{}</span></span>', obj.node_id, item, obj.attempt, obj.node_type, undo)

    @admin.display(description="progress")
    def heartbeat_shown(self, obj):
        return heartbeat_summary(obj)

    @admin.display(description="last heartbeat details")
    def heartbeat_pretty(self, obj):
        return pretty_json(obj.heartbeat) if obj.heartbeat is not None else EMPTY

    @admin.display(description="started", ordering="started_at")
    def started(self, obj):
        return when(obj.started_at)

    @admin.display(description="all attempts")
    def attempts(self, obj):
        count = StepRun.objects.filter(instance_id=obj.instance_id, node_id=obj.node_id, item_key=obj.item_key).count()
        return changelist_link(StepRun, f"{plural(count, 'attempt')} of {obj.node_id}", instance__id__exact=obj.instance_id, node_id=obj.node_id)

    @admin.display(description="sub-workflows")
    def children_links(self, obj):
        children = list(obj.children.select_related("template")[:50])
        if not children:
            return EMPTY
        return format_html_join(", ", "{}", ((link(c, instance_label(c)),) for c in children))


@admin.register(Event)
class EventAdmin(InstanceLinkMixin, ReadOnlyAdmin):
    list_display = ("seq", "type", "instance_link", "node_id", "attempt", "data_summary", "created")
    list_display_links = ("seq", "type")
    list_filter = ("type", ("instance__template", admin.RelatedOnlyFieldListFilter))
    search_fields = ("type", "node_id", "instance__id")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    list_select_related = ("instance__template",)
    list_per_page = 100
    show_full_result_count = False
    fields = ("instance_link", "seq", "type", "node_id", "attempt", "created_precise", "data_pretty")
    readonly_fields = fields
    created_precise = timestamp("created_at", "created")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("instance__template")

    @admin.display(description="data")
    def data_summary(self, obj):
        return compact_json(obj.data, limit=100)

    @admin.display(description="created", ordering="created_at")
    def created(self, obj):
        return when(obj.created_at)

    @admin.display(description="data")
    def data_pretty(self, obj):
        return pretty_json(obj.data)


@admin.register(Signal)
class SignalAdmin(InstanceLinkMixin, ReadOnlyAdmin):
    """Signals sent to instances, buffered until a signal node takes them: read-only (the API, the
    CLI and the instance page send them, through the engine)."""

    list_display = ("seq", "name", "instance_link", "sent_by", "payload_summary", "created", "delivered")
    list_display_links = ("seq", "name")
    list_filter = (("delivered_at", admin.EmptyFieldListFilter), "name", ("instance__template", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "sent_by", "node_id", "instance__id", "instance__business_key")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    list_select_related = ("instance__template",)
    list_per_page = 100
    show_full_result_count = False
    fields = ("seq", "instance_link", "name", "sent_by", "created_precise", "delivered", "payload_pretty")
    readonly_fields = fields
    created_precise = timestamp("created_at", "sent")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("instance__template")

    @admin.display(description="seq", ordering="id")
    def seq(self, obj):
        return obj.pk

    @admin.display(description="payload")
    def payload_summary(self, obj):
        return compact_json(obj.payload, limit=100)

    @admin.display(description="payload")
    def payload_pretty(self, obj):
        return pretty_json(obj.payload)

    @admin.display(description="sent", ordering="created_at")
    def created(self, obj):
        return when(obj.created_at)

    @admin.display(description="delivered", ordering="delivered_at")
    def delivered(self, obj):
        return signal_delivery(obj)


@admin.register(Timer)
class TimerAdmin(InstanceLinkMixin, ReadOnlyAdmin):
    list_display = ("kind", "instance_link", "node_id", "attempt", "due_at_local", "due", "faults", "created")
    list_display_links = ("kind",)
    list_filter = ("kind", ("instance__template", admin.RelatedOnlyFieldListFilter))
    search_fields = ("node_id", "instance__id")
    date_hierarchy = "due_at"
    ordering = ("due_at",)
    list_select_related = ("instance__template",)
    list_per_page = 100
    fields = ("instance_link", "kind", "node_id", "attempt", "due_precise", "due", "faults", "created_precise")
    readonly_fields = fields
    due_precise = timestamp("due_at", "due at")
    created_precise = timestamp("created_at", "created")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("instance__template")

    @admin.display(description="due at", ordering="due_at")
    def due_at_local(self, obj):
        return when(obj.due_at)

    @admin.display(description="created", ordering="created_at")
    def created(self, obj):
        return when(obj.created_at)

    @admin.display(description="fires", ordering="due_at")
    def due(self, obj):
        delta = obj.due_at.timestamp() - time.time()
        if delta >= 0:
            return f"in {human_duration(delta)}"
        return format_html('<span class="fd-overdue">overdue by {}</span>', human_duration(-delta))


@admin.register(Fault)
class FaultAdmin(TracebackMixin, ReadOnlyAdmin):
    """What an engine loop could not do for one item and is backing off: the rest carried on.
    Deletable once understood (the loop records it again if it still fails)."""

    list_display = ("source", "target", "instance_shown", "error_type", "attempts", "last", "retry")
    list_display_links = ("source", "target")
    list_filter = ("source", "error_type")
    search_fields = ("target", "error_type", "error_message", "instance__id")
    ordering = ("-last_at",)
    list_select_related = ("instance__template",)
    fields = ("source", "target", "instance_shown", "attempts", "first_precise", "last_precise", "retry_precise", "error_type", "error_message", "traceback")
    readonly_fields = fields
    first_precise = timestamp("first_at", "first failed")
    last_precise = timestamp("last_at", "last failed")
    retry_precise = timestamp("retry_at", "next try")

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description="instance", ordering="instance__created_at")
    def instance_shown(self, obj):
        return link(obj.instance, instance_label(obj.instance)) if obj.instance else EMPTY

    @admin.display(description="last failed", ordering="last_at")
    def last(self, obj):
        return when(obj.last_at)

    @admin.display(description="next try", ordering="retry_at")
    def retry(self, obj):
        return when(obj.retry_at)


# --- schedules ------------------------------------------------------------------------------------


class ScheduleForm(forms.ModelForm):
    """The checks every writer shares (``workflows.schedules``), answered on the form's fields."""

    class Meta:
        model = Schedule
        fields = ("name", "template", "version", "cron", "timezone", "input", "priority", "overlap", "catch_up", "enabled")

    def clean(self):
        data = super().clean()
        editing = self.instance.pk is not None
        changed = {k: data[k] for k in self.Meta.fields if k in data and (not editing or k in self.changed_data)}
        for field, messages_ in schedules.problems(changed, current=self.instance if editing else None).items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, messages_)
        return data


@admin.register(Schedule)
class ScheduleAdmin(JSONEditingMixin, admin.ModelAdmin):
    """Cron schedules: edited here like through the API (same checks, operators only); the next
    fire is re-armed when the cron, the zone or the enabled state changes."""

    form = ScheduleForm
    list_display = ("name", "template_link", "cron_code", "timezone", "enabled", "next_fire", "last_fired", "overlap")
    list_display_links = ("name",)
    list_filter = ("enabled", "overlap", ("template", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "template__name", "cron")
    ordering = ("name",)
    list_select_related = ("template",)
    actions = ("pause_schedules", "resume_schedules")
    json_rows: ClassVar[dict[str, int | None]] = {"input": 8}
    fieldsets = (
        (None, {"fields": ("name", "template", "version", "input", "priority")}),
        ("When", {"fields": ("cron", "timezone", "enabled", "next_five", "catch_up", "overlap")}),
        ("State", {"fields": ("next_precise", "last_precise", "buffered_precise", "retry_precise", "recent_runs", "created_by", "created_at", "updated_at")}),
    )
    readonly_fields = ("next_five", "next_precise", "last_precise", "buffered_precise", "retry_precise", "recent_runs", "created_by", "created_at", "updated_at")
    next_precise = timestamp("next_fire_at", "next fire")
    last_precise = timestamp("last_fired_at", "last fire (its scheduled time)")
    buffered_precise = timestamp("buffered_fire_at", "buffered fire (buffer_one)")
    retry_precise = timestamp("retry_at", "retry after a failed fire")

    def has_add_permission(self, request):
        return can_manage_schedules(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return can_manage_schedules(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return can_manage_schedules(request.user) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.cron = " ".join(obj.cron.split())
        if not change or {"cron", "timezone", "enabled"} & set(form.changed_data):
            schedules.arm(obj)
        super().save_model(request, obj, form, change)

    @admin.display(description="template", ordering="template__name")
    def template_link(self, obj):
        return link(obj.template, obj.template.name)

    @admin.display(description="cron", ordering="cron")
    def cron_code(self, obj):
        return format_html("<code>{}</code>", obj.cron)

    @admin.display(description="next fire", ordering="next_fire_at")
    def next_fire(self, obj):
        return when(obj.next_fire_at) if obj.enabled else format_html('<span class="fd-muted">{}</span>', "paused")

    @admin.display(description="last fire", ordering="last_fired_at")
    def last_fired(self, obj):
        return when(obj.last_fired_at)

    @admin.display(description="next five fires")
    def next_five(self, obj):
        if obj is None or not obj.pk:
            return EMPTY
        fires = [m.isoformat() for m in schedules.upcoming(obj, 5)]
        note = "" if obj.enabled else format_html(' <span class="fd-muted">({})</span>', "paused: these fire once resumed")
        return format_html("{}{}", format_html_join(", ", "<code>{}</code>", ((f,) for f in fires)) if fires else EMPTY, note)

    @admin.display(description="last runs")
    def recent_runs(self, obj):
        runs = list(obj.instances.select_related("template").order_by("-created_at")[:5]) if obj.pk else []
        if not runs:
            return EMPTY
        items = format_html_join(", ", "{} {}", ((link(r, r.business_key or instance_label(r)), badge(r.status)) for r in runs))
        return format_html("{} · {}", items, changelist_link(Instance, "all its runs", schedule__id__exact=obj.pk))

    @admin.action(description="Pause selected schedules", permissions=["change"])
    def pause_schedules(self, request, queryset):
        self._switch(request, queryset, schedules.pause, "paused")

    @admin.action(description="Resume selected schedules", permissions=["change"])
    def resume_schedules(self, request, queryset):
        self._switch(request, queryset, schedules.resume, "resumed")

    def _switch(self, request, queryset, call, done: str) -> None:
        if not can_manage_schedules(request.user):
            self.message_user(request, f"{SCHEDULES_REFUSED[0].upper()}{SCHEDULES_REFUSED[1:]}; nothing was changed.", messages.ERROR)
            return
        names = []
        for schedule in queryset:
            call(schedule)
            self.log_change(request, schedule, f"{done.capitalize()}.")
            names.append(schedule.name)
        self.message_user(request, f"{done.capitalize()} {plural(len(names), 'schedule')}: {', '.join(names)}.", messages.SUCCESS)
