"""Templates (versioned graphs), instances, per-attempt step runs, the event history and timers.

Only the engine (``workflows.engine``) changes an instance's or a step's status; everything else
calls it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThan

from workflows.core.graph import behaviour_checksum, with_edge_ids
from workflows.core.status import InstanceStatus, StepStatus, choices


class Template(models.Model):
    """A named workflow; its behaviour lives in its versions."""

    name = models.SlugField(max_length=100, unique=True, help_text="stable identifier used by the API and the CLI")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    example_input = models.JSONField(default=dict, blank=True, help_text="prefills the input of a new run")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # The bounds every writer shares, the admin's form included (workflows.authoring).
        from workflows import authoring

        problems = authoring.problems({field: getattr(self, field) for field in authoring.EDITABLE})
        if problems:  # a form knows fields, not "tags.3": that one becomes "tags" with "tags.3: ..."
            by_field: dict[str, list[str]] = {}
            for field, messages in problems.items():
                base = field.partition(".")[0]
                by_field.setdefault(base, []).extend(messages if base == field else [f"{field}: {m}" for m in messages])
            raise ValidationError(by_field)

    def latest_published(self) -> TemplateVersion | None:
        return self.versions.filter(status=TemplateVersion.Status.PUBLISHED).order_by("-number").first()

    def draft(self) -> TemplateVersion | None:
        return self.versions.filter(status=TemplateVersion.Status.DRAFT).first()


class TemplateVersion(models.Model):
    """One version of a template's graph. Published versions are immutable: an instance runs the
    version it started on, forever."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        PUBLISHED = "published"
        ARCHIVED = "archived"
        TEST = "test"  # a frozen copy of the draft that a test run executes; never listed

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    graph = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    checksum = models.CharField(max_length=64, blank=True, help_text="of the behaviour, not the layout")
    change_note = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revision = models.PositiveIntegerField(default=1, help_text="bumped by every draft save: optimistic concurrency")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], condition=~Q(status="test"), name="version_number_unique"),
            models.UniqueConstraint(fields=["template"], condition=Q(status="draft"), name="one_draft_per_template"),
        ]

    def __str__(self) -> str:
        return f"{self.template.name} v{self.number} ({self.status})"

    def save(self, *args, **kwargs):
        self.graph = with_edge_ids(self.graph)  # every stored edge has an id, whoever wrote the graph
        if self.pk and self.status != self.Status.DRAFT:
            stored = TemplateVersion.objects.filter(pk=self.pk).values("graph", "status").first()
            if stored and stored["status"] != self.Status.DRAFT and stored["graph"] != self.graph:
                raise ValidationError("a published version is immutable; edit the draft and publish a new version")
        if self.status == self.Status.DRAFT:  # whoever saves a draft: "+ draft" compares checksums (workflows.drafts)
            self.checksum = draft_checksum(self.graph)
            if kwargs.get("update_fields") is not None and "graph" in kwargs["update_fields"]:
                kwargs["update_fields"] = {*kwargs["update_fields"], "checksum"}
        super().save(*args, **kwargs)


def draft_checksum(graph) -> str:
    """A draft may be malformed work in progress: without a checksum it counts as a change."""
    try:
        return behaviour_checksum(graph) if isinstance(graph, dict) else ""
    except (TypeError, ValueError):
        return ""


