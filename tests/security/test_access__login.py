"""Logging in: guessing is throttled (django-axes: 5 failures per username and address lock that
pair out for 15 minutes) and weak passwords are refused (Django's four password validators)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RIGHT = "pw-12345"  # tests.factories.UserFactory's password


def login(client, username: str, password: str, address: str = "203.0.113.7"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_right_password_after_five_wrong_ones_is_refused_with_a_clear_message(client):
    UserFactory(username="ana")
    for _ in range(4):
        response = login(client, "ana", "wrong guess")
        assert response.status_code == 200 and not signed_in(client)
    assert login(client, "ana", "wrong guess").status_code == 429  # the fifth failure locks

    response = login(client, "ana", RIGHT)
    assert not signed_in(client)
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many failed attempts" in html and "15 minutes" in html
    assert 'id="id_username"' in html  # still the login page, not a bare error


def test_the_lockout_is_per_username_and_address(client):
    UserFactory(username="ana")
    UserFactory(username="ben")
    for _ in range(5):
        login(client, "ana", "wrong guess")

    assert login(client, "ben", RIGHT).status_code == 302 and signed_in(client)  # another user
    client.logout()
    assert login(client, "ana", RIGHT, address="198.51.100.20").status_code == 302 and signed_in(client)  # another address


def test_the_lockout_ends_after_fifteen_minutes(client):
    from axes.models import AccessAttempt

    UserFactory(username="ana")
    for _ in range(5):
        login(client, "ana", "wrong guess")
    assert login(client, "ana", RIGHT).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    response = login(client, "ana", RIGHT)
    assert response.status_code == 302 and signed_in(client)


def test_a_few_mistakes_then_the_right_password_signs_in(client):
    UserFactory(username="ana")
    for _ in range(4):
        login(client, "ana", "wrong guess")
    assert login(client, "ana", RIGHT).status_code == 302 and signed_in(client)


def test_api_tokens_are_not_affected_by_a_locked_out_login(client):
    from rest_framework.authtoken.models import Token

    user = UserFactory(username="ana")
    token = Token.objects.create(user=user)
    for _ in range(6):
        login(client, "ana", "wrong guess")
    response = client.get("/api/v1/templates/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


# --- password validators -----------------------------------------------------------------------


@pytest.mark.parametrize("weak", ["password", "12345678", "short", "flowdesk-ana"])
def test_a_weak_password_is_refused(weak):
    user = get_user_model()(username="flowdesk-ana", email="ana@example.com")
    with pytest.raises(ValidationError):
        validate_password(weak, user)


def test_the_admin_refuses_a_weak_password_for_a_new_user(admin_client):
    response = admin_client.post(
        reverse("admin:auth_user_add"),
        {"username": "newbie", "password1": "password", "password2": "password", "usable_password": "true"},
    )
    assert response.status_code == 200  # the form again, with the validators' errors
    assert "This password is too common." in response.content.decode()
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_the_demo_and_test_passwords_pass_the_validators():
    validate_password("demo-flowdesk", get_user_model()(username="demo"))
    validate_password(RIGHT, get_user_model()(username="ana", email="ana@example.com"))


# --- under daphne, as in production (the ASGI path of the throttle's middleware) ----------------


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_daphne_locks_out_the_right_password_after_five_wrong_ones(tmp_path):
    import http.cookiejar
    import re
    import urllib.error
    import urllib.parse
    import urllib.request

    from tests.e2e.conftest import Web

    UserFactory(username="ana")
    web = Web(tmp_path).start()
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

        def attempt(password: str) -> tuple[int, str]:
            with opener.open(f"{web.url}/login/", timeout=30) as page:
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode()).group(1)
            body = urllib.parse.urlencode({"username": "ana", "password": password, "csrfmiddlewaretoken": token}).encode()
            request = urllib.request.Request(f"{web.url}/login/", data=body, headers={"Referer": f"{web.url}/login/"})
            try:
                with opener.open(request, timeout=30) as response:
                    return response.status, response.read().decode()
            except urllib.error.HTTPError as error:
                return error.code, error.read().decode()

        for _ in range(4):
            status, html = attempt("wrong guess")
            assert status == 200 and "didn't match" in html
        assert attempt("wrong guess")[0] == 429
        status, html = attempt(RIGHT)
        assert status == 429 and "Too many failed attempts" in html and 'id="id_username"' in html
    finally:
        web.stop()
