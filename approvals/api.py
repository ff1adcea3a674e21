"""``/api/v1/approvals/``: reviewers' tasks (DESIGN §7, §8). Everyone signed in may call it;
what each user sees is ``approvals.service.visible`` (others' tasks, and ids that do not exist,
answer the same 404). Actions answer with the task as it is afterwards; a decision is validated
by the same form as the task page.

Every refusal is the API's JSON error with the field to blame (``workflows.api.errors``), and the
checks run in one order on every action: the task is looked up first (404: nothing about a task
one may not see leaks through a 400 on its body), then whether it is still open (409), then the
body (400), then the service decides under the instance's lock (403, 409: it re-checks all of it).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from workflows.api.serializers import EmptySerializer, JSONObjectField, Strict
from workflows.core.steps.approval import FIELD_TYPES
from workflows.errors import Conflict
from workflows.models import Template

from . import forms, lists, service
from .models import Entry, Task, Vote

#: Instances' priorities run 0..100 (``workflows.api.serializers.StartSerializer``); tasks take theirs.
PRIORITY_MAX = 100


# --- what the API shows ---------------------------------------------------------------------------


class TaskSerializer(serializers.ModelSerializer):
    template = serializers.SlugRelatedField(slug_field="name", read_only=True, help_text="the template's name")
    instance = serializers.UUIDField(source="instance_id", read_only=True)
    claimed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = ["id", "title", "template", "instance", "node_id", "status", "priority", "due_at", "overdue", "claimed_by", "claimed_at", "quorum", "created_at"]
        read_only_fields = fields

    def get_overdue(self, task) -> bool:
        return task.is_open and task.due_at is not None and task.due_at < timezone.now()


class VoteSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Vote
        fields = ["by", "decision", "data", "comment", "at"]
        read_only_fields = fields


class EntrySerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="user.username", read_only=True, allow_null=True, default=None, help_text="null: the engine")

    class Meta:
        model = Entry
        fields = ["at", "by", "action", "note", "data"]
        read_only_fields = fields


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["name", "type"],
            "properties": {
                "name": {"type": "string"}, "label": {"type": "string"},
                "type": {"type": "string", "enum": list(FIELD_TYPES)},
                "required": {"type": "boolean"}, "help": {"type": "string"},
                "min": {"type": "number"}, "max": {"type": "number"}, "choices": {"type": "array", "items": {"type": "string"}},
            },
        },
    }
)  # fmt: skip
class FormField(serializers.JSONField):
    """The task's form: what ``/decide/``'s ``data`` carries, field by field."""


class TaskDetailSerializer(TaskSerializer):
    assignees = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    groups = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    form = FormField(read_only=True)
    votes = VoteSerializer(many=True, read_only=True)
    entries = EntrySerializer(many=True, read_only=True, help_text="the audit trail, oldest first")

    class Meta(TaskSerializer.Meta):
        fields = TaskSerializer.Meta.fields + [
            "instructions", "context", "form", "outcomes", "assignees", "groups", "unknown", "rejections", "allow_starter",
            "decision", "output", "decided_by", "closed_at", "escalated_at", "votes", "entries",
        ]  # fmt: skip
        read_only_fields = fields


class ErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="e.g. data.amount, comment, claimed_by, view")
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """Every refusal (``workflows.api.errors``)."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = ErrorItemSerializer(many=True)


# --- what the API takes ---------------------------------------------------------------------------


class ListQuery(serializers.Serializer):
    """The list's query string. An empty value is "not given"; anything else that is not one of
    the values below is a 400 naming the parameter (a typo never answers a silently empty list)."""

    view = serializers.ChoiceField(
        choices=lists.VIEWS, default="mine",
        help_text="mine: assigned to or claimed by me; groups: my groups' unclaimed tasks; all: every task I may see",
    )  # fmt: skip
    status = serializers.ChoiceField(choices=lists.STATES, default="open", help_text="open, closed (decided, escalated, expired or withdrawn) or any")
    template = serializers.CharField(required=False, max_length=100, help_text="a template's name")
    due = serializers.ChoiceField(choices=lists.DUE, required=False, help_text="overdue; due before tomorrow; within a week; with no due time")
    priority_min = serializers.IntegerField(required=False, min_value=0, max_value=PRIORITY_MAX)

    def validate_template(self, value: str) -> str:
        if not Template.objects.filter(name=value).exists():
            raise serializers.ValidationError(f"no template named {value!r}")
        return value

    @classmethod
    def read(cls, request: Request) -> dict[str, Any]:
        params = request.query_params
        names = list(cls().fields)
        repeated = {name: ["give one value"] for name in names if len(params.getlist(name)) > 1}
        if repeated:
            raise serializers.ValidationError(repeated)
        query = cls(data={name: params[name] for name in names if params.get(name, "") != ""})
        query.is_valid(raise_exception=True)
        return query.validated_data


class DelegateSerializer(Strict):
    to_user = serializers.CharField(required=False, allow_blank=True, max_length=150, help_text="a username (they then hold the task)")
    to_group = serializers.CharField(required=False, allow_blank=True, max_length=150, help_text="a group's name (its members may claim it)")
    note = serializers.CharField(required=False, allow_blank=True, max_length=service.NOTE_MAX)


class CommentSerializer(Strict):
    text = serializers.CharField(max_length=service.NOTE_MAX)


class SnoozeSerializer(Strict):
    until = serializers.DateTimeField(allow_null=True, help_text="a moment in the future; null shows the task again")


