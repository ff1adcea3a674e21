"""The operator's instance list (/instances/): filters, keyset pages, bad input, bulk cancel/retry."""

from __future__ import annotations

import re

import pytest
from django.core import signing

from designer import monitor
from tests.factories import VersionFactory, chain_graph
from workflows import engine, worker
from workflows.models import Instance

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'


def drain(instance: Instance) -> Instance:
    while worker.drain(str(instance.pk)):
        pass
    instance.refresh_from_db()
    return instance


@pytest.fixture
def billing():
    """Two no-op steps: instances complete."""
    return VersionFactory(template__name="billing", number=1, graph=chain_graph("a", "b")).template


@pytest.fixture
def broken():
    """A step that fails for good, with an error message that is HTML."""
    graph = chain_graph("a", "b")
    graph["nodes"][1]["config"] = {"handler": "demo.fail", "input": {"message": f"card declined {HOSTILE}", "retryable": False}}
    return VersionFactory(template__name="broken", number=1, graph=graph).template


def start(template, **fields) -> Instance:
    return engine.start_instance(template.name, **fields)[0]


def ids_in(page: str) -> list[str]:
    return re.findall(r'data-testid="instance-row" data-id="([0-9a-f-]+)"', page)


def test_the_list_shows_each_instance_with_its_progress_error_and_link(operator, billing, broken):
    done = drain(start(billing, business_key="order-1"))
    failed = drain(start(broken, business_key="order-2"))
    page = operator.get("/instances/").content.decode()
    assert set(ids_in(page)) == {str(done.pk), str(failed.pk)}
    assert f'href="/instances/{failed.pk}/"' in page
    assert "2/2" in page  # the completed one: both steps done
    assert "card declined" in page
    assert 'data-testid="chip-failed"' in page


def test_test_runs_are_left_out(operator, billing):
    real = start(billing)
    test_run = Instance.objects.create(template=billing, version=billing.versions.get(), is_test=True)
    page = operator.get("/instances/").content.decode()
    assert ids_in(page) == [str(real.pk)] and str(test_run.pk) not in page


def test_filters_narrow_the_rows_and_the_chips_count_the_other_filters(operator, billing, broken):
    ok = drain(start(billing, business_key="k-ok", priority=80))
    bad = drain(start(broken, business_key="k-bad", priority=10))
    waiting = start(billing, business_key="k-new", priority=90)  # not drained: still running
    get = lambda q: operator.get(f"/instances/?{q}").content.decode()  # noqa: E731
    assert ids_in(get("status=failed")) == [str(bad.pk)]
    assert set(ids_in(get("status=failed&status=completed"))) == {str(ok.pk), str(bad.pk)}
    assert ids_in(get("template=broken")) == [str(bad.pk)]
    assert set(ids_in(get("priority=80"))) == {str(ok.pk), str(waiting.pk)}
    assert ids_in(get("business_key=k-ok")) == [str(ok.pk)]
    assert ids_in(get("q=declined")) == [str(bad.pk)]  # the error message
    assert ids_in(get("q=K-NEW")) == [str(waiting.pk)]  # the business key, any case
    assert ids_in(get(f"q={str(ok.pk)[:8]}")) == [str(ok.pk)]  # the id prefix the list shows
    assert ids_in(get(f"q={ok.pk}")) == [str(ok.pk)]
    assert ids_in(get("template=billing&version=1")) and not ids_in(get("template=billing&version=7"))
    today = ok.created_at.date().isoformat()
    assert len(ids_in(get(f"started_from={today}&started_to={today}"))) == 3
    assert ids_in(get("started_from=2001-01-01&started_to=2001-01-02")) == []
    # chips count per status under the other filters (template), whatever status is chosen
    page = get("template=billing&status=failed")
    assert ids_in(page) == []
    assert re.search(r'data-testid="chip-completed">.*?<span class="n">1</span>', page)
    assert re.search(r'data-testid="chip-failed">.*?<span class="n">0</span>', page)
    # blank fields of a submitted filter form are ignored
    assert len(ids_in(get("q=&template=&status=&version=&started_from="))) == 3


