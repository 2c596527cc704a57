"""The dashboard as work queues (issue #16): for each role, what waits for them, where it is done
and when it is due (UK dates, Working Days), oldest first; who sees which queue and who never
does; and a query count that does not grow with the number of items."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from modifications import services as modification_services
from modifications.models import Consultation, Path, Response, Route, Stage
from modifications.tests.factories import make_modification
from news.models import NewsPost
from news.tests.factories import make_post
from panel import services as panel_services
from panel.models import Action, AgendaItem, Committee, Meeting, MeetingVisit, Membership, Minutes, Seat
from panel.tests.test_panel import make_meeting, make_paper
from parties import roles
from parties import services as party_services
from parties.models import AccountRequest, Invitation, Party, PartyChangeRequest
from parties.tests.factories import make_party, make_user
from secportal.classification import Classification
from secportal.models import OutboxMessage
from secportal.templatetags.portal import ukdate, ukdatetime
from secportal.workingdays import LONDON, add_working_days, local_today, working_day_deadline

pytestmark = pytest.mark.django_db

# The headings of the queues only SECAS has.
SECAS_QUEUES = (
    "Draft Proposals awaiting critical-friend review",
    "Account and Party-change requests",
    "Consultations closing or with responses to publish",
    "Change Board votes to close",
    "Meetings near paper day with papers missing",
    "Scheduled posts",
    "Failed emails",
)


@pytest.fixture(autouse=True)
def _mfa_is_tested_elsewhere(settings):
    settings.SECPORTAL_REQUIRE_MFA = False


@pytest.fixture
def world():
    """SECAS, two Parties (an administrator and a user each), the SEC Panel with its Independent
    Chair, and the Change Board with four voting seats, a member, an alternate and an observer."""
    staff = make_user(email="staff@secas.example", full_name="Sam Staff", role_names={roles.SECAS_STAFF})
    north = make_party(name="Northwind Energy", category=Party.Category.LARGE_SUPPLIER, status=Party.Status.ACCEDED)
    fen = make_party(name="Fenland Power", category=Party.Category.SMALL_SUPPLIER, status=Party.Status.ACCEDED)
    admin_roles = {roles.PARTY_USER, roles.PARTY_ADMINISTRATOR}
    panel = Committee.objects.create(name="SEC Panel", slug="sec-panel", kind=Committee.Kind.PANEL, purpose="x")
    chair_seat = Seat.objects.create(committee=panel, label="Independent Chair", constituency="chair", voting=False)
    board = Committee.objects.create(
        name="Change Board", slug="change-board", kind=Committee.Kind.CHANGE_BOARD, purpose="Votes."
    )
    seats = [Seat.objects.create(committee=board, label=f"Seat {n}", constituency="large_supplier") for n in (1, 2)]
    seats += [Seat.objects.create(committee=board, label=f"Seat {n}", constituency="small_supplier") for n in (3, 4)]
    w = {
        "staff": staff,
        "north": north,
        "fen": fen,
        "north_admin": make_user(email="admin@north.example", party=north, role_names=admin_roles),
        "north_user": make_user(email="user@north.example", full_name="Nora North", party=north),
        "fen_admin": make_user(email="admin@fen.example", party=fen, role_names=admin_roles),
        "fen_user": make_user(email="user@fen.example", full_name="Finn Fen", party=fen),
        "chair": make_user(email="chair@panel.example", full_name="Claire Chair", role_names=set()),
        "member": make_user(email="member@board.example", full_name="Mo Member", party=fen),
        "alternate": make_user(email="alternate@board.example", full_name="Al Alternate", party=fen),
        "observer": make_user(email="observer@board.example", full_name="Olly Observer", role_names=set()),
        "panel": panel,
        "board": board,
        "seats": seats,
    }
    add = panel_services.membership_add
    add(actor=staff, committee=panel, user=w["chair"], role=Membership.Role.CHAIR, seat=chair_seat)
    place = add(actor=staff, committee=board, user=w["member"], role=Membership.Role.MEMBER, seat=seats[0])
    add(actor=staff, committee=board, user=w["alternate"], role=Membership.Role.ALTERNATE, alternate_for=place)
    add(actor=staff, committee=board, user=w["observer"], role=Membership.Role.OBSERVER)
    return w


def dashboard(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, key: str) -> str:
    """The markup of one section of the dashboard ('' when it is left out)."""
    match = re.search(rf'<section [^>]*aria-labelledby="section-{key}">(.*?)</section>', html, re.S)
    return match.group(1) if match else ""


def heading(html: str, key: str) -> str:
    match = re.search(rf'<h2 id="section-{key}"[^>]*>(.*?)</h2>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def in_order(html: str, *texts: str) -> bool:
    positions = [html.index(t) for t in texts]
    return positions == sorted(positions)


def text(html: str) -> str:
    """The words of some markup, one space between them."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


