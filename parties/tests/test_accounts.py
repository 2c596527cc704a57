"""Accounts: login, logout, password reset, rate limits, MFA set-up and enforcement."""

import base64
import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core import mail
from django.urls import reverse

from parties import roles
from parties.tests.factories import PASSWORD, totp_code

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")


def login(client, email, password=PASSWORD):
    return client.post(LOGIN, {"login": email, "password": password})


def test_totp_codes_are_made_as_rfc_6238_says():
    """The tests make authenticator-app codes themselves (parties/tests/factories.py): RFC 6238's
    test vector (SHA-1, the secret "12345678901234567890", 59 seconds after the epoch)."""
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp_code(secret, at=59) == "287082"  # the RFC's 94287082, to 6 digits
    assert totp_code(secret, at=1111111109) == "081804"  # its 07081804


def test_login_with_email_and_password_reaches_dashboard(client, user_factory):
    user = user_factory(email="alice@example.org")
    response = login(client, "Alice@Example.org")
    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    page = client.get(reverse("dashboard"))
    assert page.status_code == 200
    assert page.context["user"] == user
    assert b"Welcome, Person" in page.content


def test_wrong_password_is_refused_with_a_message(client, user_factory):
    user_factory(email="bob@example.org")
    response = login(client, "bob@example.org", "not-the-password")
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_ends_the_session(client, user_factory):
    user_factory(email="carol@example.org")
    login(client, "carol@example.org")
    assert "_auth_user_id" in client.session
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("dashboard")).status_code == 302


