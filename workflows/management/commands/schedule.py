"""Cron schedules from the command line (the API's checks, through ``workflows.schedules``).

    manage.py schedule list [--template NAME]
    manage.py schedule show NAME                    as JSON, like GET /api/v1/schedules/{id}/
    manage.py schedule create NAME --template T --cron "0 2 * * *" [--timezone Europe/Paris]
        [--version N] [--input '{...}'] [--priority P] [--overlap skip|allow|cancel_previous|buffer_one]
        [--catch-up] [--paused]
    manage.py schedule pause NAME | resume NAME | delete NAME

Bad input exits with an error naming the field; nothing is written.
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from workflows import schedules
from workflows.core import cron
from workflows.models import Schedule


class Command(BaseCommand):
    help = "List, show, create, pause, resume and delete cron schedules."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="every schedule: template, cron, zone, state, next fire")
        listing.add_argument("--template", help="only this template's")
        for action, text in (("show", "print one as JSON"), ("pause", "stop firing"), ("resume", "fire again from the next time after now"), ("delete", "delete it (its runs stay)")):
            sub.add_parser(action, help=text).add_argument("name")
        create = sub.add_parser("create", help="create a schedule")
        create.add_argument("name")
        create.add_argument("--template", required=True)
        create.add_argument("--cron", required=True, help='5 fields ("0 2 * * *"), or 6 with seconds first')
        create.add_argument("--timezone", default="UTC", help="IANA name (default UTC)")
        create.add_argument("--version", type=int, help="a published version (default: the latest at each fire)")
        create.add_argument("--input", default="{}", help="JSON object")
        create.add_argument("--priority", type=int, default=50)
        create.add_argument("--overlap", default="skip", choices=schedules.OVERLAPS)
        create.add_argument("--catch-up", action="store_true", help="after downtime, fire once for what was missed")
        create.add_argument("--paused", action="store_true", help="create it paused")

    def handle(self, *args, **options):
        getattr(self, "handle_" + options["action"])(options)

    def schedule(self, name: str) -> Schedule:
        found = Schedule.objects.select_related("template").filter(name=name).first()
        if found is None:
            raise CommandError(f"no schedule named {name!r}")
        return found

    def handle_list(self, options) -> None:
        rows = Schedule.objects.select_related("template").order_by("name")
        if options["template"]:
            rows = rows.filter(template__name=options["template"])
        rows = list(rows)
        if not rows:
            self.stdout.write("no schedules")
            return
        table = [("NAME", "TEMPLATE", "CRON", "ZONE", "STATE", "NEXT FIRE")]
        for s in rows:
            nxt = cron.iso(s.next_fire_at, s.timezone) if s.enabled and s.next_fire_at else "-"
            table.append((s.name, s.template.name + (f" v{s.version}" if s.version else ""), s.cron, s.timezone, "active" if s.enabled else "paused", nxt))
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        for row in table:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())

    def handle_show(self, options) -> None:
        from workflows.api.schedules import ScheduleSerializer

        self.stdout.write(json.dumps(ScheduleSerializer(self.schedule(options["name"])).data, indent=2, default=str))

    def handle_create(self, options) -> None:
        try:
            data = json.loads(options["input"])
        except json.JSONDecodeError as exc:
            raise CommandError(f"input: not valid JSON ({exc})") from None
        fields = {
            "name": options["name"], "template": options["template"], "cron": options["cron"], "timezone": options["timezone"],
            "version": options["version"], "input": data, "priority": options["priority"], "overlap": options["overlap"],
            "catch_up": options["catch_up"], "enabled": not options["paused"],
        }  # fmt: skip
        try:
            schedule = schedules.create(**fields)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{field}: {m}" for field, messages in exc.message_dict.items() for m in messages)) from None
        fires = ", ".join(cron.iso(m, schedule.timezone) for m in schedules.upcoming(schedule, 3))
        self.stdout.write(f"schedule {schedule.name} created ({'paused' if not schedule.enabled else 'next: ' + fires})")

    def handle_pause(self, options) -> None:
        schedule = schedules.pause(self.schedule(options["name"]))
        self.stdout.write(f"schedule {schedule.name} paused")

    def handle_resume(self, options) -> None:
        schedule = schedules.resume(self.schedule(options["name"]))
        nxt = cron.iso(schedule.next_fire_at, schedule.timezone) if schedule.next_fire_at else "never"
        self.stdout.write(f"schedule {schedule.name} resumed (next: {nxt})")

    def handle_delete(self, options) -> None:
        schedule = self.schedule(options["name"])
        schedules.delete(schedule)
        self.stdout.write(f"schedule {options['name']} deleted")
