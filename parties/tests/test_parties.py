"""Parties: the register, one Party, staff management, people, invitations and change requests."""

import datetime
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from parties import roles, services
from parties.models import Invitation, Party, PartyChangeRequest, PartyEvent, User, VotingGroup
from parties.tests.factories import PASSWORD, give_totp, make_party, make_user
from secportal.exceptions import ApplicationError
from secportal.models import Notification, NotificationSettings, OutboxMessage

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 30)


@pytest.fixture
def staff():
    user = make_user(email="staff@secas.example", role_names={roles.SECAS_STAFF}, is_staff=True)
    give_totp(user)
    # Told by email at once on any day (the default waits for a Working Day; the real clock may be a weekend).
    NotificationSettings.objects.create(user=user, working_days_only=False)
    return user


@pytest.fixture
def party():
    return make_party(
        name="Northwind Energy Supply Ltd",
        category=Party.Category.LARGE_SUPPLIER,
        status=Party.Status.ACCEDED,
        party_signifier="NWES",
    )


@pytest.fixture
def other_party():
    return make_party(name="Fenland Community Power Ltd", status=Party.Status.ACCEDED)


@pytest.fixture
def admin(party):
    return make_user(
        email="alice@northwind.example", party=party, role_names={roles.PARTY_USER, roles.PARTY_ADMINISTRATOR}
    )


@pytest.fixture
def colleague(party):
    return make_user(email="james@northwind.example", party=party)


def queries(client, url) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return len(ctx), response


# --- The register --------------------------------------------------------------------------------


def test_register_filters_search_sort_and_counts(client):
    group = VotingGroup.objects.create(name="Northwind Group")
    make_party(
        name="Northwind Energy",
        category=Party.Category.LARGE_SUPPLIER,
        status=Party.Status.ACCEDED,
        voting_group=group,
        acceded_on=datetime.date(2014, 1, 1),
    )
    make_party(
        name="Northwind Gas",
        category=Party.Category.LARGE_SUPPLIER,
        status=Party.Status.ACCEDED,
        voting_group=group,
        acceded_on=datetime.date(2016, 1, 1),
    )
    make_party(name="Fenland Power", category=Party.Category.SMALL_SUPPLIER, status=Party.Status.APPLIED)
    make_party(name="Gone Energy", category=Party.Category.SMALL_SUPPLIER, status=Party.Status.WITHDRAWN)

    response = client.get(reverse("parties:party-list"))
    names = [p.name for p in response.context["page"].object_list]
    assert names == ["Fenland Power", "Gone Energy", "Northwind Energy", "Northwind Gas"]
    counts = {c["value"]: c["count"] for c in response.context["category_counts"]}
    assert counts["large_supplier"] == 2 and counts["small_supplier"] == 1 and counts["dcc"] == 0
    assert "Northwind Group" in response.content.decode()

    def names_for(**params):
        return [p.name for p in client.get(reverse("parties:party-list"), params).context["page"].object_list]

    assert names_for(category="small_supplier") == ["Fenland Power", "Gone Energy"]
    assert names_for(status="withdrawn") == ["Gone Energy"]
    assert names_for(q="northwind") == ["Northwind Energy", "Northwind Gas"]
    assert names_for(q="northwind", sort="-acceded") == ["Northwind Gas", "Northwind Energy"]
    assert names_for(sort="-name")[0] == "Northwind Gas"
    assert names_for(category="not-a-category") == names_for()  # bad input is ignored, never a 500


def test_register_paginates_and_keeps_filters_in_links(client):
    for n in range(30):
        make_party(name=f"Supplier {n:02d}", category=Party.Category.SMALL_SUPPLIER)
    response = client.get(reverse("parties:party-list"), {"category": "small_supplier"})
    assert len(response.context["page"].object_list) == 25
    assert "?category=small_supplier&amp;page=2" in response.content.decode()
    assert len(client.get(reverse("parties:party-list"), {"page": "2"}).context["page"].object_list) == 5
    assert client.get(reverse("parties:party-list"), {"page": "999"}).status_code == 200


def test_register_query_count_does_not_grow_with_parties(client):
    group = VotingGroup.objects.create(name="Group")
    for n in range(3):
        make_party(name=f"Small {n}", voting_group=group)
    few, _ = queries(client, reverse("parties:party-list"))
    for n in range(3, 24):
        make_party(name=f"Small {n}", voting_group=group)
    many, _ = queries(client, reverse("parties:party-list"))
    assert few == many


