"""The engine: the only code that changes an instance's or a step's status (DESIGN §5, §5b).

Each change is one transition (``transition``): lock the instance row, read what is committed
(``rows``), let the pure decider (``workflows.core.decider``) say what happens next, write its
commands with their Events (``writer``), and ring the dispatch doorbell only after commit.

Who calls what:

- ``starting``: start an instance or a test run (the API, the designer, the CLI);
- ``runtime``: workers claim steps, finish attempts (several in one transition), renew leases;
- ``due``: the timer loop fires timers and fails attempts whose lease or deadline passed;
- ``control``: people and integrations cancel, retry, pause, resume and signal;
- ``inbox``: messages between instances (a child's end, a parent's cancel), appended without the
  other's lock and consumed by its next transition (``transition.deliver``); no transaction holds
  two locks. A new child is started in its parent's transaction (``transition.start_new``).

Templates, drafts and versions are written by ``workflows.authoring``, not here.
"""

from .clock import to_dt, to_epoch
from .control import bulk, cancel_instance, pause_instance, resume_instance, retry_instance, signal_instance
from .due import deliver_stranded, expire_step, fire_timer, redispatch_stale
from workflows.errors import Conflict, EngineError, InputTooLarge, NotFound
from .graphs import graph_of
from .runtime import claim_best, claim_step, claim_steps, picker, complete_attempt, fail_attempt, finish_attempts, heartbeat, last_heartbeat, renew_lease, renew_leases
from .starting import start_instance, start_test_run
from .transition import Claim, idempotency_key

__all__ = [
    "Claim",
    "Conflict",
    "EngineError",
    "InputTooLarge",
    "NotFound",
    "bulk",
    "cancel_instance",
    "pause_instance",
    "resume_instance",
    "signal_instance",
    "claim_best",
    "claim_step",
    "claim_steps",
    "deliver_stranded",
    "complete_attempt",
    "expire_step",
    "fail_attempt",
    "finish_attempts",
    "fire_timer",
    "graph_of",
    "heartbeat",
    "last_heartbeat",
    "idempotency_key",
    "picker",
    "redispatch_stale",
    "renew_lease",
    "renew_leases",
    "retry_instance",
    "start_instance",
    "start_test_run",
    "to_dt",
    "to_epoch",
]
