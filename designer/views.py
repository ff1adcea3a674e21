"""The designer's pages: the template list (server-rendered), and the editor and instance pages
that mount the React app. Thin views: check the role, call a service function, render."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Max, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from approvals.models import Task
from designer import dashboard
from workflows import authoring, engine, template_files
from workflows.core.errors import InvalidGraph
from workflows.drafts import changed_draft
from workflows.models import Instance, Template, TemplateVersion
from workflows.roles import ANALYSTS, OPERATORS, can_manage_schedules, in_group


@login_required
def home(request):
    templates = (
        Template.objects.filter(archived_at__isnull=True)
        .annotate(latest=Max("versions__number", filter=Q(versions__status=TemplateVersion.Status.PUBLISHED)))
        .order_by("name")
    )
    instances = Instance.objects.filter(is_test=False).select_related("template", "version")[:25]
    rows = dashboard.overview(templates)
    context = {
        "rows": rows,
        "totals": dashboard.totals(rows),
        "instances": instances,
        "days": dashboard.DAYS,
        "first_day": dashboard.first_day(),
    }
    return render(request, "home.html", context)


def _analyst(request) -> None:
    if not in_group(request.user, ANALYSTS):
        raise PermissionDenied("only analysts may change templates")


@login_required
def template_list(request):
    q, tag, state = request.GET.get("q", "").strip(), request.GET.get("tag", "").strip(), request.GET.get("state", "")
    templates = Template.objects.annotate(
        latest=Max("versions__number", filter=Q(versions__status=TemplateVersion.Status.PUBLISHED)),
        changed=changed_draft(),  # "draft": a change since the latest version, not any draft row
        runs=Count("instances", filter=Q(instances__is_test=False), distinct=True),
    ).order_by("name")
    templates = templates.filter(archived_at__isnull=state != "archived")
    if q:
        templates = templates.filter(Q(name__icontains=q) | Q(title__icontains=q) | Q(description__icontains=q))
    if tag:
        templates = templates.filter(tags__contains=[tag])
    if state == "draft":
        templates = templates.filter(latest__isnull=True)
    elif state == "published":
        templates = templates.filter(latest__isnull=False)
    all_tags = sorted({t for tags in Template.objects.values_list("tags", flat=True) for t in (tags or [])})
    context = {
        "templates": templates,
        "q": q,
        "tag": tag,
        "state": state,
        "all_tags": all_tags,
        "can_edit": in_group(request.user, ANALYSTS),
        "create_form": CreateForm(),
        "import_errors": request.session.pop("import_errors", None),
    }
    return render(request, "designer/list.html", context)


def _field_errors(exc: ValidationError) -> list[dict]:
    fields = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    return [{"field": None if field == "__all__" else field, "message": m} for field, found in fields.items() for m in found]


def _refused(request, what: str, exc: ValidationError) -> None:
    for error in _field_errors(exc):
        messages.error(request, f"{what}: {error['field'] + ': ' if error['field'] else ''}{error['message']}")


class CreateForm(forms.Form):
    title = forms.CharField(max_length=authoring.MAX_TITLE)
    name = forms.SlugField(max_length=authoring.MAX_NAME, required=False, help_text="leave empty to derive it from the title")

    def clean(self):
        data = super().clean()
        name = data.get("name") or slugify(data.get("title", ""))[: authoring.MAX_NAME]
        if not name:
            raise forms.ValidationError("give a title with letters or digits")
        if Template.objects.filter(name=name).exists():
            self.add_error("name", f"a template named {name!r} already exists")
        data["name"] = name
        return data


@login_required
@require_POST
def create_template(request):
    _analyst(request)
    form = CreateForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("designer:list")
    try:
        template = authoring.create_template(name=form.cleaned_data["name"], title=form.cleaned_data["title"], user=request.user)
    except ValidationError as exc:
        _refused(request, "The template was not created", exc)
        return redirect("designer:list")
    return redirect("designer:editor", name=template.name)


def _latest_graph(template: Template) -> tuple[dict, TemplateVersion | None]:
    version = template.draft() or template.latest_published()
    return (version.graph if version else authoring.EMPTY_GRAPH), version


@login_required
def export_template(request, name):
    template = get_object_or_404(Template, name=name)
    graph, version = _latest_graph(template)
    data = {
        "name": template.name,
        "title": template.title,
        "description": template.description,
        "tags": template.tags,
        "example_input": template.example_input,
        "graph": graph,
    }
    response = HttpResponse(json.dumps(data, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{template.name}.json"'
    return response


@login_required
@require_POST
def duplicate_template(request, name):
    _analyst(request)
    source = get_object_or_404(Template, name=name)
    base, n = f"{source.name}-copy"[:95], 1
    new_name = base
    while Template.objects.filter(name=new_name).exists():
        n += 1
        new_name = f"{base}-{n}"
    graph, _ = _latest_graph(source)
    try:
        copy = authoring.create_template(
            name=new_name,
            title=f"{source.title} (copy)"[: authoring.MAX_TITLE],
            description=source.description,
            tags=source.tags,
            example_input=source.example_input,
            graph=graph,
            user=request.user,
        )
    except ValidationError as exc:  # a template stored before today's bounds
        _refused(request, f"{source.name} was not duplicated", exc)
        return redirect("designer:list")
    messages.success(request, f"Duplicated {source.name} as {copy.name}.")
    return redirect("designer:editor", name=copy.name)


@login_required
@require_POST
def archive_template(request, name):
    _analyst(request)
    template = get_object_or_404(Template, name=name)
    authoring.archive_template(template)
    messages.success(request, f"Archived {template.name}; running instances carry on.")
    return redirect("designer:list")


def parse_template_file(upload) -> dict:
    """A template file (JSON or YAML): ``{name, title, graph, ...}``, or a bare graph named after
    the file. Read safely (``workflows.template_files``): bounded, no YAML aliases, JSON values only."""
    limit = template_files.max_file_bytes()
    if upload.size > limit:  # refused before it is read
        raise template_files.FileError(f"{upload.name} is {upload.size:,} bytes; the limit is {limit:,}")
    data = template_files.parse(upload.name, upload.read())
    if isinstance(data, dict) and "nodes" in data and "graph" not in data:
        stem = upload.name.rsplit(".", 1)[0]
        data = {"name": slugify(stem)[: authoring.MAX_NAME] or "imported", "title": stem[: authoring.MAX_TITLE] or "imported", "graph": data}
    if not isinstance(data, dict) or not isinstance(data.get("graph"), dict):
        raise template_files.FileError("a template file is an object with 'name', 'title' and 'graph' (graph JSON v1), or a bare graph")
    return data


@login_required
@require_POST
def import_template(request):
    """Import a file as the draft of a new or existing template. The file is checked like the API
    checks a template it is sent (``authoring.import_draft``); refused with those errors, or the
    graph's, and then nothing changes (the current draft is untouched)."""
    _analyst(request)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a JSON or YAML file to import.")
        return redirect("designer:list")
    try:
        template = authoring.import_draft(parse_template_file(upload), user=request.user)
    except InvalidGraph as exc:
        messages.error(request, f"{upload.name} was not imported: its graph has {len(exc.errors)} problem(s).")
        request.session["import_errors"] = [e.as_dict() for e in exc.errors][:50]
        return redirect("designer:list")
    except ValidationError as exc:
        errors = _field_errors(exc)
        messages.error(request, f"{upload.name} was not imported: {len(errors)} problem(s) in its fields.")
        request.session["import_errors"] = errors[:50]
        return redirect("designer:list")
    except (template_files.FileError, engine.EngineError) as exc:
        messages.error(request, f"{upload.name} was not imported: {exc}")
        return redirect("designer:list")
    messages.success(request, f"Imported {upload.name} as the draft of {template.name}.")
    return redirect("designer:editor", name=template.name)


