"""Emails that carry a personal link (password reset, set-password, invitation, verification): what
they say is never shown, in the admin or on the outbox page, and their bodies are erased once they
are sent or have failed; a failed one cannot be sent again (the person asks for a new link)."""

from importlib import import_module

import pytest
from django.apps import apps
from django.urls import reverse

from parties.tests.factories import make_user
from secportal.models import OutboxMessage
from secportal.services import ERASED_BODY, outbox_deliver, outbox_enqueue_rendered, outbox_requeue

from .conftest import Inbox, SmtpServer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("without_mfa")]

LINK = "https://portal.example/accounts/password/reset/key/4-secret-token/"
FAILED = OutboxMessage.Status.FAILED


class RefusingInbox(Inbox):
    """An SMTP server that knows no one: every recipient is refused for good (550)."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such user here"


@pytest.fixture
def refusing_smtp(settings):
    server = SmtpServer()
    server.inbox = RefusingInbox()
    server.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 10},
        }
    }
    settings.SECPORTAL_OUTBOX_MAX_ATTEMPTS = 1
    yield server
    server.stop()


def personal(recipient="kim@example.org", *, status=OutboxMessage.Status.QUEUED, sensitive=True) -> OutboxMessage:
    message = outbox_enqueue_rendered(
        recipient=recipient,
        kind="allauth:account/email/password_reset_key",
        subject="Password reset",
        body_text=f"Reset your password: {LINK}",
        body_html=f'<a href="{LINK}">Reset your password</a>',
        unique=False,
        sensitive=sensitive,
    )
    OutboxMessage.objects.filter(pk=message.pk).update(status=status)
    message.refresh_from_db()
    return message


def test_a_reset_link_the_smtp_server_refuses_is_erased_when_it_fails(
    client, refusing_smtp, django_capture_on_commit_callbacks
):
    """A real password reset, a real SMTP server that refuses the address: the link is not kept."""
    make_user(email="kim@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "kim@example.org"})
    message = OutboxMessage.objects.get(recipient="kim@example.org")
    assert message.sensitive and message.status == FAILED
    assert "SMTPRecipientsRefused" in message.last_error and "550" in message.last_error
    assert message.body_text == ERASED_BODY and message.body_html == ""
    assert refusing_smtp.inbox.messages == []
    # It cannot be sent again: the person asks for a new link.
    assert outbox_requeue(message_ids=[message.pk]).link_not_kept == 1
    message.refresh_from_db()
    assert message.status == FAILED


def test_an_ordinary_message_the_smtp_server_refuses_keeps_its_body_to_be_sent_again(
    refusing_smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = personal(sensitive=False)
    message.refresh_from_db()
    assert message.status == FAILED and message.body_text.startswith("Reset your password")
    assert outbox_requeue(message_ids=[message.pk]).queued == 1


def test_a_message_that_cannot_be_written_fails_and_loses_its_link_too():
    message = personal()
    OutboxMessage.objects.filter(pk=message.pk).update(recipient="k\u00efm@example.org")  # SMTP cannot carry it
    outbox_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == FAILED and message.body_text == ERASED_BODY and message.body_html == ""


def test_the_outbox_page_never_shows_a_body_and_refuses_to_resend_a_lost_link(client, secas_staff):
    failed_link = personal("kim@example.org", status=FAILED)
    OutboxMessage.objects.filter(pk=failed_link.pk).update(last_error="SMTPRecipientsRefused: 550")
    queued_link = personal("lee@example.org")
    ordinary = personal("ann@example.org", status=FAILED, sensitive=False)
    client.force_login(secas_staff)
    for status in ("", "failed", "queued"):
        page = client.get(reverse("notifications:outbox"), {"status": status} if status else {}).content.decode()
        assert "secret-token" not in page and "Reset your password" not in page
    page = client.get(reverse("notifications:outbox"), {"status": "failed"}).content.decode()
    assert "Link not kept: ask the person to request a new one." in page
    assert f'value="{failed_link.pk}"' not in page and f'value="{ordinary.pk}"' in page  # no box to tick
    response = client.post(
        reverse("notifications:outbox-retry"), {"id": [failed_link.pk, ordinary.pk, queued_link.pk]}, follow=True
    )
    said = [str(m) for m in response.context["messages"]]
    assert said == [
        "1 failed message queued to be sent again. 1 not sent again: it carried a personal link (a password reset, "
        "set-password, invitation or verification link), which is not kept once an email fails. "
        "Ask the person to request a new one."
    ]
    assert OutboxMessage.objects.get(pk=failed_link.pk).status == FAILED
    assert OutboxMessage.objects.get(pk=ordinary.pk).status != FAILED


@pytest.mark.parametrize("who", ["secas_staff", "superuser"])
def test_the_admin_never_shows_what_a_personal_email_says(client, who, request):
    user = request.getfixturevalue(who)
    queued_link = personal("lee@example.org")
    ordinary = personal("ann@example.org", sensitive=False)
    client.force_login(user)
    page = client.get(reverse("admin:secportal_outboxmessage_change", args=[queued_link.pk])).content.decode()
    assert "secret-token" not in page and "Reset your password" not in page
    assert "Not shown: this email carries a personal link" in page
    page = client.get(reverse("admin:secportal_outboxmessage_change", args=[ordinary.pk])).content.decode()
    assert "secret-token" in page  # an ordinary email is shown as it was written
    page = client.get(reverse("admin:secportal_outboxmessage_changelist"), {"q": "lee"}).content.decode()
    assert "secret-token" not in page


def test_the_admins_send_again_refuses_a_lost_link(client, secas_staff):
    failed_link = personal("kim@example.org", status=FAILED)
    client.force_login(secas_staff)
    response = client.post(
        reverse("admin:secportal_outboxmessage_changelist"),
        {"action": "requeue", "_selected_action": [failed_link.pk]},
        follow=True,
    )
    said = [str(m) for m in response.context["messages"]]
    assert len(said) == 1 and said[0].startswith("1 not sent again: it carried a personal link")
    assert OutboxMessage.objects.get(pk=failed_link.pk).status == FAILED


def test_the_migration_erases_the_links_failed_emails_kept():
    failed_link = personal("kim@example.org", status=FAILED)
    withheld_link = personal("lee@example.org", status=OutboxMessage.Status.WITHHELD)
    queued_link = personal("ann@example.org")
    ordinary = personal("bob@example.org", status=FAILED, sensitive=False)
    migration = import_module("secportal.migrations.0004_erase_personal_links_of_failed_emails")
    migration.erase_personal_links(apps, None)
    for message in (failed_link, withheld_link):
        message.refresh_from_db()
        assert message.body_text == ERASED_BODY == migration.ERASED_BODY and message.body_html == ""
    for message in (queued_link, ordinary):
        message.refresh_from_db()
        assert LINK in message.body_text and LINK in message.body_html
