"""What reviewers do to tasks: see them, claim, unclaim, delegate, comment, snooze and decide.

Who sees a task: its assignees, members of its groups, whoever holds its claim, and admins
(superusers or ``approvals.view_all_tasks``); anyone else gets "not found", so task ids cannot be
probed. Each action runs inside a transition of the task's instance (instance lock first, then the
task's row), so it lands in the instance's history, a decision completes the step in the same
commit, and two reviewers racing for one task are serialised: the second is told who won.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from workflows.core import decider as d
from workflows.engine.transition import transition
from workflows.errors import Conflict, EngineError, Forbidden, Invalid, NotFound
from workflows.models import Instance

from . import notices
from .forms import DecisionForm, field_errors
from .models import Absence, Entry, Snooze, Task, Vote

NOTE_MAX = 5_000


def is_admin(user) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm("approvals.view_all_tasks"))


def visible(user) -> QuerySet[Task]:
    """Every task ``user`` may see: the ids of a UNION of three indexed reads (assigned, in my
    groups, claimed), so the planner never scans every task to test each one (an ``OR`` of
    ``EXISTS`` did, 10x slower with 10,000 open tasks)."""
    if not user.is_authenticated or not user.is_active:
        return Task.objects.none()
    if is_admin(user):
        return Task.objects.all()
    return Task.objects.filter(pk__in=_assigned_ids(user).union(_group_ids(user), _claimed_ids(user)))


def _assigned_ids(user) -> QuerySet:
    return Task.assignees.through.objects.filter(user_id=user.pk).values("task_id")


def _group_ids(user) -> QuerySet:
    groups = user.groups.through.objects.filter(user_id=user.pk).values("group_id")
    return Task.groups.through.objects.filter(group_id__in=groups).values("task_id")


def _claimed_ids(user) -> QuerySet:
    return Task.objects.filter(claimed_by=user).values("id")


def _assigned(user) -> Exists:
    return Exists(Task.assignees.through.objects.filter(task_id=OuterRef("pk"), user_id=user.pk))


def _grouped(user) -> Exists:
    groups = user.groups.through.objects.filter(user_id=user.pk).values("group_id")
    return Exists(Task.groups.through.objects.filter(task_id=OuterRef("pk"), group_id__in=groups))


def mine(user) -> QuerySet[Task]:
    """Open tasks assigned to ``user`` or claimed by them (not snoozed)."""
    found = Task.objects.filter(pk__in=_assigned_ids(user).union(_claimed_ids(user)), status=Task.Status.OPEN)
    return _unsnoozed(found.filter(Q(claimed_by=user) | Q(claimed_by__isnull=True)), user)


def groups_unclaimed(user) -> QuerySet[Task]:
    """Open, unclaimed tasks of ``user``'s groups that are not assigned to them by name."""
    found = Task.objects.filter(pk__in=_group_ids(user), status=Task.Status.OPEN, claimed_by__isnull=True).exclude(pk__in=_assigned_ids(user))
    return _unsnoozed(found, user)


def waiting(user) -> QuerySet[Task]:
    """``mine`` and ``groups_unclaimed`` together (the top bar's badge), in one query."""
    ids = _assigned_ids(user).union(_group_ids(user), _claimed_ids(user))
    found = Task.objects.filter(Q(claimed_by=user) | Q(claimed_by__isnull=True), pk__in=ids, status=Task.Status.OPEN)
    return _unsnoozed(found, user)


def _unsnoozed(tasks: QuerySet[Task], user) -> QuerySet[Task]:
    return tasks.exclude(Exists(Snooze.objects.filter(task_id=OuterRef("pk"), user_id=user.pk, until__gt=timezone.now())))


def get(user, task_id) -> Task:
    """The task if ``user`` may see it; otherwise NotFound (never "forbidden": ids are not probed)."""
    try:
        task_id = int(task_id)
    except (TypeError, ValueError):
        raise NotFound(f"no task {task_id}") from None
    task = visible(user).filter(pk=task_id).select_related("instance", "claimed_by", "decided_by").first()
    if task is None:
        raise NotFound(f"no task {task_id}")
    return task


def holds(task: Task, user) -> bool:
    """``user`` is one of those the task is for: assignee, member of one of its groups, or claimer."""
    if task.claimed_by_id == user.pk:
        return True
    if task.assignees.filter(pk=user.pk).exists():
        return True
    return task.groups.filter(pk__in=user.groups.values("pk")).exists()


# --- actions ---------------------------------------------------------------------------------------


def claim(user, task_id) -> Task:
    def act(task: Task, now: datetime):
        _may_act(task, user)
        if task.quorum > 1:
            raise Conflict("several reviewers decide this task together: it is not claimed, each decides")
        if task.claimed_by_id == user.pk:
            return None
        if task.claimed_by_id is not None:
            raise Conflict(f"{task.claimed_by.get_username()} claimed this task first", field="claimed_by")
        Task.objects.filter(pk=task.pk).update(claimed_by=user, claimed_at=now)
        return _noted(task, user, now, Entry.Action.CLAIMED)

    return _run(user, task_id, act)


