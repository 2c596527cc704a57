"""Who sees what: every role and committee place, through every surface that shows committee or
classified material, against one table.

Every place is on the Change Board (so it also decides who reads every consultation response after
the close). Rights come from the memberships as they stand today, whatever wrote them: the
services, a row written without them (a data fix), or a row whose dates have simply come or gone.
"""

import csv
import datetime
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from modifications import services as modification_services
from modifications.models import Consultation, ModificationEvent, Stage
from modifications.tests.factories import make_document, make_modification, make_report_phase_mp
from news import services as news_services
from panel import notifications as panel_notifications
from panel import services
from panel.models import Committee, Membership, Minutes, Vote
from panel.tests.factories import make_committee, make_place
from panel.tests.test_panel import make_meeting, make_paper
from parties import roles
from parties.models import Party
from parties.tests.factories import give_totp, make_party, make_user
from secportal.classification import Classification
from secportal.models import Notification, OutboxMessage

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")

AMBER_PAPER = "Amber paper ZQX1"
GREEN_PAPER = "Green paper ZQX2"
AMBER_DOCUMENT = "Amber document ZQX3"
DRAFT_MINUTES = "Draft minutes ZQX4"
JOIN_LINK = "https://meet.example.org/change-board-zqx5"
MEETING_TITLE = "Board meeting ZQX6"

STATES = [
    "anonymous",
    "party_user",
    "staff",
    "member",
    "chair",
    "alternate",  # of the current member
    "alternate_of_former",  # of the member whose place ended yesterday
    "observer",
    "ended_yesterday",
    "ends_today",  # the last day of the term: still current
    "starts_tomorrow",
    "written_directly",  # a member whose row no service wrote (the admin's add form refuses it)
]
# The committee's own rights: chairs, members and alternates of current members.
FULL = {"member", "chair", "alternate", "ends_today", "written_directly"}
# Those who attend its meetings: observers too.
ATTENDS = FULL | {"observer"}
EVERYONE = set(STATES)

# Surface: who sees it. Everybody else does not (a download or a CSV answers 404).
EXPECTED = {
    "meeting page: AMBER paper listed": FULL | {"staff"},
    "meeting page: GREEN paper listed": EVERYONE - {"anonymous"},
    "meeting page: join link": ATTENDS | {"staff"},
    "meeting page: draft minutes": FULL | {"staff"},
    "paper download: AMBER": FULL | {"staff"},
    "document download: AMBER": FULL | {"staff"},
    "modification page: AMBER document listed": FULL | {"staff"},
    "Atom feed: AMBER document": FULL | {"staff"},
    "private calendar: the meeting and its link": ATTENDS,
    "dashboard: the meeting": ATTENDS,
    # Looked at before the meeting's page: every paper is new to them, as far as they may open it.
    "dashboard: the meeting's new papers": ATTENDS,
    "dashboard: the vote waiting for their seat": FULL,
    "dashboard: how many seats have voted": {"staff", "chair"},
    "dashboard: draft minutes to approve": {"chair"},
    "dashboard and profile: the place on the Change Board": ATTENDS,
    # Members on the meeting's day who are current today (the term ending today ends before it).
    "papers published: notification and email": {"member", "chair", "alternate", "observer", "written_directly"},
    "vote page: the ballot": FULL,
    "vote: cast": FULL,
    "open MRC: another Party's response": {"staff"},
    "open MRC: responses CSV": {"staff"},
    "closed, unpublished: confidential response": FULL | {"staff"},
    "closed, unpublished: responses CSV": FULL | {"staff"},
    "published: a response not confidential": EVERYONE,
    "published: confidential response": FULL | {"staff"},
    "published: confidential response in the CSV": FULL | {"staff"},
}