# --- Builders of what waits ------------------------------------------------------------------------------------


def a_draft(w, n: int, *, raised_days_ago: int = 1):
    return make_modification(
        number=900 + n,
        title=f"Draft problem {n}",
        proposer_party=w["north"],
        raised_on=local_today() - datetime.timedelta(days=raised_days_ago),
    )


def an_account_request(party, n: int, *, days_ago: int = 1) -> AccountRequest:
    request = AccountRequest.objects.create(
        full_name=f"Asking Person {'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[n % 26]}",
        email=f"asker{n}@{party.slug}.example",
        party=party,
        job_title="Regulation analyst",
    )
    AccountRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - datetime.timedelta(days=days_ago))
    return request


def a_change_request(w, *, days_ago: int = 1) -> PartyChangeRequest:
    return PartyChangeRequest.objects.create(
        party=w["north"],
        requested_by=w["north_admin"],
        proposed={"contact_name": "New Contact"},
        created_at=timezone.now() - datetime.timedelta(days=days_ago),
    )


def a_consultation(w, n: int, *, opens_days_ago: int = 10, closes_at=None) -> Consultation:
    now = timezone.now()
    return Consultation.objects.create(
        kind=Consultation.Kind.OTHER,
        title=f"Consultation {n}",
        opens_at=now - datetime.timedelta(days=opens_days_ago),
        closes_at=closes_at or working_day_deadline(local_today(), 2),
    )


def a_closed_consultation_with_responses(w, n: int, *, closed_days_ago: int = 1) -> Consultation:
    consultation = a_consultation(
        w, n, opens_days_ago=30, closes_at=timezone.now() - datetime.timedelta(days=closed_days_ago)
    )
    Response.objects.create(consultation=consultation, party=w["north"], status="submitted", version=1)
    Response.objects.create(consultation=consultation, party=w["fen"], status="submitted", version=1, confidential=True)
    return consultation


def a_vote(w, n: int, *, meeting=None):
    modification = make_modification(
        stage=Stage.CHANGE_BOARD, path=Path.PATH_3, route=Route.REFINEMENT, number=800 + n, title=f"Voted change {n}"
    )
    return panel_services.vote_round_open(actor=w["staff"], modification=modification, meeting=meeting)


def a_meeting_short_of_papers(w, n: int, *, committee=None) -> Meeting:
    starts = datetime.datetime.combine(add_working_days(local_today(), 7), datetime.time(10), tzinfo=LONDON)
    meeting = make_meeting(committee or w["board"], starts=starts + datetime.timedelta(minutes=n), title=f"Board {n}")
    AgendaItem.objects.create(meeting=meeting, order=1, title="Minutes of the last meeting")
    return meeting


def a_scheduled_post(w, n: int, *, in_hours: int = 5) -> NewsPost:
    return make_post(
        actor=w["staff"],
        title=f"Scheduled post {n}",
        status=NewsPost.Status.SCHEDULED,
        publish_at=timezone.now() + datetime.timedelta(hours=in_hours),
    )


