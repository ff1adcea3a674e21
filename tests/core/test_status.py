"""The status tables, walked exhaustively."""

from __future__ import annotations

import itertools

from workflows.core.status import (
    INSTANCE_TRANSITIONS,
    STEP_TRANSITIONS,
    InstanceStatus,
    StepStatus,
    can_instance,
    can_step,
)


def test_every_status_has_a_row_in_its_table():
    assert set(STEP_TRANSITIONS) == set(StepStatus)
    assert set(INSTANCE_TRANSITIONS) == set(InstanceStatus)


def test_can_step_answers_from_the_table_for_every_pair():
    for old, new in itertools.product(StepStatus, StepStatus):
        assert can_step(old, new) == (new in STEP_TRANSITIONS[old])


def test_can_instance_answers_from_the_table_for_every_pair():
    for old, new in itertools.product(InstanceStatus, InstanceStatus):
        assert can_instance(old, new) == (new in INSTANCE_TRANSITIONS[old])


def test_final_step_statuses_never_change_except_completed_to_compensated():
    for status in StepStatus:
        if status.is_final and status != StepStatus.COMPLETED:
            assert STEP_TRANSITIONS[status] == frozenset(), status
    assert STEP_TRANSITIONS[StepStatus.COMPLETED] == {StepStatus.COMPENSATED}


def test_only_a_failed_instance_can_leave_a_final_status_and_only_to_run_again():
    for status in InstanceStatus:
        if status.is_final:
            expected = {InstanceStatus.RUNNING} if status == InstanceStatus.FAILED else set()
            assert INSTANCE_TRANSITIONS[status] == expected, status


def test_no_status_moves_to_itself():
    assert all(s not in STEP_TRANSITIONS[s] for s in StepStatus)
    assert all(s not in INSTANCE_TRANSITIONS[s] for s in InstanceStatus)
