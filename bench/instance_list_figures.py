"""The instance list (``/instances/``) with 100,000 instances in the database: server time of the
first page and of filtered pages, through Django's test Client in this process (no network, no
browser: what the view and its queries cost), p50 and p95 of 40 requests each after 5 warm-ups.

The rows are bulk-inserted with one SQL statement per table (the engine would take hours to make
100,000 instances): statuses, durations, priorities, business keys, errors and three step rows per
instance, spread over 60 days; 2% are designer test runs, which the list leaves out.
"""

from __future__ import annotations

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
    from workflows import services

    names = []
    for t in range(templates):
        template = services.create_template(name=f"list-{t}", title=f"List bench {t}", graph=chain_graph(*[f"s{i}" for i in range(STEPS + t % 3)]))
        names.append(services.publish(template).template.name)
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
                CASE WHEN s.status IN ('failed', 'timed_out')
                     THEN jsonb_build_object('type', 'StepError', 'message', 'card ' || (g %% 9973) || ' declined by the bank', 'node', 's1') END,
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
    """The pages timed: the first page, filters an operator uses, a deep page and the other sorts."""
    from workflows.models import Instance

    first = client.get("/instances/?status=failed").content.decode()
    cursor = first.split("cursor=", 1)[1].split('"', 1)[0].replace("&amp;", "&")
    deep = Instance.objects.filter(is_test=False).order_by("-created_at")[60_000].created_at.date().isoformat()
    return {
        "first": "/instances/",
        "failed_of_one_template": "/instances/?template=list-3&status=failed",
        "failed_page_2": f"/instances/?status=failed&cursor={cursor}",
        "priority_90_sorted_by_duration": "/instances/?priority=90&sort=-duration",
        "started_one_day_60k_back": f"/instances/?started_from={deep}&started_to={deep}",
        "text_in_error": "/instances/?q=card+4242",
        "sorted_by_status": "/instances/?sort=status",
        "sorted_by_priority": "/instances/?sort=-priority",
    }


def figures():
    from django.test import Client

    from tests.factories import UserFactory

    bulk_load()
    client = Client(HTTP_HOST="localhost")  # a default ALLOWED_HOSTS entry
    client.force_login(UserFactory(username="bench-operator", is_superuser=True))
    for name, url in pages(client).items():
        p50, p95, rows = _time(client, url)
        workload = f"GET {url.split('cursor=')[0]}{'cursor=…' if 'cursor=' in url else ''} with {INSTANCES:,} instances, {rows} rows shown"
        yield figure(f"instances_list_{name}_p50", p50, "ms", workload=workload, requests=REQUESTS)
        yield figure(f"instances_list_{name}_p95", p95, "ms", requests=REQUESTS)


def run(selected: dict):
    """On the bench's scratch database, recreated (no engine needed: nothing runs)."""
    from bench.engine_figures import _bench_database_url, _recreate_database

    url = _bench_database_url()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    if "django.apps" in sys.modules and sys.modules["django.apps"].apps.ready:  # the engine's figures ran first
        from django.db import connections

        connections.close_all()
    _recreate_database(url)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    for fn in selected.values():
        yield from fn()


FIGURES = {"instances_list": figures}
