"""The ``notify`` node run by the engine in this process: users and groups resolved to addresses,
the message as Django sends it, and the retry meaning of each failure — against Django's locmem
backend, and against a real SMTP conversation (tests/support/smtp.py) for the SMTP backend."""

from __future__ import annotations

import copy
import io
import json
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.test import override_settings

from tests.engine.conftest import drain_all
from tests.factories import UserFactory
from tests.support.smtp import SmtpServer
from workflows import engine, timers
from workflows.core.validation import validate
from workflows.mail import message_id_for
from workflows.models import Timer

# transaction=True: the worker runs the sender on a thread of its own, with its own connection,
# which must see the users and groups the test made.
pytestmark = pytest.mark.django_db(transaction=True)

DEMO = Path(__file__).resolve().parents[2] / "workflows" / "demo" / "templates" / "image_generation.json"


@pytest.fixture
def people():
    ops = Group.objects.create(name="ops")
    UserFactory(username="alice", email="alice@example.com")
    for name, email, active in [("bob", "bob@example.com", True), ("carol", "carol@example.com", False), ("dave", "", True), ("erin", "ALICE@example.com", True)]:
        UserFactory(username=name, email=email, is_active=active).groups.add(ops)
    Group.objects.create(name="empty")
    return ops


def notify_graph(**config) -> dict:
    node = {"id": "mail", "type": "notify", "config": {"subject": "Hi", "retry": {"max_attempts": 3, "initial_s": 30, "jitter": False}, **config}}
    return {"version": 1, "settings": {}, "nodes": [node], "edges": []}


def run(publish, graph, input=None):
    instance, _ = engine.start_instance(publish(graph), input=input or {})
    drain_all(instance.pk)
    while timer := Timer.objects.filter(instance=instance, kind="retry").first():
        timers.tick(now=timer.due_at.timestamp())
        drain_all(instance.pk)
    instance.refresh_from_db()
    return instance


def attempts(instance):
    return list(instance.steps.order_by("attempt").values_list("attempt", "status", "error_type"))


def test_a_notify_node_mails_addresses_users_and_groups_with_an_escaped_html_part(publish, people):
    graph = notify_graph(
        to=["{{ input.owner }}", "user:alice", "group:ops"],
        subject="Report for {{ input.name }}",
        body="<p>Hello {{ input.name }}</p><p>Total: <b>{{ input.total }}</b></p>",
        html=True,
    )
    instance = run(publish, graph, {"owner": "owner@example.com", "name": "<img src=x onerror=alert(1)>", "total": 3})
    assert instance.status == "completed"
    [message] = mail.outbox
    # alice once (erin's address differs only in case); carol is inactive, dave has no address
    assert message.to == ["owner@example.com", "alice@example.com", "bob@example.com"]
    assert message.subject == "Report for <img src=x onerror=alert(1)>"  # a header is text, not markup
    assert message.body == "Hello <img src=x onerror=alert(1)>\n\nTotal: 3"
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert html == "<p>Hello &lt;img src=x onerror=alert(1)&gt;</p><p>Total: <b>3</b></p>"
    key = f"{instance.pk}:mail"
    assert message.extra_headers["Message-ID"] == message_id_for(key)
    step = instance.steps.get()
    assert step.input["to"] == ["owner@example.com", "user:alice", "group:ops"]  # the history shows what was asked
    assert step.output == {"to": message.to, "sent": 1, "message_id": message_id_for(key)}


def test_a_plain_notify_sends_no_html_part(publish, people):
    instance = run(publish, notify_graph(to=["user:bob"], body="<b>{{ input.x }}</b>"), {"x": "a & b"})
    assert instance.status == "completed"
    [message] = mail.outbox
    assert (message.to, message.body, message.alternatives) == (["bob@example.com"], "<b>a & b</b>", [])


@pytest.mark.parametrize(
    "to, error_type, says",
    [
        ("user:ghost", "UnknownRecipient", "user:ghost: no active user is named 'ghost'"),
        ("user:carol", "UnknownRecipient", "user:carol: no active user is named 'carol'"),
        ("user:dave", "UnknownRecipient", "user:dave: the user has no e-mail address"),
        ("group:nobody", "UnknownRecipient", "group:nobody: no group is named 'nobody'"),
        ("group:empty", "UnknownRecipient", "group:empty: the group has no active member with an e-mail address"),
    ],
)
def test_a_recipient_that_resolves_to_nobody_fails_at_once_naming_it(publish, people, to, error_type, says):
    instance = run(publish, notify_graph(to=["ops@example.com", to]))
    assert instance.status == "failed"
    assert attempts(instance) == [(1, "failed", error_type)]  # max_attempts 3, yet no retry
    assert instance.steps.get().error_message == says
    assert instance.error["node"] == "mail"
    assert mail.outbox == []


