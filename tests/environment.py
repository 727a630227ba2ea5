"""Loaded with `-p tests.environment`, before pytest-django reads the settings."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-that-is-long-enough-for-django-checks")
os.environ.setdefault("DEBUG", "false")
# The live server serves from the source folders, which have no hashed names.
os.environ.setdefault("HASHED_STATIC_FILES", "false")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# DJANGO_ALLOW_ASYNC_UNSAFE is not set here: only browser tests get it, from a
# fixture in tests/conftest.py, so every other test still meets Django's
# async-safety checks.
