"""What `panel` contributes to the dashboard and a Party's page.

The queues read who may do what from panel.permissions (the person's current places, read once
per request) and classification from secportal.classification; none of them decides access itself.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from modifications.models import Stage
from secportal.queues import QUEUE_LIMIT, Button, Due, QueueItem, queue
from secportal.templatetags.portal import ukdate, ukdatetime
from secportal.workingdays import LONDON, add_working_days, local_today

from .models import Membership
from .permissions import can_follow_vote_progress, can_manage_panel, chaired_committee_ids, committee_rights
from .selectors import (
    draft_minutes_of,
    meetings_papers_due,
    meetings_with_new_papers,
    open_vote_progress,
    user_actions,
    user_upcoming_meetings,
    votes_waiting_for,
)
from .services import quorum_of

# SECAS's queue lists meetings whose paper day falls within this many Working Days (or has passed).
PAPER_DAY_NOTICE_WORKING_DAYS = 5


def _plural(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _meeting_url(meeting_id: int, anchor: str = "") -> str:
    return reverse("panel:meeting-detail", args=[meeting_id]) + (f"#{anchor}" if anchor else "")


def _at(moment, label: str, today) -> Due:
    return Due(day=moment.astimezone(LONDON).date(), at=moment, label=label, today=today)


def _vote_due(vote_round, now, today) -> Due | None:
    """A vote taken at a meeting still to come is due then; any other stays open until SECAS
    closes it (a vote round has no deadline of its own)."""
    meeting = vote_round.meeting
    if meeting is not None and meeting.starts_at > now:
        return _at(meeting.starts_at, "vote by the meeting of", today)
    return None


def my_committees(request, **objects) -> dict | None:
    """The person's current places and their committees' coming meetings."""
    user = request.user
    memberships = committee_rights(user).places  # the places that count today, read once per request
    if not memberships:
        return None
    return {"memberships": memberships, "meetings": list(user_upcoming_meetings(user=user))}


def votes_waiting(request, **objects) -> dict | None:
    """For those who vote on the Change Board: open votes their seat has not cast yet."""
    user = request.user
    if not any(p.votes for p in committee_rights(user).places):
        return None
    now, today = timezone.now(), local_today()
    rounds = votes_waiting_for(user=user)
    items = []
    for r in rounds[:QUEUE_LIMIT]:
        due = _vote_due(r, now, today)
        items.append(
            QueueItem(
                title=f"Vote on {r.modification.reference}: {r.modification.title}",
                url=reverse("panel:vote-detail", args=[r.pk]),
                detail=f"Open since {ukdate(r.opened_at)}"
                + (f" · on the agenda of the {r.meeting.title}" if due else "; it stays open until SECAS closes it"),
                due=due,
            )
        )
    return queue(items, count=len(rounds), empty="No Change Board vote is waiting for your seat's vote.")


def new_papers(request, **objects) -> dict | None:
    """For those who attend a committee: its meetings with papers published since they last opened
    the meeting's page (panel.models.MeetingVisit), counting only papers they may open."""
    user = request.user
    if not committee_rights(user).committee_ids:
        return None
    meetings = meetings_with_new_papers(user=user)
    items = [
        QueueItem(
            title=f"{_plural(m.new_papers, 'new paper')} for {m.committee.name}: {m.title}",
            url=_meeting_url(m.pk),
            detail=f"Published since you last looked at the meeting · meets {ukdatetime(m.starts_at)}",
        )
        for m in meetings[:QUEUE_LIMIT]
    ]
    return queue(
        items,
        count=len(meetings),
        count_label="new",
        empty="No paper has been published since you last looked at your committees' meetings.",
    )


def my_actions(request, **objects) -> dict | None:
    """Actions from committee meetings assigned to the person, the soonest due first; each can be
    marked done from here (the owner's one change: panel.services.action_set_status)."""
    user = request.user
    actions = list(user_actions(user=user).order_by("due_on", "pk"))
    if not actions and not committee_rights(user).places:
        return None
    today = local_today()
    done_next = reverse("dashboard")
    items = [
        QueueItem(
            title=f"{a.reference} {a.title}".strip(),
            url=_meeting_url(a.meeting_id, "meeting-actions-title"),
            detail=f"From the {a.meeting.committee.name}: {a.meeting.title}, {ukdate(a.meeting.starts_at)}",
            due=Due(day=a.due_on, label="due", today=today),
            button=Button(
                action=reverse("panel:action-status", args=[a.pk]),
                label="Mark done",
                fields=(("status", "done"), ("next", done_next)),
                context=f"{a.reference} {a.title}".strip(),
            ),
        )
        for a in actions[:QUEUE_LIMIT]
    ]
    return queue(items, count=len(actions), empty="No action from a meeting is assigned to you.")


