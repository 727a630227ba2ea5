"""Loaded with `-p tests.environment`, before pytest-django reads the settings."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-that-is-long-enough-for-django-checks")
os.environ.setdefault("DEBUG", "false")
# The live server serves from the source folders, which have no hashed names.
os.environ.setdefault("HASHED_STATIC_FILES", "false")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# Playwright's sync API runs an event loop in the test thread; the ORM is
# still used synchronously there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
