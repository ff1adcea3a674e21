"""Thin views: validate the request, call one service function, render (DESIGN §8)."""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.db.models.functions import Length, Lower
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from workflows import authoring, drafts, engine, lineage, queries, stats, step_summary
from workflows.api import serializers as s
from workflows.api.cursors import KeysetPagination
from workflows.api.filters import InstanceFilter, StepFilter, TemplateFilter
from workflows.api.params import int_param
from workflows.api.permissions import InstanceControl, RoleForWrites
from workflows.core.errors import InvalidGraph
from workflows.core.expressions import ExpressionError, check_expression, check_template
from workflows.core.graph import Graph
from workflows.core.handlers import handlers
from workflows.core.steps import step_types
from workflows.models import Event, Instance, Signal, StepRun, Template, TemplateVersion
from workflows.signal_start import signal_with_start
from workflows.roles import ANALYSTS, OPERATORS, in_group


class TemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Workflow templates: list, create, update, archive; drafts, validation, publishing, versions."""

    lookup_field = "name"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    serializer_class = s.TemplateSerializer
    filterset_class = TemplateFilter
    permission_classes = [RoleForWrites]
    write_roles = (ANALYSTS,)
    read_actions = ("validate",)  # checking a graph changes nothing: anyone signed in may

    def get_queryset(self):
        queryset = Template.objects.select_related("owner").annotate(
            latest_version=Max("versions__number", filter=Q(versions__status=TemplateVersion.Status.PUBLISHED)),
            has_draft=Exists(TemplateVersion.objects.filter(template=OuterRef("pk"), status=TemplateVersion.Status.DRAFT)),
            changed_since_published=drafts.changed_draft(),
            instance_count=Count("instances", distinct=True),
        )
        if self.action == "list" and "archived" not in self.request.query_params:
            queryset = queryset.filter(archived_at__isnull=True)
        return queryset.order_by("name")

    def template(self) -> Template:
        return get_object_or_404(Template, name=self.kwargs["name"])

    @extend_schema(request=s.TemplateCreateSerializer, responses={201: s.TemplateSerializer})
    def create(self, request):
        data = self.validated(s.TemplateCreateSerializer, request)
        template = authoring.create_template(user=request.user, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=template.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TemplateUpdateSerializer, responses=s.TemplateSerializer)
    def partial_update(self, request, name=None):
        template = authoring.update_template(self.template(), **self.validated(s.TemplateUpdateSerializer, request))
        return Response(self.get_serializer(self.get_queryset().get(pk=template.pk)).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, name=None):
        """Archive the template: it leaves lists and cannot start new instances."""
        authoring.archive_template(self.template())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(methods=["GET"], responses=s.DraftSerializer)
    @extend_schema(methods=["PUT"], request=s.DraftWriteSerializer, responses=s.DraftSerializer)
    @action(detail=True, methods=["get", "put"])
    def draft(self, request, name=None):
        template = self.template()
        if request.method == "PUT":
            data = self.validated(s.DraftWriteSerializer, request)
            draft = authoring.save_draft(template, data["graph"], user=request.user, revision=data.get("revision"))
        else:
            draft = template.draft()
            if draft is None:
                raise engine.NotFound(f"template {template.name!r} has no draft; PUT one to start editing", field="draft")
        draft.changed_since_published = drafts.draft_changed(template, draft)
        return Response(s.DraftSerializer(draft).data)

    @extend_schema(request=s.ValidateRequestSerializer, responses=s.ValidationResultSerializer)
    @action(detail=True, methods=["post"])
    def validate(self, request, name=None):
        """Validate a graph (or the draft): errors by node and field, and the parallel plan."""
        template = self.template()
        graph = self.validated(s.ValidateRequestSerializer, request).get("graph")
        if graph is None:
            draft = template.draft()
            if draft is None:
                raise engine.NotFound("there is no draft to validate; send a graph", field="graph")
            graph = draft.graph
        return Response(authoring.validate_graph(graph, template=template.name).as_dict())

    @extend_schema(request=s.PublishRequestSerializer, responses={201: s.VersionSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, name=None):
        """Publish the draft as the next immutable version (refused with its errors if invalid)."""
        note = self.validated(s.PublishRequestSerializer, request)["change_note"]
        version = authoring.publish(self.template(), change_note=note, user=request.user)
        return Response(s.VersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.VersionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request, name=None):
        versions = self.template().versions.exclude(status=TemplateVersion.Status.TEST).select_related("published_by").order_by("-number")
        page = self.paginate_queryset(versions)
        return self.get_paginated_response(s.VersionSerializer(page, many=True).data)

    @extend_schema(responses=s.VersionDetailSerializer)
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>\d+)")
    def version(self, request, name=None, number=None):
        return Response(s.VersionDetailSerializer(self.get_version(number)).data)

    @extend_schema(responses=s.PlanSerializer)
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>\d+)/plan")
    def plan(self, request, name=None, number=None):
        """The execution plan: batches of nodes that can run in parallel."""
        version = self.get_version(number)
        # the structure only: a published version's plan stands when a child template is archived later
        result = authoring.validate_graph(version.graph, children=False)
        if not result.valid:  # a draft being edited
            raise InvalidGraph(result.errors)
        return Response({"batches": Graph.from_dict(version.graph).plan})

    @extend_schema(request=s.TestRunSerializer, responses={201: s.InstanceSerializer})
    @action(detail=True, methods=["post"], url_path="test-runs")
    def test_runs(self, request, name=None):
        """Run the current draft for real with chosen nodes mocked; kept apart from production runs."""
        data = self.validated(s.TestRunSerializer, request)
        instance = engine.start_test_run(self.template(), input=data["input"], mocks=data["mocks"], started_by=request.user)
        instance = instances().get(pk=instance.pk)
        return Response(s.InstanceSerializer(instance).data, status=status.HTTP_201_CREATED)

    def get_version(self, number) -> TemplateVersion:
        template = self.template()
        version = template.versions.exclude(status=TemplateVersion.Status.TEST).filter(number=int(number)).select_related("published_by").first()
        if version is None:
            raise engine.NotFound(f"template {template.name!r} has no version {number}", field="number")
        return version

    @staticmethod
    def validated(serializer_class, request) -> dict:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class InstanceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Workflow instances: start, list, inspect, query; cancel, retry, pause, resume, signal."""

    permission_classes = [InstanceControl]  # every POST but create: roles.can_control_instance
    create_roles = (OPERATORS, ANALYSTS)  # analysts run what they design (the designer's Run)
    filterset_class = InstanceFilter
    serializer_class = s.InstanceSerializer

    def get_queryset(self):
        return instances().order_by("-created_at")

    def get_serializer_class(self):
        return s.InstanceDetailSerializer if self.action == "retrieve" else s.InstanceSerializer

    def get_object(self):
        # Only the detail serialises the lineage; events (polled), control and queries need the row.
        queryset = self.get_queryset() if self.action == "retrieve" else Instance.objects.select_related("template", "version")
        return instance_or_404(queryset, self.kwargs["pk"])

    def retrieve(self, request, pk=None):
        instance = self.get_object()
        instance.step_summary = step_summary.summarise(instance)
        return Response(self.get_serializer(instance).data)

    @extend_schema(request=s.StartSerializer, responses={201: s.InstanceStartedSerializer, 200: s.InstanceStartedSerializer})
    def create(self, request):
        """Start an instance. A repeated ``idempotency_key`` returns the first instance (200).

        With ``signal`` (signal-with-start): the instance with that idempotency key, or the open one
        with that business key, is signalled (200); if there is none, one is started and signalled
        (201). Either way the answer carries the signal's ``seq``."""
        data = TemplateViewSet.validated(s.StartSerializer, request)
        signal = data.pop("signal", None)
        sent = None
        if signal is None:
            instance, created = engine.start_instance(data.pop("template"), started_by=request.user, **data)
        else:
            instance, created, seq = signal_with_start(
                data.pop("template"), signal=signal["name"], payload=signal["payload"], by=request.user.get_username(), started_by=request.user, **data
            )
            sent = {"seq": seq, "name": signal["name"]}
        instance = self.get_queryset().get(pk=instance.pk)
        instance.signal = sent
        return Response(s.InstanceStartedSerializer(instance).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        parameters=[
            OpenApiParameter("after", OpenApiTypes.INT, description="only events with seq greater than this"),
            OpenApiParameter("limit", OpenApiTypes.INT, description="at most this many (default 500, max 2000)"),
        ],
        responses=s.EventPageSerializer,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def events(self, request, pk=None):
        """The instance's event history, in order; a client that reconnects asks for ``after=N``."""
        instance = self.get_object()
        after = int_param(request, "after", 0, minimum=0)
        limit = int_param(request, "limit", 500, minimum=1, maximum=2000)
        events = list(Event.objects.filter(instance=instance, seq__gt=after).order_by("seq")[: limit + 1])
        more = len(events) > limit
        events = events[:limit]
        return Response({"results": s.EventSerializer(events, many=True).data, "last_seq": events[-1].seq if events else after, "more": more})

    @extend_schema(request=s.CancelSerializer, responses=s.InstanceSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a pending, running or paused instance: its running steps, timers, open tasks and waited children."""
        reason = TemplateViewSet.validated(s.CancelSerializer, request)["reason"]
        instance = engine.cancel_instance(self.get_object().pk, reason=reason, by=request.user.get_username())
        return Response(s.InstanceSerializer(self.get_queryset().get(pk=instance.pk)).data)

    @extend_schema(request=s.EmptySerializer, responses=s.InstanceSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Run a failed instance again from its failed steps (or run its failed compensation again)."""
        return self.control(request, engine.retry_instance)

    @extend_schema(request=s.EmptySerializer, responses=s.InstanceSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Pause a running instance: running steps finish and are recorded, nothing new starts;
        timers and signals that come due wait for resume. Reaches its waited children."""
        return self.control(request, engine.pause_instance)

    @extend_schema(request=s.EmptySerializer, responses=s.InstanceSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Resume a paused instance: what came due while it was paused is delivered now."""
        return self.control(request, engine.resume_instance)

    def control(self, request, act) -> Response:
        TemplateViewSet.validated(s.EmptySerializer, request)
        instance = act(self.get_object().pk, by=request.user.get_username())
        return Response(s.InstanceSerializer(self.get_queryset().get(pk=instance.pk)).data)

    @extend_schema(request=s.BulkSerializer, responses=s.BulkResultSerializer)
    @action(detail=False, methods=["post"], filterset_class=None, pagination_class=None)
    def bulk(self, request):
        """Pause, resume or cancel many instances; each is its own change, and one refused (its
        state, or no such instance) does not stop the others."""
        data = TemplateViewSet.validated(s.BulkSerializer, request)
        return Response(engine.bulk(data["action"], data["ids"], by=request.user.get_username()))

    @extend_schema(
        request=OpenApiTypes.ANY,
        parameters=[OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, description="the signal's name (what a signal node waits for)")],
        responses={202: s.SignalSentSerializer},
    )
    @action(detail=True, methods=["post"], url_path=r"signals/(?P<name>[^/]+)", filterset_class=None)
    def signal(self, request, pk=None, name=None):
        """Send a signal; the body (any JSON, size-limited; none is null) is its payload. Kept at
        once and delivered to a signal node waiting for the name, now or when one does (oldest
        first). 409 for a finished instance."""
        field = s.SignalNameField()
        try:
            field.run_validation(name)
        except s.serializers.ValidationError as exc:
            raise engine.EngineError(f"name: {exc.detail[0]}", field="name") from None
        payload = request.data if request.META.get("CONTENT_LENGTH") not in (None, "", "0") else None
        instance = self.get_object()
        seq = engine.signal_instance(instance.pk, name, payload, by=request.user.get_username())
        return Response({"seq": seq, "name": name, "instance": str(instance.pk)}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[OpenApiParameter("order", OpenApiTypes.STR, enum=["seq", "-seq"], description="oldest first (default) or newest first")],
        responses=s.SignalSerializer(many=True),
    )
    @action(detail=True, methods=["get"], url_path="signals", filterset_class=None)
    def signals(self, request, pk=None):
        """The signals sent to it, each with whether (and by which node) it was delivered."""
        order = request.query_params.get("order", "seq")
        if order not in ("seq", "-seq"):
            raise s.serializers.ValidationError({"order": ["must be seq or -seq"]})
        signals = Signal.objects.filter(instance=self.get_object()).order_by("id" if order == "seq" else "-id")
        page = self.paginate_queryset(signals)
        return self.get_paginated_response(s.SignalSerializer(page, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("expr", OpenApiTypes.STR, required=True, description="an expression over input, vars, steps.<id>.output/.status and instance")],
        responses=s.QueryValueSerializer,
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def query(self, request, pk=None):
        """Evaluate a sandboxed expression over the instance's state, within the expression
        language's cost bounds; a bad or too costly one is a 400 naming ``expr``."""
        expr = request.query_params.get("expr")
        if not expr or not expr.strip():
            raise s.serializers.ValidationError({"expr": ["write an expression, e.g. steps.review.output.approved"]})
        return Response({"value": queries.run_query(self.get_object(), expr)})

    @extend_schema(responses=s.NamedQueryListSerializer, operation_id="v1_instances_queries_list")
    @action(detail=True, methods=["get"], url_path="queries", filterset_class=None, pagination_class=None)
    def named_queries(self, request, pk=None):
        """Every query its graph declares (``settings.queries``) with its value now, or why it
        cannot be evaluated on the current state."""
        return Response({"results": queries.run_all(self.get_object())})

    @extend_schema(
        parameters=[OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, description="a query its graph declares")],
        responses=s.NamedQueryValueSerializer,
    )
    @action(detail=True, methods=["get"], url_path=r"queries/(?P<name>[^/]+)", filterset_class=None, pagination_class=None)
    def named_query(self, request, pk=None, name=None):
        """One declared query's value now: 404 for a name the graph does not declare, 409 when it
        cannot be evaluated on the instance's current state."""
        return Response({"name": name, "value": queries.run_named(self.get_object(), name)})

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"], filterset_class=None)
    def metrics(self, request, pk=None):
        """Per-step durations, attempts, retries and parallel efficiency (computed in the database)."""
        return Response(stats.instance_metrics(self.get_object()))


def instances():
    """What the instance views serialise: with the template, the version and the lineage."""
    return lineage.with_lineage(Instance.objects.select_related("template", "version"))


def instance_or_404(queryset, raw) -> Instance:
    """The instance of ``queryset`` with id ``raw``; a malformed or unknown id is a 404."""
    try:
        instance = queryset.filter(pk=uuid.UUID(str(raw))).first()
    except ValueError:
        instance = None
    if instance is None:
        raise engine.NotFound(f"no instance {raw}")
    return instance


class StepPages(KeysetPagination):
    """``node``: by (node, item, attempt), a range of the attempt's unique index (instance, node_id,
    item_key, attempt); ``id``: in the order they were made, the primary key read from the cursor
    on and filtered by instance (or, for a small instance, its rows by the instance index, sorted);
    ``item``: like ``node`` but items in number order (0, 1, 2 ... 10, not 0, 1, 10): one node's
    rows read by that index and sorted (no index has the key's length)."""

    orderings = {"node": ("node_id", "item_key", "attempt"), "id": ("id",), "item": ("node_id", "item_length", "item_key", "attempt")}
    computed = {"item_length": Length("item_key")}
    default_order = "node"
    salt = "flowdesk.steps.cursor"


@extend_schema(parameters=[OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="the instance")])
class InstanceStepsView(ListAPIView):
    """One instance's step attempts, a page at a time, filtered by node, status and item: all of
    them, where the instance detail inlines at most a bounded number (its ``steps_truncated``).
    A map's items list: ``?node=fan&items=true&latest=true&order=item`` (and ``status`` to pick).
    A failed attempt's traceback only for staff and operators, as in the detail."""

    permission_classes = [InstanceControl]
    serializer_class = s.StepRunSerializer
    filterset_class = StepFilter
    pagination_class = StepPages

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return StepRun.objects.none()
        return lineage.with_child(StepRun.objects.filter(instance=instance_or_404(Instance.objects.only("pk"), self.kwargs["id"])))


class StatsView(APIView):
    """Per template: totals by status, success rate, average and p95 duration."""

    permission_classes = [RoleForWrites]

    @extend_schema(
        parameters=[OpenApiParameter("template", OpenApiTypes.STR, description="only this template")],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        query = s.StatsQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        instances = Instance.objects.all() if query.validated_data["include_tests"] else Instance.objects.filter(is_test=False)
        if name := query.validated_data.get("template"):
            instances = instances.filter(template__name=name)
        return Response({"results": stats.template_stats(instances)})


class ExpressionCheckView(APIView):
    """Check an expression or a ``{{ }}`` template as the analyst types (syntax and names only)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.ExpressionCheckSerializer, responses=s.ExpressionCheckResultSerializer)
    def post(self, request):
        data = TemplateViewSet.validated(s.ExpressionCheckSerializer, request)
        check = check_expression if data["kind"] == "expression" else check_template
        try:
            check(data["text"])
        except ExpressionError as exc:
            return Response({"valid": False, "message": str(exc)})
        return Response({"valid": True, "message": None})


class DirectoryView(APIView):
    """Users and groups whose names start with what an analyst types (the designer's suggestions
    for assignees, candidate groups and recipients): at most ``LIMIT``, active users only."""

    permission_classes = [IsAuthenticated]
    LIMIT = 10

    @extend_schema(parameters=[s.DirectoryQuerySerializer], responses=s.DirectorySerializer)
    def get(self, request):
        if not in_group(request.user, ANALYSTS):
            raise PermissionDenied("only analysts may look people up (they name them in templates)")
        query = s.DirectoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q, kind = query.validated_data["q"].strip(), query.validated_data["kind"]
        if kind == "groups":
            found = Group.objects.filter(name__istartswith=q).order_by(Lower("name"), "name").values_list("name", flat=True)[: self.LIMIT]
            return Response({"results": [{"name": name, "label": name} for name in found]})
        people = get_user_model().objects.filter(is_active=True).filter(
            Q(username__istartswith=q) | Q(first_name__istartswith=q) | Q(last_name__istartswith=q)
        )
        found = people.order_by(Lower("username"), "username").values_list("username", "first_name", "last_name")[: self.LIMIT]
        return Response({"results": [{"name": u, "label": f"{first} {last}".strip() or u} for u, first, last in found]})


class StepTypesView(ListAPIView):
    """Every node type with its config JSON Schema (the designer renders its side panel from it)."""

    permission_classes = [RoleForWrites]
    serializer_class = s.StepTypeSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return [t.describe() for t in step_types.all()]


class HandlersView(ListAPIView):
    """The registered handlers a ``task`` node may name, each with its one-line description and,
    when it declares one, the JSON Schema of its input (the designer's picker and Run dialog use it)."""

    permission_classes = [RoleForWrites]
    serializer_class = s.HandlerSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return [{"name": h.name, "description": h.description, "input_schema": h.input_schema} for h in handlers.all()]