def _appoint_without_the_service(client, *, root, committee, user, seat) -> Membership:
    """A staff superuser posts the admin's add form: it is refused (memberships are appointed on the
    committee's page), so the row is written as a data fix would write it, with no service run."""
    today = timezone.localdate()
    client.force_login(root)
    response = client.post(
        reverse("admin:panel_membership_add"),
        {
            "committee": committee.pk,
            "seat": seat.pk,
            "user": user.pk,
            "party": user.party_id or "",
            "role": Membership.Role.MEMBER,
            "starts_on": f"{today - datetime.timedelta(days=3):%d/%m/%Y}",
            "ends_on": f"{today + datetime.timedelta(days=700):%d/%m/%Y}",
        },
    )
    client.logout()
    assert response.status_code == 403 and not Membership.objects.filter(user=user).exists()
    return make_place(user, kind=committee.kind, seat=seat, starts_on=today - datetime.timedelta(days=3))


def _respond(consultation, *, label: str, people: dict) -> None:
    q1, q2 = consultation.questions.order_by("order")
    for who, confidential in (("own", False), ("open", False), ("secret", True)):
        modification_services.response_submit(
            actor=people[who],
            consultation=consultation,
            changes={str(q1.pk): {"position": "yes", "text": f"{label} {who} answer"}, str(q2.pk): {"text": "-"}},
            confidential=confidential,
        )