def test_party_page_shows_details_to_everyone_and_people_only_to_its_users(client, party, admin, other_party):
    url = reverse("parties:party-detail", args=[party.slug])
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["people"] is None
    assert "alice@northwind" not in response.content.decode()
    client.force_login(make_user(party=other_party))
    assert client.get(url).context["people"] is None
    client.force_login(admin)
    people = client.get(url).context["people"]
    assert [p["user"] for p in people] == [admin] and people[0]["is_admin"]


def test_party_page_query_count_does_not_grow_with_people_or_history(client, party, admin, staff):
    client.force_login(admin)
    url = reverse("parties:party-detail", args=[party.slug])
    few, _ = queries(client, url)
    for n in range(8):
        make_user(email=f"extra{n}@northwind.example", party=party)
        services.party_update(actor=staff, party=party, contact_phone=f"0161 000 000{n}")
    many, _ = queries(client, url)
    assert few == many


def test_renaming_keeps_the_old_address_working(client, party, staff):
    old_url = reverse("parties:party-detail", args=[party.slug])
    party = services.party_update(actor=staff, party=party, name="Northwind Retail Ltd")
    assert party.slug == "northwind-retail-ltd"
    response = client.get(old_url)
    assert response.status_code == 301
    assert response.url == reverse("parties:party-detail", args=["northwind-retail-ltd"])
    # And back again: the first slug returns to its Party, the second now redirects.
    party = services.party_update(actor=staff, party=party, name="Northwind Energy Supply Ltd")
    assert party.slug == "northwind-energy-supply-ltd"
    assert client.get(old_url).status_code == 200
    assert client.get(reverse("parties:party-detail", args=["northwind-retail-ltd"])).status_code == 301


def test_unknown_party_is_404(client):
    assert client.get(reverse("parties:party-detail", args=["no-such-party"])).status_code == 404


# --- SECAS staff manage Parties --------------------------------------------------------------------


def test_staff_record_a_party_and_take_it_through_accession(client, staff):
    client.force_login(staff)
    response = client.post(
        reverse("parties:party-create"),
        {
            "name": "Kestrel Green Energy Ltd",
            "category": "small_supplier",
            "status_on": "2026-11-02",
            "contact_email": "sec@kestrel.example",
        },
    )
    assert response.status_code == 302
    party = Party.objects.get(name="Kestrel Green Energy Ltd")
    assert (party.status, party.applied_on) == (Party.Status.APPLIED, datetime.date(2026, 11, 2))
    status_url = reverse("parties:party-status", args=[party.slug])
    response = client.post(status_url, {"status": "acceded", "on": "2026-11-20"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()  # not offered
    client.post(status_url, {"status": "agreement_sent", "on": "2026-11-10"})
    response = client.post(status_url, {"status": "acceded", "on": "2026-11-20"})
    assert "Party Signifier" in response.content.decode()  # refused: no signifier yet
    services.party_update(actor=staff, party=party, party_signifier="KGEL")
    client.post(status_url, {"status": "acceded", "on": "2026-11-20"})
    party.refresh_from_db()
    assert (party.status, party.acceded_on) == (Party.Status.ACCEDED, datetime.date(2026, 11, 20))
    kinds = list(party.events.values_list("kind", "actor__email"))
    assert kinds.count(("status_changed", "staff@secas.example")) == 2
    assert ("created", "staff@secas.example") in kinds and ("updated", "staff@secas.example") in kinds


@pytest.mark.parametrize(
    ("start", "allowed"),
    [
        (Party.Status.APPLIED, {Party.Status.AGREEMENT_SENT, Party.Status.WITHDRAWN}),
        (Party.Status.AGREEMENT_SENT, {Party.Status.ACCEDED, Party.Status.WITHDRAWN}),
        (Party.Status.ACCEDED, {Party.Status.WITHDRAWN}),
        (Party.Status.WITHDRAWN, set()),
    ],
)
def test_every_accession_transition(staff, start, allowed):
    for target in Party.Status:
        party = make_party(status=start, party_signifier="SIG")
        if target in allowed:
            services.party_change_status(actor=staff, party=party, status=target, on=TODAY)
            party.refresh_from_db()
            assert party.status == target and getattr(party, Party.STATUS_DATE_FIELDS[target]) == TODAY
        else:
            with pytest.raises(ApplicationError):
                services.party_change_status(actor=staff, party=party, status=target, on=TODAY)
            party.refresh_from_db()
            assert party.status == start


def test_duplicate_party_names_are_refused_with_a_message(client, staff, party):
    client.force_login(staff)
    response = client.post(
        reverse("parties:party-create"),
        {"name": "northwind energy supply ltd", "category": "small_supplier", "status_on": "2026-11-02"},
    )
    assert "Another Party is already called" in response.content.decode()
    assert Party.objects.count() == 1


def test_a_party_with_history_cannot_be_deleted_but_a_mistake_can(client, staff, party, admin):
    with pytest.raises(ApplicationError, match="withdrawal"):
        services.party_delete(actor=staff, party=party)
    client.force_login(staff)
    response = client.post(reverse("parties:party-delete", args=[party.slug]), follow=True)
    assert "cannot be deleted" in response.content.decode()
    assert Party.objects.filter(pk=party.pk).exists()
    mistake = services.party_create(actor=staff, name="Typo Energy", category=Party.Category.OTHER)
    client.post(reverse("parties:party-delete", args=[mistake.slug]))
    assert not Party.objects.filter(pk=mistake.pk).exists()


@pytest.mark.parametrize("url_name", ["party-edit", "party-status", "party-delete"])
def test_staff_pages_are_404_for_everyone_else(client, party, admin, url_name):
    url = reverse(f"parties:{url_name}", args=[party.slug])
    client.force_login(admin)
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "Hijacked", "status": "withdrawn", "on": "2026-01-01"}).status_code == 404
    party.refresh_from_db()
    assert party.name == "Northwind Energy Supply Ltd" and party.status == Party.Status.ACCEDED
    assert client.get(reverse("parties:party-create")).status_code == 404


