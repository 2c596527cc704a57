"""Reads for committees, meetings and papers, as the viewer may see them."""

from collections import defaultdict

from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from modifications.models import ModificationDocument

from .models import Action, Attendance, Committee, Meeting, Membership, Minutes, MinutesCorrection, Paper

UPCOMING_LIMIT = 6
PAST_LIMIT = 12


def committee_slugs_for(user) -> set[str]:
    """The committees a person sits on today (any role): the AMBER rule of classification."""
    return set(Membership.objects.current().filter(user=user).values_list("committee__slug", flat=True))


def committee_list():
    now = timezone.now()
    today = timezone.localdate()
    current = Q(memberships__starts_on__lte=today, memberships__ended_on__isnull=True) & (
        Q(memberships__ends_on__isnull=True) | Q(memberships__ends_on__gte=today)
    )
    next_meeting = Meeting.objects.filter(committee=OuterRef("pk"), starts_at__gte=now).exclude(
        status=Meeting.Status.CANCELLED
    )
    return Committee.objects.annotate(
        member_count=Count("memberships", filter=current, distinct=True),
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


def committee_meetings(*, committee: Committee) -> dict:
    now = timezone.now()
    meetings = committee.meetings.annotate(paper_count=Count("papers"))
    return {
        "upcoming": list(meetings.filter(starts_at__gte=now).order_by("starts_at")[:UPCOMING_LIMIT]),
        "past": list(meetings.filter(starts_at__lt=now).order_by("-starts_at")[:PAST_LIMIT]),
    }


def committee_actions(*, committee: Committee):
    return (
        Action.objects.filter(meeting__committee=committee)
        .select_related("owner", "meeting")
        .order_by("status", "due_on")
    )


def meeting_get(*, pk: int) -> Meeting:
    try:
        return Meeting.objects.select_related("committee").get(pk=pk)
    except Meeting.DoesNotExist:
        raise Http404 from None


def meeting_detail(*, user, meeting: Meeting) -> dict:
    """Everything on a meeting's page, in a fixed number of queries whatever its size."""
    items = list(meeting.items.select_related("modification").order_by("order"))
    papers = list(
        Paper.objects.visible_to(user)
        .filter(meeting=meeting)
        .select_related("superseded_by")
        .order_by("item__order", "title", "-version")
    )
    by_item = defaultdict(list)
    for paper in papers:
        paper.meeting = meeting  # is_late reads the meeting's paper day: no query per paper
        by_item[paper.item_id].append(paper)
    modification_ids = [i.modification_id for i in items if i.modification_id]
    documents = defaultdict(list)
    if modification_ids:
        for document in (
            ModificationDocument.objects.visible_to(user)
            .filter(modification_id__in=modification_ids)
            .order_by("kind", "title", "-version")
        ):
            series = documents[document.modification_id]
            if not any(d.kind == document.kind and d.title == document.title for d in series):
                series.append(document)  # the current version of each document
    for item in items:
        item.visible_papers = by_item.get(item.pk, [])
        item.modification_documents = documents.get(item.modification_id, [])
    attendance = list(meeting.attendance.select_related("user").order_by("status", "user__full_name"))
    minutes = Minutes.objects.filter(meeting=meeting).select_related("approved_at", "approved_by").first()
    corrections = (
        list(MinutesCorrection.objects.filter(minutes=minutes).select_related("created_by")) if minutes else []
    )
    return {
        "items": items,
        "unattached_papers": by_item.get(None, []),
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


def user_memberships(*, user):
    return Membership.objects.current().filter(user=user).select_related("committee", "seat", "alternate_for__user")


def user_upcoming_meetings(*, user, limit: int = 5):
    slugs = Membership.objects.current().filter(user=user).values("committee_id")
    return (
        Meeting.objects.filter(committee_id__in=slugs, starts_at__gte=timezone.now())
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("committee")
        .order_by("starts_at")[:limit]
    )


def user_actions(*, user):
    return Action.objects.filter(owner=user, status=Action.Status.OPEN).select_related("meeting__committee")