def unclaim(user, task_id) -> Task:
    def act(task: Task, now: datetime):
        if task.claimed_by_id is None:
            raise Conflict("the task is not claimed")
        if task.claimed_by_id != user.pk and not is_admin(user):
            raise Conflict(f"{task.claimed_by.get_username()} holds this task; only they or an admin can release it", field="claimed_by")
        Task.objects.filter(pk=task.pk).update(claimed_by=None, claimed_at=None)
        return _noted(task, user, now, Entry.Action.UNCLAIMED)

    return _run(user, task_id, act)


def delegate(user, task_id, *, to_user: str | None = None, to_group: str | None = None, note: str = "") -> Task:
    """Hand the task to another user (who then holds it) or to a group (unclaimed, for its
    members), with a note; the delegating reviewer no longer holds it."""
    if bool(to_user) == bool(to_group):
        raise EngineError("name one user or one group to delegate to", field="to_user")
    note = _note(note, "note")
    target_user = target_group = None
    if to_user:
        target_user = get_user_model().objects.filter(username=to_user, is_active=True).first()
        if target_user is None:
            raise EngineError(f"no active user {to_user!r}", field="to_user")
        if target_user.pk == user.pk:
            raise EngineError("delegate to someone else", field="to_user")
    else:
        target_group = Group.objects.filter(name=to_group).first()
        if target_group is None:
            raise EngineError(f"no group {to_group!r}", field="to_group")

    def act(task: Task, now: datetime):
        _may_act(task, user)
        if task.claimed_by_id not in (None, user.pk) and not is_admin(user):
            raise Conflict(f"{task.claimed_by.get_username()} holds this task", field="claimed_by")
        task.assignees.remove(user)
        if target_user is not None:
            task.assignees.add(target_user)
            claimed = {"claimed_by": target_user, "claimed_at": now} if task.quorum == 1 else {"claimed_by": None, "claimed_at": None}
            to = {"to_user": target_user.get_username()}
        else:
            task.groups.add(target_group)
            claimed = {"claimed_by": None, "claimed_at": None}
            to = {"to_group": target_group.name}
        Task.objects.filter(pk=task.pk).update(**claimed)
        event = _noted(task, user, now, Entry.Action.DELEGATED, note=note, data=to)
        return event, lambda: notices.assigned(task.pk)

    return _run(user, task_id, act)


def comment(user, task_id, text: str) -> Task:
    text = _note(text, "text", required=True)

    def act(task: Task, now: datetime):
        return _noted(task, user, now, Entry.Action.COMMENTED, note=text)

    return _run(user, task_id, act)


def snooze(user, task_id, until: datetime | None) -> Task:
    """Hide the task from ``user``'s own lists until ``until`` (None: show it again)."""
    if until is not None and until <= timezone.now():
        raise EngineError("snooze until a moment in the future", field="until")

    def act(task: Task, now: datetime):
        if until is None:
            Snooze.objects.filter(task=task, user=user).delete()
        else:
            Snooze.objects.update_or_create(task=task, user=user, defaults={"until": until})
        return _noted(task, user, now, Entry.Action.SNOOZED, data={"until": until.isoformat() if until else None})

    return _run(user, task_id, act)


def decide(user, task_id, form: DecisionForm) -> Task:
    """Record ``user``'s decision from a bound form (the page's or the API's). A single-reviewer
    task is decided at once; a quorum task when enough approvals (or rejections) are in, or at
    the first request for changes."""
    if not form.is_valid():
        raise Invalid(field_errors(form))
    decision, note, values = form.cleaned_data["decision"], (form.cleaned_data.get("comment") or "").strip(), form.values()

    def act(task: Task, now: datetime):
        _may_act(task, user)
        if decision not in task.offered:
            raise Invalid({"decision": [f"this task offers {', '.join(task.offered)}"]})
        if task.claimed_by_id not in (None, user.pk):
            raise Conflict(f"{task.claimed_by.get_username()} holds this task", field="claimed_by")
        if task.quorum > 1:
            if not holds(task, user) and not is_admin(user):
                raise Forbidden("only the task's reviewers take part in its quorum")
            if Vote.objects.filter(task=task, user=user).exists():
                raise Conflict("you have decided this task already; the others' decisions are awaited")
        Vote.objects.create(task=task, user=user, decision=decision, data=values, comment=note, at=now)
        outcome = decision if task.quorum == 1 else _tally(task)
        noted = _noted(task, user, now, Entry.Action.VOTED if outcome is None else Entry.Action.DECIDED, note=note, data={"decision": decision})
        if outcome is None:
            return noted
        votes = list(task.votes.select_related("user").order_by("at", "id"))
        output = {
            "decision": outcome, "data": values, "by": user.get_username(), "decided_at": now.isoformat(), "comment": note,
            "votes": [{"by": v.user.get_username(), "decision": v.decision, "at": v.at.isoformat(), "comment": v.comment, "data": v.data} for v in votes],
        }  # fmt: skip
        Task.objects.filter(pk=task.pk).update(status=Task.Status.DECIDED, decision=outcome, output=output, decided_by=user, closed_at=now)
        return [noted, d.TaskDecided(task.node_id, task.attempt, task.pk, output)]

    return _run(user, task_id, act)


