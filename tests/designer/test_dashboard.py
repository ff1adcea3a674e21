"""The overview as a dashboard: per template, runs per day, success rate, p50/p95 duration,
failures by error type and running now, each linking into /instances/ with the matching filters.

Instances are made by the engine (engine.start_instance, then worker.drain in this process)."""

from __future__ import annotations

import datetime as dt
import html
import re
import statistics
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from designer.monitor import duration_text
from tests.engine.conftest import drain_all
from tests.factories import VersionFactory, chain_graph
from workflows import engine
from workflows.models import Instance

pytestmark = pytest.mark.django_db


def publish(name: str, graph: dict, title: str = "") -> str:
    return VersionFactory(template__name=name, template__title=title or name.title(), graph=graph).template.name


def failing(error_type: str) -> dict:
    return chain_graph("a", handler="demo.fail", input={"type": error_type, "message": "no", "retryable": False})


def waiting() -> dict:
    return {"version": 1, "settings": {}, "nodes": [{"id": "w", "type": "wait", "config": {"for_s": 600}}], "edges": []}


def run(name: str, input: dict | None = None) -> Instance:
    instance, _ = engine.start_instance(name, input=input or {})
    drain_all(instance.pk)
    instance.refresh_from_db()
    return instance


def row_of(page: str, name: str) -> str:
    start = page.index(f'data-testid="template-row" data-template="{name}"')
    return page[start : page.index("</tr>", start)]


def cell(row: str, testid: str) -> tuple[str, str]:
    """(href with its query decoded into a dict of lists, shown text) of a figure's link."""
    found = re.search(rf'<a href="([^"]*)" data-testid="{testid}"[^>]*>([^<]*)</a>', row)
    assert found, f"no {testid} link in {row}"
    return html.unescape(found.group(1)), html.unescape(found.group(2))


def query(href: str) -> dict[str, list[str]]:
    url = urlsplit(href)
    assert url.path == "/instances/"
    return parse_qs(url.query)


def window() -> dict[str, list[str]]:
    today = timezone.localdate()
    return {"started_from": [(today - dt.timedelta(days=13)).isoformat()], "started_to": [today.isoformat()]}


def test_the_overview_shows_each_templates_runs_success_rate_and_durations_from_the_engines_instances(operator):
    publish("billing", chain_graph("a", "b"))
    done = [run("billing") for _ in range(3)]
    publish("payments", failing("CardDeclined"))
    run("payments")
    page = operator.get("/").content.decode()

    billing = row_of(page, "billing")
    assert cell(billing, "runs") == ("/instances/?" + "template=billing&started_from={}&started_to={}".format(*window()["started_from"], *window()["started_to"]), "3")
    assert cell(billing, "success")[1] == "100%"
    assert query(cell(billing, "success")[0]) == {"template": ["billing"], "status": ["completed"], **window()}
    seconds = [(i.finished_at - i.started_at).total_seconds() for i in done]
    p50, p95 = statistics.quantiles(seconds, n=100, method="inclusive")[49], statistics.quantiles(seconds, n=100, method="inclusive")[94]
    href, text = cell(billing, "durations")
    assert text == f"{duration_text(p50)} / {duration_text(p95)}"
    assert query(href) == {"template": ["billing"], **window(), "sort": ["-duration"]}
    assert "none" in billing and 'data-testid="failed"' not in billing

    payments = row_of(page, "payments")
    assert cell(payments, "runs")[1] == "1" and cell(payments, "success")[1] == "0%"


def test_failures_are_counted_by_error_type_and_link_to_the_templates_failed_instances(operator):
    publish("payments", failing("CardDeclined"))
    publish("payments-2", failing("BankDown"))
    for _ in range(2):
        run("payments")
    page = operator.get("/").content.decode()
    payments = row_of(page, "payments")
    href, text = cell(payments, "failed")
    assert text == "2 failed"
    assert query(href) == {"template": ["payments"], "status": ["failed", "timed_out"], **window()}
    assert "<code>CardDeclined</code> × 2" in payments and "BankDown" not in payments
    # the link lands on a list that shows exactly those instances
    listed = operator.get(href).content.decode()
    assert listed.count('data-testid="instance-row"') == 2


