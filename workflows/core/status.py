"""Every status in one place, with the transitions the engine may make (a test walks them)."""

from __future__ import annotations

from enum import StrEnum


class InstanceStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"

    @property
    def is_final(self) -> bool:
        return self in FINAL_INSTANCE_STATUSES


FINAL_INSTANCE_STATUSES = frozenset(
    {InstanceStatus.COMPLETED, InstanceStatus.FAILED, InstanceStatus.CANCELLED, InstanceStatus.TIMED_OUT}
)


class StepStatus(StrEnum):
    PENDING = "pending"  # a map item waiting for its turn (concurrency)
    SCHEDULED = "scheduled"
    RUNNING = "running"
    WAITING = "waiting"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    COMPENSATED = "compensated"

    @property
    def is_active(self) -> bool:
        return self in ACTIVE_STEP_STATUSES

    @property
    def is_final(self) -> bool:
        return self not in ACTIVE_STEP_STATUSES


ACTIVE_STEP_STATUSES = frozenset({StepStatus.PENDING, StepStatus.SCHEDULED, StepStatus.RUNNING, StepStatus.WAITING})

S, I = StepStatus, InstanceStatus

#: (from, to) pairs the engine may apply to one step attempt. A new attempt starts as
#: ``pending`` (a map item awaiting its turn), ``scheduled`` (a worker step), ``waiting`` (a timer or signal) or directly in a final state
#: (inline control nodes, skips).
STEP_TRANSITIONS: dict[StepStatus, frozenset[StepStatus]] = {
    S.PENDING: frozenset({S.SCHEDULED, S.WAITING, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.RUNNING, S.CANCELLED, S.SKIPPED}),
    S.RUNNING: frozenset({S.COMPLETED, S.FAILED, S.TIMED_OUT, S.CANCELLED, S.COMPENSATED}),  # compensated: its undo ran
    S.WAITING: frozenset({S.COMPLETED, S.FAILED, S.TIMED_OUT, S.CANCELLED}),
    S.COMPLETED: frozenset({S.COMPENSATED}),
    S.FAILED: frozenset(),
    S.SKIPPED: frozenset(),
    S.CANCELLED: frozenset(),
    S.TIMED_OUT: frozenset(),
    S.COMPENSATED: frozenset(),
}

INSTANCE_TRANSITIONS: dict[InstanceStatus, frozenset[InstanceStatus]] = {
    I.PENDING: frozenset({I.RUNNING, I.CANCELLED}),
    I.RUNNING: frozenset({I.COMPLETED, I.FAILED, I.CANCELLED, I.TIMED_OUT, I.PAUSED}),
    I.PAUSED: frozenset({I.RUNNING, I.CANCELLED, I.TIMED_OUT}),
    I.COMPLETED: frozenset(),
    I.FAILED: frozenset({I.RUNNING}),  # retry from the failed steps
    I.CANCELLED: frozenset(),
    I.TIMED_OUT: frozenset(),
}


def choices(enum) -> list[tuple[str, str]]:
    """(value, label) pairs for model fields, filters and the OpenAPI enums alike."""
    return [(member.value, member.value.replace("_", " ")) for member in enum]


def can_step(old: StepStatus | str, new: StepStatus | str) -> bool:
    return StepStatus(new) in STEP_TRANSITIONS[StepStatus(old)]


def can_instance(old: InstanceStatus | str, new: InstanceStatus | str) -> bool:
    return InstanceStatus(new) in INSTANCE_TRANSITIONS[InstanceStatus(old)]
