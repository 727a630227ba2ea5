#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    from clinic.env import ConfigError

    try:
        execute_from_command_line(sys.argv)
    except ConfigError as error:
        sys.exit(f"Configuration error: {error}")
    except OperationalError:
        # A database that cannot be reached is a setup problem: say what to do
        # in one sentence. Any other database error keeps its traceback.
        from clinic.database import why_unreachable

        sentence = why_unreachable()
        if sentence is None:
            raise
        sys.exit(sentence)


if __name__ == "__main__":
    main()
