"""Empty the test database after a transactional test for a fraction of Django's cost.

Django's TransactionTestCase empties the database after each test with `flush`:
a TRUNCATE of every table, for which PostgreSQL makes new files for each table,
index and TOAST table, then the post_migrate signal, which makes the content
types and permissions again. Here that took about 0.25 s a test (0.4 s with the
other half of the suite running), and about 120 tests pay it, browser tests
most of all.

Django makes every foreign key DEFERRABLE INITIALLY DEFERRED on PostgreSQL, so
one transaction can DELETE the rows of every table in any order. The content
types and permissions stay: they are what post_migrate would make again. A
fingerprint of both by their natural keys, taken after the first real flush,
checks that after every test; when a test changed them, the real flush runs.
"""

from django.core.management import call_command
from django.db import connections, transaction
from django.test import TransactionTestCase

# What post_migrate makes (django.contrib.contenttypes and django.contrib.auth).
KEPT_TABLES = frozenset({"django_content_type", "auth_permission"})

_flush = TransactionTestCase._fixture_teardown
_fingerprints: dict[str, str] = {}
_tables: dict[str, list[str]] = {}


def post_migrate_fingerprint(connection) -> str:
    """The content types and permissions by their natural keys, ids aside."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT md5(coalesce(string_agg(row, ',' ORDER BY row), ''))"
            " FROM (SELECT concat_ws('.', c.app_label, c.model, p.codename, p.name) AS row"
            " FROM django_content_type c LEFT JOIN auth_permission p ON p.content_type_id = c.id)"
            " AS rows"
        )
        return cursor.fetchone()[0]


def _flush_database(alias: str) -> None:
    call_command("flush", verbosity=0, interactive=False, database=alias, reset_sequences=False)
    _fingerprints[alias] = post_migrate_fingerprint(connections[alias])


def _emptied_tables(alias: str) -> list[str]:
    if alias not in _tables:
        names = connections[alias].introspection.django_table_names(
            only_existing=True, include_views=False
        )
        _tables[alias] = sorted(set(names) - KEPT_TABLES)
    return _tables[alias]


def empty_database(test_case: TransactionTestCase) -> None:
    """TransactionTestCase._fixture_teardown, leaving the database as `flush` would."""
    if test_case.available_apps is not None or test_case.serialized_rollback:
        return _flush(test_case)  # flush's other modes: not ours to redo
    for alias in test_case._databases_names(include_mirrors=False):
        if alias not in _fingerprints:
            _flush_database(alias)
            continue
        connection = connections[alias]
        quote = connection.ops.quote_name
        # Django's own table names, quoted: nothing in this SQL comes from input.
        deletes = [f"DELETE FROM {quote(table)}" for table in _emptied_tables(alias)]  # noqa: S608
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            cursor.execute(";".join(deletes))
        if post_migrate_fingerprint(connection) != _fingerprints[alias]:
            _flush_database(alias)
    return None
