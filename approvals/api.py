"""``/api/v1/approvals/``: reviewers' tasks (DESIGN §7, §8). Everyone signed in may call it;
what each user sees is ``approvals.service.visible`` (others' tasks answer 404). Actions answer
with the task as it is afterwards; a decision is validated by the same form as the task page."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from workflows.api.serializers import JSONObjectField, Strict

from . import forms, lists, service
from .models import Entry, Task, Vote


class TaskSerializer(serializers.ModelSerializer):
    template = serializers.SlugRelatedField(slug_field="name", read_only=True)
    instance = serializers.UUIDField(source="instance_id", read_only=True)
    claimed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = ["id", "title", "template", "instance", "node_id", "status", "priority", "due_at", "overdue", "claimed_by", "claimed_at", "quorum", "created_at"]
        read_only_fields = fields

    def get_overdue(self, task) -> bool:
        from django.utils import timezone

        return task.is_open and task.due_at is not None and task.due_at < timezone.now()


class VoteSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Vote
        fields = ["by", "decision", "data", "comment", "at"]


class EntrySerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="user.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Entry
        fields = ["at", "by", "action", "note", "data"]


class TaskDetailSerializer(TaskSerializer):
    assignees = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    groups = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    votes = VoteSerializer(many=True, read_only=True)
    entries = EntrySerializer(many=True, read_only=True)

    class Meta(TaskSerializer.Meta):
        fields = TaskSerializer.Meta.fields + [
            "instructions", "context", "form", "outcomes", "assignees", "groups", "unknown", "rejections", "allow_starter",
            "decision", "output", "decided_by", "closed_at", "escalated_at", "votes", "entries",
        ]  # fmt: skip
        read_only_fields = fields


class DelegateSerializer(Strict):
    to_user = serializers.CharField(required=False, allow_blank=True, max_length=150)
    to_group = serializers.CharField(required=False, allow_blank=True, max_length=150)
    note = serializers.CharField(required=False, allow_blank=True, max_length=service.NOTE_MAX)


class CommentSerializer(Strict):
    text = serializers.CharField(max_length=service.NOTE_MAX)


class SnoozeSerializer(Strict):
    until = serializers.DateTimeField(allow_null=True)


class DecideSerializer(Strict):
    decision = serializers.ChoiceField(choices=Task.Decision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=forms.COMMENT_MAX)
    data = JSONObjectField(required=False, help_text="the form's values by field name")


LIST_PARAMETERS = [
    OpenApiParameter("view", str, enum=list(lists.VIEWS), description="mine (default): assigned to or claimed by me; groups: my groups' unclaimed tasks; all: every task I may see"),
    OpenApiParameter("status", str, enum=list(lists.STATES), description="open (default), closed or any"),
    OpenApiParameter("template", str, description="a template's name"),
    OpenApiParameter("due", str, enum=list(lists.DUE)),
    OpenApiParameter("priority_min", int),
]


class ApprovalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Approval tasks: list mine, see one, claim, unclaim, delegate, comment, snooze, decide."""

    serializer_class = TaskSerializer
    filter_backends: list = []

    def get_queryset(self):
        params = self.request.query_params
        priority = params.get("priority_min")
        if priority not in (None, ""):
            try:
                priority = int(priority)
            except ValueError:
                raise serializers.ValidationError({"priority_min": ["a whole number"]}) from None
        else:
            priority = None
        found = lists.tasks(
            self.request.user, view=params.get("view") or "mine", template=params.get("template") or "",
            due=params.get("due") or "", priority_min=priority, state=params.get("status") or "open",
        )  # fmt: skip
        return found.select_related("template", "claimed_by")

    @extend_schema(parameters=LIST_PARAMETERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=TaskDetailSerializer)
    def retrieve(self, request, pk=None):
        return self.detail(service.get(request.user, pk))

    def detail(self, task: Task) -> Response:
        task = Task.objects.select_related("template", "claimed_by", "decided_by").prefetch_related("assignees", "groups", "votes__user", "entries__user").get(pk=task.pk)
        return Response(TaskDetailSerializer(task).data)

    @extend_schema(request=None, responses=TaskDetailSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        return self.detail(service.claim(request.user, pk))

    @extend_schema(request=None, responses=TaskDetailSerializer)
    @action(detail=True, methods=["post"])
    def unclaim(self, request, pk=None):
        return self.detail(service.unclaim(request.user, pk))

    @extend_schema(request=DelegateSerializer, responses=TaskDetailSerializer)
    @action(detail=True, methods=["post"])
    def delegate(self, request, pk=None):
        body = DelegateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        return self.detail(service.delegate(request.user, pk, to_user=data.get("to_user") or None, to_group=data.get("to_group") or None, note=data.get("note", "")))

    @extend_schema(request=CommentSerializer, responses=TaskDetailSerializer)
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self.detail(service.comment(request.user, pk, body.validated_data["text"]))

    @extend_schema(request=SnoozeSerializer, responses=TaskDetailSerializer)
    @action(detail=True, methods=["post"])
    def snooze(self, request, pk=None):
        body = SnoozeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self.detail(service.snooze(request.user, pk, body.validated_data["until"]))

    @extend_schema(request=DecideSerializer, responses=TaskDetailSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        task = service.get(request.user, pk)  # 404 before the body is looked at
        body = DecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self.detail(service.decide(request.user, task.pk, forms.from_api(dict(body.validated_data), task.form, task.offered)))
