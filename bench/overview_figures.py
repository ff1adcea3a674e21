"""The overview (``/``, the per-template dashboard) with 100,000 instances in the database: server
time through Django's test Client in this process, p50 and p95 of 40 requests after 5 warm-ups.

The instances are those of the instance list's bench (``instance_list_figures.bulk_load``: 8
templates, spread over 60 days, so about 23,000 fall in the dashboard's 14 days).
"""

from __future__ import annotations

from bench.instance_list_figures import INSTANCES, REQUESTS, _time, bulk_load
from bench.instance_list_figures import run as run  # the same scratch database, recreated
from bench.stats import figure


def figures():
    from django.test import Client

    from tests.factories import UserFactory

    bulk_load()
    client = Client(HTTP_HOST="localhost")
    client.force_login(UserFactory(username="bench-overview", is_superuser=True))
    p50, p95, _ = _time(client, "/")
    workload = f"GET / (8 templates: runs per day, success rate, p50/p95, error types, running now) with {INSTANCES:,} instances"
    yield figure("overview_p50", p50, "ms", workload=workload, requests=REQUESTS)
    yield figure("overview_p95", p95, "ms", requests=REQUESTS)


FIGURES = {"overview": figures}