class Instance(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="instances")
    version = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, related_name="instances")
    status = models.CharField(max_length=10, choices=choices(InstanceStatus), default=InstanceStatus.PENDING, db_index=True)
    input = models.JSONField(default=dict, blank=True)
    output = models.JSONField(null=True, blank=True)
    vars = models.JSONField(default=dict, blank=True)
    error = models.JSONField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(default=50)
    business_key = models.CharField(max_length=200, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)
    parent_step = models.ForeignKey("StepRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    waited = models.BooleanField(default=False, db_default=False, help_text="a child whose parent step waits for its end (cancelled with the parent)")
    depth = models.PositiveSmallIntegerField(default=0, db_default=0, help_text="0 for a top-level instance, its parent's depth + 1 for a child")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True)
    # The last Event sequence number: bumping it is also what serialises writers per instance.
    last_seq = models.PositiveIntegerField(default=0)
    is_test = models.BooleanField(default=False, db_index=True, help_text="a designer test run: left out of lists and statistics")
    mocks = models.JSONField(default=dict, blank=True, help_text="test runs: node id -> mocked output or failure")
    saga = models.JSONField(
        null=True, blank=True, help_text="compensation under way or done: the original error, the steps still to undo, those undone"
    )
    # Which schedule started it: its overlap policy looks for the previous run still open.
    schedule = models.ForeignKey("Schedule", null=True, blank=True, on_delete=models.SET_NULL, related_name="instances", db_index=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "idempotency_key"], condition=Q(idempotency_key__isnull=False), name="instance_idempotency_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["template", "status", "-created_at"], name="instance_tpl_status"),
            # A schedule's last runs, and its open ones (the overlap check at every fire); partial,
            # so instances nobody scheduled cost these indexes nothing.
            models.Index(fields=["schedule", "-created_at"], condition=Q(schedule__isnull=False), name="instance_schedule_recent"),
            models.Index(
                fields=["schedule"], condition=Q(schedule__isnull=False, status__in=["pending", "running", "paused"]), name="instance_schedule_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template.name} {str(self.id)[:8]} ({self.status})"

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class StepRun(models.Model):
    """One attempt of one node (per fan-out item / loop iteration where that applies)."""

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="steps")
    node_id = models.CharField(max_length=64)
    node_type = models.CharField(max_length=32)
    item_key = models.CharField(max_length=64, blank=True, default="")
    attempt = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=12, choices=choices(StepStatus))
    input = models.JSONField(null=True, blank=True)
    output = models.JSONField(null=True, blank=True)
    ports = models.JSONField(default=list, blank=True, help_text="ports taken when it finished")
    error_type = models.CharField(max_length=200, blank=True)
    error_message = models.TextField(blank=True)
    error_traceback = models.TextField(blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    not_before = models.DateTimeField(null=True, blank=True, help_text="retry backoff: not claimable before")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True, help_text="the worker renews it; expired means worker lost")
    deadline_at = models.DateTimeField(null=True, blank=True, help_text="the step's timeout")
    lost = models.PositiveSmallIntegerField(default=0, help_text="earlier attempts of this step lost with their worker (not counted as tries)")
    state = models.JSONField(null=True, blank=True, help_text="the node type's bookkeeping: a map's counters, a loop's iteration")
    priority = models.PositiveSmallIntegerField(default=50, db_default=50, help_text="the instance's, copied: workers claim by it")
    compensation = models.BooleanField(default=False, db_default=False, help_text="an attempt of the node's compensate handler (saga)")
    heartbeat = models.JSONField(null=True, blank=True, help_text="the details of the handler's last heartbeat")
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["instance", "node_id", "item_key", "attempt"], name="steprun_attempt_unique"),
        ]
        indexes = [
            # The claim query: scheduled steps of one instance. Partial, so that no other lookup by
            # status can choose it: an (instance, status) index once made starting one pending map
            # item scan all 10,000 pending ones, where the unique key finds it directly.
            models.Index(fields=["instance"], condition=Q(status="scheduled"), name="steprun_instance_scheduled"),
            # A map's items in number order (0, 1, 2 ... 10), a page at a time (the steps API's order=item).
            # Partial on length(item_key) > 0, which only that query states: the planner could prove
            # ``item_key <> ''`` from a lookup by key and, its statistics not yet counting a map's
            # 10,000 new items, chose this index and scanned them all instead of the unique key.
            models.Index(
                F("instance"), F("node_id"), Length("item_key"), F("item_key"), F("attempt"),
                condition=Q(GreaterThan(Length("item_key"), 0)), name="steprun_item_order",
            ),  # fmt: skip
            # A transition's read: every node's own steps, never the 10,000 items of a map beside them.
            models.Index(fields=["instance", "node_id", "attempt"], condition=Q(item_key=""), name="steprun_node_steps"),
            # The sweep: scheduled steps nobody started, running steps whose lease or deadline passed.
            models.Index(fields=["scheduled_at"], condition=Q(status="scheduled"), name="steprun_scheduled"),
            # Workers' pick under a backlog: the highest priority first, oldest first within it.
            models.Index(F("priority").desc(), F("scheduled_at"), condition=Q(status="scheduled"), name="steprun_ready_priority"),
            models.Index(fields=["lease_until"], condition=Q(status="running"), name="steprun_running_lease"),
            models.Index(fields=["deadline_at"], condition=Q(status="running"), name="steprun_running_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.node_id}#{self.attempt} ({self.status})"

    @property
    def duration_ms(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds() * 1000
        return None



class Event(models.Model):
    """Append-only history of one instance; ``seq`` is gap-free per instance."""

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=40)
    node_id = models.CharField(max_length=64, blank=True)
    item_key = models.CharField(max_length=64, blank=True, default="", db_default="")
    attempt = models.PositiveIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["instance", "seq"]
        constraints = [models.UniqueConstraint(fields=["instance", "seq"], name="event_seq_unique")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.type} {self.node_id}".strip()

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValidationError("events are append-only")
        super().save(*args, **kwargs)


class Timer(models.Model):
    """A due time and the message it delivers then (``message``: an engine event, encoded by
    ``workflows.core.messages``); fired at least once by the engine's timer loop. ``kind`` only
    says what it is for, to people: firing never looks at it."""

    class Kind(models.TextChoices):
        RETRY = "retry"
        WAIT = "wait"
        DEADLINE = "deadline"
        SIGNAL = "signal"  # a signal node's timeout
        APPROVAL = "approval"  # an approval task is due: its escalation

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="timers")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    node_id = models.CharField(max_length=64, blank=True)
    item_key = models.CharField(max_length=64, blank=True, default="", db_default="")
    attempt = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField()
    message = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    faults = models.PositiveIntegerField(default=0, help_text="times firing it failed (each recorded as a Fault, then backed off)")

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["due_at"], name="timer_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.node_id} at {self.due_at:%H:%M:%S.%f}"


class InboxMessage(models.Model):
    """A message waiting for its instance (DESIGN §5b): a worker's result that found the instance
    busy, a child's end, a cancel from a parent, a child's start. Appended without the instance's
    lock; consumed, in ``id`` order and exactly once, by the instance's next transition."""

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="inbox")
    message = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    held = models.BooleanField(default=False, db_default=False, help_text="came while the instance was paused: delivered on resume")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["instance", "id"], name="inbox_instance")]

    def __str__(self) -> str:
        return f"{self.message.get('type', '?')} for {self.instance_id}"