def _tally(task: Task) -> str | None:
    counts = {row: 0 for row in Task.Decision.values}
    for decision in task.votes.values_list("decision", flat=True):
        counts[decision] += 1
    if counts["changes"]:
        return "changes"
    if counts["rejected"] >= task.rejections:
        return "rejected"
    if counts["approved"] >= task.quorum:
        return "approved"
    return None


#: What an administrator may correct on an open task; the rest is the engine's or the reviewers'.
EDITABLE = ("title", "instructions", "priority")


def edit(user, task_id, changes: dict[str, Any]) -> Task:
    """An administrator's correction (the caller, the admin, checked the permission): written with
    the task's row locked, so it never lands on a task decided meanwhile (409), and recorded in the
    audit trail and the instance's history like any reviewer's action."""
    if unknown := sorted(set(changes) - set(EDITABLE)):
        raise EngineError(f"only {', '.join(EDITABLE)} may be changed", field=unknown[0])

    def act(task: Task, now: datetime):
        changed = {name: value for name, value in changes.items() if getattr(task, name) != value}
        if not changed:
            return None
        Task.objects.filter(pk=task.pk).update(**changed)
        data: dict[str, Any] = {"fields": sorted(changed)}
        data.update({name: [getattr(task, name), value] for name, value in changed.items() if name != "instructions"})  # instructions may be long
        return _noted(task, user, now, Entry.Action.EDITED, data=data)

    return _run(user, task_id, act, permitted=True)


# --- out of office -------------------------------------------------------------------------------


def set_absence(user, *, substitute: str, starts: datetime, ends: datetime, note: str = "") -> Absence:
    stand_in = get_user_model().objects.filter(username=substitute, is_active=True).first()
    if stand_in is None:
        raise EngineError(f"no active user {substitute!r}", field="substitute")
    if stand_in.pk == user.pk:
        raise EngineError("name someone else to stand in for you", field="substitute")
    if ends <= starts:
        raise EngineError("the absence must end after it starts", field="ends")
    return Absence.objects.create(user=user, substitute=stand_in, starts=starts, ends=ends, note=_note(note, "note")[:200])


# --- the machinery ---------------------------------------------------------------------------------


def _run(user, task_id, act, *, permitted: bool = False) -> Task:
    """Check visibility (unless the caller checked a permission), then run ``act(task, now)`` in a
    transition of the task's instance with the task's row locked; ``act`` returns the event(s) for
    the instance (or None), optionally with something to do after the commit, or raises to refuse
    (nothing is written)."""
    seen = Task.objects.filter(pk=task_id).first() if permitted else get(user, task_id)
    if seen is None:
        raise NotFound(f"no task {task_id}")
    after: list = []

    def event(rows):
        task = Task.objects.select_for_update(of=("self",)).select_related("claimed_by", "instance").get(pk=seen.pk)
        if not task.is_open:
            raise Conflict(f"the task is {task.status} already", field="status")
        result = act(task, timezone.now())
        if isinstance(result, tuple):
            result, later = result
            after.append(later)
        return result

    try:
        transition(seen.instance_id, event)
    except Instance.DoesNotExist:
        raise NotFound(f"no task {task_id}") from None
    for later in after:
        later()
    return get(user, seen.pk) if visible(user).filter(pk=seen.pk).exists() else seen


def _may_act(task: Task, user) -> None:
    if not task.allow_starter and task.instance.started_by_id == user.pk:
        raise Forbidden("you started this instance, and this task must be decided by someone else")
    if not holds(task, user) and not is_admin(user):
        raise Forbidden("this task is not yours: claim it from your group's list, or ask its holder to delegate it")


def _noted(task: Task, user, now: datetime, action: str, *, note: str = "", data: dict[str, Any] | None = None) -> d.TaskNoted:
    Entry.objects.create(task=task, at=now, user=user, action=action, note=note, data=data or {})
    payload = {**(data or {}), **({"note": note} if note else {})}
    return d.TaskNoted(task.node_id, task.attempt, task.pk, action, user.get_username(), payload or None)


def _note(text: Any, field: str, *, required: bool = False) -> str:
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise EngineError("must be text", field=field)
    text = text.strip()
    if required and not text:
        raise EngineError("write something", field=field)
    if len(text) > NOTE_MAX:
        raise EngineError(f"at most {NOTE_MAX:,} characters", field=field)
    return text
