"""The instance list (``/instances/``) with 100,000 instances in the database: server time of the
first page and of filtered pages, through Django's test Client in this process (no network, no
browser: what the view and its queries cost), p50 and p95 of 40 requests each after 5 warm-ups;
then, in headless Chromium against daphne, the time from an instance's start (its commit) to its
row in an open list, p50 and p95 of 20 starts.

The rows are bulk-inserted with one SQL statement per table (the engine would take hours to make
100,000 instances): statuses, durations, priorities, business keys, errors (three error types) and
three step rows per instance, spread over 60 days; 2% are designer test runs, which the list leaves
out.

    python -m bench --only instances_list        the pages' server time (loads the 100,000 rows)
    python -m bench --only instances_live_row    commit -> row shown in Chromium (loads them too)
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

from bench.stats import figure, percentile

INSTANCES = 100_000
TEMPLATES = 8
STEPS = 3
REQUESTS, WARMUP = 40, 5

# status by g % 100: 70 completed, 15 failed, 6 running, 4 cancelled, 3 pending, 2 timed out
_STATUS = """CASE WHEN g %% 100 < 70 THEN 'completed' WHEN g %% 100 < 85 THEN 'failed' WHEN g %% 100 < 91 THEN 'running'
    WHEN g %% 100 < 95 THEN 'cancelled' WHEN g %% 100 < 98 THEN 'pending' ELSE 'timed_out' END"""


def bulk_load(count: int = INSTANCES, *, templates: int = TEMPLATES) -> None:
    """Templates, versions, ``count`` instances and their step rows, straight into the tables."""
    from django.db import connection

    from tests.factories import chain_graph
    from workflows import authoring

    names = []
    for t in range(templates):
        template = authoring.create_template(name=f"list-{t}", title=f"List bench {t}", graph=chain_graph(*[f"s{i}" for i in range(STEPS + t % 3)]))
        names.append(authoring.publish(template).template.name)
    with connection.cursor() as cur:
        cur.execute("SELECT setseed(0.42)")
        cur.execute(
            f"""
            WITH v AS (SELECT row_number() OVER (ORDER BY tv.id) - 1 AS k, tv.id AS vid, tv.template_id AS tid
                       FROM workflows_templateversion tv WHERE tv.status = 'published'),
                 g AS (SELECT g, now() - (g * interval '52 seconds') - (random() * interval '50 seconds') AS at,
                              random() * 600 AS secs FROM generate_series(1, %s) AS g)
            INSERT INTO workflows_instance (id, template_id, version_id, status, input, output, vars, error, priority,
                business_key, idempotency_key, parent_step_id, started_by_id, created_at, started_at, finished_at,
                deadline_at, last_seq, is_test, mocks)
            SELECT gen_random_uuid(), v.tid, v.vid, s.status, '{{}}', NULL, '{{}}',
                CASE WHEN s.status = 'timed_out'
                     THEN jsonb_build_object('type', 'WorkflowTimeout', 'message', 'the workflow did not finish within 600 s')
                     WHEN s.status = 'failed'
                     THEN jsonb_build_object('type', CASE WHEN g %% 10 < 3 THEN 'HttpError' ELSE 'StepError' END,
                                             'message', 'card ' || (g %% 9973) || ' declined by the bank', 'node', 's1') END,
                (g * 37) %% 101, 'order-' || g, NULL, NULL, NULL, g.at, g.at,
                CASE WHEN s.status IN ('running', 'pending') THEN NULL ELSE g.at + g.secs * interval '1 second' END,
                NULL, 5, (g %% 50 = 0), '{{}}'
            FROM g JOIN v ON v.k = g %% %s CROSS JOIN LATERAL (SELECT {_STATUS} AS status) s
            """,
            [count, templates],
        )
        cur.execute(
            f"""
            INSERT INTO workflows_steprun (instance_id, node_id, node_type, item_key, attempt, status, input, output, ports,
                error_type, error_message, error_traceback, worker, lost, started_at, finished_at)
            SELECT i.id, 's' || n, 'task', '', 1,
                CASE WHEN i.status = 'completed' OR n = 0 THEN 'completed' WHEN i.status = 'running' THEN 'running'
                     WHEN i.status IN ('failed', 'timed_out') AND n = 1 THEN 'failed' ELSE 'skipped' END,
                NULL, NULL, '[]', '', '', '', 'bench', 0, i.started_at, i.finished_at
            FROM workflows_instance i CROSS JOIN generate_series(0, {STEPS - 1}) AS n
            WHERE i.status <> 'pending' AND NOT (i.status = 'running' AND n > 0)
            """
        )
    # Planner statistics and the visibility map (index-only scans), as autovacuum would leave them.
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE workflows_instance")
        cur.execute("VACUUM ANALYZE workflows_steprun")


def _time(client, url: str) -> tuple[float, float, int]:
    for _ in range(WARMUP):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    samples = []
    for _ in range(REQUESTS):
        t0 = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
    return percentile(samples, 50), percentile(samples, 95), response.content.count(b'data-testid="instance-row"')


def pages(client) -> dict[str, str]:
    """The pages timed: the first page, filters an operator uses, a deep page, the other sorts and
    the free text: a rare text in error messages, a common one (17,000 matches), a business key
    substring and an id prefix."""
    from workflows.models import Instance

    first = client.get("/instances/?status=failed").content.decode()
    cursor = first.split("cursor=", 1)[1].split('"', 1)[0].replace("&amp;", "&")
    real = Instance.objects.filter(is_test=False).order_by("-created_at")
    deep = real[60_000].created_at.date().isoformat()
    some_id = str(real[33_333].pk)[:8]
    return {
        "first": "/instances/",
        "failed_of_one_template": "/instances/?template=list-3&status=failed",
        "failed_of_one_template_by_error_type": "/instances/?template=list-3&status=failed&status=timed_out&error_type=HttpError",
        "failed_page_2": f"/instances/?status=failed&cursor={cursor}",
        "priority_90_sorted_by_duration": "/instances/?priority=90&sort=-duration",
        "started_one_day_60k_back": f"/instances/?started_from={deep}&started_to={deep}",
        "text_in_error": "/instances/?q=card+4242",
        "text_in_many_errors": "/instances/?q=declined",
        "text_in_business_key": "/instances/?q=order-4242",
        "text_id_prefix": f"/instances/?q={some_id}",
        "sorted_by_status": "/instances/?sort=status",
        "sorted_by_priority": "/instances/?sort=-priority",
    }


_loaded = False


def loaded() -> None:
    """The 100,000 instances, once per run of the bench (the figures that need them share them)."""
    global _loaded
    if not _loaded:
        bulk_load()
        _loaded = True


def figures():
    from django.test import Client

    from tests.factories import UserFactory

    loaded()
    client = Client(HTTP_HOST="localhost")  # a default ALLOWED_HOSTS entry
    client.force_login(UserFactory(username="bench-operator", is_superuser=True))
    for name, url in pages(client).items():
        p50, p95, rows = _time(client, url)
        workload = f"GET {url.split('cursor=')[0]}{'cursor=…' if 'cursor=' in url else ''} with {INSTANCES:,} instances, {rows} rows shown"
        yield figure(f"instances_list_{name}_p50", p50, "ms", workload=workload, requests=REQUESTS)
        yield figure(f"instances_list_{name}_p95", p95, "ms", requests=REQUESTS)


LIVE_STARTS = 20
WATCH = """() => { window.__seen = {}; const note = () => { const now = Date.now();
  document.querySelectorAll('[data-testid="instance-row"]').forEach((r) => { if (!(r.dataset.id in window.__seen)) window.__seen[r.dataset.id] = now; }); };
  note(); new MutationObserver(note).observe(document.body, { childList: true, subtree: true }); }"""


@contextlib.contextmanager
def live_site(username: str):
    """daphne on the bench's database (collected static files, WebSockets, the event relay) and a
    Chromium page signed in as a new superuser: ``(page, base_url)``."""
    import signal
    import socket
    import subprocess

    from django.core.management import call_command
    from django.db import connections
    from playwright.sync_api import sync_playwright

    from bench.designer_figures import ARGS, CHROMIUM, ROOT
    from tests.factories import UserFactory

    call_command("collectstatic", "--noinput", verbosity=0)
    UserFactory(username=username, is_superuser=True)  # password pw-12345
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    web = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
                           cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Playwright's sync API runs an event loop in this thread; the ORM calls here stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
            page.goto(f"{base}/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", "pw-12345")
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/")
            try:
                yield page, base
            finally:
                browser.close()
                # Playwright's greenlets see their own database connections: close them here, where
                # they were opened, or the next figure's fresh database finds them dead.
                connections.close_all()
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(10)


def live_row():
    """Commit -> row shown: a start in this process, the relay in daphne, the page's fetch in Chromium.
    Starts are 1.5 s apart, as a change after a quiet spell (a busy list fetches at most once a second)."""
    from workflows import engine

    loaded()
    latencies = []
    with live_site("bench-watcher") as (page, base):
        page.goto(f"{base}/instances/")
        page.wait_for_function("() => document.querySelector('[data-live-state]').dataset.state === 'live'", timeout=30_000)
        page.evaluate(WATCH)
        for k in range(LIVE_STARTS + 2):
            page.wait_for_timeout(1500)
            instance, _ = engine.start_instance("list-0", business_key=f"live-{k}")
            committed = time.time() * 1000
            shown = page.wait_for_function(f"() => window.__seen['{instance.pk}']", timeout=10_000).json_value()
            if k >= 2:  # two warm-ups
                latencies.append(shown - committed)
    workload = f"start an instance, its row appears in an open /instances/ (first page, {INSTANCES:,} instances), {LIVE_STARTS} starts 1.5 s apart"
    yield figure("instances_list_live_row_p50", percentile(latencies, 50), "ms", workload=workload, samples=len(latencies))
    yield figure("instances_list_live_row_p95", percentile(latencies, 95), "ms", samples=len(latencies))


def run(selected: dict):
    """On the bench's scratch database, recreated (no engine needed: nothing runs)."""
    from bench.engine_figures import _bench_database_url, _recreate_database

    url = _bench_database_url()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ.setdefault("FLOWDESK_QUEUE", f"flowdesk-bench-{os.getpid()}")  # no engine reads it: nothing runs
    if "django.apps" in sys.modules and sys.modules["django.apps"].apps.ready:  # other figures ran first
        from django.db import connections

        for conn in connections.all(initialized_only=True):
            conn.close()
            conn.close_pool()  # a pool's idle connections would outlive the database dropped below
        from workflows import engine

        engine.graphs.forget()  # cached by version id: the new database's ids mean other graphs
    _recreate_database(url)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    global _loaded
    _loaded = False  # a new database
    for fn in selected.values():
        yield from fn()


FIGURES = {"instances_list": figures, "instances_live_row": live_row}
