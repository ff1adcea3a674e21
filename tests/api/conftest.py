"""Personas (healthchecks' alice/bob/charlie style), each with a token-authenticated API client."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory, VersionFactory, chain_graph
from workflows.roles import ANALYSTS, OPERATORS, REVIEWERS


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def persona(username: str, *groups: str):
    user = UserFactory(username=username)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


@pytest.fixture
def analyst(db):
    return client_for(persona("ana", ANALYSTS))


@pytest.fixture
def operator(db):
    return client_for(persona("otto", OPERATORS))


@pytest.fixture
def reviewer(db):
    return client_for(persona("rita", REVIEWERS))


@pytest.fixture
def outsider(db):
    return client_for(persona("olga"))


@pytest.fixture
def anonymous(db):
    return client_for(None)


@pytest.fixture
def published(db):
    """A published two-step no-op template named 'billing'."""
    return VersionFactory(template__name="billing", number=1, graph=chain_graph("a", "b")).template
