"""The shared layer: health check, security headers, production settings, layout, cookies."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import reverse

from secportal.richtext import RichText, render_markdown

pytestmark = pytest.mark.django_db
BASE_DIR = Path(__file__).resolve().parents[2]


def production_env(**extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTEST_VERSION", "DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        {"DEBUG": "false", "ALLOWED_HOSTS": "portal.example.org", "DJANGO_SETTINGS_MODULE": "secportal.settings"}
    )
    env.update(extra)
    return env


def run_manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        check=False,
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_healthz_reports_each_service(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["checks"]["database"] == "ok"
    assert data["checks"]["cache"] == "ok"
    assert set(data["checks"]) == {"database", "cache", "broker"}
    assert data["status"] in {"ok", "degraded"}


def test_healthz_with_redis_reports_the_broker(client, redis_url):
    data = client.get("/healthz").json()
    assert data["checks"]["broker"] == "ok"
    assert data["status"] == "ok"


def test_healthz_says_when_the_broker_is_down(client, settings):
    from secportal.celery import app

    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = old
    assert response.status_code == 200  # the database still answers
    data = response.json()
    assert data["checks"]["broker"].startswith("error")
    assert data["status"] == "degraded"


def test_security_headers_on_every_page(client):
    response = client.get(reverse("home"))
    csp = {part.split()[0]: part.split()[1:] for part in response["Content-Security-Policy"].split(";")}
    assert csp["default-src"] == ["'self'"]
    # Scripts only from the portal's own files: nothing inline, no nonce, nothing evaluated.
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    scripts = re.findall(rb"<script\b[^>]*>", response.content)
    assert scripts and all(b' src="/' in tag for tag in scripts)
    assert b"nonce" not in response.content
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


# What `script-src 'self'` would refuse to run: a script written into the page, an event handler
# attribute, a javascript: address. (A <script type="application/json"> is data, never run.)
_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
_EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)


def _template_files():
    from django.template import engines
    from django.template.utils import get_app_template_dirs

    django_dirs = [*engines["django"].engine.dirs, *get_app_template_dirs("templates")]
    for directory in [*django_dirs, *engines["jinja2"].template_dirs]:
        yield from (path for path in Path(directory).rglob("*") if path.is_file())


def test_no_template_holds_an_inline_script():
    """Every template a page can be rendered from (the portal's, allauth's, the admin's, crispy's,
    the Jinja2 fragments) loads its scripts as files: the CSP allows `script-src 'self'` only."""
    files = list(_template_files())
    assert {"base.html", "meeting_agenda.html"} <= {path.name for path in files}
    found = [
        f"{path}: {match.group(0)[:60]}"
        for path in files
        for pattern in (_INLINE_SCRIPT, _EVENT_HANDLER, re.compile("javascript:", re.IGNORECASE))
        for match in pattern.finditer(path.read_text(errors="replace"))
    ]
    assert not found, found


def test_the_inline_script_check_finds_what_it_looks_for():
    assert _INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert _INLINE_SCRIPT.search('<script type="module">import "x";</script>')
    assert not _INLINE_SCRIPT.search('<script src="/static/js/autosave.js"></script>')
    assert not _INLINE_SCRIPT.search('<script data-allauth-onload="x" type="application/json">{}</script>')
    assert _EVENT_HANDLER.search('<a href="#" onclick="go()">Go</a>')
    assert not _EVENT_HANDLER.search('<a href="#" data-bs-toggle="collapse">Go</a>')


def test_hsts_is_sent_over_https(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get(reverse("home"), secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(SECRET_KEY="p" * 30 + "q9#Lk2" * 8)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    result = run_manage("check", env=production_env())
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_seed_demo_refuses_with_debug_off(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        call_command("seed_demo")


def test_seed_demo_is_idempotent(db):
    from django.core.management import call_command

    from parties.models import Party, User

    call_command("seed_demo", "--force", stdout=open(os.devnull, "w"))  # noqa: SIM115
    first = (Party.objects.count(), User.objects.count(), sorted(User.objects.values_list("email", "password")))
    call_command("seed_demo", "--force", stdout=open(os.devnull, "w"))  # noqa: SIM115
    again = (Party.objects.count(), User.objects.count(), sorted(User.objects.values_list("email", "password")))
    assert first == again
    emails = {e for e, _ in first[2]}
    assert emails >= {
        "staff@secas.example",
        "chair@panel.example",
        "member@panel.example",
        "admin@largesupplier.example",
        "user@smallsupplier.example",
        "user@dcc.example",
    }
    categories = set(Party.objects.values_list("category", flat=True))
    assert categories == set(Party.Category.values)
    assert User.objects.get(email="user@dcc.example").party.category == Party.Category.DCC
    # The demo data the README promises: a vote in progress, and Party users who follow modifications and have
    # notifications waiting on their dashboard.
    from panel.models import VoteRound
    from secportal.models import Notification

    assert VoteRound.objects.filter(status=VoteRound.Status.OPEN).count() == 1
    assert Notification.objects.filter(user__email="user@smallsupplier.example").exists()
    # The demo's open MRCs were opened as SECAS opens one: each modification at its MRC stage has
    # its open consultation, whose close is the stage's "what comes next" date.
    from modifications.demo import MRC_OPENED
    from modifications.models import ModificationProposal, Stage
    from modifications.services import current_mrc
    from secportal.workingdays import LONDON

    at_mrc = list(ModificationProposal.objects.filter(stage=Stage.MRC))
    assert {m.title for m in at_mrc} == set(MRC_OPENED)
    for modification in at_mrc:
        consultation = current_mrc(modification)
        assert consultation.is_open() and consultation.responses.exists()
        assert modification.next_milestone_date == consultation.closes_at.astimezone(LONDON).date()
    # Every rich text of the demo was rendered when it was saved (bulk inserts included).
    rich = [model for model in apps.get_models() if issubclass(model, RichText)]
    assert len(rich) == 11  # the two of secportal.PageText (and its revisions) are seeded by a migration
    for model in rich:
        for row in model.objects.all():
            for name in model.rich_text_fields:
                assert getattr(row, f"{name}_html") == render_markdown(getattr(row, name)), (model, row.pk, name)


@pytest.mark.parametrize(
    ("email", "expected_roles", "expected_places"),
    [
        ("staff@secas.example", {"SECAS staff"}, set()),
        ("chair@panel.example", set(), {"Chair, SEC Panel"}),
        (
            "member@panel.example",
            {"Party user"},
            {
                "Member, SEC Panel",
                "Member, Change Board",
                "Observer, Technical Architecture and Business Architecture Sub-Committee",
            },
        ),
        ("admin@largesupplier.example", {"Party administrator", "Party user"}, set()),
        ("user@smallsupplier.example", {"Party user"}, set()),
    ],
)
def test_demo_accounts_sign_in_with_their_roles(client, settings, email, expected_roles, expected_places):
    """Roles given directly are groups; committee places come from the demo's memberships."""
    from django.core.management import call_command

    settings.SECPORTAL_REQUIRE_MFA = False
    call_command("seed_demo", "--force", stdout=open(os.devnull, "w"))  # noqa: SIM115
    client.post(reverse("account_login"), {"login": email, "password": "demo-password-2026"})
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert set(response.context["user"].role_names) == expected_roles
    profile = client.get(reverse("profile"))
    assert {place.split(", until")[0] for place in profile.context["memberships"]} == expected_places


