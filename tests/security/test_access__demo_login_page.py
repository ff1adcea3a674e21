"""The login page tells the demo login (demo / demo-flowdesk) only where ``demo_setup`` makes it:
the embedded local run, to a browser on this machine, while the demo user keeps that password; never
with production settings (FLOWDESK_SECURE). The lockout message still shows."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db

HINT = "Demo login: <strong>demo</strong> / <strong>demo-flowdesk</strong>"


@pytest.fixture
def embedded(settings):
    settings.FLOWDESK_EMBEDDED, settings.FLOWDESK_SECURE, settings.DEBUG = True, False, False
    call_command("demo_setup", stdout=io.StringIO())
    return settings


def login_page(client, address: str = "127.0.0.1") -> str:
    response = client.get("/login/", REMOTE_ADDR=address)
    assert response.status_code == 200
    return response.content.decode()


def test_the_embedded_runs_login_page_says_what_the_demo_login_is(client, embedded):
    assert HINT in login_page(client)
    assert HINT in login_page(client, "::1")


def test_it_is_not_shown_with_production_settings(client, embedded):
    embedded.FLOWDESK_SECURE = True
    assert "demo-flowdesk" not in login_page(client)


def test_it_is_not_shown_on_a_deployment_even_with_a_demo_user(client, embedded):
    embedded.FLOWDESK_EMBEDDED = False
    assert "demo-flowdesk" not in login_page(client)


def test_it_is_not_shown_to_another_machine(client, embedded):
    assert "demo-flowdesk" not in login_page(client, "203.0.113.7")


def test_it_is_not_shown_once_the_demo_password_was_changed_or_without_the_user(client, embedded):
    user = get_user_model().objects.get(username="demo")
    user.set_password("something-else-entirely")
    user.save()
    assert "demo-flowdesk" not in login_page(client)
    user.delete()
    assert "demo-flowdesk" not in login_page(client)


def test_the_lockout_message_still_shows_on_the_embedded_login_page(client, embedded):
    for _ in range(5):
        client.post("/login/", {"username": "demo", "password": "wrong guess"}, REMOTE_ADDR="127.0.0.1")
    response = client.post("/login/", {"username": "demo", "password": "demo-flowdesk"}, REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
