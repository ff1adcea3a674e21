"""``manage.py create_token USERNAME [--role operators ...]``: an API token for a user.

Creates the user when missing (with an unusable password: the token is the credential) and adds
the given roles. Prints the token; running it again prints the same token.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from workflows.roles import ANALYSTS, OPERATORS, REVIEWERS


class Command(BaseCommand):
    help = "Create (or show) the API token of a user, optionally giving the user roles."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", action="append", choices=[ANALYSTS, OPERATORS, REVIEWERS], default=[], help="repeatable")
        parser.add_argument("--rotate", action="store_true", help="replace an existing token")

    def handle(self, *args, username, role, rotate, **options):
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save()
        for name in role:
            group = Group.objects.filter(name=name).first()
            if group is None:
                raise CommandError(f"the group {name!r} is missing; run manage.py migrate")
            user.groups.add(group)
        if rotate:
            Token.objects.filter(user=user).delete()
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