def test_navigation_and_layout(client):
    response = client.get(reverse("home"))
    content = response.content.decode()
    for label in ("Modifications", "News", "Events", "Parties", "Panel"):
        assert f">{label}</a>" in content
    assert ">Dashboard</a>" not in content
    assert 'href="#main-content"' in content and 'id="main-content"' in content
    assert "<title>Home · SEC Portal</title>" in content
    assert "/static/vendor/bootstrap/bootstrap.min.css" in content


def test_signed_in_navigation_has_the_dashboard(client, user_factory):
    client.force_login(user_factory())
    assert ">Dashboard</a>" in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize(
    "url", ["/", "/modifications/", "/news/", "/events/", "/parties/", "/panel/", "/cookies/", "/accounts/login/"]
)
def test_public_pages_answer(client, url):
    assert client.get(url).status_code == 200


def test_not_found_page_uses_the_layout(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "Page not found" in content and "SEC Portal" in content and 'id="main-content"' in content


def test_server_error_page_uses_the_layout(client):
    from secportal.errors import server_error

    response = server_error(None)
    assert response.status_code == 500
    assert b"Sorry, something went wrong" in response.content and b"main-content" in response.content
    # The layout's links and stylesheets, without context processors.
    assert b'href="/static/css/portal.css"' in response.content and b'href="/cookies/"' in response.content


def test_cookie_notice_until_dismissed(client):
    content = client.get(reverse("home")).content.decode()
    assert 'aria-label="Cookie notice"' in content
    assert 'href="/cookies/"' in content
    response = client.post(reverse("cookies-dismiss"), {"next": "/news/"})
    assert response.status_code == 302 and response.url == "/news/"
    cookie = response.cookies["secportal_cookie_notice"]
    assert cookie["max-age"] == 365 * 24 * 3600 and cookie["httponly"]
    assert 'aria-label="Cookie notice"' not in client.get(reverse("home")).content.decode()


def test_cookie_dismiss_never_redirects_off_site(client):
    response = client.post(reverse("cookies-dismiss"), {"next": "https://evil.example/"})
    assert response.url == "/"


def test_cookies_page_lists_only_the_cookies_we_set(client):
    content = client.get(reverse("cookies")).content.decode()
    for name in ("sessionid", "csrftoken", "secportal_cookie_notice"):
        assert name in content


def test_uk_dates_with_the_zone_named():
    import datetime

    from secportal.templatetags.portal import ukdate, ukdatetime

    winter = datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.UTC)
    summer = datetime.datetime(2026, 7, 1, 9, 30, tzinfo=datetime.UTC)
    assert ukdatetime(winter) == "1 December 2026, 09:30 GMT"
    assert ukdatetime(summer) == "1 July 2026, 10:30 BST"
    assert ukdate(datetime.date(2026, 11, 2)) == "2 November 2026"


