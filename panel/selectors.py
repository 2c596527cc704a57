"""Reads for committees, meetings and papers, as the viewer may see them."""

from collections import defaultdict

from django.db.models import Case, Count, OuterRef, Q, Subquery, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from modifications.models import ModificationDocument

from .models import Action, Attendance, Committee, Meeting, Membership, Minutes, MinutesCorrection, Paper, VoteRound
from .permissions import can_see_draft_minutes, committee_rights

UPCOMING_LIMIT = 6
PAST_LIMIT = 12


def committee_list():
    now = timezone.now()
    today = timezone.localdate()
    current = Q(memberships__starts_on__lte=today, memberships__ended_on__isnull=True) & (
        Q(memberships__ends_on__isnull=True) | Q(memberships__ends_on__gte=today)
    )
    next_meeting = Meeting.objects.filter(committee=OuterRef("pk"), starts_at__gte=now).exclude(
        status=Meeting.Status.CANCELLED
    )
    return Committee.objects.order_by("order", "name").annotate(
        member_count=Count(
            "memberships",
            filter=current & Q(memberships__role__in=[Membership.Role.CHAIR, Membership.Role.MEMBER]),
            distinct=True,
        ),
        next_meeting_at=Subquery(next_meeting.order_by("starts_at").values("starts_at")[:1]),
        next_meeting_id=Subquery(next_meeting.order_by("starts_at").values("pk")[:1]),
    )


def committee_get(*, slug: str) -> Committee:
    return get_object_or_404(Committee, slug=slug)


def committee_members(*, committee: Committee) -> list[Membership]:
    return list(
        Membership.objects.current()
        .filter(committee=committee)
        .select_related("user", "party", "seat", "alternate_for__user")
        .order_by("seat__order", "role", "user__full_name")
    )


def committee_past_members(*, committee: Committee, limit: int = 30) -> list[Membership]:
    """Memberships that have ended (early or at the end of their term), latest first."""
    today = timezone.localdate()
    ended = Q(ended_on__isnull=False) | Q(ends_on__lt=today)
    return list(
        Membership.objects.filter(ended, committee=committee)
        .select_related("user", "party", "seat")
        .order_by("-starts_on", "user__full_name")[:limit]
    )


def committee_meetings(*, committee: Committee) -> dict:
    now = timezone.now()
    meetings = committee.meetings.all()
    return {
        "upcoming": list(meetings.filter(starts_at__gte=now).order_by("starts_at")[:UPCOMING_LIMIT]),
        "past": list(meetings.filter(starts_at__lt=now).order_by("-starts_at")[:PAST_LIMIT]),
    }


def committee_actions(*, committee: Committee):
    open_first = Case(When(status=Action.Status.OPEN, then=Value(0)), default=Value(1))
    return (
        Action.objects.filter(meeting__committee=committee)
        .select_related("owner", "meeting")
        .order_by(open_first, "due_on")
    )


def meeting_get(*, pk: int) -> Meeting:
    try:
        return Meeting.objects.select_related("committee").get(pk=pk)
    except Meeting.DoesNotExist:
        raise Http404 from None


def meeting_visible(*, user, meeting: Meeting) -> tuple[list[Paper], list[ModificationDocument]]:
    """The meeting's papers and the documents of its agenda's modifications that the viewer may
    open: all that the viewer's view of the agenda depends on (two queries)."""
    papers = list(
        Paper.objects.visible_to(user)
        .filter(meeting=meeting)
        .select_related("superseded_by")
        .order_by("item__order", "title", "-version")
    )
    agenda_modifications = meeting.items.filter(modification__isnull=False).values("modification_id")
    documents = list(
        ModificationDocument.objects.visible_to(user)
        .filter(modification_id__in=agenda_modifications)
        .order_by("kind", "title", "-version")
    )
    return papers, documents


def meeting_agenda(*, meeting: Meeting, papers: list[Paper], documents: list[ModificationDocument]) -> dict:
    """The agenda items, each with its visible papers, the current version of each visible document
    of its modification, and the latest vote round on it."""
    items = list(meeting.items.select_related("modification").order_by("order"))
    by_item = defaultdict(list)
    for paper in papers:
        paper.meeting = meeting  # is_late reads the meeting's paper day: no query per paper
        by_item[paper.item_id].append(paper)
    current = defaultdict(list)
    for document in documents:
        series = current[document.modification_id]
        if not any(d.kind == document.kind and d.title == document.title for d in series):
            series.append(document)  # the current version of each document
    modification_ids = [i.modification_id for i in items if i.modification_id]
    rounds = {}
    if modification_ids:
        for vote_round in VoteRound.objects.filter(modification_id__in=modification_ids).order_by("opened_at"):
            rounds[vote_round.modification_id] = vote_round  # the latest
    for item in items:
        item.vote_round = rounds.get(item.modification_id)
        item.visible_papers = by_item.get(item.pk, [])
        item.modification_documents = current.get(item.modification_id, [])
    return {"items": items, "unattached_papers": by_item.get(None, [])}


def meeting_record(*, user, meeting: Meeting) -> dict:
    """Attendance, minutes (drafts only for the committee and SECAS), corrections and actions."""
    attendance = list(meeting.attendance.select_related("user").order_by("status", "user__full_name"))
    minutes = Minutes.objects.filter(meeting=meeting).select_related("approved_at", "approved_by").first()
    if (
        minutes is not None
        and minutes.status != Minutes.Status.APPROVED
        and not can_see_draft_minutes(user, meeting.committee)
    ):
        minutes = None
    corrections = (
        list(MinutesCorrection.objects.filter(minutes=minutes).select_related("created_by")) if minutes else []
    )
    return {
        "attended": [a for a in attendance if a.status == Attendance.Status.ATTENDED],
        "apologies": [a for a in attendance if a.status == Attendance.Status.APOLOGIES],
        "observers": [a for a in attendance if a.status == Attendance.Status.OBSERVER],
        "minutes": minutes,
        "corrections": corrections,
        "actions": list(meeting.actions.select_related("owner")),
    }


def paper_get(*, user, pk: int) -> Paper:
    """A paper the user may open; anything else is 404, never 403."""
    try:
        return Paper.objects.visible_to(user).select_related("meeting__committee").get(pk=pk)
    except Paper.DoesNotExist:
        raise Http404 from None


def user_upcoming_meetings(*, user, limit: int = 5):
    committees = committee_rights(user).committee_ids
    return (
        Meeting.objects.filter(committee_id__in=committees, starts_at__gte=timezone.now())
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("committee")
        .order_by("starts_at")[:limit]
    )


def user_actions(*, user):
    return Action.objects.filter(owner=user, status=Action.Status.OPEN).select_related("meeting__committee")
