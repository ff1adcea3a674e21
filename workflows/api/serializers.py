"""What crosses the API boundary. Unknown fields are refused, never silently dropped."""

from __future__ import annotations

import json

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from workflows import authoring, lineage
from workflows.core.steps.signal import NAME as SIGNAL_NAME
from workflows.models import Event, Instance, Signal, StepRun, Template, TemplateVersion
from workflows.queries import named_queries
from workflows.roles import can_control_instance, can_see_tracebacks
from workflows.sql import unstorable
from workflows.step_summary import DETAIL_STEPS


class Strict(serializers.Serializer):
    """Refuses fields it does not know: a typo in an integration should fail loudly."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["unknown field"] for name in unknown})
        return super().to_internal_value(data)


class JSONObjectField(serializers.JSONField):
    """A JSON object (not a list, string or number), with a size limit."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError("must be a JSON object")
        if problem := unstorable(value):
            raise serializers.ValidationError(problem)
        size = len(json.dumps(value))
        limit = settings.FLOWDESK["MAX_INPUT_BYTES"]
        if size > limit:
            raise serializers.ValidationError(f"is {size:,} bytes; the limit is {limit:,}", code="too_large")
        return value


# --- templates --------------------------------------------------------------------------------------


class TemplateSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    latest_version = serializers.IntegerField(read_only=True, allow_null=True)
    has_draft = serializers.BooleanField(read_only=True)
    changed_since_published = serializers.BooleanField(
        read_only=True, help_text="there is a draft that behaves differently from the latest published version"
    )
    instance_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Template
        fields = ["name", "title", "description", "tags", "example_input", "owner", "latest_version", "has_draft", "changed_since_published", "instance_count", "created_at", "updated_at", "archived_at"]
        read_only_fields = ["created_at", "updated_at", "archived_at"]


class TagsField(serializers.ListField):
    def __init__(self, **kwargs):
        # ListField reads its bounds from keyword arguments only (class attributes were ignored).
        kwargs.setdefault("child", serializers.CharField(max_length=authoring.MAX_TAG))
        kwargs.setdefault("max_length", authoring.MAX_TAGS)
        super().__init__(**kwargs)


