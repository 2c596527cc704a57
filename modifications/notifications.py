"""What followers of modifications are told: stage changes, documents published, consultations
opening and closing soon. Registered with secportal in ModificationsConfig.ready().

A change in a request (a move, a document, a consultation opened now) only announces itself (one
row); a Celery task works out the followers (`follower_ids`) and tells them in batches."""

import datetime
from collections import defaultdict
from dataclasses import fields
from urllib.parse import parse_qsl

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from parties.models import Party, User
from parties.selectors import staff_recipients
from secportal.models import Frequency, Happening, Notification
from secportal.notifications import announce, classified_audience, notify
from secportal.registry import (
    NotificationKind,
    email_kinds,
    notification_access,
    notification_audiences,
    notification_kinds,
    notification_sources,
)
from secportal.workingdays import LONDON, add_working_days

from .models import (
    OPEN_STAGES,
    Consultation,
    FilterFollow,
    Follow,
    ModificationDocument,
    ModificationEvent,
    ModificationProposal,
    Response,
    ResponseVersion,
    Stage,
)
from .selectors import ModificationFilters, modification_list

STAGE_CHANGED = "modification.stage_changed"
DOCUMENT_PUBLISHED = "modification.document_published"
CONSULTATION_OPENED = "modification.consultation_opened"
CONSULTATION_CLOSING = "modification.consultation_closing"
CONSULTATION_OPEN_TO_PARTY = "modification.consultation_open_to_party"
CONSULTATION_CLOSED = "modification.consultation_closed"
RESPONSE_RECEIVED = "modification.response_received"
DRAFT_RAISED = "modification.draft_raised"
CLOSING_REMINDER_DAYS = 3  # Working Days before a consultation closes
CLOSE_MOVED = "close-moved-"  # the occurrence of a moved close's notice begins so

KINDS = (
    NotificationKind(
        STAGE_CHANGED,
        "A modification changes stage",
        "A modification you follow (or one in a view of the register you follow) moves on.",
        topic="Modifications",
    ),
    NotificationKind(
        DOCUMENT_PUBLISHED,
        "A document is published",
        "A new document, or a new version, on a modification you follow.",
        topic="Modifications",
    ),
    NotificationKind(
        CONSULTATION_OPENED,
        "A consultation opens",
        "A consultation opens on a modification you follow.",
        topic="Consultations",
    ),
    NotificationKind(
        CONSULTATION_CLOSING,
        "A consultation closes soon",
        "3 Working Days before a consultation on a modification you follow closes, if your Party has not responded.",
        topic="Consultations",
    ),
    NotificationKind(
        CONSULTATION_OPEN_TO_PARTY,
        "Consultations open to my Party",
        "A consultation your Party may respond to opens (whether or not you follow the modification).",
        topic="Consultations",
    ),
    NotificationKind(
        CONSULTATION_CLOSED,
        "A consultation closes (SECAS)",
        "For SECAS staff: a consultation has closed, with the number of responses and what "
        "happens to its modification.",
        topic="Consultations",
    ),
    NotificationKind(
        RESPONSE_RECEIVED,
        "A Party sends a consultation response (SECAS)",
        "For SECAS staff: a Party sends or revises its response to an open consultation. "
        "In the daily digest unless you choose otherwise.",
        topic="Consultations",
        default=Frequency.DAILY,
    ),
    NotificationKind(
        DRAFT_RAISED,
        "A Draft Proposal is raised (SECAS)",
        "For SECAS staff: a Party raises a Draft Proposal, for the critical-friend review.",
        topic="Modifications",
    ),
)

_FILTER_FIELDS = {f.name for f in fields(ModificationFilters)}
# Saved views evaluated per query: each is one EXISTS in the statement (a few ms each on
# PostgreSQL at the benchmark's 2,000 modifications).
VIEWS_PER_QUERY = 100
ANNOUNCED = "modifications.followers"  # audience: followers of the modification the subject belongs to
CONSULTED = "modifications.consulted"  # audience: every active user of every Party that may respond
FOLLOWERS_NOT_CONSULTED = "modifications.followers_not_consulted"  # followers who hear as CONSULTED not
SECAS = "modifications.secas"  # audience: active SECAS staff


