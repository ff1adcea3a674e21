"""The operator's command line.

    manage.py workflow validate FILE.json      errors and plan as JSON; exit 1 if invalid
    manage.py workflow load FILE.json          create or update a template and publish it
    manage.py workflow start NAME --input '{}' [--wait]

Files are JSON, or YAML when named ``.yaml``/``.yml``, read like the designer's import reads them
(``workflows.template_files``); ``load`` checks them like the API checks a template it is sent.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from workflows import authoring, engine, template_files
from workflows.authoring import load_template
from workflows.core.errors import InvalidGraph
from workflows.core.status import InstanceStatus
from workflows.models import Instance
from workflows.presenters import instance_as_dict


class Command(BaseCommand):
    help = "Validate, load and start workflows."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        validate = sub.add_parser("validate", help="print the errors and the plan of a graph file as JSON")
        validate.add_argument("file")
        load = sub.add_parser("load", help="create or update a template from a file and publish it")
        load.add_argument("file")
        load.add_argument("--note", default="", help="change note for the published version")
        start = sub.add_parser("start", help="start an instance of a template's latest published version")
        start.add_argument("name")
        start.add_argument("--input", default="{}", help="JSON object")
        start.add_argument("--version", type=int)
        start.add_argument("--priority", type=int, default=50)
        start.add_argument("--business-key", default="")
        start.add_argument("--idempotency-key")
        start.add_argument("--wait", action="store_true", help="wait until it finishes; exit 1 unless it completed")
        start.add_argument("--timeout", type=float, default=300, help="seconds to wait (with --wait)")

    def handle(self, *args, **options):
        getattr(self, "handle_" + options["action"])(options)

    def emit(self, data) -> None:
        self.stdout.write(json.dumps(data, indent=2, default=str))

    def read_file(self, name: str):
        path = Path(name)
        try:
            if path.stat().st_size > template_files.max_file_bytes():  # refused before it is read
                raise CommandError(f"{name} is larger than {template_files.max_file_bytes():,} bytes")
            return template_files.parse(path.name, path.read_bytes())
        except FileNotFoundError:
            raise CommandError(f"{name}: no such file") from None
        except template_files.FileError as exc:
            raise CommandError(str(exc)) from None

    def handle_validate(self, options) -> None:
        data = self.read_file(options["file"])
        graph = data.get("graph", data) if isinstance(data, dict) else data
        name = data.get("name") if isinstance(data, dict) and "graph" in data else None
        result = authoring.validate_graph(graph, template=name if isinstance(name, str) else None)
        self.emit(result.as_dict())
        if not result.valid:
            sys.exit(1)

    def handle_load(self, options) -> None:
        data = self.read_file(options["file"])
        try:
            version, changed = load_template(data, change_note=options["note"])
        except InvalidGraph as exc:
            self.emit({"valid": False, "errors": [e.as_dict() for e in exc.errors]})
            sys.exit(1)
        except ValidationError as exc:
            fields = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            errors = [{"field": field, "code": "invalid", "message": m} for field, messages in fields.items() for m in messages]
            self.emit({"valid": False, "errors": errors})
            sys.exit(1)
        state = "published" if changed else "unchanged"
        self.stdout.write(f"{version.template.name} v{version.number} {state}")

    def handle_start(self, options) -> None:
        try:
            payload = json.loads(options["input"])
        except json.JSONDecodeError as exc:
            raise CommandError(f"--input is not valid JSON: {exc}") from None
        try:
            instance, _ = engine.start_instance(
                options["name"],
                input=payload,
                version=options["version"],
                priority=options["priority"],
                business_key=options["business_key"],
                idempotency_key=options["idempotency_key"],
            )
        except engine.EngineError as exc:
            raise CommandError(str(exc)) from None
        if options["wait"]:
            give_up = time.monotonic() + options["timeout"]
            while not InstanceStatus(instance.status).is_final and time.monotonic() < give_up:
                time.sleep(0.05)
                instance = Instance.objects.get(pk=instance.pk)
        self.emit(instance_as_dict(instance, steps=True))
        if options["wait"] and instance.status != InstanceStatus.COMPLETED:
            sys.exit(1)