class TemplateFieldsMixin:
    """The bounds every writer of a template shares (``workflows.authoring``), checked here too so
    that the API answers them field by field, like its own."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        problems = authoring.problems(attrs)
        if problems:
            raise serializers.ValidationError(problems)
        return attrs


class TemplateCreateSerializer(TemplateFieldsMixin, Strict):
    name = serializers.SlugField(max_length=authoring.MAX_NAME)
    title = serializers.CharField(max_length=authoring.MAX_TITLE)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=authoring.MAX_DESCRIPTION)
    tags = TagsField(required=False, default=list)
    example_input = JSONObjectField(required=False, default=dict)
    graph = JSONObjectField(required=False, help_text="the first draft's graph (graph JSON v1)")

    def validate_name(self, value):
        if Template.objects.filter(name=value).exists():
            raise serializers.ValidationError("a template with this name already exists", code="unique")
        return value


class TemplateFileSerializer(TemplateCreateSerializer):
    """A template file (what the designer exports; what its import, ``workflow load`` and the demo
    set-up read): the create body, field by field, except that the name may exist (its draft or
    its next version is replaced) and absent fields keep what the template has; plus a change note."""

    title = serializers.CharField(max_length=authoring.MAX_TITLE, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=authoring.MAX_DESCRIPTION)
    tags = TagsField(required=False)
    example_input = JSONObjectField(required=False)
    graph = JSONObjectField(help_text="graph JSON v1")
    change_note = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    def validate_name(self, value):
        return value


class TemplateUpdateSerializer(TemplateFieldsMixin, Strict):
    title = serializers.CharField(max_length=authoring.MAX_TITLE, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=authoring.MAX_DESCRIPTION)
    tags = TagsField(required=False)
    example_input = JSONObjectField(required=False)


class DraftSerializer(serializers.Serializer):
    number = serializers.IntegerField(read_only=True)
    graph = serializers.JSONField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    updated_by = serializers.CharField(source="updated_by.username", read_only=True, allow_null=True)
    revision = serializers.IntegerField(read_only=True, help_text="send it back with the next PUT")
    checksum = serializers.CharField(read_only=True, help_text="of the behaviour, not the layout")
    changed_since_published = serializers.BooleanField(
        read_only=True, help_text="the draft behaves differently from the latest published version (or there is none)"
    )


class DraftWriteSerializer(Strict):
    graph = JSONObjectField()
    revision = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, help_text="the revision this edit started from; a stale one is refused with 409"
    )


class ValidateRequestSerializer(Strict):
    graph = JSONObjectField(required=False, help_text="the graph to check; the draft when omitted")


class GraphErrorSerializer(serializers.Serializer):
    node = serializers.CharField(allow_null=True)
    field = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    message = serializers.CharField()
    nodes = serializers.ListField(child=serializers.CharField(), required=False)


class PlanSerializer(serializers.Serializer):
    batches = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))


class ValidationResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    errors = GraphErrorSerializer(many=True)
    plan = PlanSerializer(allow_null=True)


class PublishRequestSerializer(Strict):
    change_note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class VersionSerializer(serializers.ModelSerializer):
    published_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = TemplateVersion
        fields = ["number", "status", "checksum", "change_note", "created_at", "published_at", "published_by"]


class VersionDetailSerializer(VersionSerializer):
    class Meta(VersionSerializer.Meta):
        fields = VersionSerializer.Meta.fields + ["graph"]


# --- instances ----------------------------------------------------------------------------------


class SignalNameField(serializers.RegexField):
    """What a ``signal`` node can wait for (its ``config.name``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("error_messages", {"invalid": "letters, digits and _ . : - only, at most 100"})
        super().__init__(SIGNAL_NAME.pattern, **kwargs)


class StartSignalSerializer(Strict):
    name = SignalNameField(help_text="the signal a `signal` node waits for")
    payload = serializers.JSONField(required=False, allow_null=True, default=None, help_text="any JSON; the waiting node's output")


class StartSerializer(Strict):
    template = serializers.SlugField(max_length=100)
    version = serializers.IntegerField(required=False, min_value=1, allow_null=True)
    input = JSONObjectField(required=False, default=dict)
    priority = serializers.IntegerField(required=False, min_value=0, max_value=100, default=50)
    business_key = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    idempotency_key = serializers.CharField(required=False, allow_null=True, max_length=200, default=None)
    signal = StartSignalSerializer(
        required=False,
        help_text="signal-with-start: with an idempotency_key or a business_key, start the instance unless one with that key"
        " is open (the idempotency_key's instance, whatever its state), then send it this signal either way",
    )

    def validate(self, attrs):
        if attrs.get("signal") and not (attrs.get("idempotency_key") or attrs.get("business_key")):
            raise serializers.ValidationError({"signal": ["a signal-with-start needs an idempotency_key or a business_key to find the instance by"]})
        return attrs


class ParentSerializer(serializers.Serializer):
    instance = serializers.UUIDField()
    step = serializers.CharField(help_text="the node id of the step that started it")


class ChildSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    step = serializers.CharField(help_text="the node id of the step that started it")
    item_key = serializers.CharField(allow_blank=True, help_text="that step's item (a map item, a loop iteration), or empty")


class AncestorSerializer(serializers.Serializer):
    instance = serializers.UUIDField()
    template = serializers.CharField()
    status = serializers.CharField()
    step = serializers.CharField(help_text="the node id of its step that started the next instance down")
    item_key = serializers.CharField(allow_blank=True, help_text="that step's item (a map item, a loop iteration), or empty")


# Rows read through ``lineage.with_lineage`` (the views' querysets do).
class InstanceSerializer(serializers.ModelSerializer):
    template = serializers.SlugRelatedField(slug_field="name", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    duration_s = serializers.FloatField(read_only=True, allow_null=True)
    parent = serializers.SerializerMethodField(help_text="the instance and step that started it, if a step did")
    children_count = serializers.IntegerField(read_only=True, help_text="instances its steps started (list them with ?parent=<id>)")

    class Meta:
        model = Instance
        fields = ["id", "template", "version", "status", "priority", "business_key", "created_at", "started_at", "finished_at", "duration_s", "error", "parent", "children_count"]

    @extend_schema_field(ParentSerializer(allow_null=True))
    def get_parent(self, instance) -> dict | None:
        return lineage.parent_of(instance)


class SentSignalSerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="the signal's sequence number: signals of one name are delivered in this order")
    name = serializers.CharField()


class InstanceStartedSerializer(InstanceSerializer):
    """What starting answers: the instance, and with a signal-with-start the signal sent to it."""

    signal = SentSignalSerializer(read_only=True, allow_null=True, help_text="the signal sent (signal-with-start), else null")

    class Meta(InstanceSerializer.Meta):
        fields = InstanceSerializer.Meta.fields + ["signal"]


# Steps read through ``lineage.with_child`` (the detail and the steps list do).
class StepRunSerializer(serializers.ModelSerializer):
    node = serializers.CharField(source="node_id")
    type = serializers.CharField(source="node_type")
    duration_ms = serializers.FloatField(read_only=True, allow_null=True)
    error = serializers.SerializerMethodField()
    child = serializers.UUIDField(read_only=True, allow_null=True, help_text="the instance this attempt started (a sub-workflow, a loop iteration, a map item's workflow)")

    class Meta:
        model = StepRun
        fields = [
            "id", "node", "type", "item_key", "attempt", "status", "input", "output", "ports", "error", "scheduled_at", "started_at",
            "finished_at", "duration_ms", "worker", "child", "compensation", "heartbeat", "heartbeat_at",
        ]  # fmt: skip
        extra_kwargs = {
            "compensation": {"help_text": "an attempt of the node's compensate handler (saga), not of the node itself"},
            "heartbeat": {"help_text": "the details the handler reported with its last heartbeat (e.g. {\"progress\": 0.4})"},
            "heartbeat_at": {"help_text": "when it last reported a heartbeat"},
        }

    def get_error(self, step) -> dict | None:
        """Type and message for everyone; the traceback (server paths, code) only for those who
        debug runs (``roles.can_see_tracebacks``)."""
        if not step.error_type:
            return None
        error = {"type": step.error_type, "message": step.error_message}
        if self.shows_tracebacks():
            error["traceback"] = step.error_traceback
        return error

    def shows_tracebacks(self) -> bool:
        if "shows_tracebacks" not in self.context:  # asked once per response, not once per step
            request = self.context.get("request")
            self.context["shows_tracebacks"] = can_see_tracebacks(getattr(request, "user", None))
        return self.context["shows_tracebacks"]


class StepCountSerializer(serializers.Serializer):
    node = serializers.CharField()
    attempts = serializers.IntegerField(help_text="every attempt of the node, retries included")
    items = serializers.IntegerField(help_text="its items (a map's items, a loop's iterations, not the node's own step); 1 for a node that does not run per item")
    by_status = serializers.DictField(child=serializers.IntegerField(), help_text="status -> how many of those items' latest attempt has it")


# The instance read with ``step_summary.summarise`` attached as ``step_summary`` (the view does).
class InstanceDetailSerializer(InstanceSerializer):
    steps = StepRunSerializer(
        source="step_summary.steps", many=True, read_only=True,
        help_text=f"every attempt; when steps_truncated, the latest attempt of each (node, item), at most {DETAIL_STEPS:,}",
    )
    step_counts = StepCountSerializer(source="step_summary.counts", many=True, read_only=True, help_text="per node, always whole")
    steps_truncated = serializers.BooleanField(
        source="step_summary.truncated", read_only=True, help_text="steps leaves attempts out: page through /instances/{id}/steps/"
    )
    graph = serializers.JSONField(source="version.graph", read_only=True, help_text="the graph of the version it runs")

    can_control = serializers.SerializerMethodField(help_text="whether the caller may cancel, retry, pause, resume or signal it (operators)")
    queries = serializers.SerializerMethodField(help_text="the names of the queries its graph declares (GET queries/{name}/)")
    saga = serializers.JSONField(
        read_only=True, allow_null=True,
        help_text='compensation (on_failure: compensate): {"state": compensating|failed|done, "error", "compensated", "current"}, else null',
    )  # fmt: skip
    children = serializers.SerializerMethodField(help_text="instances its steps started (the first 50; children_count says how many)")
    ancestors = serializers.SerializerMethodField(help_text="the instances above it, root first, each with its step that started the next one down (at most 25)")
    last_seq = serializers.IntegerField(read_only=True, help_text="the seq of its latest event: events/?after=last_seq lists what follows")

    class Meta(InstanceSerializer.Meta):
        fields = InstanceSerializer.Meta.fields + ["input", "output", "vars", "idempotency_key", "deadline_at", "is_test", "graph", "steps", "step_counts", "steps_truncated", "can_control", "queries", "saga", "children", "ancestors", "last_seq"]

    def get_can_control(self, instance) -> bool:
        """So the instance page can disable Cancel and Retry, with the reason, before the API refuses."""
        request = self.context.get("request")
        return can_control_instance(getattr(request, "user", None))

    def get_queries(self, instance) -> list[str]:
        return list(named_queries(instance))

    @extend_schema_field(ChildSerializer(many=True))
    def get_children(self, instance) -> list[dict]:
        children = lineage.children_of(instance).order_by("created_at").values("pk", "status", "parent_step__node_id", "parent_step__item_key")[:50]
        return [{"id": str(c["pk"]), "status": c["status"], "step": c["parent_step__node_id"], "item_key": c["parent_step__item_key"]} for c in children]

    @extend_schema_field(AncestorSerializer(many=True))
    def get_ancestors(self, instance) -> list[dict]:
        return lineage.ancestors(instance) if instance.parent_instance is not None else []


class EventSerializer(serializers.ModelSerializer):
    node = serializers.CharField(source="node_id")
    item = serializers.CharField(source="item_key", help_text="a map item's or a loop iteration's key; empty for the node's own step")

    class Meta:
        model = Event
        fields = ["seq", "type", "node", "item", "attempt", "data", "created_at"]


class EventPageSerializer(serializers.Serializer):
    results = EventSerializer(many=True)
    last_seq = serializers.IntegerField(help_text="ask again with ?after=last_seq for what follows")
    more = serializers.BooleanField()


class StatsQuerySerializer(Strict):
    template = serializers.SlugField(required=False, max_length=100)
    include_tests = serializers.BooleanField(required=False, default=False)


class TestRunSerializer(Strict):
    input = JSONObjectField(required=False, default=dict)
    mocks = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        default=dict,
        help_text='node id -> {"output": any} or {"fail": {"type": "...", "message": "..."}} (task and http nodes)',
    )