def test_running_now_counts_instances_still_running_and_links_to_them(operator):
    publish("slow", waiting())
    run("slow")
    run("slow")
    page = operator.get("/").content.decode()
    href, text = cell(row_of(page, "slow"), "running")
    assert text == "2"
    assert query(href) == {"template": ["slow"], "status": ["running"]}
    assert cell(row_of(page, "slow"), "success")[1] == "—"


def test_the_chart_has_a_bar_per_day_each_linking_to_that_days_instances(operator):
    publish("billing", chain_graph("a"))
    run("billing")
    run("billing")
    early = run("billing")
    three_days_ago = timezone.now() - dt.timedelta(days=3)
    Instance.objects.filter(pk=early.pk).update(created_at=three_days_ago)
    Instance.objects.filter(pk=run("billing").pk).update(created_at=timezone.now() - dt.timedelta(days=30))  # out of the window
    row = row_of(operator.get("/").content.decode(), "billing")

    bars = re.findall(r'<a href="([^"]*)" data-testid="day-bar"><title>([^<]*)</title>', row)
    assert len(bars) == 14
    today, before = timezone.localdate(), timezone.localtime(three_days_ago).date()
    labels = {html.unescape(label).split(":")[0]: html.unescape(label) for _, label in bars}
    assert labels[today.isoformat()] == f"{today.isoformat()}: 2 completed, 0 failed, 0 other"
    assert labels[before.isoformat()] == f"{before.isoformat()}: 1 completed, 0 failed, 0 other"
    assert sum(" 0 completed" not in label for label in labels.values()) == 2
    assert query(html.unescape(bars[-1][0])) == {"template": ["billing"], "started_from": [today.isoformat()], "started_to": [today.isoformat()]}
    assert cell(row, "runs")[1] == "3"
    assert "peak 2/day" in row


def test_designer_test_runs_are_left_out(operator):
    name = publish("billing", chain_graph("a"))
    Instance.objects.filter(pk=run(name).pk).update(is_test=True)
    row = row_of(operator.get("/").content.decode(), "billing")
    assert cell(row, "runs")[1] == "0" and "no runs" in row


def test_titles_and_error_types_are_escaped(operator):
    publish("xss", failing('<img src=x onerror="alert(1)">'), title="<script>alert(1)</script>")
    run("xss")
    page = operator.get("/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def test_the_overview_without_templates_says_how_to_load_one(operator):
    page = operator.get("/").content.decode()
    assert "No templates yet" in page and 'data-testid="template-row"' not in page


def test_the_overview_costs_the_same_number_of_queries_for_one_template_or_many(operator, django_assert_max_num_queries):
    for n in range(6):
        name = publish(f"t{n}", chain_graph("a"))
        run(name)
    with django_assert_max_num_queries(12):
        assert operator.get("/").status_code == 200


def test_the_headline_sums_all_templates_and_links_to_the_unfiltered_list(operator):
    publish("billing", chain_graph("a"))
    publish("payments", failing("CardDeclined"))
    publish("slow", waiting())
    for name in ("billing", "billing", "payments", "slow"):
        run(name)
    page = operator.get("/").content.decode()

    def total(key: str) -> tuple[str, str]:
        found = re.search(rf'href="([^"]*)" data-testid="total-{key}"><strong>(\d+)</strong>', page)
        assert found, key
        return html.unescape(found.group(1)), found.group(2)

    assert total("runs")[1] == "4" and query(total("runs")[0]) == window()
    assert total("failed")[1] == "1" and query(total("failed")[0]) == {"status": ["failed", "timed_out"], **window()}
    assert total("running")[1] == "1" and query(total("running")[0]) == {"status": ["running"]}
