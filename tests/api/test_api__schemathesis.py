"""Schemathesis drives every operation of /api/schema/ with generated requests (bounded): no 500,
and every documented response matches its schema."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.factories import UserFactory, VersionFactory, chain_graph


def load_schema():
    # Built by the same generator that serves /api/schema/ (which, like every page, needs a login).
    document = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    schema = schemathesis.openapi.from_dict(document)
    schema.app = get_wsgi_application()
    return schema


schema = load_schema()


@pytest.fixture
def admin_token(db):
    # Like Django's test client: keep the test's transaction open across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    user = UserFactory(username="root", is_superuser=True, is_staff=True)
    VersionFactory(template__name="billing", number=1, graph=chain_graph("a", "b"))
    yield {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_never_answers_500_and_keeps_to_its_schema(case, admin_token):
    case.call_and_validate(headers=admin_token, checks=[not_a_server_error, response_schema_conformance])
