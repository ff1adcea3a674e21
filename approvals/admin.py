"""The Django admin over approval tasks, their votes and audit trail, and out-of-office absences.

A task's state belongs to the engine and the reviewers' actions (``approvals.service``): its
status, decision and output, its votes and audit entries, which step of which instance it is, who
holds it and when it is due are read-only here. Who decides changes through a delegation (the inbox
or the API), which the task's trail and the instance's history record; the due time is also the
engine's timer. What an admin may correct on an open task is how it reads and ranks: its title,
instructions and priority. That save writes those columns alone, and only while the task is still
open, so a form opened before a reviewer decided cannot write the old status back over the decision.
Tasks are never added or deleted here. Absences are reviewers' settings and are edited freely.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from workflows.admin import (
    EMPTY,
    ReadOnlyAdmin,
    ReadOnlyInline,
    compact_json,
    instance_label,
    link,
    pretty_json,
    timestamp,
    when,
)
from workflows.errors import Conflict

from . import service
from .models import Absence, Entry, Task, Vote

#: The workflows admin's styles (badges, JSON blocks) serve these pages too.
CHANGE_LIST = "admin/workflows/change_list.html"
CHANGE_FORM = "admin/workflows/change_form.html"

#: Task statuses and decisions drawn with the colours the instance statuses use for the same meaning.
LOOKS = {
    "open": "waiting", "decided": "completed", "escalated": "timed_out", "expired": "failed", "withdrawn": "cancelled",
    "approved": "completed", "rejected": "failed", "changes": "waiting",
}  # fmt: skip


def task_badge(value: str, label: str | None = None) -> str:
    if not value:
        return EMPTY
    return format_html('<span class="fd-badge fd-{}">{}</span>', LOOKS.get(value, value), label or value)


def people(names) -> str:
    names = list(names)
    return format_html_join(", ", "{}", ((n,) for n in names)) if names else EMPTY


class TaskEntryInline(ReadOnlyInline):
    model = Entry
    fields = ("at_shown", "by", "action", "note", "data_summary")
    readonly_fields = fields
    classes = ("fd-compact",)
    verbose_name_plural = "audit trail"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user").order_by("at", "id")

    @admin.display(description="at")
    def at_shown(self, obj):
        return link(obj, when(obj.at))

    @admin.display(description="by")
    def by(self, obj):
        return obj.user.get_username() if obj.user else format_html('<span class="fd-muted">{}</span>', "the engine")

    @admin.display(description="data")
    def data_summary(self, obj):
        return compact_json(obj.data)


class TaskVoteInline(ReadOnlyInline):
    model = Vote
    fields = ("at_shown", "user", "decision_badge", "comment", "data_summary")
    readonly_fields = fields
    classes = ("fd-compact",)
    verbose_name_plural = "decisions"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    @admin.display(description="at")
    def at_shown(self, obj):
        return link(obj, when(obj.at))

    @admin.display(description="decision")
    def decision_badge(self, obj):
        return task_badge(obj.decision, obj.get_decision_display())

    @admin.display(description="form data")
    def data_summary(self, obj):
        return compact_json(obj.data)


class TaskForm(forms.ModelForm):
    class Meta:
        model = Task
        fields = service.EDITABLE  # everything else is the engine's or the reviewers'
        widgets = {"title": forms.TextInput(attrs={"class": "vLargeTextField"}), "instructions": forms.Textarea(attrs={"rows": 6, "class": "vLargeTextField"})}

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("A task needs a title.")
        return title

    def clean_priority(self):
        priority = self.cleaned_data["priority"]
        if priority is not None and priority > 100:
            raise forms.ValidationError("Priorities run from 0 to 100, as the instances' do.")
        return priority




@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    form = TaskForm
    change_list_template = CHANGE_LIST
    change_form_template = CHANGE_FORM
    list_display = ("title", "template_link", "status_badge", "decision_badge", "claimed_by", "due", "created")
    list_display_links = ("title",)
    list_filter = ("status", "decision", ("template", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    list_select_related = ("template", "claimed_by")
    list_per_page = 50
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("title", "instructions", "priority", "template_link", "instance_link", "node_id", "attempt")}),
        ("Who decides", {"fields": ("assignee_names", "group_names", "unknown_names", "claimed_by", "claimed_precise", "quorum", "rejections", "allow_starter")}),
        ("What they see", {"fields": ("context_pretty", "form_pretty")}),
        ("Outcome", {"fields": ("status_badge", "decision_badge", "decided_by", "output_pretty")}),
        ("Timing", {"fields": ("created_precise", "due_precise", "reminded_precise", "escalated_precise", "closed_precise")}),
    )
    readonly_fields = (
        "template_link", "instance_link", "node_id", "attempt",
        "assignee_names", "group_names", "unknown_names", "claimed_by", "claimed_precise", "quorum", "rejections", "allow_starter",
        "context_pretty", "form_pretty", "status_badge", "decision_badge", "decided_by", "output_pretty",
        "created_precise", "due_precise", "reminded_precise", "escalated_precise", "closed_precise",
    )  # fmt: skip
    inlines = (TaskVoteInline, TaskEntryInline)
    created_precise = timestamp("created_at", "created")
    due_precise = timestamp("due_at", "due")
    claimed_precise = timestamp("claimed_at", "claimed")
    reminded_precise = timestamp("reminded_at", "reminded")
    escalated_precise = timestamp("escalated_at", "escalated")
    closed_precise = timestamp("closed_at", "closed")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("template", "instance__template", "claimed_by", "decided_by")

    def has_add_permission(self, request):
        return False  # tasks are opened by their approval step

    def has_delete_permission(self, request, obj=None):
        return False  # the step waits on it; withdrawing is the engine's (cancel the instance)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_open)

    def save_model(self, request, obj, form, change):
        # Only the edited columns, and only while the task is open: a full save() would write the
        # status, claim and decision this form was loaded with over what a reviewer did since.
        # (A task closed before the form was sent is refused by ``has_change_permission``; this
        # covers the moment between that check and this write.)
        changed = {name: form.cleaned_data[name] for name in service.EDITABLE if name in form.changed_data}
        if changed:
            try:
                service.edit(request.user, obj.pk, changed)  # in the audit trail and the instance's history
            except Conflict:
                obj.closed_meanwhile = True

    def response_change(self, request, obj):
        if getattr(obj, "closed_meanwhile", False):
            status = Task.objects.filter(pk=obj.pk).values_list("status", flat=True).get()
            self.message_user(request, f"Nothing was saved: the task was {status} while you edited it.", messages.ERROR)
            return self.response_post_save_change(request, obj)
        return super().response_change(request, obj)

    # --- columns and fields

    @admin.display(description="template", ordering="template__name")
    def template_link(self, obj):
        return link(obj.template, obj.template.name)

    @admin.display(description="instance")
    def instance_link(self, obj):
        return link(obj.instance, instance_label(obj.instance))

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return task_badge(obj.status)

    @admin.display(description="decision", ordering="decision")
    def decision_badge(self, obj):
        return task_badge(obj.decision, obj.get_decision_display())

    @admin.display(description="due", ordering="due_at")
    def due(self, obj):
        if obj.due_at is None:
            return EMPTY
        if obj.is_open and obj.due_at < timezone.now():
            return format_html('<span class="fd-overdue" title="overdue">{}</span>', when(obj.due_at))
        return when(obj.due_at)

    @admin.display(description="created", ordering="created_at")
    def created(self, obj):
        return when(obj.created_at)

    @admin.display(description="assignees")
    def assignee_names(self, obj):
        return people(obj.assignees.order_by("username").values_list("username", flat=True))

    @admin.display(description="candidate groups")
    def group_names(self, obj):
        return people(obj.groups.order_by("name").values_list("name", flat=True))

    @admin.display(description="named but unknown")
    def unknown_names(self, obj):
        return people(obj.unknown or [])

    @admin.display(description="context shown")
    def context_pretty(self, obj):
        return pretty_json(obj.context)

    @admin.display(description="form")
    def form_pretty(self, obj):
        return pretty_json(obj.form)

    @admin.display(description="output (the step's)")
    def output_pretty(self, obj):
        return pretty_json(obj.output)


class TaskLinkMixin:
    @admin.display(description="task", ordering="task__id")
    def task_link(self, obj):
        return link(obj.task, obj.task.title)


@admin.register(Entry)
class EntryAdmin(TaskLinkMixin, ReadOnlyAdmin):
    """The tasks' audit trail: written by the engine and the reviewers' actions, read here."""

    change_list_template = CHANGE_LIST
    change_form_template = CHANGE_FORM
    list_display = ("at_shown", "task_link", "by", "action", "note_summary")
    list_display_links = ("at_shown",)
    list_filter = ("action", ("task__template", admin.RelatedOnlyFieldListFilter))
    search_fields = ("note", "task__title", "user__username")
    date_hierarchy = "at"
    ordering = ("-at", "-id")
    list_select_related = ("task", "user")
    list_per_page = 100
    show_full_result_count = False
    fields = ("task_link", "at_precise", "by", "action", "note", "data_pretty")
    readonly_fields = fields
    at_precise = timestamp("at", "at")

    @admin.display(description="at", ordering="at")
    def at_shown(self, obj):
        return when(obj.at)

    @admin.display(description="by", ordering="user__username")
    def by(self, obj):
        return obj.user.get_username() if obj.user else format_html('<span class="fd-muted">{}</span>', "the engine")

    @admin.display(description="note")
    def note_summary(self, obj):
        return obj.note[:160] + ("…" if len(obj.note) > 160 else "") if obj.note else EMPTY

    @admin.display(description="data")
    def data_pretty(self, obj):
        return pretty_json(obj.data)


@admin.register(Vote)
class VoteAdmin(TaskLinkMixin, ReadOnlyAdmin):
    """Each reviewer's decision on a task (a quorum task collects several): read-only."""

    change_list_template = CHANGE_LIST
    change_form_template = CHANGE_FORM
    list_display = ("at_shown", "task_link", "user", "decision_badge", "comment_summary")
    list_display_links = ("at_shown",)
    list_filter = ("decision", ("task__template", admin.RelatedOnlyFieldListFilter))
    search_fields = ("task__title", "user__username", "comment")
    ordering = ("-at", "-id")
    list_select_related = ("task", "user")
    fields = ("task_link", "user", "decision_badge", "at_precise", "comment", "data_pretty")
    readonly_fields = fields
    at_precise = timestamp("at", "at")

    @admin.display(description="at", ordering="at")
    def at_shown(self, obj):
        return when(obj.at)

    @admin.display(description="decision", ordering="decision")
    def decision_badge(self, obj):
        return task_badge(obj.decision, obj.get_decision_display())

    @admin.display(description="comment")
    def comment_summary(self, obj):
        return obj.comment[:160] + ("…" if len(obj.comment) > 160 else "") if obj.comment else EMPTY

    @admin.display(description="form data")
    def data_pretty(self, obj):
        return pretty_json(obj.data)


