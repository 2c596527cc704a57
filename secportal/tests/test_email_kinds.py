"""SECAS's outbox names each kind of email in words ("Password reset link"), never an identifier
("allauth:account/email/password_reset_key"): every kind the portal sends has its words."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from news.notifications import EMAIL_KINDS as NEWS_EMAIL_KINDS
from parties.models import AccountRequest, PartyChangeRequest
from secportal.models import OutboxMessage
from secportal.registry import email_kinds, notification_kinds

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def allauth_kinds() -> list[str]:
    """Every allauth email the portal has templates for, as the adapter names its kind."""
    return sorted(
        "allauth:" + str(subject.relative_to(TEMPLATES)).removesuffix("_subject.txt")
        for folder in ("account/email", "mfa/email")
        for subject in (TEMPLATES / folder).glob("*_subject.txt")
    )


def every_kind() -> list[str]:
    decided = [s for s in AccountRequest.Status.values if s != AccountRequest.Status.PENDING]
    changed = [s for s in PartyChangeRequest.Status.values if s != PartyChangeRequest.Status.PENDING]
    return [
        *(k.key for k in notification_kinds.kinds()),
        "digest.daily",
        "digest.weekly",
        "account_request.already_has_account",
        "account_request.received",
        "account_request.to_decide",
        *(f"account_request.{status}" for status in decided),
        "party.invitation",
        "party.user_reinstated",
        "party_change.to_decide",
        *(f"party_change.{status}" for status in changed),
        "modification.draft_raised",
        "modification.draft_received",
        "modification.response_receipt",
        *NEWS_EMAIL_KINDS,
        *allauth_kinds(),
    ]


@pytest.mark.parametrize("kind", every_kind())
def test_every_kind_of_email_has_words(kind):
    assert email_kinds.is_registered(kind)
    label = email_kinds.label(kind)
    assert label[0].isupper() and not any(c in label for c in "._:/"), label


def test_every_kind_a_service_queues_by_name_has_words():
    """A kind written out where an email is queued (not built from a status) is registered."""
    base = Path(settings.BASE_DIR)
    queued = set()
    for source in (*base.glob("*/services.py"), *base.glob("*/adapters.py"), *base.glob("*/notifications.py")):
        text = source.read_text()
        for call in re.finditer(r"outbox_enqueue(?:_rendered)?\(", text):
            found = re.search(r'\bkind="([^"]+)"', text[call.end() : call.end() + 600])
            if found:
                queued.add(found[1])
    assert "party.invitation" in queued and "modification.response_receipt" in queued  # the search finds them
    assert sorted(k for k in queued if not email_kinds.is_registered(k)) == []


def test_the_news_registration_emails_are_the_ones_the_service_sends():
    # news.services._email sends f"news.{name}" for these names.
    source = (Path(settings.BASE_DIR) / "news" / "services.py").read_text()
    for kind in NEWS_EMAIL_KINDS:
        assert f'"{kind.removeprefix("news.")}"' in source


def test_a_kind_nobody_registered_still_reads_as_words():
    assert email_kinds.label("allauth:account/email/login_code") == "Login code"
    assert email_kinds.label("panel.something_new") == "Something new"


@pytest.mark.django_db
def test_the_outbox_page_shows_kinds_in_words_and_finds_them_by_their_words(client, secas_staff, without_mfa):
    now = timezone.now()
    for recipient, kind in (
        ("kim@example.org", "allauth:account/email/password_reset_key"),
        ("lee@example.org", "news.registration_waitlisted"),
    ):
        OutboxMessage.objects.create(
            recipient=recipient, kind=kind, subject="Subject", occurrence=recipient, body_text="x", due_at=now
        )
    client.force_login(secas_staff)
    page = client.get(reverse("notifications:outbox")).content.decode()
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", page, re.DOTALL)]
    kinds = [cell.removeprefix("Kind:").strip() for cell in cells if cell.startswith("Kind:")]
    assert sorted(kinds) == ["On an event&#x27;s waitlist", "Password reset link"]
    assert "allauth:" not in page and "news.registration_waitlisted" not in page
    found = client.get(reverse("notifications:outbox"), {"q": "password reset"}).content.decode()
    assert "kim@example.org" in found and "lee@example.org" not in found
    found = client.get(reverse("notifications:outbox"), {"q": "waitlist"}).content.decode()
    assert "lee@example.org" in found and "kim@example.org" not in found