class ExpressionCheckSerializer(Strict):
    text = serializers.CharField(max_length=10_000, allow_blank=True, trim_whitespace=False)
    kind = serializers.ChoiceField(choices=["expression", "template"], default="template")


class DirectoryQuerySerializer(Strict):
    q = serializers.CharField(min_length=1, max_length=150, help_text="the start of a username (or a name) or a group name")
    kind = serializers.ChoiceField(choices=["users", "groups"], default="users")


class DirectoryEntrySerializer(serializers.Serializer):
    name = serializers.CharField(help_text="what a graph names: a username or a group name")
    label = serializers.CharField(help_text="who it is, for people (their full name, else the username)")


class DirectorySerializer(serializers.Serializer):
    results = DirectoryEntrySerializer(many=True)


class ExpressionCheckResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    message = serializers.CharField(allow_null=True)


class CancelSerializer(Strict):
    reason = serializers.CharField(required=False, max_length=500, default="cancelled through the API")


class EmptySerializer(Strict):
    pass


BULK_MAX = 1000


class BulkSerializer(Strict):
    action = serializers.ChoiceField(choices=["pause", "resume", "cancel"])
    ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=BULK_MAX, help_text=f"at most {BULK_MAX:,} instance ids")


class BulkResultSerializer(serializers.Serializer):
    done = serializers.DictField(child=serializers.CharField(), help_text="instance id -> its status now")
    refused = serializers.DictField(child=serializers.CharField(), help_text="instance id -> why the engine refused (its state, or no such instance)")