def a_failed_email(n: int, *, days_ago: int = 1, sensitive: bool = False) -> OutboxMessage:
    return OutboxMessage.objects.create(
        recipient=f"gone{n}@example.org",
        kind="modification.stage",
        subject=f"Subject {n}",
        body_text="" if sensitive else "Body",
        sensitive=sensitive,
        status=OutboxMessage.Status.FAILED,
        attempts=8,
        last_error="SMTPRecipientsRefused: 550 no such user",
        due_at=timezone.now() - datetime.timedelta(days=days_ago),
    )


# --- SECAS ------------------------------------------------------------------------------------------------------


def test_secas_sees_each_of_their_queues_and_not_my_events(client, world):
    a_draft(world, 1)
    an_account_request(world["north"], 1)
    a_change_request(world)
    a_consultation(world, 1)
    a_vote(world, 1)
    a_meeting_short_of_papers(world, 1)
    a_scheduled_post(world, 1)
    a_failed_email(1)
    html = dashboard(client, world["staff"])
    for title in SECAS_QUEUES:
        waiting = 2 if title == "Account and Party-change requests" else 1  # one of each kind
        assert re.search(rf"{title} <span[^>]*>{waiting} \w+</span>", html), title
    for item in (
        "DP901: Draft problem 1",
        "Asking Person B for Northwind Energy",
        "Change to Northwind Energy&#x27;s details",
        "Consultation 1",
        "Vote on MP801: Voted change 1",
        "Change Board: Board 1",
        "Scheduled post 1",
        "Subject 1 to gone1@example.org",
    ):
        assert item in html, item
    # "My events" is for those who may register (users of a Party); SECAS is not asked to.
    assert 'id="section-my_events"' not in html
    assert "None (SECAS)" not in html and "SECAS, the Code Administrator" in html


def test_no_party_user_or_admin_sees_a_secas_queue(client, world):
    a_draft(world, 1)
    an_account_request(world["fen"], 1)
    a_change_request(world)
    a_closed_consultation_with_responses(world, 1)
    a_vote(world, 1)
    tabasc = Committee.objects.create(name="TABASC", slug="tabasc", kind=Committee.Kind.SUB_COMMITTEE, purpose="x")
    a_meeting_short_of_papers(world, 1, committee=tabasc)  # a committee none of them sits on
    a_scheduled_post(world, 1)
    a_failed_email(1)
    for who in ("north_user", "north_admin", "member", "chair"):
        html = dashboard(client, world[who])
        for title in SECAS_QUEUES:
            assert title not in html, (who, title)
        for item in ("Asking Person B", "Change to Northwind", "Scheduled post 1", "gone1@example.org", "Board 1"):
            assert item not in html, (who, item)


def test_draft_reviews_are_oldest_first_with_their_working_day_due_date(client, world):
    newer = a_draft(world, 1, raised_days_ago=1)
    older = a_draft(world, 2, raised_days_ago=20)
    html = section(dashboard(client, world["staff"]), "drafts_to_review")
    assert in_order(html, older.reference, newer.reference)
    due = add_working_days(newer.raised_on, 5)
    assert f"Critical-friend review due <strong>{ukdate(due)}</strong>" in html
    assert f'href="{reverse("modifications:modification-detail", args=[older.reference])}"' in html
    overdue = add_working_days(older.raised_on, 5)
    assert f"Critical-friend review due <strong>{ukdate(overdue)}</strong>" in html
    assert re.search(r"overdue by \d+ Working Days?", html)
    # Moved on: it leaves the queue.
    modification_services.modification_start_development(actor=world["staff"], modification=older)
    html = section(dashboard(client, world["staff"]), "drafts_to_review")
    assert older.reference not in html and newer.reference in html


def test_an_empty_queue_says_nothing_waits(client, world):
    html = dashboard(client, world["staff"])
    assert "No Draft Proposal is waiting for a critical-friend review." in html
    assert "No account request or change to a Party&#x27;s details is awaiting a decision." in html
    assert "No Change Board vote is open." in html
    assert "No post is scheduled to publish." in html
    assert "No email has failed in the last 14 days." in html
    assert heading(html, "drafts_to_review") == "Draft Proposals awaiting critical-friend review"


