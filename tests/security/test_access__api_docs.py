"""The OpenAPI schema and the browsable docs are for signed-in users (DESIGN §9: login everywhere
but the login page); they describe every operation and its fields."""

from __future__ import annotations

import pytest

from tests.api.conftest import client_for, persona

pytestmark = pytest.mark.django_db


def test_the_schema_answers_401_to_an_anonymous_request(client):
    response = client.get("/api/schema/")
    assert response.status_code == 401
    assert "openapi" not in response.content.decode()


def test_the_docs_send_an_anonymous_browser_to_the_login_page(client):
    response = client.get("/api/docs/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/api/docs/"


def test_the_docs_init_script_is_not_served_to_anonymous_users_either(client):
    response = client.get("/api/docs/?script=")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_signed_in_user_reads_the_schema_and_the_docs(client):
    user = persona("rita")
    token_client = client_for(user)
    schema = token_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/v1/instances/" in schema.json()["paths"]

    client.force_login(user)
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert 'id="swagger-ui"' in docs.content.decode()
