"""Human tasks opened by ``approval`` steps (DESIGN §7), their votes, audit trail and the
reviewers' own settings (snoozes, out-of-office).

A task is opened and closed by the engine (the step's transition writes it); reviewers' actions
change it inside a transition of its instance too (``approvals.service``), so a decision and the
step it completes commit together, and the instance's lock always comes before the task's.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q

from workflows.models import Instance, Template


class Task(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        DECIDED = "decided"  # by its reviewers
        ESCALATED = "escalated"  # decided by its escalation when overdue
        EXPIRED = "expired"  # overdue with no escalation: the step left by ``timeout``
        WITHDRAWN = "withdrawn"  # its step ended otherwise (the instance was cancelled, failed...)

    class Decision(models.TextChoices):
        APPROVED = "approved"
        REJECTED = "rejected"
        CHANGES = "changes", "changes requested"

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="tasks")
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="+")  # the inbox filters on it
    node_id = models.CharField(max_length=64)
    attempt = models.PositiveIntegerField()
    title = models.CharField(max_length=500)
    instructions = models.TextField(blank=True)
    context = models.JSONField(default=dict, blank=True)
    form = models.JSONField(default=list, blank=True)
    outcomes = models.JSONField(default=list, blank=True, help_text="the decisions offered (empty: all)")
    quorum = models.PositiveSmallIntegerField(default=1)
    rejections = models.PositiveSmallIntegerField(default=1)
    allow_starter = models.BooleanField(default=False)
    priority = models.PositiveSmallIntegerField(default=50)

    assignees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="approval_tasks")
    groups = models.ManyToManyField(Group, blank=True, related_name="approval_tasks")
    unknown = models.JSONField(default=list, blank=True, help_text="assignees or groups named that do not exist")
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="claimed_tasks")
    claimed_at = models.DateTimeField(null=True, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    output = models.JSONField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["instance", "node_id", "attempt"], name="task_one_per_attempt")]
        indexes = [
            models.Index(fields=["due_at", "id"], condition=Q(status="open"), name="task_open_due"),
            models.Index(fields=["claimed_by", "due_at"], condition=Q(status="open"), name="task_open_claimed"),
            models.Index(fields=["instance", "status"], name="task_instance"),
        ]
        permissions = [("view_all_tasks", "See and act on every approval task")]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def offered(self) -> list[str]:
        return list(self.outcomes) or list(self.Decision.values)


class Vote(models.Model):
    """One reviewer's decision on a task (a quorum task collects several)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    decision = models.CharField(max_length=10, choices=Task.Decision.choices)
    data = models.JSONField(default=dict, blank=True)
    comment = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["task", "user"], name="vote_once")]


class Entry(models.Model):
    """The task's audit trail: every action on it, by whom and when (comments too)."""

    class Action(models.TextChoices):
        OPENED = "opened"
        SUBSTITUTED = "substituted"
        CLAIMED = "claimed"
        UNCLAIMED = "unclaimed"
        DELEGATED = "delegated"
        COMMENTED = "commented"
        SNOOZED = "snoozed"
        VOTED = "voted"
        DECIDED = "decided"
        REMINDED = "reminded"
        ESCALATED = "escalated"
        CLOSED = "closed"
        EDITED = "edited"  # an administrator corrected its title, instructions or priority

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="entries")
    at = models.DateTimeField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=12, choices=Action.choices)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "entries"


class Snooze(models.Model):
    """A reviewer hid a task from their own lists until ``until``."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="snoozes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    until = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "user"], name="snooze_once")]


class Absence(models.Model):
    """Out of office: tasks opened for ``user`` between ``starts`` and ``ends`` go to ``substitute``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences")
    substitute = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="substituting")
    starts = models.DateTimeField()
    ends = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts"]
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=models.F("starts")), name="absence_ends_after_start"),
            models.CheckConstraint(condition=~Q(substitute=models.F("user")), name="absence_other_substitute"),
        ]
