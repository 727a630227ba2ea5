"""Loaded with `-p tests.environment`, before pytest-django reads the settings."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-that-is-long-enough-for-django-checks")
os.environ.setdefault("DEBUG", "false")
# The live server serves from the source folders, which have no hashed names.
os.environ.setdefault("HASHED_STATIC_FILES", "false")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# Only browser tests may use the ORM while Playwright's event loop runs; a hook
# in tests/conftest.py allows it for them alone. A value left in the shell
# would hide async-safety errors in every other test, so it goes.
os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
# Uploads, renditions and social cards go to a folder of this run, never the
# project's media/. The demo's drawn images are made only by the tests that ask
# for them (tests/images/test_demo_images.py): drawing them for every test that
# loads the demo would take minutes.
if "MEDIA_ROOT" not in os.environ:
    import atexit
    import shutil
    import tempfile

    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="clinic-test-media-")
    atexit.register(shutil.rmtree, os.environ["MEDIA_ROOT"], ignore_errors=True)
os.environ.setdefault("DEMO_IMAGES", "false")
# The concurrency tests send twenty requests at once, each on a connection of
# its own. With the site's pool of 8, twelve of them queue for a connection,
# and on a slow or busy machine some wait past the pool's 2-second timeout:
# what those tests check is PostgreSQL's constraints, not the pool's size.
os.environ.setdefault("DATABASE_POOL_MAX", "24")