class Signal(models.Model):
    """A signal sent to an instance: kept from its arrival until a ``signal`` node takes it, so one
    sent before any node waits is not lost (Temporal's buffered signals). ``id`` is the sequence
    number the sender gets back: signals of one name are delivered in that order."""

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="signals")
    name = models.CharField(max_length=100)
    payload = models.JSONField(null=True, blank=True)
    sent_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    node_id = models.CharField(max_length=64, blank=True, help_text="the node that took it")
    item_key = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["instance", "name", "id"], condition=Q(delivered_at__isnull=True), name="signal_buffered")]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk} for {self.instance_id}"


class Fault(models.Model):
    """Something an engine loop could not do for one item (fire a timer, expire a lease, record a
    worker's result): the loop recorded it here and in the log, backed that item off and went on
    with the rest, so one broken instance never stalls the others. Removed when the item succeeds."""

    class Source(models.TextChoices):
        TIMER = "timer", "timer"
        LEASE = "lease", "lease expiry (worker lost)"
        DEADLINE = "deadline", "step timeout"
        DISPATCH = "dispatch", "re-dispatch"
        COMMIT = "commit", "worker commit"
        SCHEDULE = "schedule", "schedule fire"

    source = models.CharField(max_length=20, choices=Source.choices)
    target = models.CharField(max_length=64, help_text="the timer, step run or instance it was about")
    instance = models.ForeignKey(Instance, null=True, blank=True, on_delete=models.CASCADE, related_name="faults")
    attempts = models.PositiveIntegerField(default=1)
    error_type = models.CharField(max_length=200)
    error_message = models.TextField(blank=True)
    error_traceback = models.TextField(blank=True)
    first_at = models.DateTimeField(auto_now_add=True)
    last_at = models.DateTimeField()
    retry_at = models.DateTimeField(null=True, blank=True, help_text="backed off until then")

    class Meta:
        ordering = ["-last_at"]
        constraints = [models.UniqueConstraint(fields=["source", "target"], name="fault_source_target_unique")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.target}: {self.error_type}"


class Schedule(models.Model):
    """A cron expression in a time zone that starts a template's published version with an input
    (DESIGN §3, §5b). ``next_fire_at`` is its timer: the engine's loop locks a due row (SKIP
    LOCKED), starts the instance and arms the next fire in one transaction (``workflows.scheduling``),
    so any number of engines fire it exactly once. Written through ``workflows.schedules``."""

    class Overlap(models.TextChoices):
        SKIP = "skip", "skip the fire while the previous run is open"
        ALLOW = "allow", "start anyway (runs overlap)"
        CANCEL_PREVIOUS = "cancel_previous", "cancel the open run, start the new one"
        BUFFER_ONE = "buffer_one", "keep one fire, start it when the open run ends"

    name = models.SlugField(max_length=100, unique=True)
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="schedules")
    version = models.PositiveIntegerField(null=True, blank=True, help_text="a published version number; empty: the latest published one when it fires")
    cron = models.CharField(max_length=200, help_text="5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first")
    timezone = models.CharField(max_length=64, default="UTC", help_text="an IANA name, e.g. Europe/Paris; daylight saving is followed")
    input = models.JSONField(default=dict, blank=True)
    priority = models.PositiveSmallIntegerField(default=50)
    overlap = models.CharField(max_length=20, choices=Overlap.choices, default=Overlap.SKIP)
    catch_up = models.BooleanField(default=False, help_text="after downtime, fire once for what was missed (else only the next fire)")
    enabled = models.BooleanField(default=True, help_text="off: paused, nothing fires")
    next_fire_at = models.DateTimeField(null=True, blank=True)
    last_fired_at = models.DateTimeField(null=True, blank=True, help_text="the fire time of the last run it started")
    buffered_fire_at = models.DateTimeField(null=True, blank=True, help_text="buffer_one: a fire waiting for the open run to end")
    retry_at = models.DateTimeField(null=True, blank=True, help_text="a fire that failed is tried again then (see Faults)")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(priority__lte=100), name="schedule_priority_range")]
        indexes = [
            # The loop's two reads, every tick: partial, so paused schedules are not in them.
            models.Index(fields=["next_fire_at"], condition=Q(enabled=True), name="schedule_due"),
            models.Index(fields=["buffered_fire_at"], condition=Q(enabled=True, buffered_fire_at__isnull=False), name="schedule_buffered"),
        ]

    def __str__(self) -> str:
        return self.name
