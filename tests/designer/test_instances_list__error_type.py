"""Failures by error type: /instances/?error_type= (a removable filter kept in the URL), the API's
instance list, and the overview's per-type lines that link to exactly those failures."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from designer import monitor
from tests.engine.conftest import drain_all
from tests.factories import VersionFactory, chain_graph
from workflows import engine
from workflows.models import Instance

pytestmark = pytest.mark.django_db


def ids_in(page: str) -> set[str]:
    return set(re.findall(r'data-testid="instance-row" data-id="([0-9a-f-]+)"', page))


def failing(name: str, error_type: str) -> str:
    graph = chain_graph("a", handler="demo.fail", input={"type": error_type, "message": "no", "retryable": False})
    return VersionFactory(template__name=name, graph=graph).template.name


def run(name: str) -> Instance:
    instance, _ = engine.start_instance(name)
    drain_all(instance.pk)
    instance.refresh_from_db()
    return instance


@pytest.fixture
def failures():
    """Two templates failing with CardDeclined, one with BankDown, one that completes."""
    declined, bank = failing("payments", "CardDeclined"), failing("refunds", "BankDown")
    prefix = failing("prefix", "CardDeclinedTwice")  # a longer type: exact match, not a prefix
    billing = VersionFactory(template__name="billing", graph=chain_graph("a")).template.name
    made = {"declined": [run(declined), run(declined)], "bank": [run(bank)], "twice": [run(prefix)], "done": [run(billing)]}
    assert {i.status for i in made["declined"] + made["bank"]} == {"failed"}
    return made


def pks(*instances: Instance) -> set[str]:
    return {str(i.pk) for i in instances}


def test_the_list_shows_only_the_failures_of_that_error_type_exactly(operator, failures):
    page = operator.get("/instances/?error_type=CardDeclined").content.decode()
    assert ids_in(page) == pks(*failures["declined"])
    assert ids_in(operator.get("/instances/?error_type=BankDown&template=refunds").content.decode()) == pks(*failures["bank"])
    assert ids_in(operator.get("/instances/?error_type=carddeclined").content.decode()) == set()  # exact: case counts
    assert ids_in(operator.get("/instances/?error_type=Card").content.decode()) == set()


def test_the_filter_is_shown_in_the_filter_bar_with_a_link_that_removes_it_and_keeps_the_rest(operator, failures):
    page = operator.get("/instances/?template=payments&status=failed&error_type=CardDeclined").content.decode()
    pill = re.search(r'<span class="filter-pill" data-testid="filter-error-type">(.*?)</span>', page, re.S).group(1)
    assert "<code>CardDeclined</code>" in pill
    assert '<input type="hidden" name="error_type" value="CardDeclined">' in pill  # the filter form keeps it
    remove = html.unescape(re.search(r'<a href="([^"]+)"[^>]*data-testid="remove-error-type"', pill).group(1))
    assert parse_qs(urlsplit(remove).query) == {"template": ["payments"], "status": ["failed"]}
    assert ids_in(operator.get(f"/instances/{remove}").content.decode()) == pks(*failures["declined"])
    assert 'data-testid="filter-error-type"' not in operator.get("/instances/?status=failed").content.decode()


def test_the_status_chips_sort_links_and_next_page_keep_the_error_type(operator, failures, monkeypatch):
    monkeypatch.setattr(monitor, "PAGE_SIZE", 1)
    page = operator.get("/instances/?error_type=CardDeclined").content.decode()
    links = [html.unescape(h) for h in re.findall(r'href="(\?[^"]*)"[^>]*data-testid="(?:chip-failed|sort-priority|next-page)"', page)]
    assert len(links) == 3
    assert all(parse_qs(urlsplit(h).query)["error_type"] == ["CardDeclined"] for h in links), links
    following = operator.get("/instances/" + links[-1]).content.decode()  # the next page
    assert ids_in(page) | ids_in(following) == pks(*failures["declined"])
    assert re.search(r'data-testid="chip-failed">.*?<span class="n">2</span>', page)  # the chips count under it


def test_a_rows_error_type_links_to_that_filter(operator, failures):
    page = operator.get("/instances/?template=refunds").content.decode()
    assert '<a href="?error_type=BankDown" class="err-type"' in page


@pytest.mark.parametrize(
    "value",
    ["x" * 201, "Card\x00Declined", "Card\nDeclined", "Card\x1bDeclined", "Card\x85Declined"],
    ids=["too-long", "nul", "newline", "escape", "c1-control"],
)
def test_a_bad_error_type_is_a_400_naming_the_field(operator, value):
    response = operator.get("/instances/", {"error_type": value})
    assert response.status_code == 400
    assert "<code>error_type</code>" in response.content.decode()
    api = operator.get("/api/v1/instances/", {"error_type": value})
    assert api.status_code == 400
    assert {e["field"] for e in api.json()["errors"]} == {"error_type"}


def test_the_api_lists_the_failures_of_an_error_type_exactly(operator, failures):
    def ids(**query) -> set[str]:
        response = operator.get("/api/v1/instances/", query)
        assert response.status_code == 200
        return {i["id"] for i in response.json()["results"]}

    assert ids(error_type="CardDeclined") == pks(*failures["declined"])
    assert ids(error_type="CardDeclined", template="refunds") == set()
    assert ids(error_type="BankDown", status="failed") == pks(*failures["bank"])
    assert ids(error_type="Card") == set()


def test_each_error_type_on_the_overview_links_to_exactly_its_failures(operator, failures):
    page = operator.get("/").content.decode()
    start = page.index('data-template="payments"')
    row = page[start : page.index("</tr>", start)]
    found = re.search(r'<a href="([^"]+)" data-testid="error-type"[^>]*><code>CardDeclined</code> × 2</a>', row)
    assert found, row
    href = html.unescape(found.group(1))
    query = parse_qs(urlsplit(href).query)
    assert urlsplit(href).path == "/instances/"
    assert query["template"] == ["payments"] and query["error_type"] == ["CardDeclined"]
    assert query["status"] == ["failed", "timed_out"]  # the statuses the failure count counts
    assert ids_in(operator.get(href).content.decode()) == pks(*failures["declined"])
