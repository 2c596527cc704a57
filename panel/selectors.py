"""Reads for committees, meetings and papers, as the viewer may see them."""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from modifications.models import ModificationDocument, ModificationProposal, Stage
from secportal.workingdays import add_working_days, working_day_deadline

from .models import (
    Action,
    AgendaItem,
    Attendance,
    Committee,
    Meeting,
    MeetingVisit,
    Membership,
    Minutes,
    MinutesCorrection,
    Paper,
    Seat,
    Vote,
    VoteRound,
)
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
    # The agenda shows each modification's reference, title and stage: not its texts.
    items = list(
        meeting.items.select_related("modification")
        .defer(*(f"modification__{field}" for field in ModificationProposal.LONG_TEXTS))
        .order_by("order")
    )
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


def next_meeting_after(*, meeting: Meeting) -> Meeting | None:
    """The committee's next meeting after this one (not cancelled), if one is arranged."""
    return (
        Meeting.objects.filter(committee_id=meeting.committee_id, starts_at__gt=meeting.starts_at)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("starts_at")
        .first()
    )


# --- The dashboard's queues ----------------------------------------------------------------------------------
# Each is one query however many rows it finds (tests pin the dashboard's count at two sizes).


def votes_waiting_for(*, user) -> list[VoteRound]:
    """Open Change Board votes the person may cast (panel.permissions: a chair or member on a voting
    seat, or the alternate of a current one) and for whose seat no one has voted yet; those at the
    soonest meeting first, then the longest open."""
    places = [p for p in committee_rights(user).places if p.votes]
    if not places:
        return []
    waiting = Q()
    for place in places:
        voted = Vote.objects.filter(round=OuterRef("pk"), seat_id=place.seat_id)
        waiting |= Q(committee_id=place.committee_id) & ~Q(Exists(voted))
    return list(
        VoteRound.objects.filter(waiting, status=VoteRound.Status.OPEN, modification__stage=Stage.CHANGE_BOARD)
        .select_related("modification", "meeting")
        .order_by(F("meeting__starts_at").asc(nulls_last=True), "opened_at", "pk")
    )


def open_vote_progress() -> list[VoteRound]:
    """Every open Change Board vote, longest open first, with `voted` (seats that have voted) and
    `seats` (voting seats): how the vote stands, never how anyone voted."""
    seats = (
        Seat.objects.filter(committee=OuterRef("committee"), voting=True)
        .order_by()
        .values("committee")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        VoteRound.objects.filter(status=VoteRound.Status.OPEN)
        .select_related("modification", "meeting")
        .annotate(voted=Count("votes", distinct=True), seats=Coalesce(Subquery(seats), 0))
        .order_by("opened_at", "pk")
    )


# Meetings this many days past still show papers published since the person last looked.
RECENT_MEETING_DAYS = 30


def meetings_with_new_papers(*, user, now=None) -> list[Meeting]:
    """Meetings of the person's committees (observers included), from RECENT_MEETING_DAYS ago on,
    with a paper they may open (secportal.classification) published since they last opened the
    meeting's page (MeetingVisit), or any such paper if they never have. Each carries `new_papers`.
    Soonest meeting first."""
    now = now or timezone.now()
    committees = committee_rights(user).committee_ids
    if not committees:
        return []
    visits = MeetingVisit.objects.filter(user=user, meeting=OuterRef("meeting"))
    new = (
        Paper.objects.visible_to(user)
        .filter(meeting=OuterRef("pk"))
        .filter(~Q(Exists(visits)) | Q(published_at__gt=Subquery(visits.values("seen_at")[:1])))
        .order_by()
        .values("meeting")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        Meeting.objects.filter(committee_id__in=committees, starts_at__gte=now - timedelta(days=RECENT_MEETING_DAYS))
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("committee")
        .annotate(new_papers=Coalesce(Subquery(new), 0))
        .filter(new_papers__gt=0)
        .order_by("starts_at", "pk")
    )


def draft_minutes_of(*, committee_ids) -> list[Minutes]:
    """Draft minutes of these committees, oldest meeting first, each with `next_meeting_at`: the
    committee's first meeting after the minuted one (not cancelled), where they are approved."""
    if not committee_ids:
        return []
    later = (
        Meeting.objects.filter(committee=OuterRef("meeting__committee"), starts_at__gt=OuterRef("meeting__starts_at"))
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    return list(
        Minutes.objects.filter(status=Minutes.Status.DRAFT, meeting__committee_id__in=committee_ids)
        .select_related("meeting__committee")
        .annotate(next_meeting_at=Subquery(later))
        .order_by("meeting__starts_at", "pk")
    )


def meetings_papers_due(*, now, last_paper_day) -> list[Meeting]:
    """Meetings to come (not cancelled) whose paper day is `last_paper_day` or earlier (already
    passed included: their papers are late) and that lack papers: none published, or agenda items
    without one. Each carries `paper_count`, `item_count` and `items_without_paper`. Paper day
    first. One query; the paper day itself is Working Days before the meeting (Meeting.paper_day)."""
    latest_meeting_day = add_working_days(last_paper_day, settings.SECPORTAL_PAPER_DAY_DAYS)
    papers = Paper.objects.filter(meeting=OuterRef("pk")).order_by().values("meeting").annotate(n=Count("pk"))
    items = AgendaItem.objects.filter(meeting=OuterRef("pk")).order_by().values("meeting").annotate(n=Count("pk"))
    bare = (
        AgendaItem.objects.filter(meeting=OuterRef("pk"), papers__isnull=True)
        .order_by()
        .values("meeting")
        .annotate(n=Count("pk"))
    )
    meetings = (
        Meeting.objects.filter(starts_at__gt=now, starts_at__lt=working_day_deadline(latest_meeting_day, 0))
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("committee")
        .annotate(
            paper_count=Coalesce(Subquery(papers.values("n")), 0),
            item_count=Coalesce(Subquery(items.values("n")), 0),
            items_without_paper=Coalesce(Subquery(bare.values("n")), 0),
        )
        .filter(Q(paper_count=0) | Q(items_without_paper__gt=0))
        .order_by("starts_at", "pk")
    )
    return [m for m in meetings if m.paper_day <= last_paper_day]
