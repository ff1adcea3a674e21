"""The instance list's free text (/instances/?q=): an id prefix, a business key or an error message,
any case, served by the primary key and migration 0008's trigram indexes."""

from __future__ import annotations

import re
import uuid

import pytest
from django.db import connection

from designer import monitor
from tests.engine.conftest import drain_all
from tests.factories import VersionFactory, chain_graph
from workflows import engine
from workflows.models import Instance

pytestmark = pytest.mark.django_db


def ids_in(page: str) -> set[str]:
    return set(re.findall(r'data-testid="instance-row" data-id="([0-9a-f-]+)"', page))


def failing(name: str, message: str) -> str:
    graph = chain_graph("a", handler="demo.fail", input={"type": "CardDeclined", "message": message, "retryable": False})
    return VersionFactory(template__name=name, graph=graph).template.name


def run(name: str, **fields) -> Instance:
    instance, _ = engine.start_instance(name, **fields)
    drain_all(instance.pk)
    instance.refresh_from_db()
    return instance


@pytest.fixture
def rows():
    """Instances whose ids, business keys and error messages overlap only where a test says so."""
    billing = VersionFactory(template__name="billing", graph=chain_graph("a")).template.name
    return {
        "order": run(billing, business_key="Order-4242-EU"),
        "other_order": run(billing, business_key="order-9999"),
        "declined": run(failing("payments", "Card 4242 declined by the BANK"), business_key="pay-1"),
        "timeout": run(failing("shipping", "carrier did not answer"), business_key="ship-1"),
    }


def search(client, text: str) -> set[str]:
    response = client.get("/instances/", {"q": text})
    assert response.status_code == 200
    return ids_in(response.content.decode())


def test_it_finds_a_business_key_by_any_substring_in_any_case_and_nothing_else(operator, rows):
    assert search(operator, "4242-eu") == {str(rows["order"].pk)}
    assert search(operator, "ORDER-") == {str(rows["order"].pk), str(rows["other_order"].pk)}
    assert search(operator, "rder-99") == {str(rows["other_order"].pk)}


def test_it_finds_an_error_message_by_any_substring_in_any_case_and_nothing_else(operator, rows):
    assert search(operator, "the bank") == {str(rows["declined"].pk)}
    assert search(operator, "DID NOT") == {str(rows["timeout"].pk)}
    # "4242" is in a business key and in a message (and is a hex prefix: any id starting so, too)
    expected = {str(rows["order"].pk), str(rows["declined"].pk)} | {str(i.pk) for i in rows.values() if str(i.pk).startswith("4242")}
    assert search(operator, "4242") == expected


def test_it_finds_an_id_by_the_prefix_the_list_shows_or_whole_in_any_case(operator, rows):
    target = rows["timeout"]
    for text in (str(target.pk)[:8], str(target.pk)[:8].upper(), str(target.pk)[:13], str(target.pk), str(target.pk).upper()):
        assert search(operator, text) == {str(target.pk)}, text


def test_an_id_prefix_matches_exactly_the_ids_that_start_with_it(operator, rows):
    """Ids chosen to sit at the edges of a prefix's range: each one in, and its neighbours out."""
    billing = rows["order"].template
    version = rows["order"].version
    made = {
        text: Instance.objects.create(pk=uuid.UUID(text), template=billing, version=version).pk
        for text in (
            "abcd0000-0000-0000-0000-000000000000",
            "abcdffff-ffff-ffff-ffff-ffffffffffff",
            "abccffff-ffff-ffff-ffff-ffffffffffff",
            "abce0000-0000-0000-0000-000000000000",
        )
    }
    inside = {str(made["abcd0000-0000-0000-0000-000000000000"]), str(made["abcdffff-ffff-ffff-ffff-ffffffffffff"])}
    assert search(operator, "abcd") == inside
    assert search(operator, "abcd0000-") == {str(made["abcd0000-0000-0000-0000-000000000000"])}
    assert search(operator, "abcd-0000") == set()  # no id has a dash there


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ab", None),  # too short to mean an id
        ("abcd", ("abcd0000-0000-0000-0000-000000000000", "abcdffff-ffff-ffff-ffff-ffffffffffff")),
        ("ABCD1234-5", ("abcd1234-5000-0000-0000-000000000000", "abcd1234-5fff-ffff-ffff-ffffffffffff")),
        ("abcd12345", None),  # a ninth digit where an id has a dash
        ("abcg", None),
        ("order-42", None),
    ],
)
def test_an_id_prefix_is_a_range_of_the_primary_key_or_nothing(text, expected):
    found = monitor.id_prefix_range(text)
    assert (tuple(str(u) for u in found) if found else None) == expected


def test_wildcards_in_the_text_are_matched_literally(operator, rows):
    assert search(operator, "%") == set()
    assert search(operator, "order_4242") == set()


def test_a_search_reads_the_trigram_and_primary_key_indexes_not_the_table(rows):
    """The lookups' SQL must stay what migration 0008 indexed: were it to drift, every search would
    read the whole table. 20,000 rows (one statement), so the planner weighs the indexes as on a
    real table."""
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO workflows_instance (id, template_id, version_id, status, input, vars, priority, business_key,
                   created_at, last_seq, is_test, mocks)
               SELECT gen_random_uuid(), template_id, version_id, 'completed', '{}', '{}', 50, 'bulk-' || g, now(), 0, false, '{}'
               FROM workflows_instance, generate_series(1, 20000) AS g WHERE id = %s""",
            [rows["order"].pk],
        )
        cursor.execute("ANALYZE workflows_instance")
    for text in ("declined", "abcd"):
        form = monitor.Filters({"q": text})
        assert form.is_valid()
        plan = monitor.filtered(form.cleaned_data).explain()
        assert "instance_search_business_key" in plan and "instance_search_error_message" in plan, plan
        assert "Seq Scan on workflows_instance" not in plan, plan
    assert "workflows_instance_pkey" in plan, plan  # "abcd" is also an id prefix: a range of the key
