"""The API's step pages and instance detail at map scale (issue 10: up to 10,000 item attempts per
step): server time through Django's test Client in this process (no network: what the views and
their queries cost), p50 and p95 of 40 requests each after 5 warm-ups.

Bulk-inserted, one SQL statement per table: ``MAPS`` instances, each with a ``fan`` step of 10,000
items (every 20th retried once, 1 % failed) between two plain steps, and ``ORDINARY`` instances of
five steps; the step rows are inserted in random order, so one instance's ids are scattered over
the table as concurrent runs leave them. The maps are the oldest instances, and the first one's
first 50 items started a child instance each (so ``?parent=`` looks for old rows).
"""

from __future__ import annotations

import time

from bench.instance_list_figures import REQUESTS, _time
from bench.stats import figure, percentile

MAPS = 10
ITEMS = 10_000
ORDINARY = 20_000


def bulk_load() -> None:
    from django.db import connection

    from tests.factories import chain_graph
    from workflows import authoring

    template = authoring.create_template(name="steps-bench", title="Steps bench", graph=chain_graph("a", "fan", "z"))
    version = authoring.publish(template)
    with connection.cursor() as cur:
        cur.execute("SELECT setseed(0.17)")
        cur.execute(
            """
            INSERT INTO workflows_instance (id, template_id, version_id, status, input, output, vars, error, priority,
                business_key, idempotency_key, parent_step_id, started_by_id, created_at, started_at, finished_at,
                deadline_at, last_seq, is_test, mocks)
            SELECT gen_random_uuid(), %s, %s, 'completed', '{}', NULL, '{}', NULL, 50,
                CASE WHEN g > %s THEN 'map-' || (g - %s) ELSE 'plain-' || g END, NULL, NULL, NULL,
                now() - g * interval '7 seconds', now() - g * interval '7 seconds', now() - g * interval '7 seconds' + interval '3 seconds',
                NULL, 5, false, '{}'
            FROM generate_series(1, %s) AS g
            """,
            [template.pk, version.pk, ORDINARY, ORDINARY, MAPS + ORDINARY],
        )
        cur.execute(
            """
            INSERT INTO workflows_steprun (instance_id, node_id, node_type, item_key, attempt, status, input, output, ports,
                error_type, error_message, error_traceback, worker, lost, started_at, finished_at)
            SELECT s.instance_id, s.node, 'task', s.item, s.attempt, s.status,
                jsonb_build_object('item', s.item), jsonb_build_object('result', md5(s.item || s.node)),
                '["out"]', '', '', '', 'bench', 0, now(), now()
            FROM (
                SELECT i.id AS instance_id, 's' || n AS node, '' AS item, 1 AS attempt, 'completed' AS status
                FROM workflows_instance i CROSS JOIN generate_series(0, 4) AS n WHERE i.business_key LIKE 'plain-%%'
                UNION ALL
                SELECT i.id, n, '', 1, 'completed'
                FROM workflows_instance i CROSS JOIN unnest(ARRAY['a', 'fan', 'z']) AS n WHERE i.business_key LIKE 'map-%%'
                UNION ALL
                SELECT i.id, 'fan', lpad(k::text, 5, '0'), a,
                    CASE WHEN k %% 20 = 0 AND a = 1 THEN 'failed' WHEN k %% 100 = 7 THEN 'failed' ELSE 'completed' END
                FROM workflows_instance i CROSS JOIN generate_series(0, %s - 1) AS k
                CROSS JOIN LATERAL generate_series(1, CASE WHEN k %% 20 = 0 THEN 2 ELSE 1 END) AS a
                WHERE i.business_key LIKE 'map-%%'
            ) s ORDER BY random()
            """,
            [ITEMS],
        )
        cur.execute(
            """
            INSERT INTO workflows_instance (id, template_id, version_id, status, input, output, vars, error, priority,
                business_key, idempotency_key, parent_step_id, started_by_id, created_at, started_at, finished_at,
                deadline_at, last_seq, is_test, mocks)
            SELECT gen_random_uuid(), %s, %s, 'completed', '{}', NULL, '{}', NULL, 50, 'child-' || s.item_key, NULL, s.id, NULL,
                i.created_at + interval '1 second', i.created_at + interval '1 second', i.created_at + interval '2 seconds', NULL, 5, false, '{}'
            FROM workflows_steprun s JOIN workflows_instance i ON i.id = s.instance_id
            WHERE i.business_key = 'map-1' AND s.node_id = 'fan' AND s.item_key < '00050' AND s.attempt = 1
            """,
            [template.pk, version.pk],
        )
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE workflows_instance")
        cur.execute("VACUUM ANALYZE workflows_steprun")


