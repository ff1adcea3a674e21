"""The demo superuser's password is public (README): ``demo_setup`` creates it only for the embedded
local run or DEBUG, or when asked with ``--demo-login``, and never with production settings on."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from workflows.models import Template

pytestmark = pytest.mark.django_db


def demo_setup(*args: str) -> str:
    out = io.StringIO()
    call_command("demo_setup", *args, stdout=out)
    return out.getvalue()


def demo_user():
    return get_user_model().objects.filter(username="demo").first()


@pytest.fixture
def deployment(settings):
    """A server with a DATABASE_URL and DEBUG off (the tests' own configuration)."""
    settings.DEBUG = False
    settings.FLOWDESK_EMBEDDED = False
    settings.FLOWDESK_SECURE = False
    return settings


def test_on_a_deployment_it_loads_the_templates_but_creates_no_login(deployment):
    out = demo_setup()
    assert demo_user() is None
    assert Template.objects.filter(name="schedule-generation").exists()
    assert "no demo login" in out and "demo-flowdesk" not in out


def test_on_a_deployment_the_flag_creates_the_login(deployment):
    out = demo_setup("--demo-login")
    user = demo_user()
    assert user is not None and user.is_superuser and user.check_password("demo-flowdesk")
    assert "Demo login: demo / demo-flowdesk" in out


def test_with_production_settings_it_refuses_outright(deployment):
    deployment.FLOWDESK_SECURE = True
    for args in ((), ("--demo-login",)):
        with pytest.raises(CommandError, match="production settings"):
            demo_setup(*args)
    assert demo_user() is None
    assert not Template.objects.exists()


@pytest.mark.parametrize("mode", ["embedded", "debug"])
def test_the_local_run_creates_the_login_unless_told_not_to(deployment, mode):
    if mode == "embedded":
        deployment.FLOWDESK_EMBEDDED = True
    else:
        deployment.DEBUG = True
    demo_setup("--no-demo-login")
    assert demo_user() is None
    assert "Demo login: demo / demo-flowdesk" in demo_setup()
    assert demo_user().check_password("demo-flowdesk")
