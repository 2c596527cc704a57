"""What `modifications` contributes to the shared pages (dashboard, home page, a Party's page)."""

import datetime
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from secportal.classification import committee_access
from secportal.queues import QUEUE_LIMIT, Due, QueueItem, queue
from secportal.templatetags.portal import ukdate, ukdatetime
from secportal.workingdays import LONDON, local_today, working_day_deadline

from . import selectors
from .models import ModificationProposal, Stage
from .permissions import can_move_modification, can_read_all_responses
from .selectors import (
    consultations_closed_since,
    consultations_for_secas,
    filter_follows,
    followed_modifications,
)
from .selectors import (
    party_consultations as consultations_for,
)
from .selectors import (
    party_drafts as drafts_of,
)
from .selectors import (
    party_modifications as of_party,
)

HOME_LIMIT = 6
PARTY_LIMIT = 20
# SECAS's queue lists open consultations that close within this many Working Days.
CLOSING_SOON_WORKING_DAYS = 5
# The Panel and Change Board's queue lists consultations that closed in this many days.
RESPONSES_READABLE_DAYS = 30


def _plural(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _consultation_url(consultation) -> str:
    return reverse("modifications:consultation-detail", args=[consultation.pk])


def _closes(consultation, today: datetime.date) -> Due:
    return Due(
        day=consultation.closes_at.astimezone(LONDON).date(), at=consultation.closes_at, label="closes", today=today
    )


def followed(request, **objects) -> dict:
    user = request.user
    return {"modifications": list(followed_modifications(user=user)), "filters": list(filter_follows(user=user))}


def party_drafts(request, **objects) -> dict | None:
    party = request.user.party
    if party is None:
        return None
    return {"party": party, "modifications": list(drafts_of(party=party).select_related("proposer"))}


def drafts_to_review(request, **objects) -> dict | None:
    """For SECAS: Draft Proposals awaiting the critical-friend review, the soonest due (the oldest)
    first, each with its Working-Day due date. Two queries, however many wait."""
    if not can_move_modification(request.user):
        return None
    drafts = ModificationProposal.objects.filter(stage=Stage.DRAFT)
    shown = list(
        drafts.select_related("proposer_party").order_by("next_milestone_date", "raised_on", "number")[:QUEUE_LIMIT]
    )
    count = drafts.count()  # always asked, so the queries do not depend on how many wait
    today = local_today()
    items = [
        QueueItem(
            title=f"{m.reference}: {m.title}",
            url=reverse("modifications:modification-detail", args=[m.reference]),
            detail=f"Raised {ukdate(m.raised_on)}" + (f" by {m.proposer_party.name}" if m.proposer_party else ""),
            due=Due(day=m.next_milestone_date, label="critical-friend review due", today=today)
            if m.next_milestone_date
            else None,
        )
        for m in shown
    ]
    register = reverse("modifications:modification-list") + "?" + urlencode({"stage": Stage.DRAFT, "sort": "next"})
    return queue(
        items,
        count=count,
        empty="No Draft Proposal is waiting for a critical-friend review.",
        links=[(register if count > len(items) else "", f"All {count} Draft Proposals in the register")],
    )


def consultations_to_act(request, **objects) -> dict | None:
    """For SECAS: consultations closed with responses to publish (oldest first), then those that
    close within CLOSING_SOON_WORKING_DAYS Working Days, with the responses sent so far."""
    if not can_move_modification(request.user):
        return None
    now = timezone.now()
    today = local_today()
    closing_by = working_day_deadline(today, CLOSING_SOON_WORKING_DAYS)
    consultations = consultations_for_secas(now=now, closing_by=closing_by)
    items = []
    for c in consultations[:QUEUE_LIMIT]:
        if c.is_closed(now):
            confidential = c.sent - c.publishable
            detail = f"Closed {ukdatetime(c.closes_at)}: {_plural(c.publishable, 'response')} to publish"
            if confidential:
                detail += f" ({confidential} marked confidential, not published)"
            items.append(
                QueueItem(title=c.title, url=_consultation_url(c), detail=detail, status="Responses to publish")
            )
        else:
            items.append(
                QueueItem(
                    title=c.title,
                    url=_consultation_url(c),
                    detail=f"{_plural(c.sent, 'response')} sent so far",
                    status="Closing",
                    due=_closes(c, today),
                )
            )
    return queue(
        items,
        count=len(consultations),
        empty=f"No consultation closes in the next {CLOSING_SOON_WORKING_DAYS} Working Days, and none has responses "
        "waiting to be published.",
        links=[(reverse("modifications:consultation-list"), "All consultations")],
    )


def party_consultations(request, **objects) -> dict | None:
    """For a Party's users: their Party's response status on every open consultation it may answer,
    closing soonest first. The heading counts those not yet sent."""
    party = request.user.party
    if party is None:
        return None
    consultations = consultations_for(party=party)
    today = local_today()
    items, waiting = [], 0
    for c in consultations:
        response = c.response
        if response is None or response.version == 0:
            waiting += 1
            if response is None:
                status, detail = "Not started", f"No one at {party.name} has saved an answer yet."
            else:
                status = "Draft"
                detail = f"Draft last saved {ukdatetime(response.updated_at)}" + (
                    f" by {response.updated_by}" if response.updated_by else ""
                )
        else:
            status = "Sent"
            detail = f"Version {response.version} sent {ukdatetime(response.submitted_at)}" + (
                f" by {response.submitted_by}" if response.submitted_by else ""
            )
            if response.updated_at > response.submitted_at:
                detail += "; changes saved since then are not sent yet"
            else:
                detail += "; you can revise it until the close"
        items.append(
            QueueItem(title=c.title, url=_consultation_url(c), detail=detail, status=status, due=_closes(c, today))
        )
    return queue(
        items,
        count=waiting,
        party=party,
        intro=f"{party.name}'s response to each open consultation." if items else "",
        empty=f"No open consultation is waiting for {party.name}'s response.",
        links=[(reverse("modifications:consultation-list"), "All consultations")],
    )


def responses_to_read(request, **objects) -> dict | None:
    """For current Panel and Change Board chairs, members and alternates: consultations that closed
    in the last RESPONSES_READABLE_DAYS days, whose every response (confidential ones included) they
    may now read (modifications.permissions decides, consultation by consultation)."""
    user = request.user
    if not committee_access(user).panel_or_change_board:
        return None
    now = timezone.now()
    closed = consultations_closed_since(now=now, since=now - datetime.timedelta(days=RESPONSES_READABLE_DAYS))
    readable = [c for c in closed if can_read_all_responses(user, c, now=now)]
    items = [
        QueueItem(
            title=c.title,
            url=_consultation_url(c),
            detail=f"Closed {ukdatetime(c.closes_at)}: {_plural(c.sent, 'response')}"
            + ("" if c.published_at else "; not yet published for everyone"),
        )
        for c in readable[:QUEUE_LIMIT]
    ]
    return queue(
        items,
        count=len(readable),
        count_label="to read",
        empty=f"No consultation has closed in the last {RESPONSES_READABLE_DAYS} days.",
        links=[(reverse("modifications:consultation-list"), "All consultations")],
    )


def in_progress(request, **objects) -> dict:
    modifications = ModificationProposal.objects.open().select_related("target_release").order_by("-updated_at")
    return {
        "modifications": list(modifications[:HOME_LIMIT]),
        "open_count": selectors.register_summary()["open"],
    }


def party_modifications(request, party, **objects) -> dict:
    modifications = of_party(party=party)
    return {"party": party, "modifications": list(modifications[:PARTY_LIMIT]), "count": modifications.count()}
