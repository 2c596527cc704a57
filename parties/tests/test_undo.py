"""Removing a person from a Party says what happens first, and a removal can be undone: their
Party's administrators (or SECAS) reinstate them as they were, once, and they are told by email."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from parties import roles, services
from parties.models import Party, PartyEvent, User
from parties.tests.factories import PASSWORD, give_totp, make_party, make_user
from secportal.exceptions import ApplicationError
from secportal.models import OutboxMessage, Session

pytestmark = pytest.mark.django_db

REINSTATED = "party.user_reinstated"


@pytest.fixture
def party():
    return make_party(name="Northwind Energy Supply Ltd", status=Party.Status.ACCEDED, party_signifier="NWES")


@pytest.fixture
def admin(party):
    return make_user(
        email="alice@northwind.example", party=party, role_names={roles.PARTY_USER, roles.PARTY_ADMINISTRATOR}
    )


@pytest.fixture
def colleague(party):
    return make_user(email="james@northwind.example", full_name="James Okafor", party=party)


@pytest.fixture
def staff():
    user = make_user(email="staff@secas.example", role_names={roles.SECAS_STAFF}, is_staff=True)
    give_totp(user)
    return user


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def reinstatements(user: User) -> list[PartyEvent]:
    return list(PartyEvent.objects.filter(person=user, kind=PartyEvent.Kind.USER_REINSTATED))


# --- The services ---------------------------------------------------------------------------------------


def test_removal_ends_every_session_and_names_the_person_in_the_history(client, party, admin, colleague):
    client.force_login(colleague)
    client.get(reverse("dashboard"))
    assert Session.objects.filter(user_id=colleague.pk).count() == 1
    services.party_user_remove(actor=admin, user=colleague)
    assert not Session.objects.filter(user_id=colleague.pk).exists()
    removal = PartyEvent.objects.get(kind=PartyEvent.Kind.USER_REMOVED)
    assert removal.person == colleague and removal.actor == admin and removal.party == party
    assert removal.changes == {"roles": [[roles.PARTY_USER], []]}


def test_an_administrator_reinstates_a_colleague_as_they_were_and_they_are_told_once(
    client, party, admin, colleague, django_capture_on_commit_callbacks
):
    services.party_admin_promote(actor=admin, user=colleague)
    services.party_user_remove(actor=admin, user=colleague)
    assert fresh(colleague).role_names == frozenset()
    with django_capture_on_commit_callbacks(execute=True):
        services.party_user_reinstate(actor=admin, user=colleague)
    back = fresh(colleague)
    assert back.is_active and back.removed_at is None and back.party == party
    assert back.role_names == {roles.PARTY_USER, roles.PARTY_ADMINISTRATOR}
    [event] = reinstatements(colleague)
    assert event.actor == admin and event.party == party
    assert event.changes == {"roles": [[], [roles.PARTY_ADMINISTRATOR, roles.PARTY_USER]]}
    [email] = OutboxMessage.objects.filter(kind=REINSTATED)
    assert email.recipient == "james@northwind.example"
    assert "Northwind Energy Supply Ltd" in email.subject
    assert "reinstated, as one of the Party's administrators" in email.body_text
    assert "/accounts/login/" in email.body_text and "/accounts/password/reset/" in email.body_text
    # Their own password works again.
    client.post(reverse("account_login"), {"login": colleague.email, "password": PASSWORD})
    assert client.session.get("_auth_user_id") == str(colleague.pk)
    # A second reinstatement is refused: nothing more is recorded or sent.
    with pytest.raises(ApplicationError, match="not removed: they may have been reinstated already"):
        services.party_user_reinstate(actor=admin, user=colleague)
    assert len(reinstatements(colleague)) == 1
    assert OutboxMessage.objects.filter(kind=REINSTATED).count() == 1


def test_each_reinstatement_is_told_once(party, admin, colleague):
    for _ in range(2):
        services.party_user_remove(actor=admin, user=colleague)
        services.party_user_reinstate(actor=admin, user=colleague)
    assert len(reinstatements(colleague)) == 2
    assert OutboxMessage.objects.filter(kind=REINSTATED, recipient=colleague.email).count() == 2
    assert fresh(colleague).role_names == {roles.PARTY_USER}


def test_secas_may_reinstate(party, admin, colleague, staff):
    services.party_user_remove(actor=admin, user=colleague)
    services.party_user_reinstate(actor=staff, user=colleague)
    assert fresh(colleague).is_active
    assert reinstatements(colleague)[0].actor == staff


def test_only_the_partys_administrators_and_secas_may_reinstate(party, admin, colleague):
    services.party_user_remove(actor=admin, user=colleague)
    user = make_user(email="bea@northwind.example", party=party)
    elsewhere = make_user(
        email="ewan@fenland.example",
        party=make_party(name="Fenland Community Power Ltd", status=Party.Status.ACCEDED),
        role_names={roles.PARTY_USER, roles.PARTY_ADMINISTRATOR},
    )
    for actor in (user, elsewhere):
        with pytest.raises(ApplicationError, match="Only the administrators of this person's Party, or SECAS"):
            services.party_user_reinstate(actor=actor, user=colleague)
    assert not fresh(colleague).is_active
    assert reinstatements(colleague) == []
    assert not OutboxMessage.objects.filter(kind=REINSTATED).exists()


def test_not_once_they_belong_to_another_party(party, admin, colleague, staff):
    services.party_user_remove(actor=admin, user=colleague)
    fenland = make_party(name="Fenland Community Power Ltd", status=Party.Status.ACCEDED)
    User.objects.filter(pk=colleague.pk).update(party=fenland)  # SECAS moved them, in the admin
    with pytest.raises(ApplicationError, match="removed from Northwind Energy Supply Ltd and belongs to Fenland"):
        services.party_user_reinstate(actor=staff, user=colleague)
    after = fresh(colleague)
    assert not after.is_active and after.removed_at is not None and after.role_names == frozenset()
    assert reinstatements(colleague) == []
    assert not OutboxMessage.objects.filter(kind=REINSTATED).exists()


def test_not_without_a_record_of_the_removal(party, admin, colleague):
    User.objects.filter(pk=colleague.pk).update(is_active=False)  # switched off in the admin
    with pytest.raises(ApplicationError, match="no record of James Okafor's removal"):
        services.party_user_reinstate(actor=admin, user=colleague)
    assert not fresh(colleague).is_active


def test_not_to_a_party_that_has_withdrawn(party, admin, colleague, staff):
    services.party_user_remove(actor=admin, user=colleague)
    Party.objects.filter(pk=party.pk).update(status=Party.Status.WITHDRAWN)
    with pytest.raises(ApplicationError, match="has withdrawn from the SEC"):
        services.party_user_reinstate(actor=staff, user=colleague)
    assert not fresh(colleague).is_active


def test_a_refused_reinstatement_saves_nothing(party, admin, superuser):
    """The roles are given last: when they are refused, the account stays as it was."""
    both = make_user(email="sam@northwind.example", party=party, role_names={roles.PARTY_USER, roles.SECAS_STAFF})
    services.party_user_remove(actor=superuser, user=both)
    with pytest.raises(ApplicationError, match="Only a superuser can give or take away the SECAS staff role"):
        services.party_user_reinstate(actor=admin, user=both)
    after = fresh(both)
    assert not after.is_active and after.removed_at is not None and after.role_names == frozenset()
    assert reinstatements(both) == []
    assert not OutboxMessage.objects.filter(kind=REINSTATED).exists()


def test_removals_recorded_before_they_named_their_person_are_linked(party, admin, colleague):
    PartyEvent.objects.create(
        party=party,
        kind=PartyEvent.Kind.USER_REMOVED,
        actor=admin,
        summary="James Okafor (JAMES@northwind.example) removed",
    )
    PartyEvent.objects.create(party=party, kind=PartyEvent.Kind.USER_REMOVED, actor=admin, summary="Someone removed")
    migration = importlib.import_module("parties.migrations.0005_party_event_person")
    migration.name_removed_people(apps, None)
    linked, unknown = PartyEvent.objects.filter(kind=PartyEvent.Kind.USER_REMOVED).order_by("id")
    assert linked.person == colleague and unknown.person is None


# --- The pages ------------------------------------------------------------------------------------------


def test_the_confirmation_says_what_happens_and_only_managers_see_it(client, party, admin, colleague, staff):
    url = reverse("parties:party-person-remove", args=[party.slug, colleague.pk])
    assert client.get(url).status_code == 302  # signed out: to the sign-in page
    client.force_login(make_user(email="bea@northwind.example", party=party))
    assert client.get(url).status_code == 404
    client.force_login(
        make_user(
            email="ewan@fenland.example",
            party=make_party(name="Fenland Community Power Ltd"),
            role_names={roles.PARTY_USER, roles.PARTY_ADMINISTRATOR},
        )
    )
    assert client.get(url).status_code == 404
    for manager in (admin, staff):
        client.force_login(manager)
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert "Remove James Okafor from Northwind Energy Supply Ltd?" in html
        assert "any session they have open ends now" in html and "No one is emailed" in html
        assert "Can it be undone?" in html and "reinstate them from <strong>Removed people</strong>" in html
    assert fresh(colleague).is_active  # looking changes nothing


def test_remove_then_undo_from_the_message(client, party, admin, colleague):
    client.force_login(admin)
    url = reverse("parties:party-person-remove", args=[party.slug, colleague.pk])
    page = client.post(url, follow=True)
    assert not fresh(colleague).is_active
    html = page.content.decode()
    reinstate = reverse("parties:party-person-action", args=[party.slug, colleague.pk, "reinstate"])
    assert "James Okafor has been removed and can no longer sign in." in html
    assert (
        f'<form method="post" action="{reinstate}"' in html
        and 'aria-label="Undo: reinstate James Okafor">Undo<' in html
    )
    assert 'id="removed-title"' in html and "Reinstate<span" in html
    page = client.post(reinstate, follow=True)
    assert "James Okafor has been reinstated and can sign in again." in page.content.decode()
    assert fresh(colleague).is_active
    # Removing someone already removed, or yourself, goes back to the list with a word why.
    services.party_user_remove(actor=admin, user=colleague)
    assert "already been removed" in client.get(url, follow=True).content.decode()
    own = reverse("parties:party-person-remove", args=[party.slug, admin.pk])
    assert "You cannot remove yourself." in client.post(own, follow=True).content.decode()
    assert fresh(admin).is_active


def test_others_cannot_reinstate_through_the_page(client, party, admin, colleague):
    services.party_user_remove(actor=admin, user=colleague)
    reinstate = reverse("parties:party-person-action", args=[party.slug, colleague.pk, "reinstate"])
    client.force_login(make_user(email="bea@northwind.example", party=party))
    assert client.post(reinstate).status_code == 404
    client.force_login(admin)
    assert client.get(reinstate).status_code == 405
    assert not fresh(colleague).is_active


def test_people_page_query_count_does_not_grow_with_removed_people(client, party, admin):
    client.force_login(admin)
    url = reverse("parties:party-people", args=[party.slug])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    person = make_user(email="p0@northwind.example", party=party)
    services.party_user_remove(actor=admin, user=person)
    one = count()
    for n in range(1, 8):
        services.party_user_remove(actor=admin, user=make_user(email=f"p{n}@northwind.example", party=party))
    assert count() == one
    assert client.get(url).content.decode().count("Reinstate<span") == 8
