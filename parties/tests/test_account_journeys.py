"""Accounts that work without a guide: setting a first password, signing in while a request
waits, and allauth's emails in the portal's own words with the site's name and SITE_URL."""

import re
import subprocess
from pathlib import Path

import pytest
from allauth.account.adapter import get_adapter
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from parties import roles
from parties.models import User
from parties.services import account_request_approve, account_request_create
from parties.tests.factories import PASSWORD, give_totp

pytestmark = pytest.mark.django_db

SITE = "https://portal.example.test"
LINK = re.compile(r"https?://\S+/accounts/password/reset/key/[^\s\"<]+/")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def party(party_factory):
    return party_factory(name="Fenland Community Power Ltd")


def _html(message) -> str:
    return next(content for content, mimetype in message.alternatives if mimetype == "text/html")


def _path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def _approve(party, user_factory, django_capture_on_commit_callbacks):
    staff = user_factory(email="staff@secas.example", role_names={roles.SECAS_STAFF}, is_staff=True)
    give_totp(staff)
    ar = account_request_create(full_name="Rosa Diaz", email="rosa@fenland.example", party=party, job_title="Analyst")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        account_request_approve(actor=staff, account_request=ar)
    # The delivery run also sends the request's own receipt; the approval is the one with the link.
    return next(m for m in mail.outbox if m.to == ["rosa@fenland.example"] and "account is ready" in m.subject)


def test_the_approval_email_leads_to_a_set_your_password_page_that_ends_signed_in(
    client, party, user_factory, django_capture_on_commit_callbacks
):
    message = _approve(party, user_factory, django_capture_on_commit_callbacks)
    assert "set your password" in message.subject.lower()
    link = LINK.search(message.body).group(0)
    assert link.startswith(f"{SITE}/accounts/password/reset/key/")
    assert "Set your password" in _html(message) and link in _html(message)

    page = client.get(_path(link), follow=True)
    assert page.status_code == 200
    content = page.content.decode()
    assert "<title>Set your password" in content
    assert re.search(r"<h1[^>]*>Set your password</h1>", content)
    assert "Change Password" not in content

    response = client.post(
        page.redirect_chain[-1][0], {"password1": "rosas-own-pass-2026", "password2": "rosas-own-pass-2026"}
    )
    user = User.objects.get(email="rosa@fenland.example")
    assert response.status_code == 302 and response.url == reverse("dashboard")
    assert client.session["_auth_user_id"] == str(user.pk)  # signed in, no second step
    assert user.check_password("rosas-own-pass-2026")


def test_a_used_set_password_link_says_so_and_offers_a_new_link_and_sign_in(
    client, party, user_factory, django_capture_on_commit_callbacks
):
    message = _approve(party, user_factory, django_capture_on_commit_callbacks)
    path = _path(LINK.search(message.body).group(0))
    page = client.get(path, follow=True)
    client.post(page.redirect_chain[-1][0], {"password1": "rosas-own-pass-2026", "password2": "rosas-own-pass-2026"})
    client.logout()

    again = Client().get(path, follow=True).content.decode()
    assert "<title>Set your password" in again
    assert "This link no longer works" in again
    assert f'href="{reverse("account_reset_password")}"' in again
    assert f'href="{reverse("account_login")}"' in again


def _sign_in_page(email: str) -> str:
    response = Client().post(reverse("account_login"), {"login": email, "password": "anything-12345"})
    assert response.status_code == 200
    # Only the per-response CSRF token and the address typed (shown back) differ.
    content = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return content.replace(email, "ADDRESS")


def test_a_failed_sign_in_mentions_a_waiting_request_identically_for_a_pending_and_an_unknown_address(party):
    account_request_create(full_name="Rosa", email="rosa@fenland.example", party=party, job_title="Analyst")
    pending = _sign_in_page("rosa@fenland.example")
    unknown = _sign_in_page("nobody@fenland.example")
    assert "awaiting SECAS&#x27;s decision" in pending
    assert "not correct" in pending
    assert pending == unknown  # byte for byte: nobody learns who asked


def test_the_password_reset_email_is_the_portals_with_the_site_name_and_site_url(
    client, user_factory, django_capture_on_commit_callbacks
):
    user_factory(email="erin@example.org", full_name="Erin Hale")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "erin@example.org"})
    (message,) = mail.outbox
    assert message.subject == "[SEC Portal] Set a new password"
    html = _html(message)
    for body in (message.body, html):
        assert "Hello from" not in body
        assert "Hello Erin," in body and "SEC Portal" in body  # greeted by first name (docs/decisions.md)
        assert f"{SITE}/accounts/password/reset/key/" in body
        assert SITE in body.replace(f"{SITE}/accounts/", "")  # the site's own address as well


