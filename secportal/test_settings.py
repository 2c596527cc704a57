"""Settings for the test run (pytest.ini names this module): production's settings, read from the
environment as in production, with the few differences a test run needs. Nothing here is ever
loaded by the portal itself."""

import os

# Production refuses to start without a key; the tests sign with a throwaway one.
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-never-used-anywhere-else-0123456789")

from .settings import *  # noqa: F403
from .settings import STORAGES, env

# The test client speaks plain HTTP.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_COOKIES = False
# Nothing is collected before a test run: plain static storage.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# Tasks run in-process unless a test starts a real worker (secportal/tests/conftest.py).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
# Speed only: tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
