"""Trigram indexes for the instance list's free text (/instances/?q=, designer/monitor.py
``_text_match``): a substring of the business key or of the error message, any case, is a GIN index
scan instead of a read of every row. pg_trgm is a trusted extension (PostgreSQL 13+): the database's
owner may create it. The expressions are the SQL Django writes for ``business_key__icontains`` and
``error__message__icontains``, verbatim, so the planner matches them (a test reads the plan); partial
on real runs, the only rows the list shows. PostgreSQL only: the embedded SQLite run searches
without them. Built CONCURRENTLY, like 0007's, so writers are not blocked on a large table.
Reversing drops the indexes and leaves the extension (something else may use it; Django's
TrigramExtension would drop it, and on SQLite would look for pg_extension)."""

from django.db import migrations

INDEXES = {
    "instance_search_business_key": "UPPER(business_key::text)",
    "instance_search_error_message": "UPPER((error ->> 'message')::text)",
}


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("workflows", "0007_instance_list_indexes"),
    ]

    operations = [migrations.RunPython(lambda apps, editor: create(editor), lambda apps, editor: drop(editor))]


def create(editor) -> None:
    if editor.connection.vendor == "postgresql":
        editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, expression in INDEXES.items():
            editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON workflows_instance USING gin (({expression}) gin_trgm_ops) WHERE NOT is_test")


def drop(editor) -> None:
    if editor.connection.vendor == "postgresql":
        for name in INDEXES:
            editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
