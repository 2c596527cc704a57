"""Sessions, the signed-in user and a signed-in person's own kept page (secportal.sessions,
secportal.auth, secportal.fastrows, pagecache.cache_personal_page): one statement reads the
session and its person; a kept page is never anybody else's and never carries a stale token."""

import re
from datetime import timedelta

import psycopg2
import pytest
from django.contrib.sessions.models import Session as DjangoSession
from django.db import close_old_connections, connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from parties.models import User
from parties.tests.factories import make_user
from parties.tests.test_accounts import login
from secportal.fastrows import RowReader
from secportal.models import Session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.SECPORTAL_REQUIRE_MFA = False


def test_a_row_reader_returns_what_the_orm_returns():
    user = make_user(email="reader@example.org", full_name="Row Reader", job_title="Analyst")
    read = RowReader(User, ["pk"]).get(user.pk)
    orm = User.objects.get(pk=user.pk)
    assert type(read) is User and not read._state.adding and read._state.db == "default"
    for field in User._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(orm, field.attname), field.name
    assert RowReader(User, ["pk"]).get(user.pk + 1000) is None
    assert RowReader(User, ["email"], ["full_name", "date_joined"]).get("reader@example.org") == (
        "Row Reader",
        orm.date_joined,
    )


def test_signing_in_keeps_the_person_on_the_session_row_and_signing_out_ends_it(client):
    user = make_user(email="visitor@example.org")
    login(client, user.email)
    session = Session.objects.get(session_key=client.session.session_key)
    assert session.user_id == user.pk
    assert not DjangoSession.objects.exists()  # Django's own table is not used
    client.post(reverse("account_logout"))
    assert not Session.objects.filter(user=user).exists()
    assert client.get(reverse("dashboard")).status_code == 302


@pytest.mark.parametrize("prepared", [True, False])
def test_a_signed_in_page_reads_its_session_and_person_in_one_statement(client, settings, prepared):
    settings.SECPORTAL_DB_PREPARED_STATEMENTS = prepared
    user = make_user()
    client.force_login(user)
    client.get(reverse("cookies"))  # the first request on a connection may prepare the statement
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("cookies"))
    assert response.status_code == 200 and response.wsgi_request.user == user
    # Elsewhere the navigation's unread count is read when first asked for.
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2), [q["sql"] for q in queries]
    sql = queries[0]["sql"]
    if prepared and connection.vendor == "postgresql":
        assert sql.startswith("EXECUTE secportal_")
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name = %s", [sql[8:].split("(")[0]])
            sql = cursor.fetchone()[0]
    assert "secportal_session" in sql and "parties_user" in sql


def test_what_the_session_read_decides_is_still_checked(client):
    """The person read with the session is checked like any other: an account closed, a password
    changed elsewhere or a session expired means signed out."""
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


# --- A signed-in person's own kept page -----------------------------------------------------------------


def _token_in(content: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1)


def test_the_kept_dashboard_has_a_fresh_token_and_nonce_and_signs_out():
    user = make_user(full_name="Kept Person")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(reverse("dashboard"))
    first = client.get(reverse("dashboard"))  # kept by now
    with CaptureQueriesContext(connection) as queries:
        kept = client.get(reverse("dashboard"))
    assert len(queries) == 1  # the session and its person: the page itself came from the cache
    content = kept.content.decode()
    assert "Welcome, Kept" in content
    token = _token_in(content)
    assert token != _token_in(first.content.decode())  # masked afresh for each response
    assert content.count(token) == 1  # in the sign-out form and nowhere else
    nonce = re.search(r'<script [^>]*nonce="([^"]+)"', content).group(1)
    assert f"'nonce-{nonce}'" in kept["Content-Security-Policy"]
    response = client.post(reverse("account_logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


def test_a_kept_page_is_its_persons_alone_and_follows_the_cookie_notice():
    alice, bob = make_user(full_name="Alice Kept"), make_user(full_name="Bob Kept")
    a, b = Client(), Client()
    a.force_login(alice)
    b.force_login(bob)
    for _ in range(2):
        assert "Welcome, Alice" in a.get(reverse("dashboard")).content.decode()
        page = b.get(reverse("dashboard")).content.decode()
        assert "Welcome, Bob" in page and "Alice" not in page
    assert 'aria-label="Cookie notice"' in a.get(reverse("dashboard")).content.decode()
    a.post(reverse("cookies-dismiss"), {"next": "/dashboard/"})
    assert 'aria-label="Cookie notice"' not in a.get(reverse("dashboard")).content.decode()


def test_a_kept_page_is_not_used_while_a_message_waits_nor_kept_with_it(client):
    user = make_user(full_name="Messaged Person")
    client.force_login(user)
    client.get(reverse("dashboard"))
    client.get(reverse("dashboard"))  # kept
    client.post(reverse("notifications:read"), {"all": "1"})  # "Marked 0 notifications as read."
    page = client.get(reverse("dashboard")).content.decode()
    assert "Marked 0 notifications as read." in page and "Welcome, Messaged" in page  # not the kept page
    again = client.get(reverse("dashboard")).content.decode()
    assert "Welcome, Messaged" in again and "Marked 0 notifications" not in again  # shown once, not kept


@pytest.mark.django_db(transaction=True)  # the connection is the request's own, as in production
@pytest.mark.skipif(connection.vendor != "postgresql", reason="ends a PostgreSQL backend")
def test_the_session_read_is_the_connections_health_check(client, settings, monkeypatch):
    """No `SELECT 1` before a signed-in page's first query; and after the server ends a kept
    connection (a restart, a failover), the next signed-in page still works, on a new connection."""
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"]
    user = make_user(full_name="Reconnected Person")
    client.force_login(user)
    assert client.get(reverse("cookies")).status_code == 200
    checks = []
    real_check = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or real_check())
    # What Django does between two requests (the test client leaves it out): the next request's
    # first query is to check the kept connection.
    close_old_connections()
    assert client.get(reverse("cookies")).status_code == 200
    assert checks == []  # the session's read was the check
    old_pid = connection.connection.info.backend_pid
    with psycopg2.connect(**connection.get_connection_params()) as other, other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    other.close()
    close_old_connections()
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200 and "Welcome, Reconnected" in response.content.decode()
    assert checks == [1] and connection.connection.info.backend_pid != old_pid


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
    store[BACKEND_SESSION_KEY] = "secportal.auth.ModelBackend"
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
    old.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "secportal.auth.ModelBackend"})
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


