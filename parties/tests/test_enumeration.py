"""Pages that take an email address from anyone (password reset, account request) do the same
work for an address with an account and one without: the same queries, the same task handed to
a worker, no email rendered or queued while the page is answered. Only the worker, after the
page has answered, finds out which it is, and sends the email that applies."""

import pytest
from celery.signals import task_prerun
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from parties import roles
from parties.tests.factories import make_party, make_user
from secportal.models import OutboxMessage

pytestmark = pytest.mark.django_db
KNOWN, UNKNOWN = "erin@fenland.example", "nobody@fenland.example"


def _reset(email, party):
    return reverse("account_reset_password"), {"email": email}


def _account_request(email, party):
    data = {"full_name": "Erin Hale", "email": email, "party": party.pk, "job_title": "Analyst", "reason": ""}
    return reverse("account-request"), data


def _answer(url, data, capture):
    """One request from a stranger: its response, its SQL (the address taken out) and the
    callbacks it left to run after its commit (not run yet)."""
    email = data["email"]
    with CaptureQueriesContext(connection) as queries, capture(execute=False) as callbacks:
        response = Client().post(url, data)
    return response, [q["sql"].replace(email, "<address>") for q in queries], callbacks


def _run_after_commit(callbacks, capture) -> list[tuple[str, dict]]:
    """Run what the request left for after its commit (tasks run eagerly in tests, as a worker
    would), and return the tasks that started, with their arguments."""
    started = []

    def record(sender=None, kwargs=None, **extra):
        started.append((sender.name, dict(kwargs or {})))

    task_prerun.connect(record, weak=False)
    try:
        with capture(execute=True):
            for callback in callbacks:
                callback()
    finally:
        task_prerun.disconnect(record)
    return started


@pytest.mark.parametrize(
    ("page", "task"),
    [(_reset, "parties.tasks.password_reset_send"), (_account_request, "parties.tasks.account_request_receive")],
)
def test_a_known_and_an_unknown_address_cost_the_page_the_same(page, task, django_capture_on_commit_callbacks):
    party = make_party(name="Fenland Community Power Ltd")
    make_user(email=KNOWN, full_name="Erin Hale", party=party)
    make_user(email="staff@secas.example", role_names={roles.SECAS_STAFF})
    answers = {email: _answer(*page(email, party), django_capture_on_commit_callbacks) for email in (KNOWN, UNKNOWN)}
    (known, known_sql, known_after), (unknown, unknown_sql, unknown_after) = answers[KNOWN], answers[UNKNOWN]
    assert known.status_code == unknown.status_code
    assert known.get("Location") == unknown.get("Location")
    assert known_sql == unknown_sql  # the same statements, in the same order
    assert not OutboxMessage.objects.exists()  # no email was rendered or queued by the page
    assert len(known_after) == len(unknown_after) == 1
    started = {email: _run_after_commit(answers[email][2], django_capture_on_commit_callbacks) for email in answers}
    # The page's one task, for each address (the worker then starts email delivery where it sent any).
    assert started[KNOWN][0] == (task, {**started[UNKNOWN][0][1], "email": KNOWN})
    assert started[UNKNOWN][0] == (task, {**started[KNOWN][0][1], "email": UNKNOWN})
    # The worker sent what applies.
    to_known = [m.subject for m in mail.outbox if m.to == [KNOWN]]
    to_unknown = [m.subject for m in mail.outbox if m.to == [UNKNOWN]]
    if page is _reset:
        assert to_known == ["[SEC Portal] Set a new password"] and to_unknown == []
        assert "/accounts/password/reset/key/" in next(m.body for m in mail.outbox if m.to == [KNOWN])
    else:
        assert to_known == ["[SEC Portal] You already have an SEC Portal account"]
        assert to_unknown == ["[SEC Portal] We received your request for an SEC Portal account"]


def test_a_removed_account_gets_no_reset_email(django_capture_on_commit_callbacks):
    make_user(email=KNOWN, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(reverse("account_reset_password"), {"email": KNOWN})
    assert response.status_code == 302 and mail.outbox == []