def _vote_progress_items(rounds, *, closing: bool) -> list[QueueItem]:
    now, today = timezone.now(), local_today()
    items = []
    for r in rounds[:QUEUE_LIMIT]:
        quorum = quorum_of(r.seats)
        detail = f"{r.voted} of {_plural(r.seats, 'voting seat')} {'has' if r.voted == 1 else 'have'} voted"
        detail += f"; the quorum is {quorum}. Opened {ukdate(r.opened_at)}."
        if r.modification.stage != Stage.CHANGE_BOARD:
            status = "No longer with the Change Board"
        elif r.voted >= quorum:
            status = "Quorate: ready to close" if closing else "Quorate"
        else:
            status = "Not yet quorate"
        items.append(
            QueueItem(
                title=f"Vote on {r.modification.reference}: {r.modification.title}",
                url=reverse("panel:vote-detail", args=[r.pk]),
                detail=detail,
                status=status,
                due=_vote_due(r, now, today),
            )
        )
    return items


def votes_to_close(request, **objects) -> dict | None:
    """For SECAS: every open Change Board vote, with how many seats have voted against the quorum."""
    if not can_manage_panel(request.user):
        return None
    rounds = open_vote_progress()
    return queue(_vote_progress_items(rounds, closing=True), count=len(rounds), empty="No Change Board vote is open.")


def vote_progress(request, **objects) -> dict | None:
    """For the chairs of the Panel and the Change Board (panel.permissions): how each open vote
    stands, in numbers only. SECAS have their own queue of votes to close."""
    user = request.user
    if can_manage_panel(user) or not can_follow_vote_progress(user):
        return None
    rounds = open_vote_progress()
    return queue(
        _vote_progress_items(rounds, closing=False),
        count=len(rounds),
        count_label="open",
        intro="How many seats have voted; how they voted stays hidden until the vote closes.",
        empty="No Change Board vote is open.",
    )


def minutes_to_approve(request, **objects) -> dict | None:
    """For a committee's chair: its draft minutes, each due at the committee's next meeting."""
    chaired = chaired_committee_ids(request.user)
    if not chaired:
        return None
    minutes = draft_minutes_of(committee_ids=chaired)
    today = local_today()
    items = []
    for m in minutes[:QUEUE_LIMIT]:
        meeting = m.meeting
        items.append(
            QueueItem(
                title=f"Minutes of the {meeting.committee.name}: {meeting.title}",
                url=_meeting_url(meeting.pk, "minutes-title"),
                detail=f"Met {ukdate(meeting.starts_at)}"
                + ("" if m.next_meeting_at else "; no later meeting is arranged yet"),
                status="Draft",
                due=_at(m.next_meeting_at, "to approve at the meeting of", today) if m.next_meeting_at else None,
            )
        )
    return queue(items, count=len(minutes), empty="No draft minutes of a committee you chair await approval.")


def meetings_papers_missing(request, **objects) -> dict | None:
    """For SECAS: meetings whose paper day (Working Days before the meeting) is near or has passed,
    with papers missing."""
    if not can_manage_panel(request.user):
        return None
    today = local_today()
    last_paper_day = add_working_days(today, PAPER_DAY_NOTICE_WORKING_DAYS)
    meetings = meetings_papers_due(now=timezone.now(), last_paper_day=last_paper_day)
    items = []
    for m in meetings[:QUEUE_LIMIT]:
        if m.paper_count == 0:
            missing = "No paper published yet"
        else:
            missing = f"{m.items_without_paper} of {_plural(m.item_count, 'agenda item')} without a paper"
        items.append(
            QueueItem(
                title=f"{m.committee.name}: {m.title}",
                url=_meeting_url(m.pk),
                detail=f"{missing} · meets {ukdatetime(m.starts_at)}",
                due=Due(day=m.paper_day, label="paper day", today=today),
            )
        )
    return queue(
        items,
        count=len(meetings),
        empty=f"Every meeting whose paper day falls in the next {PAPER_DAY_NOTICE_WORKING_DAYS} Working Days "
        f"has its papers (paper day is {settings.SECPORTAL_PAPER_DAY_DAYS} Working Days before a meeting).",
    )


def party_members(request, party, **objects) -> dict:
    members = (
        Membership.objects.current()
        .filter(party=party)
        .select_related("user", "committee", "seat")
        .order_by("committee__order", "user__full_name")
    )
    return {"party": party, "members": list(members)}
