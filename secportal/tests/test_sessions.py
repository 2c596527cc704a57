"""Sessions (secportal.sessions): Django's database sessions with the signed-in person's id in a
column of its own, so a person's sessions can be ended; Django's own checks decide who is signed in."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session as DjangoSession
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from parties.models import User
from parties.tests.factories import make_user
from parties.tests.test_accounts import login
from secportal.models import Session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.SECPORTAL_REQUIRE_MFA = False


def test_signing_in_keeps_the_person_on_the_session_row_and_signing_out_ends_it(client):
    user = make_user(email="visitor@example.org")
    login(client, user.email)
    session = Session.objects.get(session_key=client.session.session_key)
    assert session.user_id == user.pk
    assert not DjangoSession.objects.exists()  # Django's own table is not used
    client.post(reverse("account_logout"))
    assert not Session.objects.filter(user=user).exists()
    assert client.get(reverse("dashboard")).status_code == 302


def test_a_closed_account_a_changed_password_or_an_expired_session_signs_out(client):
    closed, changed, expired = (make_user(email=f"{name}@example.org") for name in ("closed", "changed", "expired"))
    clients = {user: Client() for user in (closed, changed, expired)}
    for user, c in clients.items():
        c.force_login(user)
        assert c.get(reverse("dashboard")).status_code == 200
    User.objects.filter(pk=closed.pk).update(is_active=False)
    changed.set_password("another-long-password-2026")
    changed.save()
    Session.objects.filter(user=expired).update(expire_date=timezone.now() - timedelta(seconds=1))
    for user, c in clients.items():
        response = c.get(reverse("dashboard"))
        assert response.status_code == 302 and response.url.startswith(reverse("account_login")), user.email


def test_removing_a_person_ends_their_sessions(client):
    user = make_user()
    client.force_login(user)
    assert Session.objects.filter(user=user).exists()
    user.delete()
    assert not Session.objects.exists()
    assert client.get(reverse("dashboard")).status_code == 302


def test_a_session_without_anyone_signed_in_reads_no_person(client):
    client.get(reverse("home"))
    client.post(reverse("cookies-dismiss"), {"next": "/"})  # sets a cookie, not a session
    session = client.session
    session["seen"] = True
    session.save()
    stored = Session.objects.get(session_key=session.session_key)
    assert stored.user_id is None
    assert not client.get(reverse("cookies")).wsgi_request.user.is_authenticated


def test_expired_sessions_are_cleared_each_night(client):
    from django.conf import settings

    from secportal.tasks import sessions_clear_expired

    live, expired = make_user(), make_user()
    client.force_login(expired)
    Session.objects.filter(user=expired).update(expire_date=timezone.now() - timedelta(minutes=1))
    other = Client()
    other.force_login(live)
    assert sessions_clear_expired.apply().get() == 1
    assert list(Session.objects.values_list("user_id", flat=True)) == [live.pk]
    entry = settings.CELERY_BEAT_SCHEDULE["clear-expired-sessions"]
    assert entry["task"] == sessions_clear_expired.name


def test_a_session_saved_from_async_code_keeps_its_person():
    from asgiref.sync import async_to_sync
    from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY

    from secportal.sessions import SessionStore

    user = make_user()
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    async_to_sync(store.asave)(must_create=True)
    assert Session.objects.get(session_key=store.session_key).user_id == user.pk


@pytest.mark.django_db(transaction=True)
def test_the_move_to_the_portals_session_table_signs_nobody_out_and_back():
    """Migration 0003 moves live sessions (with their person) from Django's table, and back."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore as DjangoStore
    from django.db.migrations.executor import MigrationExecutor

    user = make_user(full_name="Migrated Person")
    executor = MigrationExecutor(connection)
    executor.migrate([("secportal", "0002_notifications")])
    old = DjangoStore()
    old.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend"})
    old[HASH_SESSION_KEY] = user.get_session_auth_hash()
    old.create()
    expired = DjangoStore()
    expired["x"] = 1
    expired.set_expiry(-60)
    expired.create()
    executor = MigrationExecutor(connection)
    executor.migrate([("secportal", "0003_sessions")])
    assert list(Session.objects.values_list("session_key", "user_id")) == [(old.session_key, user.pk)]
    assert not DjangoSession.objects.exists()
    client = Client()
    client.cookies["sessionid"] = old.session_key
    assert "Welcome, Migrated" in client.get(reverse("dashboard")).content.decode()
    executor = MigrationExecutor(connection)
    executor.migrate([("secportal", "0002_notifications")])
    assert list(DjangoSession.objects.values_list("session_key", flat=True)) == [old.session_key]
    executor = MigrationExecutor(connection)
    executor.migrate([("secportal", "0003_sessions")])
    assert Session.objects.get().user_id == user.pk
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest, for the tests after this one


def test_rotating_the_secret_key_with_fallbacks_keeps_everyone_signed_in(client, settings):
    """Django's contract: a session signed with a key now in SECRET_KEY_FALLBACKS still counts (and is
    re-signed with the new key on the next request)."""
    user = make_user()
    client.force_login(user)
    assert client.get(reverse("dashboard")).status_code == 200
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-for-this-test-0123456789-abcdefghijklmnopqrstuvwxyz"
    settings.SECRET_KEY_FALLBACKS = [old]
    assert client.get(reverse("dashboard")).status_code == 200
    settings.SECRET_KEY_FALLBACKS = []
    assert client.get(reverse("dashboard")).status_code == 200  # re-signed with the new key


def test_rotating_the_secret_key_without_fallbacks_signs_everyone_out(client, settings):
    user = make_user()
    client.force_login(user)
    settings.SECRET_KEY = "a-new-secret-key-for-this-test-0123456789-abcdefghijklmnopqrstuvwxyz"
    settings.SECRET_KEY_FALLBACKS = []
    assert client.get(reverse("dashboard")).status_code == 302


def test_the_navigation_shows_the_unread_count(client):
    from secportal.models import Notification

    user = make_user()
    client.force_login(user)
    assert "unread</span>" not in client.get(reverse("cookies")).content.decode()
    for n in range(3):
        Notification.objects.create(
            user=user, kind="test", subject_type="x", subject_id=str(n), title="t", url="/", delivery="portal"
        )
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("cookies")).content.decode()
    assert '3<span class="visually-hidden"> unread</span>' in page
    assert len(queries) <= 4  # session, person, unread count (and roles where MFA is asked about)
    client.post(reverse("notifications:read"), {"all": "1"})
    assert "unread</span>" not in client.get(reverse("cookies")).content.decode()