@login_required
def editor(request, name):
    template = get_object_or_404(Template, name=name)
    context = {
        "template": template,
        "can_edit": in_group(request.user, ANALYSTS) and template.archived_at is None,
        "can_run": in_group(request.user, ANALYSTS, OPERATORS),
        "can_schedule": can_manage_schedules(request.user) and template.archived_at is None,
    }
    return render(request, "designer/editor.html", context)


@login_required
def instance(request, instance_id):
    obj = get_object_or_404(Instance.objects.select_related("template", "version"), pk=instance_id)
    if request.GET.get("tasks") == "open":  # the page's open-approvals section reads them here, read-only
        return JsonResponse({"tasks": open_tasks(obj)})
    return render(request, "designer/instance.html", {"instance": obj})


def task_url(task_id: int) -> str:
    """The reviewer's page of a task (the inbox, ``approvals.urls``)."""
    try:
        return reverse("approvals:task", args=[task_id])
    except NoReverseMatch:  # a deployment without the inbox pages: their address all the same
        return f"/inbox/{task_id}/"


def open_tasks(instance: Instance) -> list[dict]:
    """The instance's open approval tasks, soonest due first: who holds each (the claimer, else
    its assignees and groups), since when, and when it is due. Titles and names are data; the
    page renders them as text."""
    now = timezone.now()
    tasks = Task.objects.filter(instance=instance, status=Task.Status.OPEN).select_related("claimed_by").prefetch_related("assignees", "groups")
    return [
        {
            "id": task.pk,
            "title": task.title,
            "node": task.node_id,
            "claimed_by": task.claimed_by.get_username() if task.claimed_by else None,
            "assignees": sorted(user.get_username() for user in task.assignees.all()),
            "groups": sorted(group.name for group in task.groups.all()),
            "since": (task.claimed_at if task.claimed_by else task.created_at).isoformat(),
            "due_at": task.due_at.isoformat() if task.due_at else None,
            "overdue": task.due_at is not None and task.due_at < now,
            "quorum": task.quorum,
            "url": task_url(task.pk),
        }
        for task in tasks.order_by(F("due_at").asc(nulls_last=True), "created_at", "pk")
    ]
