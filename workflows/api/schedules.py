"""``/api/v1/schedules/``: cron schedules (DESIGN §8). Everyone signed in reads; operators create,
change, pause, resume and delete (``roles.can_manage_schedules``, as in the admin). The checks are
``workflows.schedules``'s, answered field by field; nothing is written when one fails."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from workflows import schedules
from workflows.api.filters import YesNoFilter
from workflows.api.permissions import RoleForWrites
from workflows.api.serializers import EmptySerializer, JSONObjectField, Strict
from workflows.core import cron
from workflows.core.status import InstanceStatus, choices
from workflows.models import Fault, Instance, Schedule, Template
from workflows.roles import SCHEDULES_REFUSED, can_manage_schedules

#: Each schedule shows this many of its most recent runs.
LAST_RUNS = 5
NEXT_FIRES = 5


class ScheduleRunSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=choices(InstanceStatus))

    class Meta:
        model = Instance
        fields = ["id", "status", "business_key", "created_at", "finished_at"]


class ScheduleSerializer(serializers.ModelSerializer):
    template = serializers.SlugRelatedField(slug_field="name", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    next_fires = serializers.SerializerMethodField(help_text=f"the next {NEXT_FIRES} fire times after now, ISO 8601 in the schedule's zone (with its offset)")
    last_runs = serializers.SerializerMethodField(help_text=f"the {LAST_RUNS} most recent runs it started, newest first")
    problem = serializers.SerializerMethodField(help_text="why its last fire failed (it is retried with backoff), or null")

    class Meta:
        model = Schedule
        fields = [
            "id", "name", "template", "version", "cron", "timezone", "input", "priority", "overlap", "catch_up", "enabled",
            "next_fire_at", "last_fired_at", "buffered_fire_at", "next_fires", "last_runs", "problem", "created_by", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema(responses=serializers.ListField(child=serializers.CharField()))
    def get_next_fires(self, obj) -> list[str]:
        return [cron.iso(moment, obj.timezone) for moment in schedules.upcoming(obj, NEXT_FIRES)]

    def get_last_runs(self, obj) -> list[dict]:
        recent = getattr(obj, "recent_runs", None)
        if recent is None:
            recent = obj.instances.order_by("-created_at")[:LAST_RUNS]
        return ScheduleRunSerializer(recent[:LAST_RUNS], many=True).data

    def get_problem(self, obj) -> str | None:
        if obj.retry_at is None:
            return None
        fault = Fault.objects.filter(source=Fault.Source.SCHEDULE, target=str(obj.pk)).values_list("error_message", flat=True).first()
        return fault or "its last fire failed; it is retried"


class ScheduleWriteSerializer(Strict):
    """A new schedule; on PATCH every field is optional and only those sent change."""

    name = serializers.SlugField(max_length=schedules.MAX_NAME)
    template = serializers.SlugField(max_length=100, help_text="the template's name")
    version = serializers.IntegerField(required=False, allow_null=True, min_value=1, default=None, help_text="a published version; null: the latest published one at each fire")
    cron = serializers.CharField(max_length=cron.MAX_LENGTH, help_text="5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first")
    timezone = serializers.CharField(max_length=64, default="UTC", help_text="an IANA name such as Europe/Paris")
    input = JSONObjectField(required=False, default=dict)
    priority = serializers.IntegerField(required=False, min_value=0, max_value=100, default=50)
    overlap = serializers.ChoiceField(choices=Schedule.Overlap.choices, default=Schedule.Overlap.SKIP)
    catch_up = serializers.BooleanField(required=False, default=False)
    enabled = serializers.BooleanField(required=False, default=True)

    def validate(self, attrs):
        found = schedules.problems(attrs, current=self.context.get("current"))
        if found:
            raise serializers.ValidationError(found)
        return attrs


class ScheduleFilter(django_filters.FilterSet):
    # An unknown name is a 400 naming ``template`` (as on /instances/), not an empty list.
    template = django_filters.ModelChoiceFilter(queryset=Template.objects.all(), to_field_name="name", help_text="template name")
    enabled = YesNoFilter(help_text="true: active; false: paused")

    class Meta:
        model = Schedule
        fields = ["template", "enabled"]


class ScheduleControl(RoleForWrites):
    def allows_write(self, request, view) -> bool:
        if can_manage_schedules(request.user):
            return True
        self.message = SCHEDULES_REFUSED
        return False


class ScheduleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cron schedules that start a template's published version: list, create, change, pause,
    resume, delete. Each shows its next five fire times and its last runs."""

    serializer_class = ScheduleSerializer
    filterset_class = ScheduleFilter
    permission_classes = [ScheduleControl]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        # the last runs of a whole page in one query (the partial index instance_schedule_recent)
        recent = Prefetch("instances", queryset=Instance.objects.order_by("-created_at")[:LAST_RUNS], to_attr="recent_runs")
        queryset = Schedule.objects.select_related("template", "created_by").order_by("name")
        return queryset.prefetch_related(recent) if self.action in ("list", "retrieve") else queryset

    def show(self, schedule: Schedule, code: int = status.HTTP_200_OK) -> Response:
        return Response(ScheduleSerializer(self.get_queryset().get(pk=schedule.pk)).data, status=code)

    @extend_schema(request=ScheduleWriteSerializer, responses={201: ScheduleSerializer})
    def create(self, request):
        serializer = ScheduleWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self.show(schedules.create(user=request.user, **serializer.validated_data), status.HTTP_201_CREATED)

    @extend_schema(request=ScheduleWriteSerializer(partial=True), responses=ScheduleSerializer)
    def partial_update(self, request, pk=None):
        current = self.get_object()
        serializer = ScheduleWriteSerializer(data=request.data, partial=True, context={"current": current})
        serializer.is_valid(raise_exception=True)
        return self.show(schedules.update(current, **serializer.validated_data))

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Delete the schedule; the runs it started stay."""
        schedules.delete(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=EmptySerializer, responses=ScheduleSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Stop firing (a buffered fire is dropped) until resumed."""
        EmptySerializer(data=request.data).is_valid(raise_exception=True)
        return self.show(schedules.pause(self.get_object()))

    @extend_schema(request=EmptySerializer, responses=ScheduleSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Fire again from the next fire time after now; what was due while paused does not fire."""
        EmptySerializer(data=request.data).is_valid(raise_exception=True)
        return self.show(schedules.resume(self.get_object()))
