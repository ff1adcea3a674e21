"""Analysts and operators may view signals in the admin, as they view steps and events."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = ("analysts", "operators")


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():  # the Signal model's permissions are normally created after migrate
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    permission = apps.get_model("auth", "Permission").objects.get(content_type__app_label="workflows", codename="view_signal")
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="workflows", codename="view_signal"))


class Migration(migrations.Migration):
    dependencies = [("workflows", "0013_schedules")]

    operations = [migrations.RunPython(grant, revoke)]
