"""Creates the analysts, operators and reviewers groups with their model permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# A copy of workflows.roles.GROUP_PERMISSIONS as it was when this migration was written.
GROUP_PERMISSIONS = {
    "analysts": ["add_template", "change_template", "view_template", "add_templateversion", "change_templateversion", "view_templateversion", "view_instance", "view_steprun", "view_event"],
    "operators": ["view_template", "view_templateversion", "view_instance", "view_steprun", "view_event", "view_timer"],
    "reviewers": ["view_template", "view_templateversion", "view_instance"],
}


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():  # permissions are normally created after migrate
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(Permission.objects.filter(content_type__app_label="workflows", codename__in=codenames))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(GROUP_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