def test_with_mfa_required_a_signed_in_page_still_reads_everything_in_one_statement(settings):
    """The MFA rule asks for the person's roles (and, if privileged, for TOTP): read with the session."""
    from parties import roles
    from parties.services import user_set_roles

    settings.SECPORTAL_REQUIRE_MFA = True
    party_user = make_user(role_names={roles.PARTY_USER})
    member = make_user(role_names={roles.PANEL_MEMBER})
    party, panel = Client(), Client()
    party.force_login(party_user)
    panel.force_login(member)
    with CaptureQueriesContext(connection) as queries:
        assert party.get(reverse("cookies")).status_code == 200
    # Elsewhere the roles and the unread count are read when first asked for (a Party user is
    # never asked about TOTP).
    assert len(queries) == (1 if connection.vendor == "postgresql" else 3), [q["sql"] for q in queries]
    # A member without TOTP is sent to set it up; the roles are read afresh on every request.
    response = panel.get(reverse("dashboard"))
    assert response.status_code == 302 and response.url == reverse("mfa_activate_totp")
    user_set_roles(user=member, role_names={roles.PARTY_USER})
    assert panel.get(reverse("dashboard")).status_code == 200
    user_set_roles(user=party_user, role_names={roles.PANEL_MEMBER})
    assert party.get(reverse("dashboard")).url == reverse("mfa_activate_totp")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="read with the session on PostgreSQL only")
def test_what_is_read_with_the_session_is_what_the_person_has(client):
    from allauth.mfa.models import Authenticator

    from parties import roles

    user = make_user(role_names={roles.PANEL_MEMBER, roles.PARTY_USER})
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    Authenticator.objects.create(user=user, type=Authenticator.Type.RECOVERY_CODES, data={})
    plain = make_user(role_names=set())
    for person, expected_roles, expected_totp in (
        (user, {roles.PANEL_MEMBER, roles.PARTY_USER}, True),
        (plain, set(), False),
    ):
        client.force_login(person)
        with CaptureQueriesContext(connection) as queries:
            request_user = client.get(reverse("cookies")).wsgi_request.user
            assert request_user.role_names == frozenset(expected_roles)
            assert request_user.has_totp is expected_totp
        assert len(queries) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
@pytest.mark.django_db(transaction=True)  # outside a transaction, as a request is
def test_a_prepared_statement_the_server_lost_or_cannot_use_is_made_again(client, settings):
    """A pooler or DISCARD ALL drops it, a migration changing a column's type invalidates it, or the
    server has it while the portal thinks not: each time the page still works."""
    settings.SECPORTAL_DB_PREPARED_STATEMENTS = True
    user = make_user(full_name="Prepared Person")
    client.force_login(user)
    assert client.get(reverse("cookies")).status_code == 200
    connection.ensure_connection()

    def server(sql):
        with connection.connection.cursor() as cursor:  # behind Django's back, as a pooler would be
            cursor.execute(sql)

    server("DEALLOCATE ALL")  # lost on the server
    assert "Welcome, Prepared" in client.get(reverse("dashboard")).content.decode()
    assert client.get(reverse("cookies")).wsgi_request.user == user  # and prepared again
    connections["default"].__dict__["secportal_prepared"].clear()  # the server has it, the portal thinks not
    assert client.get(reverse("cookies")).wsgi_request.user == user
    server("ALTER TABLE parties_user ALTER COLUMN job_title TYPE varchar(151)")  # a migration
    try:
        assert client.get(reverse("cookies")).wsgi_request.user == user
        assert client.get(reverse("cookies")).wsgi_request.user == user
    finally:
        server("ALTER TABLE parties_user ALTER COLUMN job_title TYPE varchar(150)")


def test_the_navigation_shows_the_unread_count_without_a_query_of_its_own(client):
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
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2)
    client.post(reverse("notifications:read"), {"all": "1"})
    assert "unread</span>" not in client.get(reverse("cookies")).content.decode()
