"""Deployment checks for the site as a whole (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.database, deploy=True)
def no_embedded_postgres_in_production(app_configs, **kwargs):
    """The embedded PostgreSQL (scripts/database.py) is for trying the site, not for running it."""
    if not settings.EMBEDDED_POSTGRES:
        return []
    return [
        Error(
            "The site is set to use the embedded PostgreSQL (EMBEDDED_POSTGRES=true): a "
            "project-local server that `make run` starts for trying the site, with trust "
            "authentication and no backups.",
            hint="Give production a PostgreSQL server of its own in DATABASE_URL, and unset "
            "EMBEDDED_POSTGRES.",
            id="clinic.E001",
        )
    ]
