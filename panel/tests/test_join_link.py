"""A committee meeting's online link is for the committee and SECAS only, on every surface."""

import datetime

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from news import services as news_services
from panel.models import Committee, Membership
from panel.permissions import can_see_join_link
from panel.tests.test_panel import make_meeting
from parties import roles
from parties.tests.factories import make_user

pytestmark = pytest.mark.django_db
LINK = "https://meet.example.org/secret-board-room"
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _mfa_is_tested_elsewhere(settings):
    settings.SECPORTAL_REQUIRE_MFA = False


@pytest.fixture
def people():
    board = Committee.objects.create(name="Change Board", slug="change-board", kind=Committee.Kind.CHANGE_BOARD)
    other = Committee.objects.create(name="TABASC", slug="tabasc", kind=Committee.Kind.SUB_COMMITTEE)
    who = {
        "anonymous": None,
        "party_user": make_user(),
        "member": make_user(),
        "chair": make_user(),
        "alternate": make_user(),
        "observer": make_user(),
        "former_member": make_user(),
        "future_member": make_user(),
        "other_committee": make_user(),
        "staff": make_user(role_names={roles.SECAS_STAFF}),
    }
    year = datetime.timedelta(days=365)
    member = Membership.objects.create(committee=board, user=who["member"], starts_on=TODAY - year)
    Membership.objects.create(committee=board, user=who["chair"], role=Membership.Role.CHAIR, starts_on=TODAY)
    Membership.objects.create(
        committee=board,
        user=who["alternate"],
        role=Membership.Role.ALTERNATE,
        alternate_for=member,
        starts_on=TODAY - year,
    )
    Membership.objects.create(committee=board, user=who["observer"], role=Membership.Role.OBSERVER, starts_on=TODAY)
    Membership.objects.create(
        committee=board,
        user=who["former_member"],
        starts_on=TODAY - 2 * year,
        ended_on=TODAY - datetime.timedelta(days=1),
    )
    Membership.objects.create(committee=board, user=who["future_member"], starts_on=TODAY + datetime.timedelta(days=3))
    Membership.objects.create(committee=other, user=who["other_committee"], starts_on=TODAY - year)
    meeting = make_meeting(board, title="Board meeting", online_link=LINK, venue="SECAS offices")
    return who, meeting


MAY_JOIN = {"member", "chair", "alternate", "observer", "staff"}


@pytest.mark.parametrize(
    "role",
    [
        "anonymous",
        "party_user",
        "member",
        "chair",
        "alternate",
        "observer",
        "former_member",
        "future_member",
        "other_committee",
        "staff",
    ],
)
def test_the_meeting_page_shows_the_link_to_the_committee_and_secas_only(client, people, role):
    who, meeting = people
    person = who[role]
    if person is not None:
        client.force_login(person)
    url = reverse("panel:meeting-detail", args=[meeting.pk])
    pages = [client.get(url).content.decode() for _ in range(2)]  # the same the second time
    allowed = role in MAY_JOIN
    assert all((LINK in page) is allowed for page in pages), role
    assert all("online" in page.lower() and "SECAS offices" in page for page in pages)  # all learn it is online
    if person is not None:
        assert can_see_join_link(person, meeting) is allowed


def test_anonymous_visitors_never_get_the_link_a_member_was_just_shown(client, people):
    """Were pages ever kept and shared again, the member's copy must not become the public one."""
    who, meeting = people
    url = reverse("panel:meeting-detail", args=[meeting.pk])
    member = client.__class__()
    member.force_login(who["member"])
    assert LINK in member.get(url).content.decode()
    for _ in range(2):
        assert LINK not in client.get(url).content.decode()
    assert LINK in member.get(url).content.decode()


def test_an_ended_membership_takes_the_link_away_at_once(client, people):
    who, meeting = people
    client.force_login(who["member"])
    url = reverse("panel:meeting-detail", args=[meeting.pk])
    assert LINK in client.get(url).content.decode()
    Membership.objects.filter(user=who["member"]).update(ended_on=TODAY - datetime.timedelta(days=1))
    assert LINK not in client.get(url).content.decode()
    assert not can_see_join_link(who["member"], meeting)


def test_only_the_committee_has_the_meeting_and_its_link_in_their_calendar(client, people):
    who, _ = people
    for role in ("member", "observer", "party_user", "former_member", "other_committee"):
        token = news_services.calendar_token_get_or_create(user=who[role])
        content = client.get(reverse("news:private-calendar", args=[token.token])).content
        events = [e for e in icalendar.Calendar.from_ical(content).walk("VEVENT") if "Board meeting" in e["SUMMARY"]]
        assert len(events) == (1 if role in MAY_JOIN else 0), role
        assert (LINK.encode() in content) is (role in MAY_JOIN), role