def urls() -> dict[str, str]:
    from django.core import signing

    from workflows.api.views import StepPages
    from workflows.models import Instance

    ids = dict(Instance.objects.filter(business_key__in=["map-1", "plain-5000"]).values_list("business_key", "pk"))
    mapped, plain = ids["map-1"], ids["plain-5000"]
    deep = signing.dumps({"order": "node", "after": ["fan", "09000", "1"]}, salt=StepPages.salt)
    steps = f"/api/v1/instances/{mapped}/steps/"
    last_id = Instance.objects.get(pk=mapped).steps.order_by("id").values_list("id", flat=True)[9000]
    deep_by_id = signing.dumps({"order": "id", "after": [str(last_id)]}, salt=StepPages.salt)
    return {
        "detail_map": f"/api/v1/instances/{mapped}/",
        "detail_ordinary": f"/api/v1/instances/{plain}/",
        "steps_first": steps,
        "steps_deep": f"{steps}?cursor={deep}",
        "steps_by_id_first": f"{steps}?order=id",
        "steps_by_id_deep": f"{steps}?order=id&cursor={deep_by_id}",
        "steps_failed": f"{steps}?status=failed",
        "steps_one_item": f"{steps}?node=fan&item=04321",
        "steps_500": f"{steps}?limit=500",
        "steps_items_first": f"{steps}?node=fan&items=true&latest=true&order=item&limit=50",
        "steps_items_failed": f"{steps}?node=fan&items=true&latest=true&order=item&limit=50&status=failed",
        "list_first": "/api/v1/instances/",
        "list_children": f"/api/v1/instances/?parent={mapped}",
    }


def figures():
    from django.test import Client

    from tests.factories import UserFactory
    from workflows import step_summary

    bulk_load()
    client = Client(HTTP_HOST="localhost")
    client.force_login(UserFactory(username="bench-steps", is_superuser=True))
    workload = f"{MAPS} instances with a {ITEMS:,}-item step, {ORDINARY:,} of five steps"
    for name, url in urls().items():
        p50, p95, _ = _time(client, url)
        size = len(client.get(url).content)
        yield figure(f"steps_api_{name}_p50", p50, "ms", workload=f"GET {url.split('cursor=')[0]}… ({workload})", bytes=size, requests=REQUESTS)
        yield figure(f"steps_api_{name}_p95", p95, "ms", requests=REQUESTS)
    # Before the bound: the detail inlined every attempt of the map.
    bound, step_summary.DETAIL_STEPS = step_summary.DETAIL_STEPS, 10**9
    try:
        p50, p95, _ = _time(client, urls()["detail_map"])
        size = len(client.get(urls()["detail_map"]).content)
    finally:
        step_summary.DETAIL_STEPS = bound
    yield figure("steps_api_detail_map_unbounded_p50", p50, "ms", workload=f"the map's detail inlining every attempt, as before ({workload})", bytes=size, requests=REQUESTS)
    yield figure("steps_api_detail_map_unbounded_p95", p95, "ms", requests=REQUESTS)
    yield from walk(client)


def walk(client):
    """Every attempt of one map, 500 a page, following ``next``: the pages' total time."""
    from workflows.models import Instance

    mapped = Instance.objects.get(business_key="map-1").pk
    samples, rows = [], 0
    for _ in range(5):
        url, rows, t0 = f"/api/v1/instances/{mapped}/steps/?limit=500", 0, time.perf_counter()
        while url:
            body = client.get(url).json()
            rows += len(body["results"])
            url = body["next"]
        samples.append((time.perf_counter() - t0) * 1000)
    yield figure("steps_api_walk_all_p50", percentile(samples, 50), "ms", workload=f"every attempt of a {ITEMS:,}-item map ({rows:,} rows), 500 a page", walks=len(samples))


def run(selected: dict):
    from bench.instance_list_figures import run as run_on_scratch  # the same scratch database, recreated

    yield from run_on_scratch(selected)


FIGURES = {"steps_api": figures}