def _normalised(query: str) -> ModificationFilters:
    """A saved view's query string as the register's filters (unknown keys and the order dropped)."""
    values = {k: v for k, v in parse_qsl(query) if k in _FILTER_FIELDS and k != "sort"}
    return ModificationFilters(**values)


def follower_ids(modification_id: int) -> set[int]:
    """The pks of the people who follow a modification: directly, or through a saved view of the
    register that matches it now. Each distinct view (however many people saved it, and however
    its query string was spelt) is evaluated once, VIEWS_PER_QUERY views to a statement, by the
    register's own filters (`modification_list`): a few queries for thousands of saved views."""
    user_ids = set(Follow.objects.filter(modification_id=modification_id).values_list("user_id", flat=True))
    views: dict[str, list[str]] = defaultdict(list)  # normalised -> the stored spellings
    for query in FilterFollow.objects.values_list("query", flat=True).distinct().order_by("query"):
        filters = _normalised(query)
        views[filters.query_string()].append(query)
    normalised = sorted(views)
    matching: list[str] = []
    for start in range(0, len(normalised), VIEWS_PER_QUERY):
        chunk = normalised[start : start + VIEWS_PER_QUERY]
        tests = {
            f"view_{n}": Exists(
                modification_list(filters=_normalised(query), look_up_first=False)
                .filter(pk=OuterRef("pk"))
                .order_by()
                .values("pk")
            )
            for n, query in enumerate(chunk)
        }
        found = ModificationProposal.objects.filter(pk=modification_id).annotate(**tests).values_list(*tests).first()
        if found is not None:
            matching += [query for query, hit in zip(chunk, found, strict=True) if hit]
    stored = [spelling for query in matching for spelling in views[query]]
    for start in range(0, len(stored), VIEWS_PER_QUERY * 10):
        user_ids.update(
            FilterFollow.objects.filter(query__in=stored[start : start + VIEWS_PER_QUERY * 10]).values_list(
                "user_id", flat=True
            )
        )
    return user_ids


def followers_of(modification: ModificationProposal) -> list[User]:
    """The active people who follow a modification (see `follower_ids`), with their Parties."""
    return list(User.objects.filter(pk__in=follower_ids(modification.pk), is_active=True).select_related("party"))


def _announced_followers(happening) -> set[int]:
    """Audience: the followers of the modification a happening is about (the modification itself,
    one of its documents or one of its consultations)."""
    if happening.subject_type == ModificationProposal._meta.label_lower:
        return follower_ids(int(happening.subject_id))
    part_of = {m._meta.label_lower: m for m in (ModificationDocument, Consultation)}[happening.subject_type]
    found = part_of.objects.filter(pk=happening.subject_id).values_list("modification_id", flat=True).first()
    return follower_ids(found) if found is not None else set()


def consulted_ids(consultation: Consultation) -> set[int]:
    """The pks of the active users of every acceded Party that may respond to a consultation (one
    query; `notify` tells them in batches)."""
    users = User.objects.filter(is_active=True, party__status=Party.Status.ACCEDED)
    return set(users.exclude(party__category__in=consultation.excluded_categories).values_list("pk", flat=True))


def _consultation_of(happening) -> Consultation | None:
    return Consultation.objects.filter(pk=happening.subject_id).first()


def _announced_consulted(happening) -> set[int]:
    consultation = _consultation_of(happening)
    return consulted_ids(consultation) if consultation is not None else set()


def _announced_followers_not_consulted(happening) -> set[int]:
    consultation = _consultation_of(happening)
    if consultation is None or consultation.modification_id is None:
        return set()
    return follower_ids(consultation.modification_id) - consulted_ids(consultation)


def _announced_secas(happening) -> set[int]:
    return set(staff_recipients().values_list("pk", flat=True))


def _group(modification: ModificationProposal) -> str:
    return f"{modification.reference}: {modification.title}"


def _path(modification: ModificationProposal) -> str:
    return reverse("modifications:modification-detail", args=[modification.reference])