def test_requests_are_oldest_first_and_leave_when_decided(client, world):
    late = an_account_request(world["fen"], 1, days_ago=1)
    early = an_account_request(world["north"], 2, days_ago=9)
    change = a_change_request(world, days_ago=4)
    html = section(dashboard(client, world["staff"]), "account_requests")
    assert in_order(html, early.full_name, "Change to Northwind", late.full_name)
    assert reverse("parties:accountrequest-detail", args=[early.pk]) in html
    assert reverse("parties:change-request-detail", args=[change.pk]) in html
    assert re.search(r"waiting \d Working Days?", html)
    assert heading(dashboard(client, world["staff"]), "account_requests").endswith("3 waiting")
    party_services.account_request_decline(actor=world["staff"], account_request=early, reason="Not a Party employee.")
    html = section(dashboard(client, world["staff"]), "account_requests")
    assert early.full_name not in html and late.full_name in html


def test_consultations_closing_soon_and_closed_with_responses_to_publish(client, world):
    closing = a_consultation(world, 1)
    later = a_consultation(world, 2, closes_at=working_day_deadline(local_today(), 12))
    closed = a_closed_consultation_with_responses(world, 3)
    html = section(dashboard(client, world["staff"]), "consultations_to_act")
    assert in_order(html, closed.title, closing.title)
    assert later.title not in html  # closes in 12 Working Days: not yet
    assert "1 response to publish (1 marked confidential, not published)" in html
    assert f"Closes <strong>{ukdatetime(closing.closes_at)}</strong>" in html and "2 Working Days left" in html
    modification_services.consultation_publish(actor=world["staff"], consultation=closed)
    html = section(dashboard(client, world["staff"]), "consultations_to_act")
    assert closed.title not in html and closing.title in html


def test_votes_to_close_show_progress_against_the_quorum(client, world):
    meeting = make_meeting(world["board"], starts=timezone.now() + datetime.timedelta(days=3), title="March board")
    vote_round = a_vote(world, 1, meeting=meeting)
    html = section(dashboard(client, world["staff"]), "votes_to_close")
    assert "0 of 4 voting seats have voted; the quorum is 2" in html and "Not yet quorate" in html
    assert f"Vote by the meeting of <strong>{ukdatetime(meeting.starts_at)}</strong>" in html
    for n, who in enumerate((world["member"], make_user(role_names=set()))):
        if n:
            panel_services.membership_add(
                actor=world["staff"], committee=world["board"], user=who, role="member", seat=world["seats"][2]
            )
        panel_services.vote_cast(actor=who, vote_round=vote_round, choice="approve", rationale="Better.")
    html = section(dashboard(client, world["staff"]), "votes_to_close")
    assert "2 of 4 voting seats have voted" in html and "Quorate: ready to close" in html
    panel_services.vote_round_close(actor=world["staff"], vote_round=vote_round)
    assert "No Change Board vote is open." in section(dashboard(client, world["staff"]), "votes_to_close")


def test_meetings_near_paper_day_with_papers_missing(client, world):
    short = a_meeting_short_of_papers(world, 1)
    complete = a_meeting_short_of_papers(world, 2)
    make_paper(complete, classification=Classification.GREEN, item=complete.items.get())
    far = make_meeting(world["board"], starts=timezone.now() + datetime.timedelta(days=60), title="Far away")
    cancelled = a_meeting_short_of_papers(world, 3)
    Meeting.objects.filter(pk=cancelled.pk).update(status=Meeting.Status.CANCELLED)
    html = section(dashboard(client, world["staff"]), "meetings_papers_missing")
    assert "Board 1" in html and "No paper published yet" in html
    assert "Board 2" not in html and far.title not in html and "Board 3" not in html
    assert f"Paper day <strong>{ukdate(short.paper_day)}</strong>" in html
    paper = make_paper(short, classification=Classification.GREEN)  # not on the agenda item
    assert paper.item is None
    html = section(dashboard(client, world["staff"]), "meetings_papers_missing")
    assert "1 of 1 agenda item without a paper" in html


