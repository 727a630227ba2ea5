"""The two staff roles: "Front desk" and "Practitioner".

Model permissions only; which rows a practitioner sees (their own patients)
is decided in booking/admin/scoping.py and applied throughout the admin.
Staff are put in a group in admin (Users → Groups) or with
`manage.py shell`; nobody is added here.
"""

from django.db import migrations

VIEW = ["view"]
ALL = ["add", "change", "delete", "view"]

ROLES = {
    "Front desk": {
        "booking": {
            "appointmentrequest": ["add", "change", "view"],
            "appointmentstatuschange": VIEW,
            "notification": VIEW,
            "practitioner": ["add", "change", "view"],
            "treatment": ALL,
            "weeklyavailability": ALL,
            "availabilityexception": ALL,
            "clinicclosure": ALL,
            "timeslot": ALL,
        },
        "clinic": {
            "clinicprofile": ["change", "view"],
            "openinghours": ALL,
        },
    },
    "Practitioner": {
        "booking": {
            # Only their own: booking/admin/scoping.py scopes every list and page.
            "appointmentrequest": ["add", "change", "view"],
            "appointmentstatuschange": VIEW,
            "notification": VIEW,
            "practitioner": ["change", "view"],
            "weeklyavailability": ALL,
            "availabilityexception": ALL,
            "timeslot": ["change", "view"],
            "treatment": VIEW,
            "clinicclosure": VIEW,
        },
    },
}


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    alias = schema_editor.connection.alias
    # Permissions are normally made after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=alias)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, by_app in ROLES.items():
        wanted = [
            (app_label, f"{action}_{model}")
            for app_label, models in by_app.items()
            for model, actions in models.items()
            for action in actions
        ]
        permissions = []
        for app_label, codename in wanted:
            permissions.append(
                Permission.objects.using(alias).get(
                    content_type__app_label=app_label, codename=codename
                )
            )
        group, _created = Group.objects.using(alias).get_or_create(name=group_name)
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0001_initial"),
        ("booking", "0002_availability_slots_appointments"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_roles, remove_roles),
    ]