def what_comes_next(modification: ModificationProposal) -> str:
    """'What comes next: Change Board vote (no date set yet).', from the modification's own next
    milestone and its date (the ones its page and the register show), or that its process ended."""
    if modification.stage not in OPEN_STAGES:  # implemented, rejected, withdrawn or closed
        return "Its process has ended: nothing more comes next."
    if not modification.next_milestone:
        return ""
    when = modification.next_milestone_date
    return f"What comes next: {modification.next_milestone}" + (
        f" on {when:%-d %B %Y}." if when else " (no date set yet)."
    )


def stage_changed(*, event: ModificationEvent) -> Happening:
    """In the move's transaction: one row; the followers are told by a Celery task after commit.
    The title and the body are both read from the move's own event (its new stage, its summary and
    note) and the modification it moved, so the two cannot name different stages."""
    modification = event.modification
    summary = event.summary if event.summary.endswith((".", "!", "?")) else f"{event.summary}."
    lines = [summary, event.note]
    if modification.stage == event.to_stage:  # what comes next belongs to the stage it is now at
        lines.append(what_comes_next(modification))
    return announce(
        audience=ANNOUNCED,
        kind=STAGE_CHANGED,
        subject_obj=modification,
        occurrence=f"event-{event.pk}",
        title=f"{modification.reference} “{modification.title}” is now at {Stage(event.to_stage).label}",
        body="\n".join(line for line in lines if line),
        url=_path(modification),
        group=_group(modification),
    )


def draft_raised(*, modification: ModificationProposal) -> Happening:
    """In the transaction that raises a Draft Proposal: one row; SECAS staff are told it is there to
    review by a Celery task after commit, so the request's cost does not grow with their number."""
    due = modification.next_milestone_date
    review = f" The critical-friend review is due by {due:%-d %B %Y}." if due else ""
    return announce(
        audience=SECAS,
        kind=DRAFT_RAISED,
        subject_obj=modification,
        title=f"New Draft Proposal to review: {modification.reference} {modification.title}",
        body=f"{modification.proposer} ({modification.proposer_party}) raised {modification.reference}: "
        f"{modification.title}.{review}",
        url=_path(modification),
        group=_group(modification),
    )


def document_published(*, document: ModificationDocument, label: str) -> Happening:
    """In the upload's transaction: one row; the followers who may open the document are told later."""
    modification = document.modification
    return announce(
        audience=ANNOUNCED,
        kind=DOCUMENT_PUBLISHED,
        subject_obj=document,
        title=f"{modification.reference}: {label} published",
        url=_path(modification) + "#documents-title",
        group=_group(modification),
    )


def _consultation_path(consultation: Consultation) -> str:
    return reverse("modifications:consultation-detail", args=[consultation.pk])


def _opened(consultation: Consultation) -> dict:
    closes = timezone.localtime(consultation.closes_at, LONDON)
    return {
        "kind": CONSULTATION_OPENED,
        "subject_obj": consultation,
        "title": f"{consultation.title} is open",
        "body": f"Responses are accepted until {closes:%-d %B %Y, %H:%M %Z}.",
        "url": _consultation_path(consultation),
        "group": _group(consultation.modification),
    }


def _opened_to_party(consultation: Consultation) -> dict:
    return {**_opened(consultation), "kind": CONSULTATION_OPEN_TO_PARTY, "title": _party_title(consultation)}


def _party_title(consultation: Consultation) -> str:
    return f"Your Party may respond: {consultation.title} is open"


def consultation_opened(*, consultation: Consultation) -> Happening | None:
    """In the transaction that opens it: two rows. Every user of a Party that may respond is told
    (CONSULTATION_OPEN_TO_PARTY), and the other followers of the modification (CONSULTATION_OPENED),
    by Celery tasks after commit."""
    if consultation.modification is None:
        return None
    announce(audience=CONSULTED, **_opened_to_party(consultation))
    return announce(audience=FOLLOWERS_NOT_CONSULTED, **_opened(consultation))