def test_scheduled_posts_soonest_first(client, world):
    later = a_scheduled_post(world, 1, in_hours=50)
    sooner = a_scheduled_post(world, 2, in_hours=2)
    make_post(actor=world["staff"], title="Just a draft", status=NewsPost.Status.DRAFT)
    html = section(dashboard(client, world["staff"]), "scheduled_posts")
    assert in_order(html, sooner.title, later.title) and "Just a draft" not in html
    assert f"Publishes {ukdatetime(sooner.publish_at)}" in html
    assert reverse("news:post-preview", args=[sooner.slug]) in html


def test_failed_emails_of_the_last_fortnight_without_their_content(client, world):
    a_failed_email(1, days_ago=2)
    a_failed_email(2, days_ago=1, sensitive=True)
    a_failed_email(3, days_ago=30)
    html = section(dashboard(client, world["staff"]), "failed_emails")
    assert in_order(html, "gone1@example.org", "gone2@example.org") and "gone3@example.org" not in html
    assert "550 no such user" in html and "ask the person to request a new one" in html
    assert "Body" not in html
    assert "/notifications/outbox/?status=failed" in html


# --- Panel and committee members ----------------------------------------------------------------------------------


def test_a_member_sees_the_vote_waiting_for_their_seat_until_it_is_cast(client, world):
    meeting = make_meeting(world["board"], starts=timezone.now() + datetime.timedelta(days=2), title="Board vote day")
    vote_round = a_vote(world, 1, meeting=meeting)
    html = section(dashboard(client, world["member"]), "votes_waiting")
    assert "Vote on MP801: Voted change 1" in html and reverse("panel:vote-detail", args=[vote_round.pk]) in html
    assert f"Vote by the meeting of <strong>{ukdatetime(meeting.starts_at)}</strong>" in html
    assert "on the agenda of the Board vote day" in html
    assert "Vote on MP801" in section(dashboard(client, world["alternate"]), "votes_waiting")
    assert 'id="section-votes_waiting"' not in dashboard(client, world["observer"])  # observers never vote
    assert 'id="section-votes_waiting"' not in dashboard(client, world["north_user"])
    # The seat votes (by the alternate): neither the member nor the alternate is asked again.
    panel_services.vote_cast(actor=world["alternate"], vote_round=vote_round, choice="reject", rationale="Costly.")
    for who in ("member", "alternate"):
        html = section(dashboard(client, world[who]), "votes_waiting")
        assert "Vote on MP801" not in html and "No Change Board vote is waiting for your seat" in html


def test_papers_since_i_last_looked_respect_classification_and_the_last_look(client, world):
    meeting = make_meeting(world["board"], title="April board")
    make_paper(meeting, classification=Classification.AMBER, title="Amber paper")
    make_paper(meeting, classification=Classification.RED, title="Red paper for someone else")
    html = section(dashboard(client, world["member"]), "new_papers")
    assert "1 new paper for Change Board: April board" in html and "since you last looked" in html
    # An observer may not open AMBER papers, so nothing is new for them.
    assert "April board" not in section(dashboard(client, world["observer"]), "new_papers")
    # Nor is anything for someone with no place on the committee (or another Party's user).
    assert 'id="section-new_papers"' not in dashboard(client, world["north_user"])
    # Looking at the meeting clears it; a paper published afterwards brings it back.
    client.force_login(world["member"])
    assert client.get(reverse("panel:meeting-detail", args=[meeting.pk])).status_code == 200
    assert MeetingVisit.objects.filter(user=world["member"], meeting=meeting).count() == 1
    assert "April board" not in section(dashboard(client, world["member"]), "new_papers")
    make_paper(meeting, classification=Classification.GREEN, title="Late paper")
    assert "1 new paper for Change Board: April board" in section(dashboard(client, world["member"]), "new_papers")
    client.get(reverse("panel:meeting-detail", args=[meeting.pk]))
    assert MeetingVisit.objects.filter(user=world["member"], meeting=meeting).count() == 1  # one row, moved on
    # Someone who does not attend looking at the page writes nothing.
    dashboard(client, world["north_user"])
    client.get(reverse("panel:meeting-detail", args=[meeting.pk]))
    assert not MeetingVisit.objects.filter(user=world["north_user"]).exists()


