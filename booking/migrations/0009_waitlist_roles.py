"""Let the two staff roles work with the waitlist.

Front desk see every entry, take people off the list and offer a free time
now; a practitioner sees the entries for them or for any practitioner and
offers their own free time (booking/admin/scoping.py decides which rows).
Offers are written by the system only, so nobody edits or deletes one.
"""

from django.db import migrations

ROLES = {
    "Front desk": {
        "booking": {"waitlistentry": ["change", "view"], "waitlistoffer": ["add", "view"]}
    },
    "Practitioner": {"booking": {"waitlistentry": ["view"], "waitlistoffer": ["add", "view"]}},
}


def _permissions(apps, alias):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=alias)
        app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return {
        group: [
            Permission.objects.using(alias).get(
                content_type__app_label=app_label, codename=f"{action}_{model}"
            )
            for app_label, models in by_app.items()
            for model, actions in models.items()
            for action in actions
        ]
        for group, by_app in ROLES.items()
    }


def grant(apps, schema_editor):
    alias = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    for group_name, permissions in _permissions(apps, alias).items():
        group, _created = Group.objects.using(alias).get_or_create(name=group_name)
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    alias = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    for group_name, permissions in _permissions(apps, alias).items():
        for group in Group.objects.using(alias).filter(name=group_name):
            group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0008_waitlist"),
        ("clinic", "0002_staff_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(grant, revoke),
    ]
