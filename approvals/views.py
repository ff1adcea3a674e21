"""The reviewer's pages (DESIGN §7): the inbox (``/inbox/``), a task (``/inbox/<id>/``) with its
decision form and actions, and out of office (``/inbox/away/``). Server-rendered; the live
updates are ``static/inbox.js`` over ``/ws/inbox/`` (``approvals.consumers``).

Thin views: validate, call one ``approvals.service`` function, render. What the service refuses
is shown on the page with its status (Conflict 409, Forbidden 403, a bad value 400), never a 500;
a task the user may not see is the product's 404, for the page and for every action alike, so
task ids cannot be probed. Every action is a POST with CSRF, then a redirect (a reload repeats
nothing).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from designer.monitor import present
from workflows.errors import Conflict, EngineError, Forbidden, Invalid, NotFound
from workflows.models import Event, Instance, Template

from . import lists, service
from .forms import DecisionForm
from .models import Absence, Entry, Snooze, Task, Vote

PAGE_SIZE = 50
TABS = (("mine", "Assigned to me"), ("groups", "My groups"), ("all", "All I may see"))
DUE_CHOICES = (("", "Any due time"), ("overdue", "Overdue"), ("today", "Due today"), ("week", "Due within a week"), ("none", "No due time"))
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
STATUS_OF = {Conflict: 409, Forbidden: 403}


def _status(error: EngineError) -> int:
    for kind, status in STATUS_OF.items():
        if isinstance(error, kind):
            return status
    return 400


def _task_or_404(user, task_id) -> Task:
    try:
        return service.get(user, task_id)
    except NotFound as error:
        raise Http404(str(error)) from None


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _relative(moment: datetime, now: datetime) -> str:
    """ "in 3 h", "2 d ago": the due column's words."""
    seconds = (moment - now).total_seconds()
    span = abs(seconds)
    if span < 60:
        text = "less than a minute"
    elif span < 3600:
        text = f"{int(span // 60)} min"
    elif span < 86400:
        text = f"{int(span // 3600)} h {int(span % 3600 // 60)} min" if span < 6 * 3600 else f"{int(span // 3600)} h"
    else:
        text = f"{int(span // 86400)} d {int(span % 86400 // 3600)} h" if span < 3 * 86400 else f"{int(span // 86400)} d"
    return f"in {text}" if seconds >= 0 else f"{text} ago"


# --- the inbox ---------------------------------------------------------------------------------------


class InboxFilters(forms.Form):
    """The inbox's query string; a value it does not know is a 400 page with the field's error."""

    view = forms.ChoiceField(choices=TABS, required=False)
    template = forms.CharField(max_length=200, required=False)
    due = forms.ChoiceField(choices=DUE_CHOICES, required=False)
    priority_min = forms.IntegerField(min_value=0, max_value=100, required=False, label="priority at least")
    page = forms.IntegerField(min_value=1, required=False)
    fragment = forms.BooleanField(required=False)