def test_my_actions_soonest_due_first_and_marked_done_from_the_dashboard(client, world):
    meeting = make_meeting(world["board"], starts=timezone.now() - datetime.timedelta(days=5), title="May board")
    today = local_today()
    later = panel_services.action_add(
        actor=world["staff"], meeting=meeting, title="Write the note", owner=world["member"], due_on=today
    )
    sooner = panel_services.action_add(
        actor=world["staff"],
        meeting=meeting,
        title="Check the costs",
        owner=world["member"],
        due_on=today - datetime.timedelta(days=7),
    )
    panel_services.action_add(
        actor=world["staff"], meeting=meeting, title="Someone else's", owner=world["alternate"], due_on=today
    )
    html = section(dashboard(client, world["member"]), "my_actions")
    assert in_order(html, "Check the costs", "Write the note") and "Someone else" not in html
    assert "overdue by" in html and "<strong>today</strong>" in html
    response = client.post(
        reverse("panel:action-status", args=[sooner.pk]), {"status": "done", "next": reverse("dashboard")}
    )
    assert response.status_code == 302 and response.url == reverse("dashboard")
    assert Action.objects.get(pk=sooner.pk).status == Action.Status.DONE
    html = section(dashboard(client, world["member"]), "my_actions")
    assert "Check the costs" not in html and later.title in html
    # Another person cannot mark it done.
    client.force_login(world["alternate"])
    assert client.post(reverse("panel:action-status", args=[later.pk]), {"status": "done"}).status_code == 404


def test_responses_a_panel_or_change_board_member_may_now_read(client, world):
    closed = a_closed_consultation_with_responses(world, 1, closed_days_ago=2)
    still_open = a_consultation(world, 2)
    html = section(dashboard(client, world["member"]), "responses_to_read")
    assert closed.title in html and "2 responses" in html and still_open.title not in html
    assert "Consultation 1" in section(dashboard(client, world["chair"]), "responses_to_read")
    for who in ("observer", "north_user", "staff"):
        assert 'id="section-responses_to_read"' not in dashboard(client, world[who]), who


# --- The chair --------------------------------------------------------------------------------------------------


def test_the_chair_sees_voting_progress_in_numbers_only(client, world):
    vote_round = a_vote(world, 1)
    html = dashboard(client, world["chair"])
    assert "0 of 4 voting seats have voted" in section(html, "vote_progress")
    assert "None (SECAS)" not in html and "<dt>Party</dt>" not in html  # the Independent Chair has no Party
    panel_services.vote_cast(actor=world["member"], vote_round=vote_round, choice="reject", rationale="Costly.")
    html = section(dashboard(client, world["chair"]), "vote_progress")
    assert "1 of 4 voting seats has voted" in html and "Reject" not in html and "Costly" not in html
    for who in ("member", "observer", "north_user"):
        assert 'id="section-vote_progress"' not in dashboard(client, world[who]), who
    # A sub-committee's chair is not the Panel's or the Change Board's.
    tabasc = Committee.objects.create(name="TABASC", slug="tabasc", kind=Committee.Kind.SUB_COMMITTEE, purpose="x")
    sub_chair = make_user(role_names=set())
    panel_services.membership_add(actor=world["staff"], committee=tabasc, user=sub_chair, role=Membership.Role.CHAIR)
    assert 'id="section-vote_progress"' not in dashboard(client, sub_chair)


