"""The admin is no way round the panel's services: memberships, papers and minutes are changed only
on the portal's pages; meetings are saved through meeting_save, whose refusals come back as messages."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from panel import services
from panel.models import Committee, Meeting, Membership, Minutes
from parties.models import User
from parties.tests.factories import make_user
from secportal.classification import Classification
from secportal.models import Happening, Notification

from .test_panel import make_meeting, make_paper

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("without_mfa")]


@pytest.fixture
def board():
    return Committee.objects.create(name="SEC Panel", slug="panel", kind=Committee.Kind.PANEL, purpose="Runs the SEC.")


@pytest.fixture
def membership(board, secas_staff):
    member = make_user(email="member@panel.example")
    return services.membership_add(actor=secas_staff, committee=board, user=member, role=Membership.Role.MEMBER)


def meeting_data(meeting: Meeting, **changes) -> dict:
    """The meeting's admin form as posted (no agenda items or attendance added)."""
    starts, ends = (timezone.localtime(t) for t in (meeting.starts_at, meeting.ends_at))
    data = {
        "committee": meeting.committee_id,
        "title": meeting.title,
        "starts_at_0": f"{starts:%d/%m/%Y}",
        "starts_at_1": f"{starts:%H:%M:%S}",
        "ends_at_0": f"{ends:%d/%m/%Y}",
        "ends_at_1": f"{ends:%H:%M:%S}",
        "venue": meeting.venue,
        "online_link": meeting.online_link,
        "status": meeting.status,
        "headlines": meeting.headlines,
    }
    for prefix in ("items", "attendance"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    return data | changes


@pytest.mark.parametrize("who", ["secas_staff", "superuser"])
def test_memberships_are_shown_in_the_admin_but_changed_on_the_committee_page(client, membership, who, request):
    client.force_login(request.getfixturevalue(who))
    url = reverse("admin:panel_membership_change", args=[membership.pk])
    page = client.get(url).content.decode()
    assert reverse("panel:committee-detail", args=[membership.committee.slug]) in page
    assert 'name="_save"' not in page
    assert client.post(url, {"ended_on": "01/01/2026", "role": "chair"}).status_code == 403
    assert client.get(reverse("admin:panel_membership_add")).status_code == 403
    assert (
        client.post(reverse("admin:panel_membership_delete", args=[membership.pk]), {"post": "yes"}).status_code == 403
    )
    membership.refresh_from_db()
    assert membership.ended_on is None and membership.role == Membership.Role.MEMBER
    assert Membership.objects.count() == 1


def test_a_meeting_moved_in_the_admin_tells_its_members_through_the_service(
    client, secas_staff, board, membership, django_capture_on_commit_callbacks
):
    meeting = make_meeting(board)
    client.force_login(secas_staff)
    later = timezone.localtime(meeting.starts_at).replace(microsecond=0) + datetime.timedelta(days=1)
    # The end's own day: a meeting that starts late in the evening ends the next day.
    ends_later = timezone.localtime(meeting.ends_at) + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):  # the notice is told by a task after commit
        response = client.post(
            reverse("admin:panel_meeting_change", args=[meeting.pk]),
            meeting_data(meeting, starts_at_0=f"{later:%d/%m/%Y}", ends_at_0=f"{ends_later:%d/%m/%Y}"),
        )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.starts_at == later and meeting.sequence == 1
    notice = Notification.objects.get(user=membership.user)
    assert notice.title.startswith("Moved:")


def test_what_the_meeting_service_refuses_is_a_message_and_nothing_is_saved(client, board):
    """Someone with the admin's add permission who is not SECAS staff: the service says no."""
    clerk = make_user(email="clerk@secas.example", role_names=set())
    User.objects.filter(pk=clerk.pk).update(is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["add_meeting", "view_meeting"]))
    clerk = User.objects.get(pk=clerk.pk)
    client.force_login(clerk)
    template = Meeting(committee=board, title="Extra meeting", starts_at=timezone.now() + datetime.timedelta(days=9))
    template.ends_at = template.starts_at + datetime.timedelta(hours=1)
    response = client.post(reverse("admin:panel_meeting_add"), meeting_data(template), follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == ["Only SECAS staff can arrange meetings."]
    assert not Meeting.objects.exists()


def test_minutes_approved_is_not_a_status_the_admin_sets(client, secas_staff, board):
    meeting = make_meeting(board, starts=timezone.now() - datetime.timedelta(days=3))
    client.force_login(secas_staff)
    url = reverse("admin:panel_meeting_change", args=[meeting.pk])
    response = client.post(url, meeting_data(meeting, status=Meeting.Status.MINUTES_APPROVED))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.PLANNED
    # And a meeting is cancelled (its members are told), never deleted.
    assert client.post(reverse("admin:panel_meeting_delete", args=[meeting.pk]), {"post": "yes"}).status_code == 403
    assert Meeting.objects.filter(pk=meeting.pk).exists()


def test_papers_and_minutes_are_changed_only_on_the_meeting_page(client, secas_staff, board):
    meeting = make_meeting(board, starts=timezone.now() - datetime.timedelta(days=3))
    paper = make_paper(meeting, classification=Classification.AMBER)
    minutes = services.minutes_save_draft(actor=secas_staff, meeting=meeting, text="Draft minutes.")
    client.force_login(secas_staff)
    url = reverse("admin:panel_paper_change", args=[paper.pk])
    assert reverse("panel:meeting-detail", args=[meeting.pk]) in client.get(url).content.decode()
    response = client.post(url, {"title": paper.title, "meeting": meeting.pk, "classification": "white"})
    assert response.status_code == 403
    assert client.post(reverse("admin:panel_paper_delete", args=[paper.pk]), {"post": "yes"}).status_code == 403
    paper.refresh_from_db()
    assert paper.classification == Classification.AMBER
    url = reverse("admin:panel_minutes_change", args=[minutes.pk])
    assert client.post(url, {"meeting": meeting.pk, "text": "Rewritten."}).status_code == 403
    assert Minutes.objects.get(pk=minutes.pk).text == "Draft minutes."


def test_a_meeting_that_has_taken_place_cannot_be_cancelled(client, secas_staff, board, membership):
    meeting = make_meeting(board, starts=timezone.now() - datetime.timedelta(days=3))
    client.force_login(secas_staff)
    url = reverse("admin:panel_meeting_change", args=[meeting.pk])
    response = client.post(url, meeting_data(meeting, status=Meeting.Status.CANCELLED), follow=True)
    assert response.status_code == 200
    assert "This meeting has already taken place; it cannot be cancelled." in [
        str(m) for m in response.context["messages"]
    ]
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.PLANNED
    assert not Happening.objects.filter(kind="panel.meeting_cancelled").exists()  # no one is told
    # A meeting still to come can be, and its members are told.
    upcoming = make_meeting(board)
    url = reverse("admin:panel_meeting_change", args=[upcoming.pk])
    client.post(url, meeting_data(upcoming, status=Meeting.Status.CANCELLED))
    assert Meeting.objects.get(pk=upcoming.pk).status == Meeting.Status.CANCELLED
    assert Happening.objects.filter(kind="panel.meeting_cancelled", subject_id=str(upcoming.pk)).exists()
