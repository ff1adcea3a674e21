"""Isolation for the engine's loops: one item that raises is recorded, backed off and reported,
and the loop goes on with the rest.

The timer loop fires timers, expires leases and deadlines, and re-dispatches, for every instance at
once; a worker records results. Before this, one instance whose transition raised (a value the
database refused, a corrupt row) failed the whole pass every second, and every other instance's
waits stopped firing. Now each item runs in ``isolated``: an exception becomes a ``Fault`` row
(shown in the admin) and a log line, the item is pushed back by ``backoff`` (1 s, 2 s, 4 s... up
to 5 min), and its fault is removed once it succeeds.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from django.db import IntegrityError, transaction

from workflows.core.values import clean_text
from workflows.models import Fault

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_BACKOFF_S = 300.0

# Items this process saw fail, so a success costs a DELETE only when there may be a fault to clear.
_failing: set[tuple[str, str]] = set()
_lock = threading.Lock()


def backoff(attempts: int) -> float:
    """Seconds before an item that failed ``attempts`` times in a row is tried again."""
    return min(MAX_BACKOFF_S, 2.0 ** max(0, attempts - 1))


def isolated(
    source: str,
    target: Any,
    run: Callable[[], T],
    *,
    instance_id: Any = None,
    push_back: Callable[[datetime], Any] | None = None,
    default: T = None,  # type: ignore[assignment]
) -> T:
    """``run()``; if it raises, record the fault, call ``push_back(retry_at)`` and return ``default``."""
    key = (source, str(target))
    try:
        result = run()
    except Exception as exc:
        retry_at = record(source, target, exc, instance_id=instance_id)
        if push_back is not None:
            try:
                push_back(retry_at)
            except Exception:
                log.exception("could not back off %s %s", source, target)
        return default
    if key in _failing:
        clear(source, target)
    return result


def record(source: str, target: Any, exc: BaseException, *, instance_id: Any = None) -> datetime:
    """Log and store the fault (one row per item, counting repeats); returns when to try again."""
    target = str(target)
    with _lock:
        _failing.add((source, target))
    now = datetime.now(timezone.utc)
    fields = {
        "error_type": clean_text(type(exc).__name__, 200),
        "error_message": clean_text(str(exc), 8_000),
        "error_traceback": clean_text("".join(traceback.format_exception(exc)), 64_000),
        "last_at": now,
    }
    attempts = 1
    try:
        with transaction.atomic():
            row = Fault.objects.select_for_update().filter(source=source, target=target).values("pk", "attempts").first()
            attempts = row["attempts"] + 1 if row else 1
            fields["retry_at"] = now + timedelta(seconds=backoff(attempts))
            if row:
                Fault.objects.filter(pk=row["pk"]).update(attempts=attempts, **fields)
            else:
                Fault.objects.create(source=source, target=target, instance_id=instance_id, attempts=1, **fields)
    except IntegrityError:
        pass  # another engine recorded the same fault at the same moment
    except Exception:  # the database may be what is failing: the log still says it
        log.exception("could not record a fault of %s %s", source, target)
    retry_at = now + timedelta(seconds=backoff(attempts))
    log.error(
        "%s %s failed (%d time(s) in a row; next try at %s): %s: %s",
        source, target, attempts, retry_at.isoformat(), fields["error_type"], fields["error_message"],
    )  # fmt: skip
    return retry_at


def clear(source: str, target: Any) -> None:
    target = str(target)
    try:
        Fault.objects.filter(source=source, target=target).delete()
    except Exception:
        log.exception("could not clear the fault of %s %s", source, target)
        return
    with _lock:
        _failing.discard((source, target))

