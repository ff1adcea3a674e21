"""Error pages have the product's look and a way back; under /api/ they are the API's JSON error
shape. The 500 page needs no request context (whatever failed must not fail it too)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    client.force_login(UserFactory(username="ana"))
    return client


def test_a_missing_page_is_the_products_404_with_a_way_back(signed_in):
    response = signed_in.get("/designer/t/no-such-template-here/", HTTP_REFERER="http://testserver/designer/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and 'class="topbar"' in html and "flowdesk.css" in html
    assert 'href="/"' in html and 'href="http://testserver/designer/">Back</a>' in html


def test_the_back_link_never_leads_to_another_site(signed_in):
    html = signed_in.get("/nowhere/", HTTP_REFERER="https://evil.example/").content.decode()
    assert "evil.example" not in html and ">Back</a>" not in html


def test_an_unknown_api_address_answers_json(signed_in):
    response = signed_in.get("/api/v1/nowhere/")
    assert response.status_code == 404
    assert response.json() == {"detail": "nothing at /api/v1/nowhere/", "code": "not_found", "errors": []}


def test_a_csrf_failure_is_the_products_403_page(signed_in):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="ben"))
    response = client.post("/logout/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Not allowed" in html and "reload the page" in html and 'class="topbar"' in html


def test_a_permission_denied_is_the_products_403_page_with_its_reason(rf, settings):
    from config.errors import permission_denied

    request = rf.get("/designer/t/x/")
    request.user = UserFactory(username="cleo")
    response = permission_denied(request, PermissionDenied("only analysts may change templates"))
    assert response.status_code == 403
    assert "Only analysts may change templates" in response.content.decode()


def test_the_500_page_renders_with_no_context_at_all():
    html = render_to_string("500.html")
    assert "Something went wrong" in html and 'href="/"' in html and "flowdesk.css" in html