def _rows(tasks: list[Task], now: datetime, user) -> list[Task]:
    """What each row shows. Who a task is for comes from two small name queries, and its links
    are built from the inbox's prefix: 50 rows of prefetched users and five ``{% url %}`` each
    cost more than the rest of the page."""
    ids = [task.pk for task in tasks]
    users: dict[int, list[str]] = {}
    groups: dict[int, list[str]] = {}
    for task_id, name in Task.assignees.through.objects.filter(task_id__in=ids).order_by("user__username").values_list("task_id", "user__username"):
        users.setdefault(task_id, []).append(name)
    for task_id, name in Task.groups.through.objects.filter(task_id__in=ids).order_by("group__name").values_list("task_id", "group__name"):
        groups.setdefault(task_id, []).append(name)
    # the instances this user started: a task that forbids its starter offers them no Claim
    started = set(Instance.objects.filter(pk__in={task.instance_id for task in tasks if not task.allow_starter}, started_by_id=user.pk).values_list("pk", flat=True))
    inbox, instances = reverse("approvals:inbox"), reverse("instances")
    for task in tasks:
        task.overdue = task.due_at is not None and task.due_at < now
        task.due_text = _when(task.due_at)
        task.due_relative = _relative(task.due_at, now) if task.due_at else ""
        task.for_users = users.get(task.pk, [])
        task.for_groups = groups.get(task.pk, [])
        task.can_claim = task.claimed_by_id is None and task.quorum == 1 and task.instance_id not in started
        task.url, task.claim_url = f"{inbox}{task.pk}/", f"{inbox}{task.pk}/claim/"
        task.instance_url = f"{instances}{task.instance_id}/"
    return tasks


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    params = present(request.GET)
    filters = InboxFilters(params)
    if not filters.is_valid():
        return render(request, "bad_filters.html", {"errors": filters.errors, "back": reverse("approvals:inbox"), "back_label": "the inbox"}, status=400)
    data = filters.cleaned_data
    view = data["view"] or "mine"
    found = lists.tasks(request.user, view=view, template=data["template"], due=data["due"], priority_min=data["priority_min"])
    found = found.select_related("template", "claimed_by")
    counts = lists.counts(request.user)
    paginator = Paginator(found, PAGE_SIZE)
    if not (data["template"] or data["due"] or data["priority_min"] is not None):
        paginator.count = counts[view]  # the tab's count is the list's length: not counted twice
    page = paginator.get_page(data["page"] or 1)
    now = timezone.now()

    def link(**changes: Any) -> str:
        query = params.copy()
        for name in ("page", "fragment", *changes):
            query.pop(name, None)
        for name, value in changes.items():
            if value not in (None, ""):
                query[name] = str(value)
        return f"?{query.urlencode()}" if query else "?"

    filtered = bool(data["template"] or data["due"] or data["priority_min"] is not None)
    shown = params.copy()
    shown.pop("fragment", None)
    here = request.path + (f"?{shown.urlencode()}" if shown else "")  # the page, where actions return to
    context = {
        "view": view,
        "tabs": [{"key": key, "label": label, "count": counts[key], "href": link(view=key if key != "mine" else None), "on": key == view} for key, label in TABS],
        "counts": counts,
        "rows": _rows(list(page.object_list), now, request.user),
        "page": page,
        "prev_href": link(page=page.previous_page_number()) if page.has_previous() else None,
        "next_href": link(page=page.next_page_number()) if page.has_next() else None,
        "data": data,
        "due_choices": DUE_CHOICES,
        "filtered": filtered,
        "clear_href": link(template=None, due=None, priority_min=None),
        "templates": Template.objects.filter(pk__in=service.visible(request.user).filter(status=Task.Status.OPEN).values("template_id")).order_by("name").values_list("name", flat=True),
        "in_groups": request.user.groups.exists(),
        "here": here,
        "badge": counts["mine"] + counts["groups"],
    }
    template = "approvals/_fragment.html" if data["fragment"] else "approvals/inbox.html"
    return render(request, template, context)


# --- one task ----------------------------------------------------------------------------------------


