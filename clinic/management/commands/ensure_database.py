import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql


class Command(BaseCommand):
    help = "Create the PostgreSQL database named in DATABASE_URL if it does not exist."

    requires_system_checks = []

    def handle(self, *args, **options):
        db = settings.DATABASES["default"]
        params = {
            "host": db.get("HOST") or None,
            "port": db.get("PORT") or None,
            "user": db.get("USER") or None,
            "password": db.get("PASSWORD") or None,
            "connect_timeout": 5,
        }
        where = f"{params['host'] or 'local socket'}:{params['port'] or 5432}"
        try:
            # Connect to the maintenance database: the target may not exist yet.
            with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]
                ).fetchone()
                if exists:
                    self.stdout.write(f"Database {db['NAME']!r} is ready.")
                    return
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
                self.stdout.write(self.style.SUCCESS(f"Created database {db['NAME']!r}."))
        except psycopg.OperationalError as error:
            first_line = (str(error).strip().splitlines() or ["no answer"])[0]
            reason = first_line.rsplit("failed: ", 1)[-1]
            raise CommandError(
                f"PostgreSQL is not reachable at {where} ({reason}). Start a local server "
                "(pg_ctlcluster 15 main start) or run `docker compose up db`, or set "
                "DATABASE_URL to a server that answers."
            ) from None
