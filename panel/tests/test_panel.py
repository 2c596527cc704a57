"""Committees, membership, meetings, papers, decisions and minutes."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from modifications.models import Path, Route, Stage
from modifications.tests.factories import PDF_BYTES, make_document, make_modification
from panel import services
from panel.models import AgendaItem, Committee, Meeting, Membership, Minutes, Paper, Seat
from panel.permissions import NO_RIGHTS, committee_rights
from parties import roles
from parties.models import Party
from parties.tests.factories import make_party, make_user
from secportal.classification import Classification
from secportal.exceptions import ApplicationError

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def _mfa_is_tested_elsewhere(settings):
    """Committee members must use MFA; parties/tests cover that. Here it would only add set-up."""
    settings.SECPORTAL_REQUIRE_MFA = False


@pytest.fixture
def staff():
    return make_user(email="staff@secas.example", role_names={roles.SECAS_STAFF})


@pytest.fixture
def board():
    committee = Committee.objects.create(
        name="Change Board", slug="change-board", kind=Committee.Kind.CHANGE_BOARD, purpose="Votes on changes."
    )
    Seat.objects.create(committee=committee, label="Large Supplier", constituency="large_supplier")
    return committee


def held(committee, days_ago: int = 2) -> Meeting:
    return make_meeting(committee, starts=timezone.now() - datetime.timedelta(days=days_ago))


def make_meeting(committee, *, starts=None, **fields) -> Meeting:
    starts = starts or timezone.now() + datetime.timedelta(days=14)
    return Meeting.objects.create(
        committee=committee,
        title=fields.pop("title", "Meeting"),
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        **fields,
    )


def make_paper(meeting, *, classification, title=None, published_at=None, **fields) -> Paper:
    red = fields.pop("red_recipients", ())
    paper = Paper(
        meeting=meeting,
        title=title or f"{classification} paper",
        content_type="application/pdf",
        size=len(PDF_BYTES),
        sha256="0" * 64,
        classification=classification,
        owner_committee=meeting.committee.slug,
        published_at=published_at or timezone.now(),
        **fields,
    )
    paper.file.save(f"paper-{title or classification}.pdf", ContentFile(PDF_BYTES), save=False)
    paper.save()
    if red:
        paper.red_recipients.set(red)
    return paper


# --- Membership -------------------------------------------------------------------------------------


def fresh(user):
    """The person as the next request loads them (rights are kept on the user object for a request)."""
    return type(user).objects.get(pk=user.pk)


def test_appointing_gives_a_24_month_term_and_the_rights_from_its_start(staff, board):
    user = make_user()
    membership = services.membership_add(
        actor=staff,
        committee=board,
        user=user,
        role=Membership.Role.MEMBER,
        seat=board.seats.get(),
        starts_on=datetime.date(2026, 1, 31),
    )
    assert membership.ends_on == datetime.date(2028, 1, 31)
    assert committee_rights(fresh(user)).amber_committees == {"change-board"}
    with pytest.raises(ApplicationError, match="already on"):
        services.membership_add(
            actor=staff, committee=board, user=user, role=Membership.Role.MEMBER, starts_on=datetime.date(2026, 2, 1)
        )


def test_panel_members_have_the_panel_rights_and_no_role(staff):
    panel = Committee.objects.create(name="SEC Panel", slug="sec-panel", kind=Committee.Kind.PANEL, purpose="x")
    user = make_user()
    services.membership_add(actor=staff, committee=panel, user=user, role=Membership.Role.MEMBER)
    assert committee_rights(fresh(user)).panel_or_change_board
    assert fresh(user).role_names == {roles.PARTY_USER}  # nothing copied into a Group


def test_alternates_stand_in_for_a_member_and_end_with_them(staff, board):
    member = services.membership_add(
        actor=staff, committee=board, user=make_user(), role=Membership.Role.MEMBER, seat=board.seats.get()
    )
    with pytest.raises(ApplicationError, match="stands in for a member"):
        services.membership_add(actor=staff, committee=board, user=make_user(), role=Membership.Role.ALTERNATE)
    alternate = services.membership_add(
        actor=staff, committee=board, user=make_user(), role=Membership.Role.ALTERNATE, alternate_for=member
    )
    assert alternate.seat == member.seat and not alternate.has_vote and member.has_vote
    with pytest.raises(ApplicationError, match="not for another alternate"):
        services.membership_add(
            actor=staff, committee=board, user=make_user(), role=Membership.Role.ALTERNATE, alternate_for=alternate
        )
    services.membership_end(actor=staff, membership=member)
    assert not Membership.objects.current().filter(committee=board).exists()
    alternate.refresh_from_db()
    assert committee_rights(fresh(alternate.user)) == NO_RIGHTS


def test_removing_a_member_takes_amber_away_on_the_next_request(client, staff, board):
    user = make_user()
    membership = services.membership_add(actor=staff, committee=board, user=user, role=Membership.Role.MEMBER)
    paper = make_paper(make_meeting(board), classification=Classification.AMBER)
    client.force_login(user)
    url = reverse("panel:paper-download", args=[paper.pk])
    assert client.get(url).status_code == 200
    services.membership_end(actor=staff, membership=membership)
    assert client.get(url).status_code == 404


def test_only_staff_manage_membership(client, board):
    party_user = make_user()
    with pytest.raises(ApplicationError):
        services.membership_add(actor=party_user, committee=board, user=party_user, role=Membership.Role.MEMBER)
    client.force_login(party_user)
    assert client.get(reverse("panel:membership-add", args=[board.slug])).status_code == 404


# --- Papers: classification on every surface, paper day, revisions -------------------------------------------

ROLES = ["anonymous", "party_user", "owner_party_user", "member", "red_recipient", "staff"]
CAN_SEE = {
    Classification.WHITE: set(ROLES),
    Classification.GREEN: set(ROLES) - {"anonymous"},
    Classification.AMBER: {"owner_party_user", "member", "staff"},
    Classification.RED: {"red_recipient", "staff"},
}


@pytest.mark.parametrize("role", ROLES)
def test_paper_access_matrix(client, staff, board, role, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    owner = make_party(name="Owner", status=Party.Status.ACCEDED)
    people = {
        "anonymous": None,
        "party_user": make_user(),
        "owner_party_user": make_user(party=owner),
        "member": make_user(),
        "red_recipient": make_user(),
        "staff": staff,
    }
    services.membership_add(actor=staff, committee=board, user=people["member"], role=Membership.Role.MEMBER)
    meeting = make_meeting(board)
    papers = {
        label: make_paper(
            meeting,
            classification=label,
            owner_party=owner,
            red_recipients=[people["red_recipient"]] if label == Classification.RED else (),
        )
        for label in Classification
    }
    if people[role]:
        client.force_login(people[role])
    page = client.get(reverse("panel:meeting-detail", args=[meeting.pk])).content.decode()
    for label, paper in papers.items():
        visible = role in CAN_SEE[label]
        assert (paper.title in page) is visible, (role, label)
        status = client.get(reverse("panel:paper-download", args=[paper.pk])).status_code
        assert status == (200 if visible else 404), (role, label)


def test_paper_day_is_five_working_days_before_and_late_papers_say_so(board):
    meeting = make_meeting(board, starts=datetime.datetime(2026, 12, 16, 10, tzinfo=LONDON))
    assert meeting.paper_day == datetime.date(2026, 12, 9)
    # Around Christmas: for Mon 4 Jan 2027, count back 31, 30, 29 Dec (28 Dec, 25 Dec and 1 Jan are bank
    # holidays), 24 and 23 Dec: paper day is Wed 23 Dec 2026.
    new_year = make_meeting(board, starts=datetime.datetime(2027, 1, 4, 10, tzinfo=LONDON))
    assert new_year.paper_day == datetime.date(2026, 12, 23)
    on_time = make_paper(
        meeting, classification="white", title="On time", published_at=datetime.datetime(2026, 12, 9, 17, tzinfo=LONDON)
    )
    late = make_paper(
        meeting, classification="white", title="Late", published_at=datetime.datetime(2026, 12, 10, 9, tzinfo=LONDON)
    )
    assert not on_time.is_late and late.is_late


def test_a_revision_keeps_the_earlier_version_and_says_what_changed(staff, board):
    meeting = make_meeting(board)
    first = services.paper_publish(
        actor=staff,
        meeting=meeting,
        title="Budget",
        upload=SimpleUploadedFile("b.pdf", PDF_BYTES),
        classification="green",
    )
    assert meeting.__class__.objects.get(pk=meeting.pk).status == Meeting.Status.PAPERS_PUBLISHED
    with pytest.raises(ApplicationError, match="what changed"):
        services.paper_publish(
            actor=staff,
            meeting=meeting,
            title="Budget",
            upload=SimpleUploadedFile("b.pdf", PDF_BYTES),
            classification="green",
            supersedes=first,
        )
    second = services.paper_publish(
        actor=staff,
        meeting=meeting,
        title="Budget",
        classification="green",
        upload=SimpleUploadedFile("b.pdf", PDF_BYTES),
        supersedes=first,
        change_note="Corrected table 2",
    )
    assert second.version == 2 and Paper.objects.filter(meeting=meeting).count() == 2
    with pytest.raises(ApplicationError, match="already been revised"):
        services.paper_publish(
            actor=staff,
            meeting=meeting,
            title="Budget",
            classification="green",
            upload=SimpleUploadedFile("b.pdf", PDF_BYTES),
            supersedes=first,
            change_note="x",
        )
    with pytest.raises(ApplicationError, match="whatever its name says"):
        services.paper_publish(
            actor=staff,
            meeting=meeting,
            title="Evil",
            classification="green",
            upload=SimpleUploadedFile("evil.pdf", b"<html></html>"),
        )


# --- Decisions flow into the modification's lifecycle -----------------------------------------------------------


def test_a_change_board_decision_moves_a_path_3_modification(staff, board):
    mp = make_modification(stage=Stage.CHANGE_BOARD, path=Path.PATH_3, route=Route.REFINEMENT)
    item = AgendaItem.objects.create(meeting=held(board), title="Vote", modification=mp, decision_needed=True)
    services.item_record_outcome(
        actor=staff, item=item, decision="approve", reasons="Better facilitates Objective (a)."
    )
    mp.refresh_from_db()
    assert mp.stage == Stage.APPEAL_WINDOW
    assert "Change Board: Better facilitates Objective (a)." in mp.events.get(to_stage=Stage.APPEAL_WINDOW).note


def test_a_recommendation_goes_to_ofgem_and_other_decisions_reach_the_timeline(staff, board):
    mp = make_modification(stage=Stage.CHANGE_BOARD, path=Path.PATH_2, route=Route.REFINEMENT)
    item = AgendaItem.objects.create(meeting=held(board), title="Vote", modification=mp, decision_needed=True)
    services.item_record_outcome(actor=staff, item=item, decision="reject", reasons="Costs outweigh benefits.")
    mp.refresh_from_db()
    assert mp.stage == Stage.WITH_AUTHORITY
    panel = Committee.objects.create(name="SEC Panel", slug="sec-panel", kind=Committee.Kind.PANEL, purpose="x")
    other = make_modification(stage=Stage.REFINEMENT)
    item = AgendaItem.objects.create(meeting=held(panel), title="Progress", modification=other)
    services.item_record_outcome(actor=staff, item=item, decision="note", reasons="Timetable extended by a month.")
    other.refresh_from_db()
    assert other.stage == Stage.REFINEMENT
    assert "Timetable extended by a month." in other.events.get().summary
    with pytest.raises(ApplicationError, match="already recorded"):
        services.item_record_outcome(actor=staff, item=item, decision="note", reasons="Again")
    fresh = AgendaItem.objects.create(meeting=held(panel), title="Other", modification=other)
    with pytest.raises(ApplicationError, match="reasons"):
        services.item_record_outcome(actor=staff, item=fresh, decision="note", reasons=" ")


def test_outcomes_wait_for_the_meeting_and_the_right_stage(staff, board):
    mp = make_modification(stage=Stage.CHANGE_BOARD)
    future = AgendaItem.objects.create(meeting=make_meeting(board), title="Vote", modification=mp)
    with pytest.raises(ApplicationError, match="once the meeting has taken place"):
        services.item_record_outcome(actor=staff, item=future, decision="approve", reasons="Early")
    at_mrc = AgendaItem.objects.create(
        meeting=held(board), title="Vote", modification=make_modification(stage=Stage.MRC)
    )
    with pytest.raises(ApplicationError, match="not with the Change Board"):
        services.item_record_outcome(actor=staff, item=at_mrc, decision="approve", reasons="Too soon")


# --- Minutes -------------------------------------------------------------------------------------------------------


def test_approved_minutes_are_locked_and_corrected_by_a_new_record(staff, board):
    past = make_meeting(board, starts=timezone.now() - datetime.timedelta(days=60))
    later = held(board, days_ago=30)
    upcoming = make_meeting(board)
    minutes = services.minutes_save_draft(actor=staff, meeting=past, text="Draft")
    services.minutes_save_draft(actor=staff, meeting=past, text="Draft, edited")
    with pytest.raises(ApplicationError, match="later meeting"):
        services.minutes_approve(actor=staff, minutes=minutes, at_meeting=past)
    with pytest.raises(ApplicationError, match="has taken place"):
        services.minutes_approve(actor=staff, minutes=minutes, at_meeting=upcoming)
    services.minutes_approve(actor=staff, minutes=minutes, at_meeting=later)
    with pytest.raises(ApplicationError, match="locked"):
        services.minutes_save_draft(actor=staff, meeting=past, text="Rewritten history")
    correction = services.minutes_correct(actor=staff, minutes=minutes, text="Item 3: the vote was 5 to 2.")
    minutes.refresh_from_db()
    assert minutes.text == "Draft, edited" and minutes.status == Minutes.Status.APPROVED
    assert correction.minutes == minutes
    assert Meeting.objects.get(pk=past.pk).status == Meeting.Status.MINUTES_APPROVED


# --- Pages: who sees what, and fixed query counts ----------------------------------------------------------------


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_committee_and_meeting_pages_keep_a_fixed_query_count(client, staff, board):
    member = make_user()
    services.membership_add(actor=staff, committee=board, user=member, role=Membership.Role.MEMBER)
    client.force_login(member)
    meeting = make_meeting(board)
    make_paper(meeting, classification="amber")
    mp = make_modification(stage=Stage.CHANGE_BOARD)
    make_document(mp, classification="green")
    AgendaItem.objects.create(meeting=meeting, order=1, title="Vote", modification=mp)
    committee_url, meeting_url = (
        reverse("panel:committee-detail", args=[board.slug]),
        reverse("panel:meeting-detail", args=[meeting.pk]),
    )
    few = (count(client, committee_url), count(client, meeting_url), count(client, reverse("panel:committee-list")))
    for n in range(8):
        services.membership_add(actor=staff, committee=board, user=make_user(), role=Membership.Role.OBSERVER)
        make_meeting(board, title=f"M{n}")
        extra = make_modification(stage=Stage.CHANGE_BOARD)
        make_document(extra, classification="white")
        item = AgendaItem.objects.create(meeting=meeting, order=n + 2, title=f"Item {n}", modification=extra)
        make_paper(meeting, classification="green", title=f"Paper {n}", item=item)
        Committee.objects.create(
            name=f"Working Group {n}", slug=f"wg-{n}", kind=Committee.Kind.WORKING_GROUP, purpose="x"
        )
    assert (
        count(client, committee_url),
        count(client, meeting_url),
        count(client, reverse("panel:committee-list")),
    ) == few


def test_members_see_their_committees_on_the_dashboard(client, staff, board):
    member = make_user()
    services.membership_add(actor=staff, committee=board, user=member, role=Membership.Role.MEMBER)
    meeting = make_meeting(board, title="December meeting")
    client.force_login(member)
    content = client.get(reverse("dashboard")).content.decode()
    assert "Your committees and meetings" in content and "December meeting" in content
    services.action_add(
        actor=staff, meeting=meeting, title="Draft the response", owner=member, due_on=datetime.date(2026, 12, 20)
    )
    assert "Draft the response" in client.get(reverse("dashboard")).content.decode()


def test_party_page_lists_its_people_on_committees(client, staff, board):
    party = make_party(name="Northwind", status=Party.Status.ACCEDED)
    services.membership_add(
        actor=staff, committee=board, user=make_user(party=party, full_name="Gareth Owen"), role=Membership.Role.MEMBER
    )
    content = client.get(reverse("parties:party-detail", args=[party.slug])).content.decode()
    assert "Gareth Owen" in content and "Change Board" in content


def test_observers_and_alternates_of_former_members_do_not_get_amber(staff, board):
    def committee_slugs_for(user):
        return committee_rights(fresh(user)).amber_committees

    observer, member_user, alternate_user = make_user(), make_user(), make_user()
    services.membership_add(actor=staff, committee=board, user=observer, role=Membership.Role.OBSERVER)
    member = services.membership_add(
        actor=staff, committee=board, user=member_user, role=Membership.Role.MEMBER, seat=board.seats.get()
    )
    services.membership_add(
        actor=staff, committee=board, user=alternate_user, role=Membership.Role.ALTERNATE, alternate_for=member
    )
    assert committee_slugs_for(observer) == set()
    assert committee_slugs_for(alternate_user) == {"change-board"}
    services.membership_end(actor=staff, membership=member)
    assert committee_slugs_for(alternate_user) == set()
    with pytest.raises(ApplicationError, match="not a current member"):
        services.membership_add(
            actor=staff, committee=board, user=make_user(), role=Membership.Role.ALTERNATE, alternate_for=member
        )


def test_a_seat_has_one_member(staff, board):
    seat = board.seats.get()
    services.membership_add(actor=staff, committee=board, user=make_user(), role=Membership.Role.MEMBER, seat=seat)
    with pytest.raises(ApplicationError, match="already filled"):
        services.membership_add(actor=staff, committee=board, user=make_user(), role=Membership.Role.MEMBER, seat=seat)
    with pytest.raises(ApplicationError, match="too far in the future"):
        services.membership_add(
            actor=staff,
            committee=board,
            user=make_user(),
            role=Membership.Role.OBSERVER,
            starts_on=datetime.date(9999, 6, 1),
        )


def test_draft_minutes_are_for_the_committee_until_approved(client, staff, board):
    past = held(board, days_ago=40)
    services.minutes_save_draft(actor=staff, meeting=past, text="Draft words nobody else should read")
    url = reverse("panel:meeting-detail", args=[past.pk])
    assert "Draft words" not in client.get(url).content.decode()
    member = make_user()
    services.membership_add(actor=staff, committee=board, user=member, role=Membership.Role.MEMBER)
    client.force_login(member)
    assert "Draft words" in client.get(url).content.decode()


def test_an_owner_marks_an_action_done_but_only_secas_cancels(client, staff, board):
    owner = make_user()
    action = services.action_add(
        actor=staff, meeting=held(board), title="Write it", owner=owner, due_on=datetime.date(2026, 12, 20)
    )
    with pytest.raises(ApplicationError, match="marks it done"):
        services.action_set_status(actor=owner, action=action, status="cancelled")
    client.force_login(owner)
    response = client.post(
        reverse("panel:action-status", args=[action.pk]), {"status": "done", "next": "https://evil.example/"}
    )
    assert response.url == f"/panel/meetings/{action.meeting_id}/"
    action.refresh_from_db()
    assert action.status == "done"


def test_the_committee_page_shows_past_members_with_their_terms(client, staff, board):
    today = timezone.localdate()
    former = make_user(full_name="Fiona Former")
    Membership.objects.create(
        committee=board,
        user=former,
        starts_on=today - datetime.timedelta(days=800),
        ended_on=today - datetime.timedelta(days=10),
    )
    current = make_user(full_name="Colin Current")
    Membership.objects.create(committee=board, user=current, starts_on=today - datetime.timedelta(days=10))
    page = client.get(reverse("panel:committee-detail", args=[board.slug])).content.decode()
    past = page.split("Past members")[1]
    assert "Fiona Former" in past and "Colin Current" not in past