def test_non_staff_cannot_use_staff_services(party, admin):
    for call in (
        lambda: services.party_create(actor=admin, name="X", category=Party.Category.OTHER),
        lambda: services.party_update(actor=admin, party=party, name="X"),
        lambda: services.party_change_status(actor=admin, party=party, status="withdrawn", on=TODAY),
        lambda: services.party_delete(actor=admin, party=party),
    ):
        with pytest.raises(ApplicationError, match="Only SECAS staff"):
            call()


# --- People: invitations, removal, administrators ------------------------------------------------------


def invite(client, party, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("parties:party-people", args=[party.slug]), {"email": email})
    return response


def accept_link(message) -> str:
    link = re.search(r"https?://\S+/parties/invitations/\S+/", message.body).group(0)
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def test_invited_colleague_accepts_and_is_signed_in(client, party, admin, django_capture_on_commit_callbacks):
    client.force_login(admin)
    response = invite(client, party, "Rosa@Northwind.example", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["rosa@northwind.example"]
    link = accept_link(mail.outbox[0])
    invitation = Invitation.objects.get()
    assert invitation.token_hash not in link  # only the hash is stored
    client.logout()
    page = client.get(link)
    assert page.status_code == 200 and "Northwind Energy Supply Ltd" in page.content.decode()
    response = client.post(
        link,
        {
            "full_name": "Rosa Diaz",
            "job_title": "Analyst",
            "password1": "rosa-pass-2026-long",
            "password2": "rosa-pass-2026-long",
        },
    )
    assert response.status_code == 302 and response.url == reverse("dashboard")
    rosa = User.objects.get(email="rosa@northwind.example")
    assert (rosa.party, rosa.role_names) == (party, frozenset({roles.PARTY_USER}))
    assert client.session["_auth_user_id"] == str(rosa.pk)
    # The link works once.
    client.logout()
    used = client.get(link)
    assert used.status_code == 410 and "already been used" in used.content.decode()
    assert list(party.events.values_list("kind", flat=True)[:2]) == ["user_joined", "user_invited"]
    # And she signs in with her new password.
    client.post(reverse("account_login"), {"login": "rosa@northwind.example", "password": "rosa-pass-2026-long"})
    assert client.session["_auth_user_id"] == str(rosa.pk)


def test_invitation_acceptance_checks_the_password(client, party, admin, django_capture_on_commit_callbacks):
    client.force_login(admin)
    invite(client, party, "rosa@northwind.example", django_capture_on_commit_callbacks)
    client.logout()
    link = accept_link(mail.outbox[0])
    response = client.post(link, {"full_name": "Rosa", "job_title": "A", "password1": "short", "password2": "other"})
    assert response.status_code == 200
    assert "not the same" in response.content.decode()
    assert not User.objects.filter(email="rosa@northwind.example").exists()


def test_expired_invitation_is_refused_and_can_be_sent_again(client, party, admin, django_capture_on_commit_callbacks):
    client.force_login(admin)
    invite(client, party, "rosa@northwind.example", django_capture_on_commit_callbacks)
    response = invite(client, party, "rosa@northwind.example", django_capture_on_commit_callbacks)
    assert response.status_code == 400 and "already has an invitation" in response.content.decode()
    first_link = accept_link(mail.outbox[0])
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.logout()
    response = client.get(first_link)
    assert response.status_code == 410 and "expired" in response.content.decode()
    with pytest.raises(ApplicationError, match="expired"):
        services.invitation_accept(
            token=first_link.rstrip("/").rsplit("/", 1)[1], full_name="R", job_title="A", password="rosa-pass-2026-long"
        )
    client.force_login(admin)
    assert invite(client, party, "rosa@northwind.example", django_capture_on_commit_callbacks).status_code == 302
    assert [i.state() for i in Invitation.objects.order_by("created_at")] == ["revoked", "open"]


def test_withdrawn_invitation_cannot_be_used(client, party, admin):
    invitation = services.invitation_create(actor=admin, party=party, email="rosa@northwind.example")
    client.force_login(admin)
    client.post(reverse("parties:invitation-revoke", args=[party.slug, invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.state() == "revoked"


def test_an_invalid_token_is_a_clear_page(client):
    response = client.get(reverse("parties:invitation-accept", args=["not-a-real-token"]))
    assert response.status_code == 410 and "not valid" in response.content.decode()


def test_people_with_an_account_cannot_be_invited(party, admin, colleague):
    with pytest.raises(ApplicationError, match="already has a portal account"):
        services.invitation_create(actor=admin, party=party, email="JAMES@northwind.example")


def test_removed_user_cannot_sign_in_and_their_record_stays(client, party, admin, colleague):
    client.force_login(admin)
    client.post(reverse("parties:party-person-action", args=[party.slug, colleague.pk, "remove"]))
    colleague.refresh_from_db()
    assert not colleague.is_active and colleague.removed_at is not None
    assert User.objects.filter(pk=colleague.pk).exists()
    assert colleague.role_names == frozenset()
    client.logout()
    client.post(reverse("account_login"), {"login": colleague.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_removal_ends_an_existing_session(client, party, admin, colleague):
    client.force_login(colleague)
    assert client.get(reverse("dashboard")).status_code == 200
    services.party_user_remove(actor=admin, user=colleague)
    assert client.get(reverse("dashboard")).status_code == 302


def test_promote_and_demote_keep_one_administrator(party, admin, colleague):
    services.party_admin_promote(actor=admin, user=colleague)
    assert User.objects.get(pk=colleague.pk).is_party_administrator
    services.party_admin_demote(actor=colleague, user=admin)
    assert not User.objects.get(pk=admin.pk).is_party_administrator
    with pytest.raises(ApplicationError, match="only administrator"):
        services.party_admin_demote(actor=make_user(role_names={roles.SECAS_STAFF}), user=colleague)
    with pytest.raises(ApplicationError, match="cannot remove yourself"):
        services.party_user_remove(actor=colleague, user=colleague)


def test_a_party_user_who_is_not_an_administrator_cannot_manage(client, party, admin, colleague):
    client.force_login(colleague)
    assert client.get(reverse("parties:party-people", args=[party.slug])).status_code == 404
    response = client.post(reverse("parties:party-person-action", args=[party.slug, admin.pk, "remove"]))
    assert response.status_code == 404
    with pytest.raises(ApplicationError):
        services.invitation_create(actor=colleague, party=party, email="x@northwind.example")
    with pytest.raises(ApplicationError):
        services.party_admin_promote(actor=colleague, user=colleague)
    assert User.objects.get(pk=admin.pk).is_active


def test_an_administrator_cannot_manage_another_party(client, party, admin, other_party):
    stranger = make_user(email="ewan@fenland.example", party=other_party)
    client.force_login(admin)
    assert client.get(reverse("parties:party-people", args=[other_party.slug])).status_code == 404
    url = reverse("parties:party-person-action", args=[other_party.slug, stranger.pk, "remove"])
    assert client.post(url).status_code == 404
    # Nor through their own Party's URL with the other Party's user.
    url = reverse("parties:party-person-action", args=[party.slug, stranger.pk, "remove"])
    assert client.post(url).status_code == 404
    assert (
        client.post(reverse("parties:party-person-action", args=[party.slug, admin.pk, "explode"])).status_code == 404
    )
    with pytest.raises(ApplicationError):
        services.party_user_remove(actor=admin, user=stranger)
    with pytest.raises(ApplicationError):
        services.invitation_create(actor=admin, party=other_party, email="x@fenland.example")
    assert User.objects.get(pk=stranger.pk).is_active


def test_people_page_query_count_does_not_grow(client, party, admin):
    client.force_login(admin)
    url = reverse("parties:party-people", args=[party.slug])
    few, _ = queries(client, url)
    for n in range(6):
        make_user(email=f"p{n}@northwind.example", party=party)
        services.invitation_create(actor=admin, party=party, email=f"invitee{n}@northwind.example")
    many, _ = queries(client, url)
    assert few == many


# --- Changes to a Party's details ----------------------------------------------------------------------


def test_secas_staff_are_told_of_a_change_request_for_the_same_queries_however_many_they_are(
    party, other_party, admin, staff, django_capture_on_commit_callbacks
):
    """Asking for a change writes one happening; a Celery task tells each member of SECAS staff."""
    other_admin = make_user(
        email="ola@fenland.example", party=other_party, role_names={roles.PARTY_USER, roles.PARTY_ADMINISTRATOR}
    )
    warm_up = make_party(name="Warm-up Energy Ltd", status=Party.Status.ACCEDED)
    services.party_change_request_create(
        actor=make_user(party=warm_up, role_names={roles.PARTY_USER, roles.PARTY_ADMINISTRATOR}),
        party=warm_up,
        proposed={"website": "https://warm.example"},
    )

    def ask(actor, which):
        with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
            change = services.party_change_request_create(
                actor=actor, party=which, proposed={"website": "https://new.example"}, reason="New site"
            )
        return change, len(queries)

    first, with_one = ask(admin, party)
    more = [make_user(email=f"staff{i}@secas.example", role_names={roles.SECAS_STAFF}) for i in range(19)]
    NotificationSettings.objects.bulk_create(NotificationSettings(user=u, working_days_only=False) for u in more)
    second, with_twenty = ask(other_admin, other_party)
    assert with_twenty == with_one
    for change, staff_count in ((first, 1), (second, 20)):
        about = {"kind": "party_change.to_decide", "subject_id": str(change.pk)}
        assert Notification.objects.filter(**about).count() == staff_count
        assert OutboxMessage.objects.filter(**about, status=OutboxMessage.Status.SENT).count() == staff_count
    [email] = [m for m in mail.outbox if m.to == ["staff7@secas.example"]]
    assert email.subject == "[SEC Portal] Change of details to decide: Fenland Community Power Ltd"
    assert "asks to change the details of Fenland Community Power Ltd" in email.body
    assert "Website: “” → “https://new.example”" in email.body
    assert reverse("parties:change-request-detail", args=[second.pk]) in email.body


def test_change_of_details_applies_only_on_approval(client, party, admin, staff, django_capture_on_commit_callbacks):
    client.force_login(admin)
    form = client.get(reverse("parties:party-change-request", args=[party.slug])).context["form"]
    data = {f: form.initial.get(f) or "" for f in Party.DETAIL_FIELDS}
    data.update(contact_email="codes@northwind.example", address="1 New Road\nLeeds", reason="We moved")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("parties:party-change-request", args=[party.slug]), data)
    assert response.status_code == 302
    change = PartyChangeRequest.objects.get()
    assert change.proposed == {"contact_email": "codes@northwind.example", "address": "1 New Road\nLeeds"}
    party.refresh_from_db()
    assert party.contact_email == "" and party.address == ""
    assert [m.to for m in mail.outbox] == [["staff@secas.example"]]
    # A second request waits for the first.
    with pytest.raises(ApplicationError, match="already awaiting"):
        services.party_change_request_create(actor=admin, party=party, proposed={"website": "https://n.example"})

    client.force_login(staff)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("parties:change-request-detail", args=[change.pk]), {"decision": "approve", "note": ""})
    party.refresh_from_db()
    assert (party.contact_email, party.address) == ("codes@northwind.example", "1 New Road\nLeeds")
    event = party.events.get(kind=PartyEvent.Kind.CHANGE_APPROVED)
    assert event.actor == staff and event.changes["contact_email"] == ["", "codes@northwind.example"]
    assert mail.outbox[0].to == ["alice@northwind.example"] and "approved" in mail.outbox[0].subject


def test_rejection_needs_a_reason_and_changes_nothing(client, party, admin, staff):
    change = services.party_change_request_create(actor=admin, party=party, proposed={"name": "Northwind Retail"})
    client.force_login(staff)
    url = reverse("parties:change-request-detail", args=[change.pk])
    response = client.post(url, {"decision": "reject", "note": ""})
    assert response.status_code == 400 and "Give the reason" in response.content.decode()
    client.post(url, {"decision": "reject", "note": "Send the Companies House certificate."})
    change.refresh_from_db()
    party.refresh_from_db()
    assert change.status == PartyChangeRequest.Status.REJECTED and party.name == "Northwind Energy Supply Ltd"
    with pytest.raises(ApplicationError, match="already rejected"):
        services.party_change_request_approve(actor=staff, change=change)


def test_a_renaming_change_keeps_the_old_address(client, party, admin, staff):
    change = services.party_change_request_create(actor=admin, party=party, proposed={"name": "Northwind Retail"})
    services.party_change_request_approve(actor=staff, change=change)
    assert client.get(reverse("parties:party-detail", args=["northwind-energy-supply-ltd"])).status_code == 301


def test_only_the_partys_administrators_request_changes(client, party, colleague, other_party):
    client.force_login(colleague)
    assert client.get(reverse("parties:party-change-request", args=[party.slug])).status_code == 404
    outsider_admin = make_user(party=other_party, role_names={roles.PARTY_USER, roles.PARTY_ADMINISTRATOR})
    client.force_login(outsider_admin)
    assert client.get(reverse("parties:party-change-request", args=[party.slug])).status_code == 404
    with pytest.raises(ApplicationError):
        services.party_change_request_create(
            actor=outsider_admin, party=party, proposed={"website": "https://x.example"}
        )


def test_only_staff_decide_changes(client, party, admin):
    change = services.party_change_request_create(actor=admin, party=party, proposed={"website": "https://n.example"})
    client.force_login(admin)
    assert client.get(reverse("parties:change-request-list")).status_code == 404
    assert (
        client.post(reverse("parties:change-request-detail", args=[change.pk]), {"decision": "approve"}).status_code
        == 404
    )
    with pytest.raises(ApplicationError):
        services.party_change_request_approve(actor=admin, change=change)
    party.refresh_from_db()
    assert party.website == ""


def test_nothing_to_change_is_refused(party, admin):
    with pytest.raises(ApplicationError, match="Nothing would change"):
        services.party_change_request_create(actor=admin, party=party, proposed={"name": party.name})


# --- Profile -----------------------------------------------------------------------------------------


def test_profile_shows_the_person_and_saves_name_and_title(client, party, admin):
    client.force_login(admin)
    response = client.get(reverse("profile"))
    content = response.content.decode()
    assert "alice@northwind.example" in content and "Northwind Energy Supply Ltd" in content
    assert "Party administrator" in content and "Two-factor authentication" in content
    client.post(reverse("profile"), {"full_name": "Alice Turner-Smith", "job_title": "Head of Codes"})
    admin.refresh_from_db()
    assert (admin.full_name, admin.job_title) == ("Alice Turner-Smith", "Head of Codes")
    response = client.post(reverse("profile"), {"full_name": "", "job_title": "x"})
    assert "This field is required" in response.content.decode()