def test_the_chair_approves_the_minutes_the_dashboard_offers(client, world):
    panel = world["panel"]
    minuted = make_meeting(panel, starts=timezone.now() - datetime.timedelta(days=40), title="January Panel")
    later = make_meeting(panel, starts=timezone.now() - datetime.timedelta(days=2), title="February Panel")
    panel_services.minutes_save_draft(actor=world["staff"], meeting=minuted, text="We met.")
    board_meeting = make_meeting(world["board"], starts=timezone.now() - datetime.timedelta(days=9), title="Board met")
    panel_services.minutes_save_draft(actor=world["staff"], meeting=board_meeting, text="The Board met.")
    html = section(dashboard(client, world["chair"]), "minutes_to_approve")
    assert "Minutes of the SEC Panel: January Panel" in html
    assert "Board met" not in html  # the Change Board's minutes are its own chair's to approve
    assert f"To approve at the meeting of <strong>{ukdatetime(later.starts_at)}</strong>" in html
    assert reverse("panel:meeting-detail", args=[minuted.pk]) + "#minutes-title" in html
    page = client.get(reverse("panel:meeting-detail", args=[minuted.pk])).content.decode()
    assert "Approve these minutes" in page
    # A member of the Change Board is not the Panel's chair: no form, and the approval is refused.
    client.force_login(world["member"])
    assert (
        "Approve these minutes" not in client.get(reverse("panel:meeting-detail", args=[minuted.pk])).content.decode()
    )
    url = reverse("panel:minutes-approve", args=[minuted.pk])
    assert client.post(url, {"at_meeting": later.pk}).status_code == 404
    assert Minutes.objects.get(meeting=minuted).status == Minutes.Status.DRAFT
    client.force_login(world["chair"])
    assert client.post(url, {"at_meeting": later.pk}).status_code == 302
    minutes = Minutes.objects.get(meeting=minuted)
    assert minutes.status == Minutes.Status.APPROVED and minutes.approved_by == world["chair"]
    assert "January Panel" not in section(dashboard(client, world["chair"]), "minutes_to_approve")
    assert 'id="section-minutes_to_approve"' not in dashboard(client, world["member"])


# --- Party users and administrators ---------------------------------------------------------------------------


def test_a_party_sees_its_response_status_on_every_open_consultation(client, world):
    staff = world["staff"]
    questions = [("Do you agree?", "position")]
    untouched, drafted, sent = (
        modification_services.consultation_create(actor=staff, title=f"Open {n}", kind="other", questions=questions)
        for n in ("A", "B", "C")
    )
    dcc_excluded = modification_services.consultation_create(
        actor=staff,
        title="Not for Small Suppliers",
        kind="other",
        questions=questions,
        excluded_categories=["small_supplier"],
    )
    q = {c.pk: str(c.questions.get().pk) for c in (untouched, drafted, sent)}
    modification_services.response_save_draft(
        actor=world["fen_user"], consultation=drafted, changes={q[drafted.pk]: {"position": "yes"}}
    )
    modification_services.response_submit(
        actor=world["fen_admin"], consultation=sent, changes={q[sent.pk]: {"position": "no", "text": "Costly."}}
    )
    # Another Party's response changes nothing for Fenland.
    modification_services.response_submit(
        actor=world["north_user"], consultation=untouched, changes={q[untouched.pk]: {"position": "yes"}}
    )
    html = dashboard(client, world["member"])  # a user of Fenland (and a Change Board member)
    part = text(section(html, "party_consultations"))
    assert "Open A Not started" in part
    assert "Open B Draft Draft last saved" in part and "by Finn Fen" in part
    assert "Open C Sent Version 1 sent" in part and "you can revise it until the close" in part
    assert dcc_excluded.title not in part
    assert heading(html, "party_consultations").endswith("2 waiting")
    assert "Open A Sent" in text(section(dashboard(client, world["north_user"]), "party_consultations"))


def test_a_party_admin_sees_its_invitations_and_account_requests_and_nobody_elses(client, world):
    admin = world["north_admin"]
    party_services.invitation_create(actor=admin, party=world["north"], email="new.colleague@north.example")
    expired = party_services.invitation_create(actor=admin, party=world["north"], email="slow@north.example")
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - datetime.timedelta(days=1))
    party_services.invitation_create(actor=world["fen_admin"], party=world["fen"], email="someone@fen.example")
    mine = an_account_request(world["north"], 1)
    theirs = an_account_request(world["fen"], 2)
    html = section(dashboard(client, admin), "party_people")
    assert "Invitation to new.colleague@north.example" in html and "Expires <strong>" in html
    assert "Invitation to slow@north.example" in html and "Send a new invitation" in html
    assert f"{mine.full_name} asked for an account" in html and "SECAS approves or declines it" in html
    assert reverse("parties:accountrequest-detail", args=[mine.pk]) not in html  # SECAS's page, not theirs
    assert "someone@fen.example" not in html and theirs.full_name not in html
    for who in ("north_user", "staff", "chair"):
        assert 'id="section-party_people"' not in dashboard(client, world[who]), who
    # The expired invitation is sent again from the dashboard.
    client.force_login(admin)
    response = client.post(reverse("parties:party-people", args=[world["north"].slug]), {"email": "slow@north.example"})
    assert response.status_code == 302
    assert Invitation.objects.filter(email="slow@north.example", revoked_at__isnull=True).get().state() == "open"


