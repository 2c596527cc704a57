"""Shared fixtures: real services (PostgreSQL, Redis, Celery, Chromium) where the machine has them.

With CI=true a missing service or browser fails the run instead of skipping tests.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM must still work there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

BASE_DIR = Path(__file__).resolve().parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE_JS = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 (published demo password)


def missing(reason: str):
    """Skip a test that needs something the machine lacks; in CI, fail instead."""
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_sessionstart(session):
    from django.conf import settings

    if IN_CI:
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            pytest.exit(f"CI=true needs DATABASE_URL pointing at PostgreSQL (got {engine}).", returncode=3)
        if not settings.REDIS_URL:
            pytest.exit("CI=true needs REDIS_URL pointing at Redis.", returncode=3)


@pytest.fixture(autouse=True)
def _clean_cache():
    """Rate limits and MFA state live in the cache: each test starts with an empty one."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def redis_url() -> str:
    from django.conf import settings

    if not settings.REDIS_URL:
        missing("REDIS_URL is not set (a Redis server is needed)")
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        missing(f"Redis at {settings.REDIS_URL} does not answer ({exc})")
    return settings.REDIS_URL


@pytest.fixture
def user_factory(db):
    from parties.tests.factories import make_user

    return make_user


@pytest.fixture
def party_factory(db):
    from parties.tests.factories import make_party

    return make_party


@pytest.fixture
def secas_staff(db):
    """staff@secas.example, SECAS staff (with no authenticator app: use `without_mfa` with it)."""
    from parties import roles
    from parties.tests.factories import make_user

    return make_user(email="staff@secas.example", role_names={roles.SECAS_STAFF})


@pytest.fixture
def superuser(db):
    from parties.tests.factories import make_user

    return make_user(email="root@secas.example", role_names=set(), is_superuser=True, is_staff=True)


@pytest.fixture
def without_mfa(settings):
    """Privileged roles must use MFA; parties/tests cover that. Elsewhere it would only add set-up."""
    settings.SECPORTAL_REQUIRE_MFA = False


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    if not AXE_JS.exists():
        missing("node_modules/axe-core is missing (npm ci)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="Europe/London")
    page = context.new_page()
    page.set_default_timeout(15_000)
    # Everything the browser reports as an error: CSP refusals, failed scripts, broken resources.
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    yield page
    context.close()


@pytest.fixture
def axe():
    """Run axe-core on the page and return its violations (an empty list is what we want), with
    any browser console error so far (a Content-Security-Policy refusal, say) as one more."""
    source = AXE_JS.read_text()

    def run(page) -> list[dict]:
        # A strict CSP blocks add_script_tag, so axe is evaluated in the page directly.
        page.evaluate(source)
        # Only violations are read: axe then keeps one node of each pass, which makes it about twice as fast.
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        violations = [
            {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in result["violations"]
        ]
        errors = getattr(page, "console_errors", [])
        if errors:
            violations.append({"id": "browser-console-error", "messages": list(errors)})
            errors.clear()
        return violations

    return run
