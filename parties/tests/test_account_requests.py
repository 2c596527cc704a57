"""A person asks for an account for their Party; SECAS staff approve or decline it."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from parties import roles
from parties.models import AccountRequest, Party, User
from parties.services import (
    account_request_approve,
    account_request_create,
    account_request_decline,
    user_set_roles,
)
from parties.tests.factories import give_totp
from secportal import notifications
from secportal.exceptions import ApplicationError
from secportal.models import Notification, NotificationSettings, OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(user_factory):
    user = user_factory(email="staff@secas.example", role_names={roles.SECAS_STAFF}, is_staff=True)
    give_totp(user)
    # Told by email at once on any day (the default waits for a Working Day; the real clock may be a weekend).
    NotificationSettings.objects.create(user=user, working_days_only=False)
    return user


@pytest.fixture
def party(party_factory):
    return party_factory(name="Fenland Community Power Ltd")


def request_form(party, **overrides):
    data = {
        "full_name": "Rosa Diaz",
        "email": "rosa@fenland.example",
        "party": party.pk,
        "job_title": "Metering Analyst",
        "reason": "",
    }
    data.update(overrides)
    return data


def test_request_form_records_a_pending_request_and_tells_people(
    client, party, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account-request"), request_form(party))
    assert response.status_code == 200
    assert "your request has been received" in response.content.decode()
    ar = AccountRequest.objects.get()
    assert (ar.status, ar.email, ar.party) == (AccountRequest.Status.PENDING, "rosa@fenland.example", party)
    assert sorted(m.to[0] for m in mail.outbox) == ["rosa@fenland.example", "staff@secas.example"]
    assert not User.objects.filter(email="rosa@fenland.example").exists()


def test_secas_staff_are_told_of_an_account_request_for_the_same_queries_however_many_they_are(
    party, staff, user_factory, django_capture_on_commit_callbacks
):
    """Recording a request writes one happening; a Celery task tells each member of SECAS staff."""
    account_request_create(full_name="Warm Up", email="warm@fenland.example", party=party, job_title="A")

    def ask(name: str, email: str):
        with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
            ar = account_request_create(full_name=name, email=email, party=party, job_title="Metering Analyst")
        return ar, len(queries)

    first, with_one = ask("Rosa Diaz", "rosa@fenland.example")
    more = [user_factory(email=f"staff{i}@secas.example", role_names={roles.SECAS_STAFF}) for i in range(19)]
    NotificationSettings.objects.bulk_create(NotificationSettings(user=u, working_days_only=False) for u in more)
    second, with_twenty = ask("Sam O'Neill", "sam@fenland.example")
    assert with_twenty == with_one
    for ar, staff_count in ((first, 1), (second, 20)):
        about = {"kind": "account_request.to_decide", "subject_id": str(ar.pk)}
        assert Notification.objects.filter(**about).count() == staff_count
        assert OutboxMessage.objects.filter(**about, status=OutboxMessage.Status.SENT).count() == staff_count
    [email] = [m for m in mail.outbox if m.to == ["staff7@secas.example"]]
    assert email.subject == "[SEC Portal] Account request to decide: Sam O'Neill (Fenland Community Power Ltd)"
    assert "Sam O'Neill (sam@fenland.example), Metering Analyst, asks for an SEC Portal account" in email.body
    assert reverse("parties:accountrequest-detail", args=[second.pk]) in email.body
    # Only those who may decide requests are shown it: someone who leaves SECAS no longer is.
    told = Notification.objects.get(user=more[7], subject_id=str(second.pk))
    assert notifications.visible_notifications(user=User.objects.get(pk=more[7].pk), notifications=[told]) == [told]
    user_set_roles(actor=None, user=more[7], role_names=set())
    assert notifications.visible_notifications(user=User.objects.get(pk=more[7].pk), notifications=[told]) == []


def test_request_form_shows_clear_errors_and_saves_nothing(client, party):
    response = client.post(reverse("account-request"), request_form(party, email="not-an-email", job_title=""))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Enter a valid email address" in content
    assert "This field is required" in content
    assert not AccountRequest.objects.exists()


def test_party_select_is_written_without_a_template_per_option(client, party, party_factory):
    # 300 Parties went through Django's option template one by one (about 20 ms of the page).
    other = party_factory(name="Ashgrove Energy Ltd")
    response = client.post(reverse("account-request"), request_form(party, email="not-an-email"))
    assert "django/forms/widgets/select_option.html" not in [t.name for t in response.templates]
    content = response.content.decode()
    select = re.search(r"<select[^>]*>", content).group(0)
    assert 'name="party"' in select and 'id="id_party"' in select and "required" in select
    assert 'aria-describedby="id_party_helptext"' in select
    assert 'for="id_party"' in content
    # The form shown again with an error keeps the person's choice, escaped like any text.
    assert f'<option value="{party.pk}" selected>Fenland Community Power Ltd</option>' in content
    assert f'<option value="{other.pk}">Ashgrove Energy Ltd</option>' in content
    assert '<option value="">Choose your Party</option>' in content


def test_withdrawn_party_cannot_be_chosen(client, party_factory):
    gone = party_factory(name="Gone Energy Ltd", status=Party.Status.WITHDRAWN)
    response = client.post(reverse("account-request"), request_form(gone))
    assert "Select a valid choice" in response.content.decode()
    assert not AccountRequest.objects.exists()


def test_a_second_request_for_the_same_email_records_nothing_new(party, staff):
    first = account_request_create(full_name="Rosa", email="rosa@fenland.example", party=party, job_title="Analyst")
    again = account_request_create(full_name="Rosa", email="ROSA@fenland.example", party=party, job_title="Analyst")
    assert first is not None and again is None
    assert AccountRequest.objects.count() == 1


def test_request_for_an_existing_account_says_nothing_on_screen_but_emails_the_owner(
    client, party, user_factory, django_capture_on_commit_callbacks
):
    user_factory(email="rosa@fenland.example")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account-request"), request_form(party))
    assert "your request has been received" in response.content.decode()
    assert not AccountRequest.objects.exists()
    assert [m.subject for m in mail.outbox] == ["[SEC Portal] You already have an SEC Portal account"]


def test_not_yet_approved_person_cannot_sign_in_and_the_page_says_why_without_telling_strangers(client, party):
    account_request_create(full_name="Rosa", email="rosa@fenland.example", party=party, job_title="Analyst")
    pending = client.post(reverse("account_login"), {"login": "rosa@fenland.example", "password": "anything-12345"})
    stranger = client.post(reverse("account_login"), {"login": "nobody@fenland.example", "password": "anything-12345"})
    assert pending.status_code == stranger.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "once SECAS has approved it" in pending.content.decode()
    # The same answer for a pending request and for an unknown address: no one learns who asked.
    assert pending.context["form"].errors == stranger.context["form"].errors


def test_approval_creates_the_account_and_the_link_sets_a_password(
    client, party, staff, django_capture_on_commit_callbacks
):
    ar = account_request_create(full_name="Rosa Diaz", email="rosa@fenland.example", party=party, job_title="Analyst")
    client.force_login(staff)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("parties:accountrequest-decide", args=[ar.pk]), {"decision": "approve"})
    assert response.status_code == 302
    ar.refresh_from_db()
    assert ar.status == AccountRequest.Status.APPROVED and ar.decided_by == staff
    user = User.objects.get(email="rosa@fenland.example")
    assert (user.party, user.full_name, user.role_names) == (party, "Rosa Diaz", frozenset({roles.PARTY_USER}))
    assert not user.has_usable_password()
    # The delivery run also sends what was still due from the request itself; one approval email.
    approvals = [m for m in mail.outbox if "Your SEC Portal account is ready" in m.subject]
    assert len(approvals) == 1 and approvals[0].to == ["rosa@fenland.example"]
    assert approvals[0].alternatives, "the email has an HTML part as well as plain text"

    client.logout()
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", approvals[0].body).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    response = client.post(form_url, {"password1": "rosas-own-pass-2026", "password2": "rosas-own-pass-2026"})
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    client.logout()
    client.post(reverse("account_login"), {"login": "rosa@fenland.example", "password": "rosas-own-pass-2026"})
    assert client.session["_auth_user_id"] == str(user.pk)


def test_decline_needs_a_reason_and_emails_it(client, party, staff, django_capture_on_commit_callbacks):
    ar = account_request_create(full_name="Rosa", email="rosa@fenland.example", party=party, job_title="Analyst")
    client.force_login(staff)
    url = reverse("parties:accountrequest-decide", args=[ar.pk])
    response = client.post(url, {"decision": "decline", "reason": ""})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    ar.refresh_from_db()
    assert ar.status == AccountRequest.Status.PENDING
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"decision": "decline", "reason": "You do not work for this Party."})
    assert response.status_code == 302
    ar.refresh_from_db()
    assert ar.status == AccountRequest.Status.DECLINED
    assert not User.objects.filter(email="rosa@fenland.example").exists()
    declined = [m for m in mail.outbox if m.subject == "[SEC Portal] Your SEC Portal account request"]
    assert len(declined) == 1 and "You do not work for this Party." in declined[0].body


def test_a_decided_request_cannot_be_decided_again(party, staff):
    ar = account_request_create(full_name="Rosa", email="rosa@fenland.example", party=party, job_title="Analyst")
    account_request_approve(actor=staff, account_request=ar)
    with pytest.raises(ApplicationError, match="already approved"):
        account_request_approve(actor=staff, account_request=ar)
    with pytest.raises(ApplicationError, match="already approved"):
        account_request_decline(actor=staff, account_request=ar, reason="No")
    assert User.objects.filter(email="rosa@fenland.example").count() == 1
    assert OutboxMessage.objects.filter(kind="account_request.approved").count() == 1


@pytest.mark.parametrize("role", [roles.PARTY_USER, roles.PARTY_ADMINISTRATOR, "panel member"])
def test_only_secas_staff_decide(client, party, user_factory, role, settings):
    from panel.tests.factories import make_place

    settings.SECPORTAL_REQUIRE_MFA = False
    ar = account_request_create(full_name="Rosa", email="rosa@fenland.example", party=party, job_title="Analyst")
    someone = user_factory(role_names={role} if role in roles.ALL_ROLES else {roles.PARTY_USER})
    if role == "panel member":
        make_place(someone)
    with pytest.raises(ApplicationError):
        account_request_approve(actor=someone, account_request=ar)
    client.force_login(someone)
    assert client.get(reverse("parties:accountrequest-list")).status_code == 404
    assert client.get(reverse("parties:accountrequest-detail", args=[ar.pk])).status_code == 404
    response = client.post(reverse("parties:accountrequest-decide", args=[ar.pk]), {"decision": "approve"})
    assert response.status_code == 404
    ar.refresh_from_db()
    assert ar.status == AccountRequest.Status.PENDING


def test_anonymous_visitors_are_sent_to_sign_in(client, party):
    ar = account_request_create(full_name="Rosa", email="rosa@fenland.example", party=party, job_title="Analyst")
    response = client.get(reverse("parties:accountrequest-detail", args=[ar.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


def test_staff_list_query_count_does_not_grow_with_rows(client, party, staff):
    client.force_login(staff)

    def count_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("parties:accountrequest-list")).status_code == 200
        return len(ctx)

    for n in range(3):
        account_request_create(full_name=f"Person {chr(65 + n)}", email=f"p{n}@x.example", party=party, job_title="A")
    with_three = count_queries()
    for n in range(3, 20):
        account_request_create(full_name=f"Person {chr(65 + n)}", email=f"p{n}@x.example", party=party, job_title="A")
    assert count_queries() == with_three


def test_the_public_request_form_is_rate_limited_per_network(client, party, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the worker records each request
        for n in range(5):
            response = client.post(reverse("account-request"), request_form(party, email=f"bot{n}@spam.example"))
            assert response.status_code == 200
        response = client.post(reverse("account-request"), request_form(party, email="bot9@spam.example"))
    assert response.status_code == 429
    assert "Too many account requests" in response.content.decode()
    assert AccountRequest.objects.count() == 5