class CommentForm(forms.Form):
    text = forms.CharField(max_length=service.NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Ask a question or leave a note for the other reviewers"}), label="Comment")


class DelegateForm(forms.Form):
    to_user = forms.CharField(max_length=150, required=False, label="To a person (username)")
    to_group = forms.CharField(max_length=150, required=False, label="or to a group")
    note = forms.CharField(max_length=service.NOTE_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Why, and what is left to do"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if bool((data.get("to_user") or "").strip()) == bool((data.get("to_group") or "").strip()):
            self.add_error("to_user", "Name one person or one group.")
        return data


class SnoozeForm(forms.Form):
    until = forms.DateTimeField(input_formats=DATETIME_FORMATS, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))

    def clean_until(self) -> datetime:
        until = self.cleaned_data["until"]
        if until <= timezone.now():
            raise forms.ValidationError("Pick a moment in the future.")
        return until


def _describe(entry: Entry) -> str:
    """One line of the task's history, as plain text (the template escapes it)."""
    data = entry.data or {}
    if entry.action == Entry.Action.OPENED:
        who = ", ".join(data.get("assignees") or []) or "nobody by name"
        groups = ", ".join(data.get("groups") or [])
        return f"opened for {who}" + (f" and the group{'s' if len(data.get('groups') or []) > 1 else ''} {groups}" if groups else "")
    if entry.action == Entry.Action.DELEGATED:
        return f"delegated it to {data['to_user']}" if data.get("to_user") else f"delegated it to the group {data.get('to_group', '?')}"
    if entry.action == Entry.Action.SNOOZED:
        until = data.get("until")
        if not until:
            return "showed it again in their lists"
        try:
            until = _when(datetime.fromisoformat(until))
        except ValueError:
            pass
        return f"snoozed it until {until}"
    if entry.action in (Entry.Action.VOTED, Entry.Action.DECIDED):
        decision = Task.Decision(data["decision"]).label if data.get("decision") in Task.Decision.values else data.get("decision", "")
        return f"{'voted' if entry.action == Entry.Action.VOTED else 'decided'}: {decision}"
    if entry.action == Entry.Action.SUBSTITUTED:
        return "stands in for an absent reviewer (out of office)"
    if entry.action == Entry.Action.COMMENTED:
        return "commented"
    if entry.action == Entry.Action.EDITED:
        return "corrected the task's " + " and ".join(data.get("fields") or ["details"])
    return {"claimed": "claimed it", "unclaimed": "released it", "reminded": "reminder sent", "escalated": "escalated", "closed": "closed"}.get(entry.action, entry.action)


def _value_text(value: Any) -> tuple[str, bool]:
    """A context value as text, and whether it is structured (shown as code)."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, indent=1), True
    if value is None:
        return "—", False
    if isinstance(value, bool):
        return "yes" if value else "no", False
    return str(value), False


def _task_context(request: HttpRequest, task: Task, **forms_: Any) -> dict[str, Any]:
    user, now = request.user, timezone.now()
    task = (
        Task.objects.select_related("instance", "template", "claimed_by", "decided_by")
        .prefetch_related("assignees", "groups", Prefetch("entries", queryset=Entry.objects.select_related("user")), Prefetch("votes", queryset=Vote.objects.select_related("user")))
        .get(pk=task.pk)
    )
    entries = list(task.entries.all())
    for entry in entries:
        entry.text = _describe(entry)
        if entry.action == Entry.Action.SUBSTITUTED and entry.note:  # the note says it all: "bob stands in for ann (...)"
            entry.text, entry.whole = entry.note, True
        entry.when = _when(entry.at)
    votes = list(task.votes.all())
    snooze = Snooze.objects.filter(task=task, user=user, until__gt=now).first()
    holds = service.holds(task, user)
    admin = service.is_admin(user)
    starter = not task.allow_starter and task.instance.started_by_id == user.pk
    voted = any(v.user_id == user.pk for v in votes)
    claimed_by_other = task.claimed_by_id not in (None, user.pk)
    open_ = task.is_open
    if open_ and starter:
        blocked = "You started this instance, and this task must be decided by someone else."
    elif open_ and not (holds or admin):
        blocked = "This task is not yours to act on."
    elif open_ and claimed_by_other:
        blocked = f"{task.claimed_by.get_username()} holds this task; only they can decide it now."
    elif open_ and task.quorum > 1 and voted:
        blocked = "You have decided this task already; the other reviewers' decisions are awaited."
    else:
        blocked = ""
    decided = task.output or {}
    labels = {spec["name"]: spec.get("label") or spec["name"].replace("_", " ").capitalize() for spec in task.form or []}
    context = {
        "task": task,
        "context_rows": [(str(label), *_value_text(value)) for label, value in (task.context or {}).items()],
        "entries": entries,
        "comments": [e for e in entries if e.action == Entry.Action.COMMENTED],
        "votes": votes,
        "for_users": [u.get_username() for u in task.assignees.all()],
        "for_groups": [g.name for g in task.groups.all()],
        "overdue": open_ and task.due_at is not None and task.due_at < now,
        "due_text": _when(task.due_at),
        "due_relative": _relative(task.due_at, now) if task.due_at else "",
        "claimed_text": _when(task.claimed_at),
        "claimed_relative": _relative(task.claimed_at, now) if task.claimed_at else "",
        "created_text": _when(task.created_at),
        "closed_text": _when(task.closed_at),
        "snooze": snooze,
        "snooze_text": _when(snooze.until) if snooze else "",
        "mine": task.claimed_by_id == user.pk,
        "can_claim": open_ and task.quorum == 1 and task.claimed_by_id is None and (holds or admin) and not starter,
        "can_unclaim": open_ and task.claimed_by_id is not None and (task.claimed_by_id == user.pk or admin),
        "can_delegate": open_ and not starter and (admin or (holds and not claimed_by_other)),  # the service refuses the starter first
        "can_decide": open_ and not blocked,
        "blocked": blocked,
        "decided_data": [(labels.get(k, k), *_value_text(v)) for k, v in (decided.get("data") or {}).items()],
        "form": forms_.get("form") or DecisionForm(fields=task.form or []),
        "comment_form": forms_.get("comment_form") or CommentForm(),
        "delegate_form": forms_.get("delegate_form") or DelegateForm(),
        "snooze_form": forms_.get("snooze_form") or SnoozeForm(initial={"until": (timezone.localtime(now) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)}),
        "tz_name": timezone.get_current_timezone_name(),
        "seq": Event.objects.filter(instance_id=task.instance_id).order_by("-seq").values_list("seq", flat=True).first() or 0,
        "problem": forms_.get("problem"),
    }
    return context


def _page(request: HttpRequest, task: Task, *, status: int = 200, **forms_: Any) -> HttpResponse:
    return render(request, "approvals/task.html", _task_context(request, task, **forms_), status=status)


@login_required
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    return _page(request, _task_or_404(request.user, task_id))


def _back(request: HttpRequest, task: Task) -> str:
    """Where an action returns to: the inbox page it was made from, or the task."""
    target = request.POST.get("next", "")
    if target.startswith("/inbox/") and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("approvals:task", args=[task.pk])


def _refused(request: HttpRequest, task: Task, error: EngineError, **forms_: Any) -> HttpResponse:
    """What the service refused, on the task page as it is now (it may have changed meanwhile)."""
    if isinstance(error, NotFound):
        raise Http404(str(error))
    try:
        task = service.get(request.user, task.pk)
    except NotFound:
        raise Http404(str(error)) from None
    return _page(request, task, status=_status(error), problem=str(error), **forms_)


@login_required
@require_POST
def claim(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task_or_404(request.user, task_id)
    try:
        service.claim(request.user, task.pk)
    except EngineError as error:
        return _refused(request, task, error)
    messages.success(request, f"You claimed “{task.title}”: it is yours to decide.")
    return redirect(_back(request, task))


@login_required
@require_POST
def unclaim(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task_or_404(request.user, task_id)
    try:
        service.unclaim(request.user, task.pk)
    except EngineError as error:
        return _refused(request, task, error)
    messages.success(request, "You released the task: its reviewers can claim it again.")
    return redirect(_back(request, task))


@login_required
@require_POST
def delegate(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task_or_404(request.user, task_id)
    form = DelegateForm(request.POST)
    if not form.is_valid():
        return _page(request, task, status=400, delegate_form=form, problem="The task was not delegated: see the fields below.")
    data = form.cleaned_data
    to_user, to_group = data["to_user"].strip() or None, data["to_group"].strip() or None
    try:
        service.delegate(request.user, task.pk, to_user=to_user, to_group=to_group, note=data["note"])
    except EngineError as error:
        if error.field in form.fields and not isinstance(error, (Conflict, Forbidden, NotFound)):
            form.add_error(error.field, str(error))
        return _refused(request, task, error, delegate_form=form)
    messages.success(request, f"You delegated “{task.title}” to {to_user or 'the group ' + to_group}.")
    if service.visible(request.user).filter(pk=task.pk).exists():
        return redirect(_back(request, task))
    return redirect("approvals:inbox")  # no longer theirs to see


@login_required
@require_POST
def comment(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task_or_404(request.user, task_id)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _page(request, task, status=400, comment_form=form, problem="The comment was not saved: see below.")
    try:
        service.comment(request.user, task.pk, form.cleaned_data["text"])
    except EngineError as error:
        if error.field == "text" and not isinstance(error, (Conflict, Forbidden)):
            form.add_error("text", str(error))
        return _refused(request, task, error, comment_form=form)
    messages.success(request, "Your comment was added.")
    return redirect(reverse("approvals:task", args=[task.pk]) + "#comments")


@login_required
@require_POST
def snooze(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task_or_404(request.user, task_id)
    if request.POST.get("show_again"):
        until, form = None, None
    else:
        form = SnoozeForm(request.POST)
        if not form.is_valid():
            return _page(request, task, status=400, snooze_form=form, problem="The task was not snoozed: see the field below.")
        until = form.cleaned_data["until"]
    try:
        service.snooze(request.user, task.pk, until)
    except EngineError as error:
        if form is not None and error.field == "until" and not isinstance(error, (Conflict, Forbidden)):
            form.add_error("until", str(error))
        return _refused(request, task, error, **({"snooze_form": form} if form else {}))
    if until is None:
        messages.success(request, "The task is back in your lists.")
    else:
        messages.success(request, f"Snoozed until {_when(until)}: “{task.title}” is out of your lists until then.")
    return redirect(_back(request, task))


@login_required
@require_POST
def decide(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task_or_404(request.user, task_id)  # 404 before the form is looked at
    form = DecisionForm(request.POST, fields=task.form or [])
    if not task.is_open:  # said before the form's errors, which the page of a closed task does not show
        return _refused(request, task, Conflict(f"the task is {task.status} already", field="status"))
    if not form.is_valid():
        return _page(request, task, status=400, form=form, problem="The decision was not recorded: correct the fields marked below.")
    try:
        after = service.decide(request.user, task.pk, form)
    except Invalid:
        return _page(request, task, status=400, form=form, problem="The decision was not recorded: correct the fields marked below.")
    except EngineError as error:
        return _refused(request, task, error, form=form)
    decision = Task.Decision(form.cleaned_data["decision"])
    if after.is_open:
        messages.success(request, f"Your decision on “{task.title}” ({decision.label}) is recorded; the other reviewers' decisions are awaited.")
    else:
        verb = {"approved": "approved", "rejected": "rejected", "changes": "asked for changes on"}[decision.value]
        messages.success(request, f"You {verb} “{task.title}”. The workflow goes on.")
    return redirect("approvals:inbox")


# --- out of office -----------------------------------------------------------------------------------


class AbsenceForm(forms.Form):
    substitute = forms.CharField(max_length=150, label="Who stands in for you (username)")
    starts = forms.DateTimeField(input_formats=DATETIME_FORMATS, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), label="From")
    ends = forms.DateTimeField(input_formats=DATETIME_FORMATS, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), label="Until")
    note = forms.CharField(max_length=200, required=False, label="Note (optional)")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("starts") and data.get("ends") and data["ends"] <= data["starts"]:
            self.add_error("ends", "The absence must end after it starts.")
        return data


@login_required
def away(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = AbsenceForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                absence = service.set_absence(request.user, substitute=data["substitute"].strip(), starts=data["starts"], ends=data["ends"], note=data["note"])
            except EngineError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
                status = 400
            else:
                messages.success(request, f"Saved: {absence.substitute.get_username()} gets the tasks opened for you from {_when(absence.starts)} until {_when(absence.ends)}.")
                return redirect("approvals:away")
        else:
            status = 400
    else:
        now = timezone.localtime()
        start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        form = AbsenceForm(initial={"starts": start, "ends": start + timedelta(days=7)})
    now = timezone.now()
    mine = list(Absence.objects.filter(user=request.user).select_related("substitute").order_by("starts"))
    covering = list(Absence.objects.filter(substitute=request.user, ends__gt=now).select_related("user").order_by("starts"))
    for absence in mine + covering:
        absence.starts_text, absence.ends_text = _when(absence.starts), _when(absence.ends)
        absence.state = "now" if absence.starts <= now < absence.ends else "over" if absence.ends <= now else "planned"
    context = {"form": form, "absences": mine, "covering": covering, "tz_name": timezone.get_current_timezone_name()}
    return render(request, "approvals/away.html", context, status=status)


@login_required
@require_POST
def away_delete(request: HttpRequest, absence_id: int) -> HttpResponse:
    deleted, _ = Absence.objects.filter(pk=absence_id, user=request.user).delete()
    if not deleted:
        raise Http404("no such absence of yours")
    messages.success(request, "The absence was removed: new tasks come to you again.")
    return redirect("approvals:away")
