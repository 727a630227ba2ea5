import psycopg
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql

from clinic.database import (
    connection_params,
    database_name,
    first_line,
    server_unreachable_sentence,
)


class Command(BaseCommand):
    help = "Create the PostgreSQL database named in DATABASE_URL if it does not exist."

    # The model checks need a connection, and the database may not exist yet.
    requires_system_checks = []

    def handle(self, *args, **options):
        name = database_name()
        try:
            # Connect to the maintenance database: the target may not exist yet.
            with psycopg.connect(dbname="postgres", autocommit=True, **connection_params()) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [name]
                ).fetchone()
                if exists:
                    self.stdout.write(f"Database {name!r} is ready.")
                    return
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                self.stdout.write(self.style.SUCCESS(f"Created database {name!r}."))
        except psycopg.errors.DuplicateDatabase:
            # Another process created it between the check and the CREATE.
            self.stdout.write(f"Database {name!r} is ready.")
        except psycopg.OperationalError as error:
            raise CommandError(server_unreachable_sentence(first_line(error))) from None
