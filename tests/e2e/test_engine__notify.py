"""``notify`` nodes run by a real engine process: the worker resolves users and groups from the
database, renders nothing itself (the message was rendered when the step was reached) and sends
through the configured backend — Django's file backend here (tests/support/flaky_mail.py), so this
test reads what another process sent."""

from __future__ import annotations

from email import message_from_bytes
from email.message import Message
from email.utils import getaddresses
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings

from tests.e2e.conftest import Engine, wait_for
from tests.factories import UserFactory, VersionFactory, graph_of
from workflows import engine
from workflows.mail import message_id_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RETRY = {"max_attempts": 3, "initial_s": 0.2, "jitter": False}
SENDER = "Flowdesk <flowdesk@example.org>"


@pytest.fixture(scope="module")
def mailer(django_db_setup, django_db_blocker, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("notify")
    outbox = tmp / "mail"
    outbox.mkdir()
    env = {"EMAIL_BACKEND": "tests.support.flaky_mail.EmailBackend", "EMAIL_FILE_PATH": str(outbox), "DEFAULT_FROM_EMAIL": SENDER}
    with django_db_blocker.unblock():
        eng = Engine(tmp, **env).start()
    yield eng, outbox
    eng.stop()


@pytest.fixture
def people():
    night_shift = Group.objects.create(name="night_shift")
    UserFactory(username="alice", email="alice@example.com")
    for name in ("bob", "carol"):
        UserFactory(username=name, email=f"{name}@example.com").groups.add(night_shift)
    UserFactory(username="gone", email="gone@example.com", is_active=False).groups.add(night_shift)


def sent(outbox: Path, instance_id) -> list[Message]:
    """The messages the file backend wrote for this instance's notify step."""
    found = []
    for path in sorted(outbox.glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                message = message_from_bytes(chunk)
                with override_settings(DEFAULT_FROM_EMAIL=SENDER):  # the engine's, which names the Message-ID's domain
                    ours = message["Message-ID"] == message_id_for(f"{instance_id}:mail")
                if ours:
                    found.append(message)
    return found


def start(graph: dict, input: dict):
    instance, _ = engine.start_instance(VersionFactory(graph=graph).template.name, input=input)
    return instance


def test_a_workflow_mails_users_groups_and_addresses_through_the_configured_backend(mailer, people):
    cluster, outbox = mailer
    graph = graph_of(
        [
            ("total", "transform", {"assignments": {"total": "{{ input.amount * 2 }}"}}),
            ("mail", "notify", {
                "to": ["user:alice", "group:night_shift", "{{ input.requester }}"],
                "subject": "Order {{ input.ref }}: total {{ vars.total }}",
                "body": "<p>Dear {{ input.name }},</p><p>your total is <b>{{ vars.total }}</b>.</p>",
                "html": True, "retry": RETRY,
            }),
        ],
        [("total", "mail")],
    )  # fmt: skip
    instance = start(graph, {"amount": 21, "ref": "A-7\nBcc: eve@example.com", "name": "<Eve & Co>", "requester": "req@example.org"})
    done = wait_for(instance.pk, cluster=cluster)
    assert done.status == "completed", done.error
    [message] = sent(outbox, instance.pk)
    assert [a for _, a in getaddresses(message.get_all("To"))] == ["alice@example.com", "bob@example.com", "carol@example.com", "req@example.org"]
    assert message["Subject"] == "Order A-7 Bcc: eve@example.com: total 42"
    assert message["Bcc"] is None and message["From"] == SENDER
    plain, html = [part.get_payload(decode=True).decode() for part in message.walk() if not part.is_multipart()]
    assert html == "<p>Dear &lt;Eve &amp; Co&gt;,</p><p>your total is <b>42</b>.</p>"
    assert plain == "Dear <Eve & Co>,\n\nyour total is 42."
    step = done.steps.get(node_id="mail")
    assert step.output["to"] == ["alice@example.com", "bob@example.com", "carol@example.com", "req@example.org"]
    assert step.input["to"] == ["user:alice", "group:night_shift", "req@example.org"]


def test_a_transient_mail_failure_is_retried_and_the_mail_sent_once(mailer, people):
    cluster, outbox = mailer
    graph = graph_of([("mail", "notify", {"to": ["group:night_shift"], "subject": "[flaky] report", "body": "ready", "retry": RETRY})])
    instance = start(graph, {})
    done = wait_for(instance.pk, cluster=cluster)
    assert done.status == "completed", done.error
    attempts = list(done.steps.order_by("attempt").values_list("attempt", "status", "error_type"))
    assert attempts == [(1, "failed", "MailDeliveryError"), (2, "completed", "")]
    assert "SMTPServerDisconnected" in done.steps.get(attempt=1).error_message
    [message] = sent(outbox, instance.pk)
    assert message["To"] == "bob@example.com, carol@example.com"


def test_an_unknown_user_fails_the_step_at_once_and_sends_nothing(mailer, people):
    cluster, outbox = mailer
    graph = graph_of([("mail", "notify", {"to": ["user:alice", "user:mallory"], "subject": "hello", "retry": RETRY})])
    instance = start(graph, {})
    done = wait_for(instance.pk, cluster=cluster)
    assert done.status == "failed"
    assert list(done.steps.values_list("attempt", "status", "error_type", "error_message")) == [
        (1, "failed", "UnknownRecipient", "user:mallory: no active user is named 'mallory'")
    ]
    assert done.error["node"] == "mail"
    assert sent(outbox, instance.pk) == []