class DecideSerializer(Strict):
    decision = serializers.ChoiceField(choices=Task.Decision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=forms.COMMENT_MAX, help_text="required to reject or ask for changes")
    data = JSONObjectField(required=False, help_text="the form's values by field name: text, textarea, choice and date (YYYY-MM-DD) as strings, number as a number, boolean as true or false")


#: What JSON each form field type takes in ``data`` (the form then checks the value itself).
VALUE_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "text": ((str,), "text"),
    "textarea": ((str,), "text"),
    "choice": ((str,), "text (one of the field's choices)"),
    "date": ((str,), "a date as text, YYYY-MM-DD"),
    "number": ((int, float), "a number"),
    "boolean": ((bool,), "true or false"),
}


def typed_values(form: list[dict[str, Any]], data: dict[str, Any]) -> None:
    """Refuse names the task's form does not have and values of the wrong JSON type, as
    ``data.<name>``. The form reads strings (like a browser's POST): without this a list would be
    stored as its Python text and ``"false"`` would tick a box."""
    specs = {spec["name"]: spec for spec in form}
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        spec = specs.get(name)
        if spec is None:
            errors[name] = [f"unknown field; this task's form has {', '.join(sorted(specs)) or 'no fields'}"]
            continue
        kinds, words = VALUE_TYPES.get(spec["type"], ((str,), "text"))
        if value is not None and (not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds)):
            errors[name] = [f"must be {words}"]
    if errors:
        raise serializers.ValidationError({"data": errors})


# --- the endpoints --------------------------------------------------------------------------------

REFUSALS = {
    400: OpenApiResponse(ErrorSerializer, description="a bad body; each error names its field"),
    403: OpenApiResponse(ErrorSerializer, description="seen, but not yours to do (e.g. the instance's starter)"),
    404: OpenApiResponse(ErrorSerializer, description="no such task, or not one you may see (the same answer)"),
    409: OpenApiResponse(ErrorSerializer, description="the task is closed, or someone else holds it (named)"),
}


def acting(request_body, description: str, **extra):
    return extend_schema(request=request_body, responses={200: TaskDetailSerializer, **REFUSALS}, description=description, **extra)


class ApprovalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Approval tasks: list mine, see one, claim, unclaim, delegate, comment, snooze, decide."""

    serializer_class = TaskSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no user, no query
            return Task.objects.none()
        query = ListQuery.read(self.request)
        found = lists.tasks(
            self.request.user, view=query["view"], template=query.get("template", ""), due=query.get("due", ""),
            priority_min=query.get("priority_min"), state=query["status"],
        )  # fmt: skip
        return found.select_related("template", "claimed_by")

    @extend_schema(parameters=[ListQuery], responses={200: TaskSerializer(many=True), 400: REFUSALS[400]})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: TaskDetailSerializer, 404: REFUSALS[404]})
    def retrieve(self, request, pk=None):
        return self.answer(service.get(request.user, pk))

    def answer(self, task: Task) -> Response:
        task = Task.objects.select_related("template", "claimed_by", "decided_by").prefetch_related("assignees", "groups", "votes__user", "entries__user").get(pk=task.pk)
        return Response(TaskDetailSerializer(task).data)

    def open_task(self, pk) -> Task:
        """The task, if the caller may see it (404) and it is still open (409)."""
        task = service.get(self.request.user, pk)
        if not task.is_open:
            raise Conflict(f"the task is {task.status} already", field="status")
        return task

    def body(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        body = serializer_class(data=self.request.data)
        body.is_valid(raise_exception=True)
        return dict(body.validated_data)

    @acting(EmptySerializer, "Take the task: the other reviewers see who holds it. Claiming one's own claim again changes nothing.")
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        task = self.open_task(pk)
        self.body(EmptySerializer)
        return self.answer(service.claim(request.user, task.pk))

    @acting(EmptySerializer, "Give the task back to its assignees and groups (its holder, or an admin).")
    @action(detail=True, methods=["post"])
    def unclaim(self, request, pk=None):
        task = self.open_task(pk)
        self.body(EmptySerializer)
        return self.answer(service.unclaim(request.user, task.pk))

    @acting(DelegateSerializer, "Hand the task to one user or one group, with a note.")
    @action(detail=True, methods=["post"])
    def delegate(self, request, pk=None):
        task = self.open_task(pk)
        data = self.body(DelegateSerializer)
        return self.answer(service.delegate(request.user, task.pk, to_user=data.get("to_user") or None, to_group=data.get("to_group") or None, note=data.get("note", "")))

    @acting(CommentSerializer, "Add a comment to the task's audit trail.")
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        task = self.open_task(pk)
        return self.answer(service.comment(request.user, task.pk, self.body(CommentSerializer)["text"]))

    @acting(SnoozeSerializer, "Hide the task from your own lists until a moment (null: show it again).")
    @action(detail=True, methods=["post"])
    def snooze(self, request, pk=None):
        task = self.open_task(pk)
        return self.answer(service.snooze(request.user, task.pk, self.body(SnoozeSerializer)["until"]))

    @acting(
        DecideSerializer,
        "Approve, reject or ask for changes, with the form's values. The decision completes the step (on the port of the "
        "same name) in the same commit; a quorum task waits for enough decisions.",
        examples=[OpenApiExample("approve", value={"decision": "approved", "data": {"amount": 120}, "comment": "within budget"}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        task = self.open_task(pk)
        data = self.body(DecideSerializer)
        typed_values(task.form, data.get("data") or {})
        return self.answer(service.decide(request.user, task.pk, forms.from_api(data, task.form, task.offered)))
