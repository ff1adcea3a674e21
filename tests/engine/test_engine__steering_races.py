"""Two steering races against the real database (their decider-level twins are in
tests/core/test_decide__steering.py): a pause decided with the last step's end, and the last
compensation ending while paused."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.engine.conftest import drain_all
from tests.engine.test_engine__steering import g
from workflows import engine
from workflows.core.errors import Failure
from workflows.models import InboxMessage, Instance, StepRun

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_pause_that_takes_the_lock_before_a_signals_delivery_still_lets_the_instance_complete(publish):
    instance, _ = engine.start_instance(publish(g([("s", "signal", {"name": "go"})])))
    with transaction.atomic():  # the pause's transition runs before the signal's delivery (after commit)
        engine.signal_instance(instance.pk, "go", {"ok": True})
        engine.pause_instance(instance.pk, by="ops")
    assert StepRun.objects.get(instance=instance, node_id="s").status == "completed"
    engine.resume_instance(instance.pk, by="ops")
    drain_all(instance.pk)
    assert Instance.objects.get(pk=instance.pk).status == "completed"


def test_the_last_compensation_completing_while_paused_is_recorded_and_the_saga_ends_after_resume(publish):
    graph = g(
        [("a", "task", {"handler": "demo.noop", "compensate": "demo.noop"}), ("b", "task", {"handler": "demo.noop"})],
        [("a", "b")],
        on_failure="compensate",
    )
    instance, _ = engine.start_instance(publish(graph))
    engine.complete_attempt(engine.claim_step(instance.pk, "w1"), {"made": 1}, worker="w1", claim_next=False)
    engine.fail_attempt(engine.claim_step(instance.pk, "w1"), Failure("Boom", "no", retryable=False), worker="w1", claim_next=False)
    undo = engine.claim_step(instance.pk, "w1")
    assert undo.compensation and undo.node_id == "a"
    engine.pause_instance(instance.pk, by="ops")
    engine.complete_attempt(undo, {"undone": 1}, worker="w1", claim_next=False)
    assert StepRun.objects.get(instance=instance, node_id="a", attempt=2).status == "compensated"
    engine.resume_instance(instance.pk, by="ops")
    drain_all(instance.pk)
    instance.refresh_from_db()
    assert instance.status == "failed" and instance.error["type"] == "Boom" and instance.error["compensated"] == 1
    assert not InboxMessage.objects.filter(instance=instance).exists()
