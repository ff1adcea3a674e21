"""Indexes for the instance list (/instances/, designer/monitor.py): one per sort, each ending in
(created_at, id) so a keyset cursor's ROW(...) < ROW(...) is one index range, and each partial on
real runs (NOT is_test), the only rows the list shows. The duration index's expression is
designer.monitor.DurationKey's SQL, verbatim (PostgreSQL only; the embedded SQLite run sorts
durations without it). Built CONCURRENTLY on PostgreSQL: writers are not blocked on a large table
(hence a non-atomic migration). Measured on 100,000 instances: bench/instance_list_figures.py."""

from django.db import migrations

POSTGRES_ONLY = {"instance_list_duration"}
INDEXES = {
    "instance_list_started": "(created_at, id)",
    "instance_list_status": "(status, created_at, id)",
    "instance_list_priority": "(priority, created_at, id)",
    "instance_list_duration": "(((COALESCE(EXTRACT(EPOCH FROM (finished_at - started_at)), 1e12))::float8), created_at, id)",
}


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("workflows", "0006_engine_faults"),
    ]

    operations = [migrations.RunPython(lambda apps, editor: create(editor), lambda apps, editor: drop(editor))]


def create(editor) -> None:
    postgres = editor.connection.vendor == "postgresql"
    for name, columns in INDEXES.items():
        if postgres or name not in POSTGRES_ONLY:
            concurrently = "CONCURRENTLY " if postgres else ""
            editor.execute(f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON workflows_instance {columns} WHERE NOT is_test")


def drop(editor) -> None:
    concurrently = "CONCURRENTLY " if editor.connection.vendor == "postgresql" else ""
    for name in INDEXES:
        editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")
