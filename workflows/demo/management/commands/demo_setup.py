"""Creates the demo login and loads the demo templates (safe to run again)."""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from workflows.authoring import load_template

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"


class Command(BaseCommand):
    help = "Create the demo login and load the demo workflow templates."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="demo-flowdesk")

    def handle(self, *args, **options):
        User = get_user_model()
        user, created = User.objects.get_or_create(username=options["username"], defaults={"is_staff": True, "is_superuser": True})
        if created:
            user.set_password(options["password"])
            user.save()
        for path in sorted(TEMPLATES_DIR.glob("*.json")):
            version, changed = load_template(json.loads(path.read_text()), change_note="demo template", user=user)
            self.stdout.write(f"  template {version.template.name} v{version.number} {'loaded' if changed else 'up to date'}")
        password = options["password"] if created else "(unchanged)"
        self.stdout.write(self.style.SUCCESS(f"Demo login: {user.username} / {password}"))