class AbsenceForm(forms.ModelForm):
    """The checks ``service.set_absence`` makes, on the form's fields (the table's constraints
    would otherwise answer them as one message for the whole form)."""

    class Meta:
        model = Absence
        fields = ("user", "substitute", "starts", "ends", "note")

    def clean(self):
        data = super().clean()
        user, substitute, starts, ends = (data.get(k) for k in ("user", "substitute", "starts", "ends"))
        if substitute is not None and not substitute.is_active:
            self.add_error("substitute", "This user is inactive: name someone who can stand in.")
        elif user is not None and substitute is not None and user.pk == substitute.pk:
            self.add_error("substitute", "Name someone else to stand in.")
        if starts and ends and ends <= starts:
            self.add_error("ends", "The absence must end after it starts.")
        return data


class AbsenceWhenFilter(admin.SimpleListFilter):
    title = "when"
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return (("now", "under way"), ("upcoming", "upcoming"), ("past", "past"))

    def queryset(self, request, queryset):
        now = timezone.now()
        where = {"now": Q(starts__lte=now, ends__gt=now), "upcoming": Q(starts__gt=now), "past": Q(ends__lte=now)}.get(self.value())
        return queryset.filter(where) if where is not None else queryset


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    """Out of office: tasks opened for the user while it runs go to the substitute (from then on;
    tasks opened before stay where they are)."""

    form = AbsenceForm
    change_list_template = CHANGE_LIST
    change_form_template = CHANGE_FORM
    list_display = ("user", "substitute", "starts_shown", "ends_shown", "state", "note")
    list_display_links = ("user",)
    list_filter = (AbsenceWhenFilter,)
    search_fields = ("user__username", "substitute__username", "note")
    ordering = ("-starts",)
    list_select_related = ("user", "substitute")
    autocomplete_fields = ("user", "substitute")

    @admin.display(description="starts", ordering="starts")
    def starts_shown(self, obj):
        return when(obj.starts)

    @admin.display(description="ends", ordering="ends")
    def ends_shown(self, obj):
        return when(obj.ends)

    @admin.display(description="now")
    def state(self, obj):
        now = timezone.now()
        if obj.starts <= now < obj.ends:
            return format_html('<span class="fd-ok">{}</span>', "under way")
        return "upcoming" if obj.starts > now else format_html('<span class="fd-muted">{}</span>', "past")
