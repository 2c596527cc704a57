"""Every email the portal sends has an HTML body and a text body, and greets people the same way
(docs/decisions.md, "Emails"): "Hello <first name>," to someone with an account, "Hello," to an
address not yet proven."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from modifications import services as modification_services
from news import services as news_services
from news.tests.factories import make_event, make_party_user
from parties import roles
from parties import services as party_services
from parties.models import Party
from parties.tests.factories import make_party, make_user
from secportal import notifications
from secportal.models import OutboxMessage

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# The portal's own emails (<prefix>_subject.txt, _body.txt, _body.html) and allauth's, which the
# portal overrides (<prefix>_subject.txt, _message.txt, _message.html).
PORTAL = (TEMPLATES / "emails", "_body")
ALLAUTH = [(TEMPLATES / "account" / "email", "_message"), (TEMPLATES / "mfa" / "email", "_message")]


def bodies(folder: Path, suffix: str) -> list[Path]:
    return sorted(p for p in folder.rglob(f"*{suffix}.*") if not p.name.startswith("base_"))


@pytest.mark.parametrize(("folder", "suffix"), [PORTAL, *ALLAUTH], ids=str)
def test_every_text_body_has_an_html_body_and_every_html_body_a_text_body(folder, suffix):
    found = bodies(folder, suffix)
    assert found, f"no email templates under {folder}"
    stems = {p.with_suffix("") for p in found}
    missing = [
        f"{stem.relative_to(TEMPLATES)}{ext}"
        for stem in stems
        for ext in (".txt", ".html")
        if not stem.with_suffix(ext).exists()
    ]
    assert missing == [], f"an email needs both bodies; missing: {missing}"


@pytest.mark.parametrize(("folder", "suffix"), [PORTAL, *ALLAUTH], ids=str)
def test_every_subject_has_both_bodies(folder, suffix):
    subjects = sorted(folder.rglob("*_subject.txt"))
    assert subjects
    for subject in subjects:
        stem = str(subject).removesuffix("_subject.txt") + suffix
        assert Path(f"{stem}.txt").exists() and Path(f"{stem}.html").exists(), subject.relative_to(TEMPLATES)


# "Hello {{ someone.get_short_name }}," (a person with an account) or "Hello," (an unproven address);
# allauth's base greets the account's person when the email has one.
GREETING = re.compile(
    r"^(?:<p>)?Hello(?:,"
    r"| \{\{ [a-z_.]+\.get_short_name \}\},"
    r"|\{% if user\.full_name %\} \{\{ user\.get_short_name \}\}\{% endif %\},)"
)


# Tags before the first words a reader sees (an HTML email's <title> block among them).
LEADING_TAG = re.compile(r"^(?:\{% block title %\}.*?\{% endblock %\}|\{% (?:extends|block|autoescape)[^%]*%\})\s*")


def greeting_line(path: Path) -> str:
    """The first line a reader sees: after `extends`, `block` and `autoescape` tags."""
    text = path.read_text()
    while LEADING_TAG.match(text):
        text = LEADING_TAG.sub("", text, count=1)
    return text.splitlines()[0] if text else ""


def test_every_email_greets_the_same_way():
    greeted = [*bodies(*PORTAL), *(TEMPLATES / "account" / "email").glob("base_message.*")]
    wrong = {str(p.relative_to(TEMPLATES)): greeting_line(p) for p in greeted if not GREETING.match(greeting_line(p))}
    assert wrong == {}
    # allauth's emails greet through their base template.
    for folder, suffix in ALLAUTH:
        for body in bodies(folder, suffix):
            first = body.read_text().splitlines()[0]
            based = r'\{% extends "account/email/base_(message|notification)\.(txt|html)" %\}'
            included = r'\{% include "account/email/[a-z_]+_message\.(txt|html)" %\}'  # one email as another
            assert re.match(based, first) or re.match(included, first), body


def only(kind: str) -> OutboxMessage:
    message = OutboxMessage.objects.get(kind=kind)
    assert message.body_text.strip() and message.body_html.strip()
    return message


@pytest.mark.django_db
def test_the_emails_that_had_only_text_go_out_in_html_too(settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    staff = make_user(full_name="Sam Patel", email="sam@secas.example", role_names={roles.SECAS_STAFF})
    party = make_party(status=Party.Status.ACCEDED)
    admin = make_user(full_name="Alice Jones", party=party, role_names={roles.PARTY_USER, roles.PARTY_ADMINISTRATOR})

    # Someone asks for an account for an address that has one.
    party_services.account_request_create(full_name="Alice Jones", email=admin.email, party=party, job_title="x")
    exists = only("account_request.already_has_account")
    assert "<p>Hello Alice,</p>" in exists.body_html and "you already have one" in exists.body_html

    # A Party administrator asks to change the Party's details; SECAS approves.
    change = party_services.party_change_request_create(
        actor=admin, party=party, proposed={"website": "https://new.example.org"}
    )
    notifications.happenings_tell_due()  # SECAS staff are told by the task queued on commit
    to_decide = only("party_change.to_decide")
    assert "<p>Hello Sam,</p>" in to_decide.body_html and "https://new.example.org" in to_decide.body_html
    party_services.party_change_request_approve(actor=staff, change=change, note="Thanks & welcome.")
    decided = only("party_change.approved")
    assert "<p>Hello Alice,</p>" in decided.body_html and "Thanks &amp; welcome." in decided.body_html

    # A Party user raises a Draft Proposal: SECAS hears of it.
    modification = modification_services.modification_raise(actor=admin, title="A <clearer> rule", issue="Why.")
    notifications.happenings_tell_due()
    raised = only("modification.draft_raised")
    assert (
        "<p>Hello Sam,</p>" in raised.body_html
        and f"{modification.reference}: A &lt;clearer&gt; rule" in raised.body_html
    )

    # A full event puts the next person on its waitlist.
    event = make_event(capacity=1)
    news_services.registration_create(actor=make_party_user(), event=event)
    waiting = make_party_user(full_name="Priya Shah")
    news_services.registration_create(actor=waiting, event=event)
    waitlisted = only("news.registration_waitlisted")
    assert "<p>Hello Priya,</p>" in waitlisted.body_html and "you are on the waitlist" in waitlisted.body_html
    assert "Hello Priya," in waitlisted.body_text
