"""E-mail about tasks (assigned, reminder before due, escalated), through Django's mail backend,
with a link to the task. Sent after the transition commits, on a small thread pool: a slow mail
server delays no transition and no request; a failed send is logged, the task is unaffected."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import connections
from django.db.models import Q

from .models import Task

log = logging.getLogger(__name__)
MAX_RECIPIENTS = 100
_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="approval-mail")


def assigned(task_id: int) -> None:
    _later(task_id, "New task", "A task is waiting for your decision", [])


def reminder(task_id: int) -> None:
    _later(task_id, "Reminder", "A task waiting for your decision is due soon", [])


def escalated(task_id: int, also: list[str]) -> None:
    _later(task_id, "Overdue", "A task is overdue and was escalated", also)


def _later(task_id: int, tag: str, lead: str, also: list[str]) -> None:
    if settings.FLOWDESK.get("TASK_MAIL_SYNC"):  # tests: send now, in the caller's thread
        _send(task_id, tag, lead, also)
    else:
        _pool.submit(_guarded, task_id, tag, lead, also)


def _guarded(*args) -> None:
    try:
        _send(*args)
    except Exception:
        log.exception("could not send the task e-mail %s", args[:2])
    finally:
        connections.close_all()  # this thread's own: a mail is rare, a connection left open is not


def holders(task: Task) -> list[str]:
    """The addresses of who may act on the task now: its assignees (or its claimer) and the
    members of its groups, active users with an address, at most ``MAX_RECIPIENTS``."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    if task.claimed_by_id:
        users = users.filter(pk=task.claimed_by_id)
    else:
        users = users.filter(Q(approval_tasks=task) | Q(groups__approval_tasks=task))
    return list(users.order_by("email").values_list("email", flat=True).distinct()[:MAX_RECIPIENTS])


def _send(task_id: int, tag: str, lead: str, also: list[str]) -> int:
    task = Task.objects.filter(pk=task_id, status=Task.Status.OPEN).first()
    if task is None:
        return 0  # decided or withdrawn meanwhile: nothing to say
    link = settings.FLOWDESK.get("BASE_URL", "").rstrip("/") + f"/inbox/{task.pk}/"
    due = f"\nDue: {task.due_at:%Y-%m-%d %H:%M} UTC" if task.due_at else ""
    body = f"{lead}:\n\n{task.title}{due}\n\nOpen it: {link}\n"
    subject = f"[Flowdesk] {tag}: {task.title}"[:200].replace("\n", " ").replace("\r", " ")
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in dict.fromkeys(holders(task) + list(also))]
    return send_mass_mail(messages, fail_silently=False) if messages else 0
