"""Loads the demo templates and, for a local run, creates the demo login and the demo's people
(safe to run again).

The demo login is a superuser whose password the README prints, so it is made only where nobody
else can reach it: the embedded local run (no DATABASE_URL) or DEBUG, or when asked for with
``--demo-login``. With production settings on (FLOWDESK_SECURE) the command refuses outright.

The people of the whole audit test cycle come with it, under the same password and the same
conditions: two reviewers (the ``reviewers`` role group) who plan, scope, sample and close
observations, and three data owners who answer their requests for information.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from config.demo_login import DEMO_PASSWORD, DEMO_USERNAME
from workflows import schedules
from workflows.authoring import load_template
from workflows.models import Schedule
from workflows.roles import REVIEWERS

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
#: The demo schedules: created once; an operator's later changes (a pause, another time) are kept.
DEMO_SCHEDULES = [
    {
        "name": "daily-maintenance",
        "template": "daily-maintenance",
        "cron": "0 2 * * *",
        "timezone": "Europe/Paris",
        "input": {"temp_older_than_hours": 24, "archive_older_than_days": 90},
        "catch_up": True,  # a night the machine was off: run once when it is back
        "overlap": "skip",
    }
]


#: The audit demo's people (username → role groups): the sample data names owner1..owner3 as
#: the payments' data owners, so each gets their own request for information.
DEMO_PEOPLE = {
    "reviewer1": [REVIEWERS],
    "reviewer2": [REVIEWERS],
    "owner1": [],
    "owner2": [],
    "owner3": [],
}


def demo_people(password: str) -> list[str]:
    """Create the demo's people that are missing and put each in its groups; returns the usernames
    created. An existing user keeps its password (someone may have changed it on purpose)."""
    User = get_user_model()
    created = []
    for username, groups in DEMO_PEOPLE.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            # an address, so task notices (assigned, reminded, escalated) reach the console's mail
            user = User(username=username, email=f"{username}@example.com")
            user.set_password(password)
            user.save()
            created.append(username)
        for name in groups:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
    return created


def demo_templates() -> list[dict]:
    """The demo template files, each after the templates it starts as children: publishing checks
    that a child's name is a published template."""
    files = {data["name"]: data for data in (json.loads(path.read_text()) for path in sorted(TEMPLATES_DIR.glob("*.json")))}
    ordered: list[dict] = []

    def visit(name: str) -> None:
        data = files.pop(name, None)
        if data is None:
            return  # loaded already, or not a demo template (validation names it)
        for child in children(data["graph"]):
            visit(child)
        ordered.append(data)

    for name in list(files):
        visit(name)
    return ordered


def children(graph: dict) -> list[str]:
    """The template names a graph's nodes start: a literal Workflow, or its Allowed workflows."""
    names = []
    for node in graph.get("nodes", []):
        config = node.get("config") or {}
        workflow = config.get("workflow")
        names += config.get("allowed_workflows") or ([workflow] if isinstance(workflow, str) and "{{" not in workflow else [])
    return names


class Command(BaseCommand):
    help = "Load the demo workflow templates and, for a local run, create the demo login."

    def add_arguments(self, parser):
        parser.add_argument("--username", default=DEMO_USERNAME)
        parser.add_argument("--password", default=DEMO_PASSWORD, help="the demo login's password, and the demo people's")
        parser.add_argument(
            "--demo-login",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="create the demo superuser (default: only for the embedded local run or DEBUG)",
        )

    def handle(self, *args, **options):
        if settings.FLOWDESK_SECURE:
            raise CommandError(
                "demo_setup is for local and demo installations, and production settings are on (FLOWDESK_SECURE): "
                "it would load demo templates and could create a superuser with a published password. "
                "Create real logins with manage.py createsuperuser."
            )
        wanted = options["demo_login"]
        if wanted is None:
            wanted = settings.FLOWDESK_EMBEDDED or settings.DEBUG
        User = get_user_model()
        user = User.objects.filter(username=options["username"]).first() if wanted else None
        created = False
        if wanted and user is None:
            # an address, so a notify node can write to user:demo (the embedded run prints it on the console)
            user = User(username=options["username"], email=f"{options['username']}@example.com", is_staff=True, is_superuser=True)
            user.set_password(options["password"])
            user.save()
            created = True
        for data in demo_templates():
            version, changed = load_template(data, change_note="demo template", user=user)
            self.stdout.write(f"  template {version.template.name} v{version.number} {'loaded' if changed else 'up to date'}")
        for fields in DEMO_SCHEDULES:
            if Schedule.objects.filter(name=fields["name"]).exists():
                self.stdout.write(f"  schedule {fields['name']} kept as it is")
            else:
                schedules.create(user=user, **fields)
                self.stdout.write(f"  schedule {fields['name']} created ({fields['cron']} {fields['timezone']})")
        if user is None:
            why = "as asked" if options["demo_login"] is False else "this is not the embedded local run (or DEBUG)"
            self.stdout.write(f"  no demo login: {why}; pass --demo-login to create one, or use manage.py createsuperuser")
            return
        password = options["password"] if created else "(unchanged)"
        self.stdout.write(self.style.SUCCESS(f"Demo login: {user.username} / {password}"))
        made = demo_people(options["password"])
        reviewers = [n for n, groups in DEMO_PEOPLE.items() if REVIEWERS in groups]
        owners = [n for n in DEMO_PEOPLE if n not in reviewers]
        password = options["password"] if made else "(unchanged)"
        if made and len(made) < len(DEMO_PEOPLE):
            password = f"{options['password']} for {', '.join(made)}; the others unchanged"
        self.stdout.write(self.style.SUCCESS(f"Demo reviewers: {', '.join(reviewers)}; data owners: {', '.join(owners)} / {password}"))
