"""JSON nested deeper than the API's limit is a 400 that says so; 5,000 deep was a 500 (RecursionError).
What a WebSocket client sends is not parsed at all: the live socket only streams to the browser."""

from __future__ import annotations

import json
import threading

import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group
from django.db import connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory, VersionFactory, chain_graph
from workflows import engine
from workflows.api.parsers import MAX_DEPTH
from workflows.roles import ANALYSTS, OPERATORS
from workflows.routing import websocket_urlpatterns


def nested(levels: int) -> str:
    """An object nested ``levels`` deep as JSON text: {"a": {"a": ... {} ...}}."""
    return '{"a": ' * (levels - 1) + "{}" + "}" * (levels - 1)


@pytest.fixture
def client(db):
    user = UserFactory(username="otto")
    user.groups.add(Group.objects.get(name=OPERATORS), Group.objects.get(name=ANALYSTS))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def billing(db):
    return VersionFactory(template__name="billing", number=1, graph=chain_graph("a", "b")).template


def start(client, input_text: str):
    body = '{"template": "billing", "input": ' + input_text + "}"
    return client.generic("POST", "/api/v1/instances/", body, content_type="application/json")


@pytest.mark.parametrize("levels", [5_000, 900, MAX_DEPTH + 1])
def test_an_input_nested_too_deep_is_refused_with_a_400_that_says_so(client, billing, levels):
    response = start(client, nested(levels))
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert f"nested more than {MAX_DEPTH} levels" in response.json()["detail"]
    assert not billing.instances.exists()


def test_an_input_nested_as_deep_as_the_limit_is_taken(client, billing):
    response = start(client, nested(MAX_DEPTH - 1))  # inside {"input": ...}: MAX_DEPTH in all
    assert response.status_code == 201, response.json()


def test_a_graph_nested_5000_deep_is_refused_with_a_400(client, billing):
    response = client.generic("POST", "/api/v1/templates/billing/validate/", nested(5_000), content_type="application/json")
    assert response.status_code == 400
    assert "nested more than" in response.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_a_websocket_client_sending_json_nested_5000_deep_does_not_break_its_socket():
    instance, _ = engine.start_instance(VersionFactory(graph=chain_graph("a")).template.name)
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/instances/{instance.pk}/")
    communicator.scope["user"] = UserFactory()
    outcome: dict = {}

    async def go():
        assert (await communicator.connect())[0]
        while await communicator.receive_nothing(timeout=0.5) is False:  # the backlog
            await communicator.receive_json_from()
        await communicator.send_to(text_data=json.dumps({"ping": 1})[:-1] + ', "x": ' + nested(5_000) + "}")
        outcome["quiet"] = await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()  # raises what the consumer raised, if anything

    def in_a_thread():
        try:
            async_to_sync(go)()
        except BaseException as error:
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join(60)
    assert "error" not in outcome, repr(outcome.get("error"))
    assert outcome["quiet"] is True