# --- The modification page --------------------------------------------------------------------------------------


def test_next_steps_come_before_the_issue_on_a_modification_page(client, world):
    draft = a_draft(world, 1)
    client.force_login(world["staff"])
    page = client.get(reverse("modifications:modification-detail", args=[draft.reference])).content.decode()
    assert in_order(page, "Next step", "What is the issue", "At a glance")
    assert "Critical-friend review done: start development" in page


# --- Query counts -----------------------------------------------------------------------------------------------


def fill_secas(w, start: int, count: int) -> None:
    for n in range(start, start + count):
        a_draft(w, n, raised_days_ago=n % 9)
        an_account_request(w["north"] if n % 2 else w["fen"], n, days_ago=n % 7)
        a_change_request(w, days_ago=n % 5)
        a_consultation(w, n)
        a_closed_consultation_with_responses(w, 100 + n)
        a_vote(w, n, meeting=a_meeting_short_of_papers(w, n))
        a_scheduled_post(w, n)
        a_failed_email(n)


def fill_member(w, start: int, count: int) -> None:
    for n in range(start, start + count):
        meeting = a_meeting_short_of_papers(w, n)
        make_paper(meeting, classification=Classification.AMBER, title=f"Paper {n}")
        make_paper(meeting, classification=Classification.RED, title=f"Red {n}", red_recipients=[w["member"]])
        a_vote(w, n, meeting=meeting)
        panel_services.action_add(
            actor=w["staff"], meeting=meeting, title=f"Action {n}", owner=w["member"], due_on=local_today()
        )
        a_closed_consultation_with_responses(w, n)
        a_consultation(w, 100 + n)  # open: a Fenland response waits
        minuted = make_meeting(w["panel"], starts=timezone.now() - datetime.timedelta(days=50 + n), title=f"P{n}")
        panel_services.minutes_save_draft(actor=w["staff"], meeting=minuted, text="Minutes.")


def fill_party(w, start: int, count: int) -> None:
    for n in range(start, start + count):
        consultation = a_consultation(w, n)
        if n % 2:
            Response.objects.create(consultation=consultation, party=w["north"], updated_by=w["north_user"])
        party_services.invitation_create(actor=w["north_admin"], party=w["north"], email=f"colleague{n}@north.example")
        an_account_request(w["north"], n)
        a_draft(w, n)
        modification_services.follow_set(
            user=w["north_admin"], modification=make_modification(number=2000 + n), following=True
        )


def count_queries(client, django_assert_max_num_queries, user, fill, w) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fill(w, 1, 1)
    client.force_login(user)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("dashboard")).status_code == 200
    fill(w, 2, 19)
    with django_assert_max_num_queries(len(one)):
        assert client.get(reverse("dashboard")).status_code == 200
    return len(one)


@pytest.mark.parametrize(
    ("who", "fill"),
    [
        ("staff", fill_secas),
        ("member", fill_member),
        ("chair", fill_member),
        ("north_user", fill_party),
        ("north_admin", fill_party),
    ],
)
def test_the_dashboard_makes_the_same_queries_with_1_or_20_items_in_each_queue(
    client, world, django_assert_max_num_queries, who, fill
):
    queries = count_queries(client, django_assert_max_num_queries, world[who], fill, world)
    print(f"dashboard of {who}: {queries} queries with 1 and with 20 items in each queue")
    assert queries <= 45
