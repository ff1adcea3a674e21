"""Every instance's inbox (DESIGN §5b): messages appended without the instance's lock, consumed in
order, exactly once, by the instance's own next transition.

Sending: append the message (committed with whatever sent it), then, after commit,
``transition.deliver``: take the instance's lock and consume what waits. The sender holds no lock by then (its own
transaction has committed), so no transaction ever waits for a second instance's lock, and parents
and children cannot deadlock. The message was committed before the deliverer asked for the lock,
so whoever takes the lock first sees it: it is never stranded.

Several messages waiting are decided on in one transition. The timer loop's sweep (``stranded``)
is the safety net for a sender that died between its commit and its delivery.
"""

from __future__ import annotations

from django.db import connection

from workflows import sql
from workflows.core import messages
from workflows.models import InboxMessage

def take_into(batch: sql.Batch, instance_id) -> int:
    """Add the removal of the instance's messages to ``batch`` (run under its lock); ``opened``
    makes messages of what it returns. Messages held while it is paused stay until it resumes."""
    statement = f"DELETE FROM {sql.table(InboxMessage)} WHERE {sql.column(InboxMessage, 'instance')} = %s AND NOT held RETURNING id, message"
    return batch.add(statement, [sql.value(InboxMessage, "instance", instance_id)], returns=True)


def opened(found: list[tuple]) -> list[object]:
    """The taken messages, oldest first."""
    field = InboxMessage._meta.get_field("message")
    return [messages.decode(field.from_db_value(raw, None, connection)) for _, raw in sorted(found, key=lambda r: r[0])]


def stranded(older_than, limit: int = 200) -> list:
    """Instances with messages older than ``older_than`` (a sender that died between its commit
    and its delivery): the timer loop delivers them."""
    return list(
        InboxMessage.objects.filter(created_at__lt=older_than, held=False).order_by().values_list("instance_id", flat=True).distinct()[:limit]
    )