def test_pages_follow_a_signed_cursor_without_gaps_or_repeats(operator, billing, monkeypatch):
    monkeypatch.setattr(monitor, "PAGE_SIZE", 3)
    made = [start(billing, priority=p % 4) for p in range(8)]
    for sort in ("-started", "started", "priority", "-priority", "status", "-duration", "duration"):
        seen, url = [], f"/instances/?sort={sort}"
        for _ in range(5):
            page = operator.get(url).content.decode()
            seen += ids_in(page)
            found = re.search(r'href="([^"]+)" data-testid="next-page"', page)
            if not found:
                break
            url = "/instances/" + found.group(1).replace("&amp;", "&")
        assert sorted(seen) == sorted(str(i.pk) for i in made), sort
        assert len(seen) == len(set(seen)), sort
    oldest_first = []
    url = "/instances/?sort=started"
    while url:
        page = operator.get(url).content.decode()
        oldest_first += ids_in(page)
        found = re.search(r'href="([^"]+)" data-testid="next-page"', page)
        url = "/instances/" + found.group(1).replace("&amp;", "&") if found else None
    assert oldest_first == [str(i.pk) for i in made]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=exploded", "status"),
        ("status=running&status=exploded", "status"),
        ("template=no-such-template", "template"),
        ("template=bill%00ing", "template"),
        ("version=zero", "version"),
        ("version=0", "version"),
        ("priority=101", "priority"),
        ("priority=-1", "priority"),
        ("started_from=2024-13-45", "started_from"),
        ("started_from=2024-02-30", "started_from"),
        ("started_from=99999-01-01", "started_from"),
        ("started_to=yesterday", "started_to"),
        ("business_key=a%00b", "business_key"),
        (f"business_key={'k' * 201}", "business_key"),
        (f"q={'x' * 201}", "q"),
        ("q=a%00b", "q"),
        (f"error_type={'E' * 201}", "error_type"),
        ("error_type=Card%0ADeclined", "error_type"),
        ("started_from=2024-05-02&started_to=2024-05-01", "started_to"),
        ("sort=color", "sort"),
        ("cursor=not-a-cursor", "cursor"),
    ],
)
def test_bad_filters_answer_400_naming_the_field(operator, billing, query, field):
    response = operator.get(f"/instances/?{query}")
    assert response.status_code == 400
    assert f"<code>{field}</code>" in response.content.decode()


def test_a_tampered_or_foreign_cursor_is_refused(operator, billing, monkeypatch):
    monkeypatch.setattr(monitor, "PAGE_SIZE", 1)
    start(billing), start(billing)
    page = operator.get("/instances/").content.decode()
    cursor = re.search(r"cursor=([^&\"]+)", page).group(1)
    tampered = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
    assert operator.get(f"/instances/?cursor={tampered}").status_code == 400
    # a cursor of another sort order, and a validly signed one with keys of the wrong shape
    assert operator.get(f"/instances/?sort=priority&cursor={cursor}").status_code == 400
    forged = signing.dumps({"sort": "-started", "after": ["not a date", "x"]}, salt=monitor.CURSOR_SALT)
    response = operator.get(f"/instances/?cursor={forged}")
    assert response.status_code == 400 and "<code>cursor</code>" in response.content.decode()