def test_admin_is_for_secas_staff_and_signs_in_through_the_portal(client, user_factory):
    response = client.get("/admin/")
    assert response.status_code == 302
    login = client.get(response.url, follow=True)
    assert login.redirect_chain[-1][0].startswith(reverse("account_login"))
    party_user = user_factory()
    client.force_login(party_user)
    assert client.get("/admin/").status_code in {302, 403, 404}
    assert b"Site administration" not in client.get("/admin/", follow=True).content


@pytest.mark.parametrize(
    ("handler", "status", "text"),
    [
        ("bad_request", 400, b"Something in that request was not right"),
        ("permission_denied", 403, b"You cannot do that"),
    ],
)
def test_error_pages_use_the_layout(rf, handler, status, text):
    from django.contrib.auth.models import AnonymousUser

    from secportal import errors

    request = rf.get("/somewhere/")
    request.user = AnonymousUser()
    response = getattr(errors, handler)(request)
    assert response.status_code == status
    assert text in response.content and b'id="main-content"' in response.content


def test_an_expired_form_gets_a_clear_page(db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("account-request"), {"full_name": "Rosa"})
    assert response.status_code == 403
    assert b"This form has expired" in response.content


def test_one_person_never_sees_anothers_page(client, settings):
    """Pages are rendered for each request: signed in one after the other in the same process, each
    person sees their own name, unread count and links on every page of the mix, and nobody
    else's; signed out, nobody's."""
    from modifications.tests.factories import make_modification
    from parties import roles
    from parties.tests.factories import make_user
    from secportal.models import Notification

    settings.SECPORTAL_REQUIRE_MFA = False
    modification = make_modification(number=4242, title="Seen by everyone")
    alice = make_user(email="alice@one.example", full_name="Alicia Onewhistle")
    bob = make_user(email="bob@secas.example", full_name="Bartholomew Twothorne", role_names={roles.SECAS_STAFF})
    for n in range(7):
        Notification.objects.create(
            user=alice, kind="test", subject_type="x", subject_id=str(n), title="t", url="/", delivery="portal"
        )
    pages = [
        reverse("home"),
        reverse("modifications:modification-list"),
        reverse("modifications:modification-detail", args=[modification.reference]),
        reverse("news:post-list"),
        reverse("news:event-list"),
        reverse("parties:party-list"),
        reverse("panel:committee-list"),
        reverse("dashboard"),
    ]
    seen = {}
    for person in (alice, bob, alice, None):
        client.logout()
        if person is not None:
            client.force_login(person)
        for page in pages:
            html = client.get(page, follow=True).content.decode()
            seen[(person and person.email, page)] = html
            names = {"Alicia": "Alicia" in html, "Bartholomew": "Bartholomew" in html}
            assert names == {"Alicia": person == alice, "Bartholomew": person == bob}, (page, person)
            assert ('7<span class="visually-hidden"> unread</span>' in html) == (person == alice), (page, person)
            assert (">Admin</a>" in html) == (person == bob), (page, person)
    assert "Seen by everyone" in seen[(None, pages[2])]
