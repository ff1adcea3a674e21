"""``GET /api/v1/directory/``: the designer's suggestions for the people and groups a template names
(assignees, candidate groups, recipients). Analysts only; what it says and what it refuses."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from tests.api.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/directory/"


@pytest.fixture
def people(db):
    UserFactory(username="ann", first_name="Ann", last_name="Lee")
    UserFactory(username="annika")
    UserFactory(username="Anders", is_active=False)  # gone: never suggested
    UserFactory(username="bob", first_name="Annette", last_name="Roe")  # found by first name
    for name in ("managers", "Marketing", "ops"):
        Group.objects.get_or_create(name=name)


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [entry["name"] for entry in response.json()["results"]]


def test_users_start_with_what_was_typed_any_case_active_only(analyst, people):
    response = analyst.get(URL, {"q": "AN"})
    assert names(response) == ["ana", "ann", "annika", "bob"]  # ana: the analyst asking
    assert response.json()["results"][1] == {"name": "ann", "label": "Ann Lee"}
    assert response.json()["results"][2] == {"name": "annika", "label": "annika"}  # no full name: the username


def test_groups_by_the_start_of_their_name(analyst, people):
    assert names(analyst.get(URL, {"q": "ma", "kind": "groups"})) == ["managers", "Marketing"]
    assert names(analyst.get(URL, {"q": "zz", "kind": "groups"})) == []


def test_at_most_ten_come_back(analyst, db):
    for i in range(15):
        UserFactory(username=f"user{i:02d}")
    assert names(analyst.get(URL, {"q": "user"})) == [f"user{i:02d}" for i in range(10)]


@pytest.mark.parametrize(("params", "field"), [({}, "q"), ({"q": ""}, "q"), ({"q": "x" * 151}, "q"), ({"q": "a", "kind": "robots"}, "kind"), ({"q": "a", "limit": "99"}, "limit")])
def test_a_bad_query_is_400_naming_the_parameter(analyst, params, field):
    response = analyst.get(URL, params)
    assert response.status_code == 400 and field in str(response.json()), response.json()


def test_only_analysts_look_people_up(operator, reviewer, people):
    for client in (operator, reviewer):
        response = client.get(URL, {"q": "an"})
        assert response.status_code == 403 and "analysts" in response.json()["detail"]
    assert client_for(None).get(URL, {"q": "an"}).status_code in (401, 403)
    assert names(client_for(UserFactory(username="root", is_superuser=True)).get(URL, {"q": "an"}))  # superusers hold every role