@pytest.fixture
def world(client, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    today = timezone.localdate()
    yesterday, tomorrow = today - datetime.timedelta(days=1), today + datetime.timedelta(days=1)
    staff = make_user(email="staff@secas.example", role_names={roles.SECAS_STAFF})
    root = make_user(email="root@secas.example", role_names={roles.SECAS_STAFF}, is_superuser=True)
    board = make_committee(Committee.Kind.CHANGE_BOARD, seats=6)
    seats = list(board.seats.order_by("label"))
    own_party = make_party(name="Own Energy", status=Party.Status.ACCEDED)
    people = {"anonymous": None, "party_user": make_user(email="party@own.example", party=own_party), "staff": staff}
    for state in STATES:
        people.setdefault(state, make_user(email=f"{state.replace('_', '.')}@board.example"))
    places = {
        "member": make_place(people["member"], kind=board.kind, seat=seats[0]),
        "chair": make_place(people["chair"], kind=board.kind, role=Membership.Role.CHAIR, seat=seats[1]),
        "ended_yesterday": make_place(people["ended_yesterday"], kind=board.kind, seat=seats[2], ended_on=yesterday),
        "ends_today": make_place(people["ends_today"], kind=board.kind, seat=seats[3], ends_on=today),
        "starts_tomorrow": make_place(people["starts_tomorrow"], kind=board.kind, seat=seats[4], starts_on=tomorrow),
        "observer": make_place(people["observer"], kind=board.kind, role=Membership.Role.OBSERVER),
    }
    places["alternate"] = make_place(
        people["alternate"], kind=board.kind, role=Membership.Role.ALTERNATE, alternate_for=places["member"]
    )
    places["alternate_of_former"] = make_place(
        people["alternate_of_former"],
        kind=board.kind,
        role=Membership.Role.ALTERNATE,
        alternate_for=places["ended_yesterday"],
    )
    places["written_directly"] = _appoint_without_the_service(
        client, root=root, committee=board, user=people["written_directly"], seat=seats[5]
    )

    # A coming meeting (papers out, online) with a modification at the Change Board on its agenda.
    starts = datetime.datetime.combine(today + datetime.timedelta(days=2), datetime.time(10), tzinfo=LONDON)
    meeting = make_meeting(board, starts=starts, title=MEETING_TITLE, online_link=JOIN_LINK)
    modification = make_modification(stage=Stage.CHANGE_BOARD, number=901)
    item = meeting.items.create(order=1, title="Change Board vote", modification=modification)
    published = timezone.now() - datetime.timedelta(days=1)
    amber_paper = make_paper(meeting, classification=Classification.AMBER, title=AMBER_PAPER, published_at=published)
    make_paper(meeting, item=item, classification=Classification.GREEN, title=GREEN_PAPER, published_at=published)
    document = make_document(
        modification, classification=Classification.AMBER, title=AMBER_DOCUMENT, owner_committee=board.slug
    )
    ModificationEvent.objects.create(
        modification=modification,
        kind=ModificationEvent.Kind.DOCUMENT,
        document=document,
        summary=f"Published {AMBER_DOCUMENT}",
    )
    vote_round = services.vote_round_open(actor=staff, modification=modification, meeting=meeting)
    held = make_meeting(board, starts=timezone.now() - datetime.timedelta(days=20), title="Last month")
    Minutes.objects.create(meeting=held, text=DRAFT_MINUTES, status=Minutes.Status.DRAFT)

    # Three consultations answered by three Parties (one in confidence): open, closed, published.
    respondents = {
        "own": people["party_user"],
        "open": make_user(party=make_party(name="Open Energy", status=Party.Status.ACCEDED)),
        "secret": make_user(party=make_party(name="Secret Energy", status=Party.Status.ACCEDED)),
    }
    questions = [("Do you support it?", "position"), ("Anything else?", "text")]
    consultations = {
        "open": modification_services.consultation_create(
            actor=staff,
            title="MP902 MRC",
            kind=Consultation.Kind.MRC,
            modification=make_report_phase_mp(number=902),
            questions=questions,
        )
    }
    for label in ("closed", "published"):
        consultations[label] = modification_services.consultation_create(
            actor=staff, title=f"{label} consultation", kind=Consultation.Kind.OTHER, questions=questions
        )
    for label, consultation in consultations.items():
        _respond(consultation, label=label, people=respondents)
    Consultation.objects.filter(pk__in=[consultations["closed"].pk, consultations["published"].pk]).update(
        closes_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    modification_services.consultation_publish(
        actor=staff, consultation=Consultation.objects.get(pk=consultations["published"].pk)
    )
    return {
        "people": people,
        "places": places,
        "meeting": meeting,
        "held": held,
        "amber_paper": amber_paper,
        "document": document,
        "modification": modification,
        "vote_round": vote_round,
        "consultations": consultations,
    }


def _csv(client, consultation) -> str | None:
    response = client.get(reverse("modifications:consultation-csv", args=[consultation.pk]))
    if response.status_code == 404:
        return None
    assert response.status_code == 200
    return "\n".join(",".join(row) for row in csv.reader(io.StringIO(response.content.decode())))


def _page(client, name: str, *args) -> str:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200, (name, response.status_code)
    return response.content.decode()


def _section(dashboard: str, key: str) -> str:
    """One section of the dashboard ('' when it is left out): SECAS's queues name every meeting
    that lacks papers and every open vote, so each surface reads its own section."""
    match = re.search(rf'aria-labelledby="section-{key}">(.*?)</section>', dashboard, re.S)
    return match.group(1) if match else ""


def _downloads(client, name: str, pk: int) -> bool:
    status = client.get(reverse(name, args=[pk])).status_code
    assert status in (200, 404), (name, status)
    return status == 200


def _told_papers_are_published(world, person) -> bool:
    """Run the "papers published" source at 09:30 today: told in the portal and by email."""
    now = datetime.datetime.combine(timezone.localdate(), datetime.time(9, 30), tzinfo=LONDON)
    panel_notifications.papers_published(now=now)
    emails = OutboxMessage.objects.filter(kind=panel_notifications.PAPERS_PUBLISHED)
    # The emails name the meeting, never its papers: no AMBER title reaches anyone by this road.
    assert not [m for m in emails if AMBER_PAPER in m.subject + m.body_text + m.body_html]
    if person is None:
        return False
    told = Notification.objects.filter(kind=panel_notifications.PAPERS_PUBLISHED, user=person).exists()
    emailed = emails.filter(recipient=person.email).exists()
    assert told == emailed, "the portal and the email agree"
    return told


def _casts_a_vote(client, world, person) -> bool:
    vote_round = world["vote_round"]
    client.post(
        reverse("panel:vote-cast", args=[vote_round.pk]),
        {"choice": "approve", "rationale": "Better facilitates Objective (a).", "objectives": ["a"]},
    )
    return person is not None and Vote.objects.filter(round=vote_round, membership__user=person).exists()


def _what_they_see(client, world, person) -> dict[str, bool]:
    meeting, modification = world["meeting"], world["modification"]
    consultations = world["consultations"]
    seen = {}
    # The dashboard first: opening the meeting's page afterwards marks its papers as looked at.
    dashboard = _page(client, "dashboard") if person is not None else ""
    seen["dashboard: the meeting's new papers"] = f"for Change Board: {MEETING_TITLE}" in _section(
        dashboard, "new_papers"
    )
    seen["dashboard: the vote waiting for their seat"] = "Vote on MP901" in _section(dashboard, "votes_waiting")
    seen["dashboard: how many seats have voted"] = any(
        "voting seats have voted" in _section(dashboard, key) for key in ("votes_to_close", "vote_progress")
    )
    seen["dashboard: draft minutes to approve"] = "Last month" in _section(dashboard, "minutes_to_approve")
    page = _page(client, "panel:meeting-detail", meeting.pk)
    seen["meeting page: AMBER paper listed"] = AMBER_PAPER in page
    seen["meeting page: GREEN paper listed"] = GREEN_PAPER in page
    seen["meeting page: join link"] = JOIN_LINK in page
    seen["meeting page: draft minutes"] = DRAFT_MINUTES in _page(client, "panel:meeting-detail", world["held"].pk)
    seen["paper download: AMBER"] = _downloads(client, "panel:paper-download", world["amber_paper"].pk)
    seen["document download: AMBER"] = _downloads(client, "modifications:document-download", world["document"].pk)
    seen["modification page: AMBER document listed"] = AMBER_DOCUMENT in _page(
        client, "modifications:modification-detail", modification.reference
    )
    seen["Atom feed: AMBER document"] = AMBER_DOCUMENT in _page(client, "modifications:modification-feed")
    if person is None:
        seen["private calendar: the meeting and its link"] = seen["dashboard: the meeting"] = False
        seen["dashboard and profile: the place on the Change Board"] = False
        seen["vote page: the ballot"] = False
    else:
        token = news_services.calendar_token_get_or_create(user=person).token
        calendar = _page(client, "news:private-calendar", token).replace("\r\n ", "")
        in_calendar = f"meeting-{meeting.pk}@secportal" in calendar
        assert in_calendar == (JOIN_LINK in calendar)
        seen["private calendar: the meeting and its link"] = in_calendar
        seen["dashboard: the meeting"] = MEETING_TITLE in _section(dashboard, "my_committees")
        profile = _page(client, "profile")
        on_board = '/panel/change-board/">Change Board</a> · ' in dashboard
        assert on_board == ("Change Board, until" in profile), "the dashboard and the profile agree"
        seen["dashboard and profile: the place on the Change Board"] = on_board
        vote_page = client.get(reverse("panel:vote-detail", args=[world["vote_round"].pk]))
        seen["vote page: the ballot"] = vote_page.context["membership"] is not None
    seen["vote: cast"] = _casts_a_vote(client, world, person)
    seen["papers published: notification and email"] = _told_papers_are_published(world, person)
    if person is not None and seen["papers published: notification and email"]:
        assert f"Papers published for {meeting}" in _page(client, "notifications:list")

    early = _page(client, "modifications:consultation-detail", consultations["open"].pk)
    seen["open MRC: another Party's response"] = "open open answer" in early or "open secret answer" in early
    seen["open MRC: responses CSV"] = _csv(client, consultations["open"]) is not None
    closed = _page(client, "modifications:consultation-detail", consultations["closed"].pk)
    seen["closed, unpublished: confidential response"] = "closed secret answer" in closed
    seen["closed, unpublished: responses CSV"] = _csv(client, consultations["closed"]) is not None
    published = _page(client, "modifications:consultation-detail", consultations["published"].pk)
    published_csv = _csv(client, consultations["published"]) or ""
    seen["published: a response not confidential"] = (
        "published open answer" in published and "published open answer" in published_csv
    )
    seen["published: confidential response"] = "published secret answer" in published
    seen["published: confidential response in the CSV"] = "published secret answer" in published_csv
    return seen


@pytest.mark.parametrize("state", STATES)
def test_who_sees_what(client, world, state):
    person = world["people"][state]
    if person is not None:
        client.force_login(person)
    expected = {surface: state in who for surface, who in EXPECTED.items()}
    assert _what_they_see(client, world, person) == expected


def test_the_places_are_what_the_table_says(world):
    """The states are really what their names say (a safety net for the table above)."""
    today = timezone.localdate()
    current = set(Membership.objects.current(today).values_list("user__email", flat=True))
    places = world["places"]
    assert places["written_directly"].role == "member"
    assert {p.user.email for p in places.values()} - current == {
        "ended.yesterday@board.example",
        "starts.tomorrow@board.example",
    }
    assert places["alternate_of_former"].alternate_for_id == places["ended_yesterday"].pk


# States with a second factor obliged by the MFA rule, besides those of the table.
MFA_REQUIRED = {"staff", "superuser", "admin_access", "red_recipient"} | ATTENDS


@pytest.mark.parametrize("state", [*STATES[1:], "superuser", "admin_access", "red_recipient"])
def test_every_privileged_state_sets_up_mfa_before_it_reaches_amber(client, world, settings, state):
    settings.SECPORTAL_REQUIRE_MFA = True
    person = world["people"].get(state)
    if state == "superuser":
        person = make_user(email="super@example.org", role_names=set(), is_superuser=True)
    elif state == "admin_access":  # admin access given by hand, without a role
        person = make_user(email="admin.access@example.org", role_names=set())
        type(person).objects.filter(pk=person.pk).update(is_staff=True)
    elif state == "red_recipient":
        person = make_user(email="red@example.org")
        make_paper(world["held"], classification=Classification.RED, title="Legal advice", red_recipients=[person])
    client.force_login(person)
    url = reverse("panel:paper-download", args=[world["amber_paper"].pk])
    response = client.get(url)
    if state in MFA_REQUIRED:
        assert response.status_code == 302 and response.url == reverse("mfa_activate_totp")
        give_totp(person)
        response = client.get(url)
    # With a second factor (or none needed), what the table says.
    assert response.status_code == (200 if state in FULL | {"staff", "superuser"} else 404)


def test_a_place_that_starts_today_needs_mfa_from_today(client, world, settings):
    """Nothing is copied when the membership is written: the start date arriving is enough."""
    settings.SECPORTAL_REQUIRE_MFA = True
    person = world["people"]["starts_tomorrow"]
    client.force_login(person)
    url = reverse("panel:paper-download", args=[world["amber_paper"].pk])
    assert client.get(url).status_code == 404
    Membership.objects.filter(user=person).update(starts_on=timezone.localdate())
    assert client.get(url).url == reverse("mfa_activate_totp")
    give_totp(person)
    assert client.get(url).status_code == 200


@pytest.mark.django_db(transaction=True)  # migrations run outside a transaction (SQLite needs it)
def test_the_migration_removes_the_groups_that_copied_committee_places():
    """Databases of earlier versions had "Panel member" and "Committee member" groups (an observer in
    one, a former member still in it): the data migration removes them and everyone's place in them."""
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    person = make_user(role_names={roles.PARTY_USER})
    executor = MigrationExecutor(connection)
    executor.migrate([("parties", "0002_user_drop_mfa_stamp")])  # as before this change
    try:
        for name in ("Panel member", "Committee member"):
            person.groups.add(Group.objects.create(name=name))
    finally:  # the database is left migrated for the tests after this one, whatever happens
        executor = MigrationExecutor(connection)
        executor.migrate([("parties", "0003_remove_committee_role_groups")])
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())  # and the migrations after it
    assert set(Group.objects.values_list("name", flat=True)) == set(roles.ALL_ROLES)
    assert set(person.groups.values_list("name", flat=True)) == {roles.PARTY_USER}


def test_a_party_user_appointed_panel_observer_by_secas_reads_no_other_partys_response(client, world):
    """The reported case: made a Panel observer through the service, a Party user could download the
    responses of an open MRC, confidential ones included. Observers read what everybody reads."""
    staff, person = world["people"]["staff"], world["people"]["party_user"]
    panel = make_committee(Committee.Kind.PANEL)
    services.membership_add(actor=staff, committee=panel, user=person, role=Membership.Role.OBSERVER)
    client.force_login(person)
    consultations = world["consultations"]
    assert _csv(client, consultations["open"]) is None
    assert _csv(client, consultations["closed"]) is None
    published = _csv(client, consultations["published"])
    assert "published open answer" in published and "published secret answer" not in published
    # Their own Party's response stays theirs to read.
    assert "published own answer" in published


def test_a_party_user_whose_party_owns_amber_material_sets_up_mfa_before_reaching_it(client, settings):
    """AMBER owned by a Party reaches every user of that Party: with MFA required they need a second
    factor too; users of a Party that owns no AMBER material do not."""
    settings.SECPORTAL_REQUIRE_MFA = True
    owner, other = make_party(name="Owner Energy"), make_party(name="Other Energy")
    insider, outsider = (
        make_user(email="in@owner.example", party=owner),
        make_user(email="out@other.example", party=other),
    )
    document = make_document(
        make_modification(number=977), classification=Classification.AMBER, owner_party=owner, title="Owner's data"
    )
    url = reverse("modifications:document-download", args=[document.pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 404  # no MFA asked of them: nothing of theirs is AMBER
    client.force_login(insider)
    assert client.get(url).url == reverse("mfa_activate_totp")
    give_totp(insider)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "right",
    ["observer_place", "ended_place_reopened", "red_recipient", "party_amber_document", "reclassified_to_amber"],
)
def test_a_right_that_arrives_mid_session_asks_for_a_second_factor_on_the_next_request(client, settings, right):
    """Nothing about the MFA rule is kept between requests: a place, a RED naming or AMBER material of
    the person's Party, however it is written (rows straight to the table, an update without
    signals), asks for a second factor on the very next page of the session they are signed in
    with, and no page before."""
    settings.SECPORTAL_REQUIRE_MFA = True
    party = make_party(name="Midsession Energy")
    person = make_user(email="mid@midsession.example", party=party)
    board = make_committee(Committee.Kind.CHANGE_BOARD)
    green = make_document(make_modification(number=978), classification=Classification.GREEN, title="Plain")
    ended = make_place(person, kind=Committee.Kind.PANEL, ended_on=timezone.localdate() - datetime.timedelta(days=1))
    client.force_login(person)
    page = reverse("modifications:modification-list")
    assert client.get(page).status_code == 200  # nothing asks for a second factor yet
    if right == "observer_place":
        make_place(person, kind=board.kind, role=Membership.Role.OBSERVER)
    elif right == "ended_place_reopened":
        Membership.objects.filter(pk=ended.pk).update(ended_on=None)
    elif right == "red_recipient":
        make_paper(make_meeting(board), classification=Classification.RED, red_recipients=[person])
    elif right == "party_amber_document":
        make_document(make_modification(number=979), classification=Classification.AMBER, owner_party=party)
    else:
        type(green).objects.filter(pk=green.pk).update(classification=Classification.AMBER, owner_party=party)
    assert client.get(page).url == reverse("mfa_activate_totp")
    give_totp(person)
    assert client.get(page).status_code == 200