def consultation_close_moved(*, consultation: Consultation) -> Happening | None:
    """In the transaction that moves an open consultation's close: the people who hear that it
    opened are told the new close, under the same kinds (their choices for "a consultation opens"
    hold), once for each move (the move's time is the occurrence, so a move back to an earlier
    date is told too)."""
    if consultation.modification is None:
        return None
    closes = timezone.localtime(consultation.closes_at, LONDON)
    moved = {
        "occurrence": f"{CLOSE_MOVED}{timezone.now():%Y%m%dT%H%M%S.%f}",
        "title": f"{consultation.title} now closes on {closes:%-d %B %Y}",
        "body": f"The close has moved: responses are accepted until {closes:%-d %B %Y, %H:%M %Z}.",
    }
    announce(audience=CONSULTED, **{**_opened_to_party(consultation), **moved})
    return announce(audience=FOLLOWERS_NOT_CONSULTED, **{**_opened(consultation), **moved})


def consultation_closed(*, consultation: Consultation, responses: int, moved: bool | None) -> Happening:
    """In the transaction that acts on a close: SECAS staff are told the number of responses and
    whether the modification moved on to the Change Board (or is ready to)."""
    plural = "s" if responses != 1 else ""
    modification = consultation.modification
    body = f"{responses} Party response{plural} sent."
    if moved is True:
        body += f" {modification.reference} has moved on to the Change Board."
    elif moved is False:
        body += f" {modification.reference} is ready to move on to the Change Board: do it from its page."
    return announce(
        audience=SECAS,
        kind=CONSULTATION_CLOSED,
        subject_obj=consultation,
        title=f"{consultation.title} has closed: {responses} response{plural}",
        body=body,
        url=_consultation_path(consultation),
        group=_group(modification) if modification is not None else "Consultations",
    )


def response_received(*, version: ResponseVersion, consultation: Consultation, party: Party) -> Happening:
    """In the transaction that sends a response: SECAS staff are told (by default in their daily
    digest, grouped by modification) which Party sent it, which version, and whether it is
    confidential. The response's text stays on the consultation's page."""
    sent = timezone.localtime(version.submitted_at, LONDON)
    revised = f" (revised: version {version.version})" if version.version > 1 else ""
    confidential = "marked confidential" if version.confidential else "not confidential"
    return announce(
        audience=SECAS,
        kind=RESPONSE_RECEIVED,
        subject_obj=consultation,
        occurrence=f"response-{version.pk}",
        title=f"{party.name} responded to {consultation.title}{revised}",
        body=f"Sent by {version.submitted_by} at {sent:%H:%M %Z} on {sent:%-d %B %Y}, {confidential}.",
        url=_consultation_path(consultation),
        group=_group(consultation.modification) if consultation.modification is not None else "Consultations",
    )


def _not_yet_told(consultations, kind: str) -> list[Consultation]:
    """The consultations nobody has been told about yet with this kind (or that a change has
    already announced): the sources run every minute, and working out the followers again for one
    already announced would be wasted. (Someone who follows after the announcement is not told it
    late.)"""
    consultations = list(consultations)
    ids = [str(c.pk) for c in consultations]
    # The announcement itself (no occurrence): a later notice under the same kind (a moved close)
    # does not count as having told them it opened.
    subject = {"kind": kind, "subject_type": Consultation._meta.label_lower, "subject_id__in": ids, "occurrence": ""}
    told = set(Notification.objects.filter(**subject).values_list("subject_id", flat=True))
    told |= set(Happening.objects.filter(**subject).values_list("subject_id", flat=True))
    return [c for c in consultations if str(c.pk) not in told]


def consultations_opening(*, now: datetime.datetime) -> int:
    """Source: consultations that opened since the last run (those opened at once were announced then)."""
    opened = Consultation.objects.filter(
        modification__isnull=False, opens_at__lte=now, opens_at__gt=now - datetime.timedelta(days=2), closes_at__gt=now
    ).select_related("modification")
    written = 0
    for c in _not_yet_told(opened, CONSULTATION_OPENED):
        consulted = consulted_ids(c)
        written += len(notify(users=consulted, now=now, **_opened_to_party(c)))
        written += len(notify(users=follower_ids(c.modification_id) - consulted, now=now, **_opened(c)))
    return written


