"""The engine's side of tasks: the writer calls these inside an instance's transition (under its
lock) to open, escalate and close the task of an ``approval`` step. Each returns what the
instance's history records about it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from workflows.models import Instance, TemplateVersion

from . import notices
from .models import Absence, Entry, Task


def open_task(instance: Instance, node_id: str, attempt: int, spec: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Create the task: named users (an absent one's substitute instead) and groups that exist;
    names that match nobody are kept on the task (``unknown``) and shown, not silently dropped."""
    users = {u.username: u for u in get_user_model().objects.filter(username__in=spec["assignees"], is_active=True)}
    groups = list(Group.objects.filter(name__in=spec["groups"]))
    unknown = [f"user:{n}" for n in spec["assignees"] if n not in users] + [f"group:{n}" for n in spec["groups"] if n not in {g.name for g in groups}]
    assignees, substituted = substitutes(list(users.values()), now)
    template_id = TemplateVersion.objects.filter(pk=instance.version_id).values_list("template_id", flat=True).get()  # a new instance is not inserted yet
    due_at = datetime.fromtimestamp(spec["due_at"], now.tzinfo) if spec.get("due_at") else None
    task = Task.objects.create(
        instance_id=instance.pk, template_id=template_id, node_id=node_id, attempt=attempt, title=spec["title"],
        instructions=spec.get("instructions", ""), context=spec.get("context") or {}, form=spec.get("form") or [], outcomes=spec.get("outcomes") or [],
        quorum=spec.get("quorum", 1), rejections=spec.get("rejections", 1), allow_starter=spec.get("allow_starter", False),
        priority=instance.priority, unknown=unknown, created_at=now, due_at=due_at,
    )  # fmt: skip
    task.assignees.set(assignees)
    task.groups.set(groups)
    entries = [Entry(task=task, at=now, action=Entry.Action.OPENED, data={"assignees": [u.username for u in assignees], "groups": [g.name for g in groups]})]
    entries += [
        Entry(task=task, at=now, user=sub, action=Entry.Action.SUBSTITUTED, note=f"{sub.username} stands in for {absent.username} (out of office)")
        for absent, sub in substituted
    ]  # fmt: skip
    Entry.objects.bulk_create(entries)
    transaction.on_commit(lambda: notices.assigned(task.pk))
    data: dict[str, Any] = {"task": task.pk, "title": task.title, "assignees": [u.username for u in assignees], "groups": [g.name for g in groups]}
    if unknown:
        data["unknown"] = unknown
    if substituted:
        data["substituted"] = {absent.username: sub.username for absent, sub in substituted}
    return data


def substitutes(users: list, now: datetime) -> tuple[list, list[tuple[Any, Any]]]:
    """``(who gets the task, [(absent, substitute)])``: a user out of office at ``now`` is
    replaced by their substitute (one step: a substitute's own absence is not followed)."""
    away = {a.user_id: a.substitute for a in Absence.objects.filter(user__in=users, starts__lte=now, ends__gt=now).select_related("substitute")}
    result, swapped = [], []
    for user in users:
        if user.pk in away and away[user.pk].is_active:
            swapped.append((user, away[user.pk]))
            user = away[user.pk]
        if user not in result:
            result.append(user)
    return result, swapped


def update_task(instance: Instance, node_id: str, attempt: int, change: dict[str, Any], now: datetime) -> tuple[str, dict[str, Any]] | None:
    """Escalate or close the step's open task; ``(event type, data)`` for the history."""
    task = Task.objects.select_for_update().filter(instance_id=instance.pk, node_id=node_id, attempt=attempt, status=Task.Status.OPEN).first()
    if task is None:
        return None
    if change.get("remind"):
        Task.objects.filter(pk=task.pk).update(reminded_at=now)
        Entry.objects.create(task=task, at=now, action=Entry.Action.REMINDED, note="due soon: its holders were reminded")
        transaction.on_commit(lambda: notices.reminder(task.pk))
        return "task_reminded", {"task": task.pk}
    if "close" in change:
        status = Task.Status.ESCALATED if change["close"] == "escalated" else Task.Status.EXPIRED
        Task.objects.filter(pk=task.pk).update(status=status, decision=change.get("decision", ""), closed_at=now, claimed_by=None)
        note = f"overdue: decided {change['decision']} automatically" if change.get("decision") else "overdue: closed without a decision"
        Entry.objects.create(task=task, at=now, action=Entry.Action.CLOSED, note=note, data=dict(change))
        return "task_closed", {"task": task.pk, "status": status, **({"decision": change["decision"]} if change.get("decision") else {})}
    data: dict[str, Any] = {"task": task.pk, "escalation": change["escalate"]}
    if change["escalate"] == "reassign":
        group = Group.objects.filter(name=change["group"]).first()
        if group is None:
            data["unknown"] = f"group:{change['group']}"
        else:
            task.groups.add(group)
            Task.objects.filter(pk=task.pk).update(claimed_by=None, claimed_at=None)
            data["group"] = group.name
    Task.objects.filter(pk=task.pk).update(escalated_at=now)
    note = f"overdue: reassigned to {data['group']}" if "group" in data else "overdue: escalated"
    Entry.objects.create(task=task, at=now, action=Entry.Action.ESCALATED, note=note, data=dict(change))
    transaction.on_commit(lambda: notices.escalated(task.pk, list(change.get("to") or [])))
    return "task_escalated", data


def withdraw(instance_id, node_id: str, attempt: int, now: datetime) -> int | None:
    """The step ended without its task's decision (cancelled, failed, skipped): close the task."""
    task = Task.objects.filter(instance_id=instance_id, node_id=node_id, attempt=attempt, status=Task.Status.OPEN).values_list("pk", flat=True).first()
    if task is None:
        return None
    Task.objects.filter(pk=task).update(status=Task.Status.WITHDRAWN, closed_at=now)
    Entry.objects.create(task_id=task, at=now, action=Entry.Action.CLOSED, note="withdrawn: the step ended without a decision")
    return task
