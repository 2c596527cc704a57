"""One rule for a person's name wherever it is set, and no stranger's text in emails to outsiders."""

import importlib
import inspect

import pytest
from django import forms
from django.apps import apps
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from parties import roles, services
from parties.forms import PersonNameField
from parties.models import AccountRequest, Invitation, Party, User
from parties.tests.factories import make_party, make_user
from parties.validators import NAME_ADDRESS_MESSAGE, NAME_MESSAGE, clean_person_name
from secportal.exceptions import ApplicationError

pytestmark = pytest.mark.django_db
ATTACK = "Eve <b>x</b> http://evil.example/reset"

GOOD = {
    "Rosa Diaz": "Rosa Diaz",
    "  Mary-Jane   O'Neil ": "Mary-Jane O'Neil",
    "J.R.R. Tolkien": "J.R.R. Tolkien",
    "Siân ap Rhys": "Siân ap Rhys",
    "D\u2019Arcy Ñúñez": "D\u2019Arcy Ñúñez",
    "Zoe\u0308 Brontë": "Zoë Brontë",  # an accent typed as its own character is composed
    "王小明": "王小明",
    "Ó": "Ó",
}
BAD = {
    ATTACK: NAME_MESSAGE,
    "eve@example.org": NAME_MESSAGE,
    "Eve evil.example": NAME_ADDRESS_MESSAGE,
    "www.evil.example": NAME_ADDRESS_MESSAGE,
    "Eve: SECAS": NAME_MESSAGE,
    "Eve / Bob": NAME_MESSAGE,
    "R2D2": NAME_MESSAGE,
    "-Eve": NAME_MESSAGE,
    "Eve\u202eevil": NAME_MESSAGE,  # a right-to-left override
    "Eve\u200b": NAME_MESSAGE,  # a zero-width space
    "   ": NAME_MESSAGE,
    "A" * 151: NAME_MESSAGE,
}


@pytest.mark.parametrize(("typed", "stored"), GOOD.items())
def test_names_people_have_are_accepted(typed, stored):
    assert clean_person_name(typed) == stored


@pytest.mark.parametrize(("typed", "message"), BAD.items())
def test_anything_else_is_refused_with_a_clear_message(typed, message):
    with pytest.raises(ValidationError) as refused:
        clean_person_name(typed)
    assert refused.value.messages == [message]


def test_every_form_that_takes_a_persons_name_uses_the_rule():
    """Every form in the portal with a `full_name` field uses PersonNameField (model forms get the
    rule from the model field, for the admin)."""
    found = []
    for config in apps.get_app_configs():
        if config.name.split(".")[0] not in {"parties", "modifications", "news", "panel", "secportal"}:
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for name, form in inspect.getmembers(module, inspect.isclass):
            if issubclass(form, forms.BaseForm) and "full_name" in form.base_fields:
                assert isinstance(form.base_fields["full_name"], PersonNameField), name
                found.append(name)
    assert set(found) >= {"AccountRequestForm", "InvitationAcceptForm", "ProfileForm"}
    for model in (User, AccountRequest):
        with pytest.raises(ValidationError):
            model._meta.get_field("full_name").clean(ATTACK, None)


@pytest.fixture
def party():
    return make_party(name="Northwind Energy Supply Ltd", status=Party.Status.ACCEDED)


@pytest.fixture
def admin(party):
    return make_user(
        email="alice@northwind.example",
        party=party,
        full_name="Alice Turner",
        role_names={roles.PARTY_USER, roles.PARTY_ADMINISTRATOR},
    )


def test_the_services_refuse_a_bad_name_and_save_nothing(party, admin):
    invitation = services.invitation_create(actor=admin, party=party, email="rosa@northwind.example")
    token = "unused"
    for call in (
        lambda: services.account_request_create(full_name=ATTACK, email="rosa@x.example", party=party, job_title="A"),
        lambda: services.invitation_accept(token=token, full_name=ATTACK, job_title="A", password="long-pass-2026"),
        lambda: services.user_update_profile(actor=admin, full_name=ATTACK, job_title="A"),
    ):
        with pytest.raises(ApplicationError, match="no numbers, symbols or web addresses"):
            call()
    assert not AccountRequest.objects.exists() and not User.objects.filter(email="rosa@northwind.example").exists()
    admin.refresh_from_db()
    invitation.refresh_from_db()
    assert admin.full_name == "Alice Turner" and invitation.state() == "open"