def _not_yet_reminded(consultations) -> list[tuple[Consultation, str]]:
    """The consultations whose "closes soon" reminder is still to go, each with its occurrence: the
    close's date, so a moved close is reminded again before its new date, and never twice for one
    date (moved away and back included). A reminder sent before reminders had a date (no occurrence)
    stands for the close of a consultation whose close was never moved."""
    consultations = list(consultations)
    subject = {"subject_type": Consultation._meta.label_lower, "subject_id__in": [str(c.pk) for c in consultations]}
    told = set(
        Notification.objects.filter(kind=CONSULTATION_CLOSING, **subject)
        .order_by()
        .values_list("subject_id", "occurrence")
        .distinct()
    )
    undated = {pk for pk, occurrence in told if not occurrence}
    if undated:
        undated -= set(
            Happening.objects.filter(**subject, occurrence__startswith=CLOSE_MOVED).values_list("subject_id", flat=True)
        )
    due = []
    for c in consultations:
        occurrence = f"closes-{timezone.localtime(c.closes_at, LONDON):%Y-%m-%d}"
        if (str(c.pk), occurrence) not in told and str(c.pk) not in undated:
            due.append((c, occurrence))
    return due


def consultations_closing(*, now: datetime.datetime) -> int:
    """Source: from 3 Working Days before a consultation closes, its followers whose Party may
    respond and has not submitted are told, once (in batches: see `notify`)."""
    today = timezone.localtime(now, LONDON).date()
    horizon = add_working_days(today, CLOSING_REMINDER_DAYS)
    closing = Consultation.objects.filter(
        modification__isnull=False,
        opens_at__lte=now,
        closes_at__gt=now,
        closes_at__lt=datetime.datetime.combine(horizon + datetime.timedelta(days=1), datetime.time(), tzinfo=LONDON),
    ).select_related("modification")
    written = 0
    for consultation, occurrence in _not_yet_reminded(closing):
        responded = set(
            Response.objects.filter(consultation=consultation, status=Response.Status.SUBMITTED).values_list(
                "party_id", flat=True
            )
        )
        users = [
            u
            for u in followers_of(consultation.modification)
            if u.party_id and u.party_id not in responded and consultation.party_may_respond(u.party)
        ]
        closes = timezone.localtime(consultation.closes_at, LONDON)
        written += len(
            notify(
                users=users,
                kind=CONSULTATION_CLOSING,
                subject_obj=consultation,
                occurrence=occurrence,
                title=f"{consultation.title} closes on {closes:%A %-d %B}",
                body=f"Your Party has not responded yet. Responses are accepted until {closes:%H:%M %Z} "
                f"on {closes:%-d %B %Y}.",
                url=_consultation_path(consultation),
                group=_group(consultation.modification),
                now=now,
            )
        )
    return written


def _documents_visible(user, ids: list[str]) -> set[str]:
    return {
        str(pk) for pk in ModificationDocument.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)
    }


def _document_audience(users: list, document_id: str) -> set[int]:
    document = ModificationDocument.objects.filter(pk=document_id).first()
    return classified_audience(users, document) if document is not None else set()


# Emails sent outside the notification kinds, in words for the outbox.
EMAIL_KINDS = {
    "modification.draft_received": "Draft Proposal receipt (to the proposer)",
    "modification.response_receipt": "Consultation response receipt",
}


def register() -> None:
    for kind in KINDS:
        notification_kinds.register(kind)
    for key, label in EMAIL_KINDS.items():
        email_kinds.register(key, label)
    notification_access.register("modifications.modificationdocument", _documents_visible, audience=_document_audience)
    notification_audiences.register(ANNOUNCED, _announced_followers)
    notification_audiences.register(CONSULTED, _announced_consulted)
    notification_audiences.register(FOLLOWERS_NOT_CONSULTED, _announced_followers_not_consulted)
    notification_audiences.register(SECAS, _announced_secas)
    notification_sources.register("modifications.consultations_opening", consultations_opening)
    notification_sources.register("modifications.consultations_closing", consultations_closing)
