"""The operator's command line.

    manage.py workflow validate FILE.json      errors and plan as JSON; exit 1 if invalid
    manage.py workflow load FILE.json          create or update a template and publish it
    manage.py workflow start NAME --input '{}' [--wait]
    manage.py workflow signal ID NAME --payload '{...}'     send a signal; prints its seq
    manage.py workflow pause ID [ID...]  /  resume ID [ID...]  /  cancel ID [ID...] [--reason]
    manage.py workflow retry ID                             a failed instance (or its compensation)
    manage.py workflow query ID EXPR                        evaluate an expression over its state

The control commands record who did it (``--by``, the OS user by default) in the history, as the
API records the signed-in user; they exit 1 when the engine refused any instance.

Files are JSON, or YAML when named ``.yaml``/``.yml``, read like the designer's import reads them
(``workflows.template_files``); ``load`` checks them like the API checks a template it is sent.
"""

from __future__ import annotations

import getpass
import json
import sys
import time
import uuid
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from workflows import authoring, engine, queries, template_files
from workflows.authoring import load_template
from workflows.core.errors import InvalidGraph
from workflows.core.expressions import ExpressionError
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
        signal = sub.add_parser("signal", help="send a signal to an instance; prints its sequence number")
        signal.add_argument("id")
        signal.add_argument("name")
        signal.add_argument("--payload", default="null", help="JSON (any value); the waiting signal node's output")
        for action, words in (("pause", "pause running instances"), ("resume", "resume paused instances"), ("cancel", "cancel instances")):
            control = sub.add_parser(action, help=words)
            control.add_argument("ids", nargs="+", metavar="ID")
            if action == "cancel":
                control.add_argument("--reason", default="cancelled from the command line")
        retry = sub.add_parser("retry", help="retry a failed instance from its failed steps (or its failed compensation)")
        retry.add_argument("id")
        query = sub.add_parser("query", help="evaluate an expression over an instance's input, vars, steps and instance; prints its JSON value")
        query.add_argument("id")
        query.add_argument("expr")
        for parser in (signal, retry, *(sub.choices[a] for a in ("pause", "resume", "cancel"))):
            parser.add_argument("--by", default=None, help="who does it, for the history (default: the OS user)")

    def handle(self, *args, **options):
        getattr(self, "handle_" + options["action"])(options)

    @staticmethod
    def by(options) -> str:
        if options.get("by"):
            return options["by"]
        try:
            return getpass.getuser()
        except Exception:  # no user name in this environment (a container without one)
            return ""

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

    def handle_signal(self, options) -> None:
        try:
            payload = json.loads(options["payload"])
        except json.JSONDecodeError as exc:
            raise CommandError(f"--payload is not valid JSON: {exc}") from None
        instance = self.instance(options["id"])
        try:
            seq = engine.signal_instance(instance.pk, options["name"], payload, by=self.by(options))
        except engine.EngineError as exc:
            raise CommandError(f"{exc.field}: {exc}" if exc.field and exc.field != "payload" else str(exc)) from None
        self.emit({"seq": seq, "name": options["name"], "instance": str(instance.pk)})

    def handle_pause(self, options) -> None:
        self.bulk("pause", options)

    def handle_resume(self, options) -> None:
        self.bulk("resume", options)

    def handle_cancel(self, options) -> None:
        by = self.by(options)
        done, refused = {}, {}
        for raw in dict.fromkeys(options["ids"]):
            try:
                done[raw] = str(engine.cancel_instance(self.instance(raw).pk, reason=options["reason"], by=by).status)
            except (engine.EngineError, CommandError) as exc:
                refused[raw] = str(exc)
        self.report({"done": done, "refused": refused})

    def handle_retry(self, options) -> None:
        try:
            instance = engine.retry_instance(self.instance(options["id"]).pk, by=self.by(options))
        except engine.EngineError as exc:
            raise CommandError(str(exc)) from None
        self.emit({"id": str(instance.pk), "status": instance.status})

    def handle_query(self, options) -> None:
        try:
            value = queries.run_query(self.instance(options["id"]), options["expr"])
        except ExpressionError as exc:
            raise CommandError(f"expr: {exc}") from None
        self.emit(value)

    def bulk(self, action: str, options) -> None:
        known, refused = [], {}
        for raw in dict.fromkeys(options["ids"]):
            try:
                known.append(str(self.instance(raw).pk))
            except CommandError as exc:
                refused[raw] = str(exc)
        result = engine.bulk(action, known, by=self.by(options))
        self.report({"done": result["done"], "refused": {**result["refused"], **refused}})

    def report(self, result: dict) -> None:
        self.emit(result)
        if result["refused"]:
            sys.exit(1)

    @staticmethod
    def instance(raw: str) -> Instance:
        try:
            found = Instance.objects.filter(pk=uuid.UUID(raw)).select_related("version").first()
        except ValueError:
            found = None
        if found is None:
            raise CommandError(f"no instance {raw}")
        return found