class SignalSerializer(serializers.ModelSerializer):
    seq = serializers.IntegerField(source="pk", read_only=True, help_text="its sequence number: signals of one name are delivered in this order")
    delivered = serializers.SerializerMethodField(help_text="a signal node took it (else it waits, buffered, for one)")
    node = serializers.CharField(source="node_id", help_text="the node that took it; empty while buffered")
    item = serializers.CharField(source="item_key", help_text="that node's item, or empty")

    class Meta:
        model = Signal
        fields = ["seq", "name", "payload", "sent_by", "created_at", "delivered", "delivered_at", "node", "item"]

    def get_delivered(self, signal) -> bool:
        return signal.delivered_at is not None


class SignalSentSerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="the signal's sequence number")
    name = serializers.CharField()
    instance = serializers.UUIDField()


class QueryValueSerializer(serializers.Serializer):
    value = serializers.JSONField(allow_null=True, help_text="the expression's value over the instance's state")


class NamedQueryValueSerializer(QueryValueSerializer):
    name = serializers.CharField()


class NamedQueryResultSerializer(serializers.Serializer):
    name = serializers.CharField()
    expression = serializers.CharField()
    value = serializers.JSONField(allow_null=True)
    error = serializers.CharField(allow_null=True, help_text="why it cannot be evaluated on the current state (value is then null)")


class NamedQueryListSerializer(serializers.Serializer):
    results = NamedQueryResultSerializer(many=True)


# --- reference ----------------------------------------------------------------------------------


class StepTypeSerializer(serializers.Serializer):
    type = serializers.CharField()
    label = serializers.CharField()
    category = serializers.CharField()
    description = serializers.CharField()
    inline = serializers.BooleanField()
    schema = serializers.JSONField()
    ports = serializers.ListField(child=serializers.CharField(), help_text="output ports ('failure' is added when on_failure is 'route')")
    port_source = serializers.CharField(allow_null=True, help_text="a config key whose list names the ports, plus 'default'")


class HandlerSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="what a task's `handler` names, e.g. billing.charge_card")
    description = serializers.CharField(allow_blank=True, help_text="one line: what it does (empty when the handler has none)")
    input_schema = serializers.DictField(
        allow_null=True,
        help_text="JSON Schema (2020-12) of the object the handler reads, as it declared it; null when it declares none. Descriptive: the engine does not enforce it.",
    )