def test_dashboard_requires_sign_in(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_sixth_wrong_password_within_five_minutes_is_refused(client, user_factory):
    user_factory(email="dave@example.org")
    for _ in range(5):
        response = login(client, "dave@example.org", "wrong-password-123")
        assert "Too many failed login attempts" not in response.content.decode()
    response = login(client, "dave@example.org", "wrong-password-123")
    assert "Too many failed login attempts" in response.content.decode()
    # Even the right password is refused until the window has passed.
    response = login(client, "dave@example.org")
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


def test_password_reset_by_email(client, user_factory, django_capture_on_commit_callbacks):
    user = user_factory(email="erin@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": "erin@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["erin@example.org"]
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", message.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else "/" + path
    response = client.post(form_url, {"password1": "a-brand-new-pass-2026", "password2": "a-brand-new-pass-2026"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-brand-new-pass-2026")
    client.logout()
    login(client, "erin@example.org", "a-brand-new-pass-2026")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(
    client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_unverified_email_cannot_sign_in(client, user_factory):
    user_factory(email="frank@example.org", verified=False)
    login(client, "frank@example.org")
    assert "_auth_user_id" not in client.session


def test_removed_user_cannot_sign_in(client, user_factory):
    user_factory(email="gina@example.org", is_active=False)
    response = login(client, "gina@example.org")
    assert "_auth_user_id" not in client.session
    assert response.status_code in {200, 302}


@pytest.mark.parametrize("role", [roles.SECAS_STAFF, "panel member", "committee observer", "red recipient"])
def test_privileged_roles_are_sent_to_set_up_mfa(client, user_factory, settings, role):
    from panel.models import Committee, Membership
    from panel.tests.factories import make_place
    from panel.tests.test_panel import make_meeting, make_paper
    from secportal.classification import Classification

    settings.SECPORTAL_REQUIRE_MFA = True
    user = user_factory(email="priv@example.org", role_names={role} if role in roles.ALL_ROLES else {roles.PARTY_USER})
    if role == "panel member":
        make_place(user)
    elif role == "committee observer":
        make_place(user, kind=Committee.Kind.SUB_COMMITTEE, role=Membership.Role.OBSERVER)
    elif role == "red recipient":
        make_paper(
            make_meeting(make_place(user_factory()).committee), classification=Classification.RED, red_recipients=[user]
        )
    login(client, "priv@example.org")
    for url in (reverse("dashboard"), reverse("home"), reverse("modifications:modification-list")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("mfa_activate_totp"))
    # The set-up page itself, sign-out and the health check stay reachable.
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200


def test_party_users_are_not_forced_to_set_up_mfa(client, user_factory, settings):
    settings.SECPORTAL_REQUIRE_MFA = True
    user_factory(email="party@example.org", role_names={roles.PARTY_USER})
    login(client, "party@example.org")
    assert client.get(reverse("dashboard")).status_code == 200


def test_mfa_enforcement_can_be_switched_off(client, user_factory, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    user_factory(email="staff@example.org", role_names={roles.SECAS_STAFF})
    login(client, "staff@example.org")
    assert client.get(reverse("dashboard")).status_code == 200


def test_mfa_setup_then_sign_in_needs_the_code(client, user_factory, settings):
    settings.SECPORTAL_REQUIRE_MFA = True
    from panel.tests.factories import make_place

    user = user_factory(email="helen@example.org", role_names=set())
    make_place(user, role="chair")
    login(client, "helen@example.org")
    response = client.get(reverse("mfa_activate_totp"))
    secret = response.context["form"].secret
    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert not Authenticator.objects.filter(user=user).exists()
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    # Recovery codes come with it.
    assert client.get(reverse("mfa_view_recovery_codes")).status_code == 200
    assert client.get(reverse("dashboard")).status_code == 200

    client.logout()
    response = login(client, "helen@example.org")
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    cache_key_free_code = totp_code(secret)
    response = client.post(reverse("mfa_authenticate"), {"code": cache_key_free_code})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get(reverse("dashboard")).status_code == 200


def test_mfa_recovery_code_signs_in(client, user_factory, settings):
    settings.SECPORTAL_REQUIRE_MFA = True
    user = user_factory(email="ivan@example.org", role_names={roles.SECAS_STAFF})
    login(client, "ivan@example.org")
    secret = client.get(reverse("mfa_activate_totp")).context["form"].secret
    client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    codes = client.get(reverse("mfa_view_recovery_codes")).context["unused_codes"]
    assert len(codes) == 10
    client.logout()
    login(client, "ivan@example.org")
    response = client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_public_signup_is_closed(client, db):
    response = client.get(reverse("account_signup"))
    assert response.status_code == 200
    assert reverse("account-request") in response.content.decode()
    response = client.post(reverse("account_signup"), {"email": "x@example.org", "password1": "abcdefgh12345!"})
    assert not EmailAddress.objects.filter(email="x@example.org").exists()


def test_unverified_email_gets_a_verification_link_on_sign_in(client, user_factory, django_capture_on_commit_callbacks):
    user = user_factory(email="kim@example.org", verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        login(client, "kim@example.org")
    assert [m.to for m in mail.outbox] == [["kim@example.org"]]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    client.post(path)
    assert EmailAddress.objects.get(user=user).verified
    login(client, "kim@example.org")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_password_reset_requests_are_rate_limited(client, user_factory, django_capture_on_commit_callbacks):
    user_factory(email="lee@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            client.post(reverse("account_reset_password"), {"email": "lee@example.org"})
        response = client.post(reverse("account_reset_password"), {"email": "lee@example.org"})
    assert len(mail.outbox) == 3
    assert response.status_code == 429 or "Too many" in response.content.decode()


def test_changing_an_older_second_factor_asks_for_the_password_again(client, user_factory):
    from datetime import timedelta

    from django.utils import timezone

    from parties.tests.factories import give_totp

    user = user_factory(email="max@example.org", role_names={roles.SECAS_STAFF})
    secret = give_totp(user)
    Authenticator.objects.filter(user=user).update(created_at=timezone.now() - timedelta(days=30))
    login(client, "max@example.org")
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert client.session["_auth_user_id"] == str(user.pk)
    response = client.get(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))


def test_mfa_is_required_for_the_django_admin(client, user_factory, settings):
    settings.SECPORTAL_REQUIRE_MFA = True
    user_factory(email="nia@example.org", role_names={roles.SECAS_STAFF}, is_staff=True)
    login(client, "nia@example.org")
    response = client.get("/admin/")
    assert response.status_code == 302 and response.url.startswith(reverse("mfa_activate_totp"))