def test_the_verification_email_links_to_site_url_not_the_requests_host(
    client, user_factory, django_capture_on_commit_callbacks
):
    user_factory(email="frank@example.org", verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_login"), {"login": "frank@example.org", "password": "correct-horse-battery-2026"})
    (message,) = mail.outbox
    assert message.subject == "[SEC Portal] Confirm your email address"
    for body in (message.body, _html(message)):
        assert f"{SITE}/accounts/confirm-email/" in body
        assert "testserver" not in body
        assert "SEC Portal" in body and "Hello from" not in body


NOTICES = {
    "account/email/password_changed": ("Your password was changed", {}),
    "account/email/password_set": ("A password was set for your account", {}),
    "account/email/password_reset": ("Your password was set from an emailed link", {}),
    "account/email/email_changed": (
        "Your email address was changed",
        {"from_email": "old@example.org", "to_email": "new@example.org"},
    ),
    "account/email/email_deleted": ("An email address was removed", {"deleted_email": "old@example.org"}),
    "mfa/email/totp_activated": ("Two-factor authentication was set up", {}),
    "mfa/email/totp_deactivated": ("Two-factor authentication was turned off", {}),
    "mfa/email/recovery_codes_generated": ("New recovery codes were made", {}),
}


@pytest.mark.parametrize("prefix", sorted(NOTICES))
def test_account_notices_are_the_portals_in_html_and_text(prefix, user_factory, django_capture_on_commit_callbacks):
    user = user_factory(email="gina@example.org")
    subject, extra = NOTICES[prefix]
    context = {"timestamp": timezone.now(), "ip": "192.0.2.7", "user_agent": "Firefox", **extra}
    with django_capture_on_commit_callbacks(execute=True):
        get_adapter(RequestFactory().get("/")).send_mail(prefix, user.email, context)
    (message,) = mail.outbox
    assert message.subject == f"[SEC Portal] {subject}"
    for body in (message.body, _html(message)):
        assert "Hello from" not in body and "SEC Portal" in body
        assert f"{SITE}/accounts/password/change/" in body
        assert "192.0.2.7" in body


def test_every_email_allauth_can_send_here_has_portal_html_and_text_templates():
    templates = Path(django_settings.BASE_DIR) / "templates"
    prefixes = [*NOTICES, "account/email/password_reset_key", "account/email/email_confirmation"]
    for prefix in prefixes:
        for suffix in ("_subject.txt", "_message.txt", "_message.html"):
            assert (templates / f"{prefix}{suffix}").is_file(), f"{prefix}{suffix}"


def test_make_run_takes_a_port_and_sets_site_url_to_match():
    root = Path(django_settings.BASE_DIR)
    output = subprocess.run(
        ["make", "-n", "run", "PORT=8001"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    run_line = next(line for line in output.splitlines() if "scripts/run.sh" in line)
    assert "SITE_URL=http://127.0.0.1:8001" in run_line and "PORT=8001" in run_line
    assert "SITE_URL=http://127.0.0.1:8001" in next(line for line in output.splitlines() if "seed_demo" in line)
    assert 'runserver "127.0.0.1:$PORT"' in (root / "scripts" / "run.sh").read_text()


def test_setting_a_password_from_the_link_still_asks_for_the_second_factor(
    client, user_factory, django_capture_on_commit_callbacks
):
    user = user_factory(email="harry@example.org")
    give_totp(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "harry@example.org"})
    page = client.get(_path(LINK.search(mail.outbox[0].body).group(0)), follow=True)
    response = client.post(
        page.redirect_chain[-1][0], {"password1": "harrys-new-pass-2026", "password2": "harrys-new-pass-2026"}
    )
    assert response.status_code == 302 and response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session


def test_a_person_is_told_when_their_password_changes(client, user_factory, django_capture_on_commit_callbacks):
    """Someone who did not make the change (another person in their account) hears of it."""
    user = user_factory(email="ivy@example.org")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_change_password"),
            {
                "oldpassword": PASSWORD,
                "password1": "another-horse-battery-2027",
                "password2": "another-horse-battery-2027",
            },
        )
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["ivy@example.org"] and message.subject == "[SEC Portal] Your password was changed"
    assert f"{SITE}/accounts/password/change/" in message.body


def _set_from_link(client, message, password: str, django_capture_on_commit_callbacks):
    page = client.get(_path(LINK.search(message.body).group(0)), follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(page.redirect_chain[-1][0], {"password1": password, "password2": password})


def test_a_first_password_is_not_a_change_to_warn_of_but_a_reset_later_is(
    client, party, user_factory, django_capture_on_commit_callbacks
):
    """The notice says "if you did not make this change": for the password a new account sets from
    its approval link it would only alarm the person who just set it."""
    message = _approve(party, user_factory, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    assert _set_from_link(client, message, "rosas-own-pass-2026", django_capture_on_commit_callbacks).status_code == 302
    assert [m.subject for m in mail.outbox if m.to == ["rosa@fenland.example"]] == []
    client.logout()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "rosa@fenland.example"})
    (reset,) = mail.outbox
    mail.outbox.clear()
    assert _set_from_link(client, reset, "rosas-next-pass-2027", django_capture_on_commit_callbacks).status_code == 302
    assert [m.subject for m in mail.outbox] == ["[SEC Portal] Your password was set from an emailed link"]