def test_error_text_and_business_keys_are_escaped(operator, broken):
    drain(start(broken, business_key=HOSTILE))
    page = operator.get("/instances/").content.decode()
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get("/instances/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_others_see_the_bulk_buttons_disabled_with_the_reason_and_cannot_post(analyst, broken):
    failed = drain(start(broken))
    page = analyst.get("/instances/").content.decode()
    assert re.search(r'data-testid="bulk-retry" disabled title="Only operators may cancel, retry, pause, resume or signal instances"', page)
    assert 'data-testid="bulk-reason"' in page
    response = analyst.post("/instances/bulk/", {"action": "retry", "ids": [failed.pk], "confirm": "on"})
    assert response.status_code == 403
    assert Instance.objects.get(pk=failed.pk).status == "failed" and Instance.objects.get(pk=failed.pk).last_seq == failed.last_seq


def test_operators_see_the_bulk_buttons_enabled(operator, billing):
    start(billing)
    page = operator.get("/instances/").content.decode()
    assert 'data-testid="bulk-cancel">' in page and 'data-testid="bulk-reason"' not in page


def test_bulk_cancel_asks_first_naming_how_many_and_which_then_reports_each(operator, billing):
    finished = drain(start(billing))  # first: a worker's doorbell serves whichever instance is due first
    running = [start(billing) for _ in range(2)]
    ids = [i.pk for i in running] + [finished.pk]
    confirm = operator.post("/instances/bulk/", {"action": "cancel", "ids": ids, "back": "status=running"})
    page = confirm.content.decode()
    assert confirm.status_code == 200 and "Cancel 3 instances?" in page
    assert all(str(i) in page for i in ids)
    assert {i.status for i in Instance.objects.filter(pk__in=ids)} == {"running", "completed"}  # nothing done yet
    done = operator.post("/instances/bulk/", {"action": "cancel", "ids": ids, "back": "status=running", "confirm": "on"})
    page = done.content.decode()
    assert done.status_code == 200 and "2 cancelled, 1 refused" in page
    assert "the instance is already completed" in page
    assert 'href="/instances/?status=running"' in page
    assert {str(i.pk): i.status for i in Instance.objects.filter(pk__in=ids)} == {
        str(running[0].pk): "cancelled",
        str(running[1].pk): "cancelled",
        str(finished.pk): "completed",
    }


def test_bulk_retry_runs_failed_instances_again(operator, broken):
    failed = drain(start(broken))
    page = operator.post("/instances/bulk/", {"action": "retry", "ids": [failed.pk], "confirm": "on"}).content.decode()
    assert "1 retried" in page
    assert Instance.objects.get(pk=failed.pk).status == "running"


def test_bulk_pause_then_resume_report_each_and_record_who(operator, billing):
    from workflows.models import Event

    finished = drain(start(billing))  # first: a worker's doorbell serves whichever instance is due first
    running = start(billing)
    confirm = operator.post("/instances/bulk/", {"action": "pause", "ids": [running.pk, finished.pk]}).content.decode()
    assert "Pause 2 instances?" in confirm and "their running steps finish" in confirm
    assert Instance.objects.get(pk=running.pk).status == "running"  # nothing done before the confirmation
    page = operator.post("/instances/bulk/", {"action": "pause", "ids": [running.pk, finished.pk], "confirm": "on"}).content.decode()
    assert "1 paused, 1 refused" in page and "paused; now paused" in page
    assert "only a running instance can be paused" in page
    assert Event.objects.get(instance=running, type="instance_paused").data["by"] == "otto"
    page = operator.post("/instances/bulk/", {"action": "resume", "ids": [running.pk], "confirm": "on"}).content.decode()
    assert "1 resumed" in page
    assert Instance.objects.get(pk=running.pk).status == "running"


def test_operators_see_bulk_pause_and_resume(operator, billing):
    start(billing)
    page = operator.get("/instances/").content.decode()
    assert 'data-testid="bulk-pause">Pause selected' in page and 'data-testid="bulk-resume">Resume selected' in page


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"action": "explode", "ids": ["00000000-0000-0000-0000-000000000000"]}, "action"),
        ({"action": "cancel", "ids": ["not-a-uuid"]}, "ids"),
        ({"action": "cancel"}, "ids"),
    ],
)
def test_bad_bulk_requests_answer_400_and_change_nothing(operator, billing, data, field):
    instance = start(billing)
    response = operator.post("/instances/bulk/", {**data, "confirm": "on"})
    assert response.status_code == 400 and f"<code>{field}</code>" in response.content.decode()
    assert Instance.objects.get(pk=instance.pk).status == "running"


def test_the_top_navigation_and_the_overview_link_into_the_list(operator, billing):
    instance = start(billing)
    page = operator.get("/").content.decode()
    assert '<a href="/instances/"' in page
    assert "/instances/?template=billing" in page and "/instances/?status=running" in page
    assert str(instance.pk)[:8] in page


def test_status_chips_count_up_to_a_cap_and_then_say_so(operator, billing, monkeypatch):
    monkeypatch.setattr(monitor, "COUNT_CAP", 2)
    for _ in range(3):
        start(billing)
    page = operator.get("/instances/").content.decode()
    assert re.search(r'data-testid="chip-running">.*?<span class="n">2\+</span>', page)
    assert re.search(r'data-testid="chip-failed">.*?<span class="n">0</span>', page)
    summary = re.search(r"data-testid=\"instances-summary\">([^<]*)", page).group(1)
    assert summary.startswith("2+ instances"), summary


@pytest.mark.parametrize("sort", ["-started", "started", "-duration", "duration", "priority", "-priority", "status", "-status"])
def test_each_sort_after_a_cursor_is_a_range_of_its_own_index(operator, billing, sort):
    """The keyset query's shape must match migration 0007's indexes (the duration expression
    verbatim): were it to drift, the list would sort the whole table on every page. The planner is
    told not to scan (the test's table is tiny), so it picks an index only if one matches."""
    from django.db import connection

    for _ in range(3):
        start(billing)
    form = monitor.Filters({"sort": sort})
    assert form.is_valid()
    data = dict(form.cleaned_data)
    rows = list(monitor.page_query(data)[:2])
    keys = [getattr(rows[-1], k) for k in monitor.SORTS[sort.lstrip("-")].keys]
    data["cursor"] = {"sort": sort, "after": keys}
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    plan = monitor.page_query(data)[: monitor.PAGE_SIZE + 1].explain()
    assert f"instance_list_{sort.lstrip('-')}" in plan and "Sort" not in plan, plan  # rows come in index order
