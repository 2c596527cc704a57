"""Regression tests for the sessions, admin and outage rules around accounts."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from panel.tests.factories import make_place
from parties import roles
from parties.models import AccountRequest, User
from parties.services import account_request_create, user_set_roles
from parties.tests.factories import PASSWORD, make_party, make_user, totp_code
from parties.tests.test_accounts import login
from secportal.models import Session

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)  # allauth signals the change on commit, as in production
def test_adding_a_second_factor_ends_every_other_session(settings, django_capture_on_commit_callbacks):
    """Someone who signed in with the password before the owner set up TOTP loses that session."""
    settings.SECPORTAL_REQUIRE_MFA = True
    user = make_user(email="member@panel.example")
    make_place(user)
    intruder, owner = Client(), Client()
    login(intruder, user.email)
    login(owner, user.email)
    secret = owner.get(reverse("mfa_activate_totp")).context["form"].secret
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert owner.get(reverse("dashboard")).status_code == 200  # the session that set it up stays
    response = intruder.get(reverse("dashboard"))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    # And the recovery codes or deactivation are out of the intruder's reach.
    assert intruder.get(reverse("mfa_deactivate_totp")).status_code == 302
    assert Session.objects.filter(user=user).count() == 1  # the other session's row is gone


@pytest.mark.django_db(transaction=True)
def test_setting_up_a_second_factor_is_notified_by_email(settings, client, django_capture_on_commit_callbacks):
    """A second factor set up by someone else in the account would lock its owner out: the owner
    hears of it (ACCOUNT_EMAIL_NOTIFICATIONS)."""
    settings.SECPORTAL_REQUIRE_MFA = True
    user = make_user(email="member@panel.example")
    make_place(user)
    login(client, user.email)
    secret = client.get(reverse("mfa_activate_totp")).context["form"].secret
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)}).status_code == 302
    notices = [m for m in mail.outbox if m.to == ["member@panel.example"]]
    assert [m.subject for m in notices] == ["[SEC Portal] Two-factor authentication was set up"]


@pytest.mark.django_db(transaction=True)
def test_deactivating_needs_the_password_even_right_after_set_up(settings, client, django_capture_on_commit_callbacks):
    settings.SECPORTAL_REQUIRE_MFA = True
    user = make_user(email="member@panel.example")
    make_place(user)
    login(client, user.email)
    secret = client.get(reverse("mfa_activate_totp")).context["form"].secret
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert client.get(reverse("mfa_view_recovery_codes")).status_code == 200
    response = client.get(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302 and response.url.startswith(reverse("account_reauthenticate"))


def test_admin_access_goes_with_the_staff_role_and_needs_mfa(settings):
    settings.SECPORTAL_REQUIRE_MFA = True
    user = make_user(role_names={roles.PARTY_USER})
    assert not user.is_staff and not user.requires_mfa
    user_set_roles(actor=None, user=user, role_names={roles.SECAS_STAFF})
    user.refresh_from_db()
    assert user.is_staff and user.requires_mfa
    user_set_roles(actor=None, user=user, role_names={roles.PARTY_USER})
    user.refresh_from_db()
    assert not user.is_staff
    # Admin access given by hand still means MFA.
    user.is_staff = True
    assert user.requires_mfa


def test_staff_cannot_make_themselves_superuser_in_the_admin(client, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    staff = make_user(email="staff@secas.example", role_names={roles.SECAS_STAFF})
    other = make_user(email="other@example.org")
    client.force_login(staff)
    for target in (staff, other):
        page = client.get(reverse("admin:parties_user_change", args=[target.pk]))
        assert page.status_code == 200
        assert 'name="is_superuser"' not in page.content.decode()
    client.post(
        reverse("admin:parties_user_change", args=[staff.pk]),
        {
            "email": staff.email,
            "full_name": staff.full_name,
            "is_superuser": "on",
            "is_staff": "on",
            "is_active": "on",
            "date_joined_0": "01/01/2026",
            "date_joined_1": "00:00:00",
        },
    )
    assert not User.objects.get(pk=staff.pk).is_superuser


def test_only_the_cookies_the_notice_names_are_ever_set(client):
    party = make_party()
    make_user(email="kim@example.org", party=party)
    seen = set()
    for method, url, data in [
        ("get", "/", None),
        ("post", reverse("cookies-dismiss"), {"next": "/"}),
        ("get", reverse("account_login"), None),
        ("post", reverse("account_login"), {"login": "kim@example.org", "password": PASSWORD}),
        ("get", reverse("dashboard"), None),
        ("post", reverse("account_logout"), None),
    ]:
        response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
        seen |= set(response.cookies)
    assert seen <= {"sessionid", "csrftoken", "secportal_cookie_notice"}, seen


def test_two_requests_for_one_email_at_the_same_moment_record_one(monkeypatch):
    """The race the partial unique constraint settles: the loser gets the same quiet answer."""
    party = make_party()
    account_request_create(full_name="Rosa", email="rosa@example.org", party=party, job_title="Analyst")
    # As if the second request checked before the first had committed.
    monkeypatch.setattr("django.db.models.query.QuerySet.exists", lambda self: False)
    again = account_request_create(full_name="Rosa", email="rosa@example.org", party=party, job_title="Analyst")
    monkeypatch.undo()
    assert again is None
    assert AccountRequest.objects.count() == 1


def test_sign_in_and_account_requests_work_while_the_cache_is_down(
    client, settings, django_capture_on_commit_callbacks
):
    settings.CACHES = {
        "default": {
            "BACKEND": "secportal.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    party = make_party()
    user = make_user(email="kim@example.org", party=party)
    login(client, "kim@example.org")
    assert client.session["_auth_user_id"] == str(user.pk)
    client.logout()
    with django_capture_on_commit_callbacks(execute=True):  # the worker records the request
        data = {"full_name": "Rosa Diaz", "email": "rosa@example.org", "party": party.pk, "job_title": "Analyst"}
        response = client.post(reverse("account-request"), data)
    assert response.status_code == 200 and AccountRequest.objects.count() == 1
    health = client.get("/healthz").json()
    assert health["checks"]["database"] == "ok" and health["checks"]["cache"] != "ok"


@pytest.mark.parametrize("name", ["http://evil.example/win", "<b>Rosa</b>", "Rosa {{ x }}"])
def test_names_that_are_not_names_are_refused(client, name):
    party = make_party()
    response = client.post(
        reverse("account-request"),
        {"full_name": name, "email": "rosa@example.org", "party": party.pk, "job_title": "Analyst"},
    )
    assert "Use letters" in response.content.decode()
    assert not AccountRequest.objects.exists()