def test_a_users_invalid_stored_address_fails_at_once_naming_the_user(publish, people):
    UserFactory(username="frank", email="frank@@example.com")
    instance = run(publish, notify_graph(to=["user:frank"]))
    assert attempts(instance) == [(1, "failed", "InvalidRecipient")]
    assert instance.steps.get().error_message == "'frank@@example.com' (the address of user:frank) is not a valid e-mail address"


def test_a_rendered_recipient_that_is_not_one_fails_before_anything_is_sent(publish):
    instance = run(publish, notify_graph(to=["{{ input.who }}"]), {"who": "bob at example"})
    assert instance.status == "failed"
    step = instance.steps.get()
    assert (step.error_type, step.attempt, step.input) == ("InvalidRecipient", 1, None)
    assert "config.to.0: 'bob at example' is not an e-mail address" in step.error_message
    assert mail.outbox == []


def smtp_settings(server: SmtpServer):
    return override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=server.port, EMAIL_TIMEOUT=5)


def test_a_mail_server_that_is_briefly_unavailable_is_retried(publish, people):
    with SmtpServer(busy=1) as server, smtp_settings(server):
        instance = run(publish, notify_graph(to=["group:ops"], subject="Über {{ input.n }}", body="<p>{{ input.n }}</p>", html=True), {"n": "<1>"})
    assert instance.status == "completed"
    assert attempts(instance) == [(1, "failed", "MailDeliveryError"), (2, "completed", "")]
    assert "421" in instance.steps.get(attempt=1).error_message
    [received] = server.received
    assert received.recipients == ["bob@example.com", "ALICE@example.com"]
    parsed = message_from_bytes(received.data)
    assert str(make_header(decode_header(parsed["Subject"]))) == "Über <1>"
    assert parsed["Message-ID"] == message_id_for(f"{instance.pk}:mail")
    plain, html = [part.get_payload(decode=True).decode() for part in parsed.walk() if not part.is_multipart()]
    assert (plain, html) == ("<1>", "<p>&lt;1&gt;</p>")


def test_recipients_the_server_refuses_for_good_are_not_retried(publish):
    with SmtpServer(refuse={"gone@example.com": 550}) as server, smtp_settings(server):
        instance = run(publish, notify_graph(to=["gone@example.com"]))
    assert attempts(instance) == [(1, "failed", "RecipientsRefused")]
    assert instance.steps.get().error_message == "the mail server refused every recipient: gone@example.com (550)"
    assert server.received == []


def test_recipients_the_server_defers_are_retried(publish):
    with SmtpServer(refuse={"full@example.com": 452}) as server, smtp_settings(server):
        instance = run(publish, notify_graph(to=["full@example.com"]))
    assert attempts(instance) == [(n, "failed", "MailDeliveryError") for n in (1, 2, 3)]


def test_a_refused_connection_is_retried_until_attempts_run_out(publish):
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=9):
        instance = run(publish, notify_graph(to=["ops@example.com"]))
    assert instance.status == "failed"
    assert attempts(instance) == [(n, "failed", "MailDeliveryError") for n in (1, 2, 3)]
    assert "ConnectionRefusedError" in instance.steps.get(attempt=1).error_message


def test_the_image_demo_notifies_the_artist_with_a_notify_node_it_does_not_wait_for(publish, tmp_path):
    """The image demo's notification is a plain notify node with wait: false: it validates, runs
    and sends the mail, and the instance ends once it is sent."""
    graph = copy.deepcopy(json.loads(DEMO.read_text())["graph"])
    node = next(n for n in graph["nodes"] if n["id"] == "notify")
    assert (node["type"], node["config"]["wait"]) == ("notify", False)
    assert validate(graph, handler_names=engine_handler_names()).valid
    with override_settings(DATA_DIR=tmp_path):
        instance = run(publish, graph, {"prompt": "a lighthouse at dawn", "backend": "local", "size": 32, "user_email": "artist@example.com"})
    assert instance.status == "completed"
    [message] = mail.outbox
    assert (message.to, message.subject) == (["artist@example.com"], "Your image is ready")
    assert message.body.startswith("Saved to ") and message.body.endswith(".png")


def engine_handler_names():
    from workflows.core.handlers import handlers

    return handlers.names()



def test_the_demo_login_has_an_address_so_a_notify_node_can_write_to_it(publish):
    call_command("demo_setup", "--demo-login", stdout=io.StringIO())
    instance = run(publish, notify_graph(to=["user:demo"]))
    assert instance.status == "completed"
    assert mail.outbox[0].to == ["demo@example.com"]
