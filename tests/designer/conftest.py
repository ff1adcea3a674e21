"""Signed-in clients for the pages' tests, one per role (the roles migration made the groups)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from tests.factories import UserFactory
from workflows.roles import ANALYSTS, OPERATORS


def login(client, username: str, *roles: str):
    user = UserFactory(username=username)
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


@pytest.fixture
def analyst(client):
    return login(client, "ana", ANALYSTS)


@pytest.fixture
def operator(client):
    return login(client, "otto", OPERATORS)
