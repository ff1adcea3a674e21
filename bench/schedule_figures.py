"""Schedule fire lateness: several schedules firing every second (6-field cron, seconds first)
while the real engine's timer loop runs; lateness is the instance's ``created_at`` (written by the
start, in the firing transaction) minus the fire time its business key names."""

from __future__ import annotations

import time
from datetime import datetime

from bench.stats import figure, percentile

SCHEDULES = 5
SECONDS = 20


def schedules():
    from workflows import schedules as writing
    from workflows.authoring import load_template
    from workflows.models import Instance, Schedule

    graph = {"version": 1, "settings": {}, "nodes": [{"id": "a", "type": "task", "config": {"handler": "demo.noop"}}], "edges": []}
    load_template({"name": "bench-scheduled", "title": "bench-scheduled", "graph": graph})
    made = [writing.create(name=f"bench-every-second-{i}", template="bench-scheduled", cron="* * * * * *", timezone="Europe/Paris", overlap="allow") for i in range(SCHEDULES)]
    time.sleep(SECONDS)
    for schedule in made:
        writing.pause(schedule)
    time.sleep(1)  # the last fires commit
    late = []
    rows = Instance.objects.filter(schedule__in=made).values_list("business_key", "created_at")
    for key, created in rows:
        fire = datetime.fromisoformat(key.split(":", 2)[2])  # schedule:NAME:ISO (a name has no colon)
        late.append((created - fire).total_seconds() * 1000)
    Schedule.objects.filter(pk__in=[s.pk for s in made]).delete()
    workload = f"{SCHEDULES} schedules firing every second for {SECONDS} s on the engine's timer loop"
    return [
        figure("schedule_lateness_p50", percentile(late, 50), "ms", samples=len(late), workload=workload),
        figure("schedule_lateness_p95", percentile(late, 95), "ms", samples=len(late), expected=SCHEDULES * SECONDS),
    ]
