"""What followers of modifications are told: stage changes, documents published, consultations
opening and closing soon. Registered with secportal in ModificationsConfig.ready()."""

import datetime
from dataclasses import fields
from urllib.parse import parse_qsl

from django.urls import reverse
from django.utils import timezone

from parties.models import User
from secportal.models import Notification
from secportal.notifications import notify
from secportal.registry import NotificationKind, notification_access, notification_kinds, notification_sources
from secportal.workingdays import LONDON, add_working_days

from .models import Consultation, FilterFollow, Follow, ModificationDocument, ModificationProposal, Response, Stage
from .selectors import ModificationFilters, modification_list

STAGE_CHANGED = "modification.stage_changed"
DOCUMENT_PUBLISHED = "modification.document_published"
CONSULTATION_OPENED = "modification.consultation_opened"
CONSULTATION_CLOSING = "modification.consultation_closing"
CLOSING_REMINDER_DAYS = 3  # Working Days before a consultation closes

KINDS = (
    NotificationKind(STAGE_CHANGED, "A modification changes stage",
                     "A modification you follow (or one in a view of the register you follow) moves on.",
                     topic="Modifications"),
    NotificationKind(DOCUMENT_PUBLISHED, "A document is published",
                     "A new document, or a new version, on a modification you follow.", topic="Modifications"),
    NotificationKind(CONSULTATION_OPENED, "A consultation opens",
                     "A consultation opens on a modification you follow.", topic="Consultations"),
    NotificationKind(CONSULTATION_CLOSING, "A consultation closes soon",
                     "3 Working Days before a consultation on a modification you follow closes, "
                     "if your Party has not responded.", topic="Consultations"),
)  # fmt: skip

_FILTER_FIELDS = {f.name for f in fields(ModificationFilters)}


def followers_of(modification: ModificationProposal) -> list[User]:
    """Who follows a modification: directly, or through a followed view of the register that
    matches it now (one query per distinct view, however many people follow it)."""
    user_ids = set(Follow.objects.filter(modification=modification).values_list("user_id", flat=True))
    by_query: dict[str, list[int]] = {}
    for user_id, query in FilterFollow.objects.values_list("user_id", "query"):
        by_query.setdefault(query, []).append(user_id)
    for query, ids in by_query.items():
        values = {k: v for k, v in parse_qsl(query) if k in _FILTER_FIELDS and k != "sort"}
        if modification_list(filters=ModificationFilters(**values)).filter(pk=modification.pk).exists():
            user_ids.update(ids)
    return list(User.objects.filter(pk__in=user_ids, is_active=True).select_related("party"))


def _group(modification: ModificationProposal) -> str:
    return f"{modification.reference}: {modification.title}"


def _path(modification: ModificationProposal) -> str:
    return reverse("modifications:modification-detail", args=[modification.reference])


def stage_changed(*, modification: ModificationProposal, event_id: int, summary: str, note: str = "") -> None:
    notify(
        users=followers_of(modification),
        kind=STAGE_CHANGED,
        subject_obj=modification,
        occurrence=f"event-{event_id}",
        title=f"{modification.reference} is now at {Stage(modification.stage).label}",
        body=" ".join(p for p in (summary, note) if p),
        url=_path(modification),
        group=_group(modification),
    )


def document_published(*, document: ModificationDocument, label: str) -> None:
    modification = document.modification
    notify(
        users=followers_of(modification),
        kind=DOCUMENT_PUBLISHED,
        subject_obj=document,
        title=f"{modification.reference}: {label} published",
        url=_path(modification) + "#documents-title",
        group=_group(modification),
    )


def _consultation_path(consultation: Consultation) -> str:
    return reverse("modifications:consultation-detail", args=[consultation.pk])


def consultation_opened(*, consultation: Consultation, now: datetime.datetime | None = None) -> int:
    modification = consultation.modification
    if modification is None:
        return 0
    closes = timezone.localtime(consultation.closes_at, LONDON)
    return len(
        notify(
            users=followers_of(modification),
            kind=CONSULTATION_OPENED,
            subject_obj=consultation,
            title=f"{consultation.title} is open",
            body=f"Responses are accepted until {closes:%-d %B %Y, %H:%M %Z}.",
            url=_consultation_path(consultation),
            group=_group(modification),
            now=now,
        )
    )


def _not_yet_told(consultations, kind: str) -> list[Consultation]:
    """The consultations nobody has been told about yet with this kind: the sources run every
    minute, and working out the followers again for one already announced would be wasted. (Someone
    who follows after the announcement is not told it late.)"""
    consultations = list(consultations)
    told = set(
        Notification.objects.filter(
            kind=kind, subject_type=Consultation._meta.label_lower, subject_id__in=[str(c.pk) for c in consultations]
        ).values_list("subject_id", flat=True)
    )
    return [c for c in consultations if str(c.pk) not in told]


def consultations_opening(*, now: datetime.datetime) -> int:
    """Source: consultations that opened since the last run (those opened at once were told then)."""
    opened = Consultation.objects.filter(
        modification__isnull=False, opens_at__lte=now, opens_at__gt=now - datetime.timedelta(days=2), closes_at__gt=now
    ).select_related("modification")
    return sum(consultation_opened(consultation=c, now=now) for c in _not_yet_told(opened, CONSULTATION_OPENED))


def consultations_closing(*, now: datetime.datetime) -> int:
    """Source: from 3 Working Days before a consultation closes, its followers whose Party may
    respond and has not submitted are told, once."""
    today = timezone.localtime(now, LONDON).date()
    horizon = add_working_days(today, CLOSING_REMINDER_DAYS)
    closing = Consultation.objects.filter(
        modification__isnull=False, opens_at__lte=now, closes_at__gt=now,
        closes_at__lt=datetime.datetime.combine(horizon + datetime.timedelta(days=1), datetime.time(), tzinfo=LONDON),
    ).select_related("modification")  # fmt: skip
    written = 0
    for consultation in _not_yet_told(closing, CONSULTATION_CLOSING):
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


def register() -> None:
    for kind in KINDS:
        notification_kinds.register(kind)
    notification_access.register("modifications.modificationdocument", _documents_visible)
    notification_sources.register("modifications.consultations_opening", consultations_opening)
    notification_sources.register("modifications.consultations_closing", consultations_closing)