def test_an_old_request_with_a_bad_name_is_not_approved(party):
    staff = make_user(role_names={roles.SECAS_STAFF})
    request = AccountRequest.objects.create(full_name=ATTACK, email="eve@x.example", party=party, job_title="A")
    with pytest.raises(ApplicationError, match="Decline it"):
        services.account_request_approve(actor=staff, account_request=request)
    assert not User.objects.filter(email="eve@x.example").exists()


def test_each_page_that_takes_a_name_refuses_it_on_the_form(client, party, admin, django_capture_on_commit_callbacks):
    response = client.post(
        reverse("account-request"),
        {"full_name": ATTACK, "email": "eve@x.example", "party": party.pk, "job_title": "Analyst"},
    )
    assert NAME_MESSAGE in response.content.decode()
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("parties:party-people", args=[party.slug]), {"email": "rosa@northwind.example"})
    link = "/parties/invitations/" + mail.outbox[-1].body.split("/parties/invitations/", 1)[1].split()[0]
    response = client.post(reverse("profile"), {"full_name": ATTACK, "job_title": "Head of Codes"})
    assert NAME_MESSAGE in response.content.decode()
    client.logout()
    response = client.post(
        link,
        {
            "full_name": ATTACK,
            "job_title": "Analyst",
            "password1": "rosa-pass-2026-long",
            "password2": "rosa-pass-2026-long",
        },
    )
    assert response.status_code == 200 and NAME_MESSAGE in response.content.decode()
    assert not User.objects.filter(email="rosa@northwind.example").exists() and not AccountRequest.objects.exists()
    admin.refresh_from_db()
    assert admin.full_name == "Alice Turner"


def test_the_admin_refuses_a_bad_name(client, party, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    superuser = make_user(email="root@secas.example", is_superuser=True, is_staff=True, role_names=set())
    client.force_login(superuser)
    target = make_user(email="rosa@northwind.example", party=party, full_name="Rosa Diaz")
    page = client.get(reverse("admin:parties_user_change", args=[target.pk]))
    assert page.status_code == 200
    data = {
        "email": target.email,
        "full_name": ATTACK,
        "job_title": "",
        "party": party.pk,
        "is_active": "on",
        "groups": [],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "09:00:00",
    }
    response = client.post(reverse("admin:parties_user_change", args=[target.pk]), data)
    assert response.status_code == 200 and NAME_MESSAGE in response.content.decode()
    target.refresh_from_db()
    assert target.full_name == "Rosa Diaz"


def test_an_invitation_names_the_party_not_the_inviter(client, party, admin, django_capture_on_commit_callbacks):
    """Whatever an administrator calls themselves, the invitation (to any address they type) and
    its page name only the Party, whose name SECAS keeps."""
    User.objects.filter(pk=admin.pk).update(full_name="Password Reset Team")  # a name by the rule, sent to a stranger
    admin.refresh_from_db()
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("parties:party-people", args=[party.slug]), {"email": "rosa@elsewhere.example"})
    message = mail.outbox[-1]
    bodies = [message.subject, message.body, *(content for content, _ in message.alternatives)]
    assert all("Password Reset Team" not in text for text in bodies)
    assert all("Northwind Energy Supply Ltd" in text for text in bodies)
    link = "/parties/invitations/" + message.body.split("/parties/invitations/", 1)[1].split()[0]
    client.logout()
    page = client.get(link).content.decode()
    assert "Password Reset Team" not in page and "An administrator of Northwind Energy Supply Ltd" in page
    assert Invitation.objects.get().invited_by == admin  # kept for the Party's own history


def test_an_account_request_email_repeats_nothing_the_requester_typed(party, django_capture_on_commit_callbacks):
    """The confirmation goes to whatever address was typed: it says hello, not the typed name."""
    with django_capture_on_commit_callbacks(execute=True):
        services.account_request_create(
            full_name="Password Reset Team", email="victim@x.example", party=party, job_title="Analyst"
        )
    message = next(m for m in mail.outbox if m.to == ["victim@x.example"])
    assert all(
        "Password Reset Team" not in text
        for text in [message.subject, message.body, *(c for c, _ in message.alternatives)]
    )
