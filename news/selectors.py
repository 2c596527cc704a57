"""Reads for news and events: lists with filters, one post or event as the viewer may see it,
registrations, attendees, slide packs and the entries of the calendars."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from .models import (
    AgendaItem,
    Event,
    EventKind,
    NewsAttachment,
    NewsPost,
    NewsTag,
    Registration,
    SlidePack,
)
from .permissions import can_manage_events, can_publish_news

ACTIVE = (Registration.Status.CONFIRMED, Registration.Status.WAITLISTED)


@dataclass(frozen=True)
class PostFilters:
    kind: str = ""
    tag: str = ""
    q: str = ""


def post_list(*, filters: PostFilters) -> QuerySet[NewsPost]:
    """Published posts, newest first (withdrawn ones keep their address but leave the lists)."""
    posts = NewsPost.objects.published().prefetch_related(Prefetch("tags", queryset=NewsTag.objects.order_by("name")))
    if filters.kind:
        posts = posts.filter(kind=filters.kind)
    if filters.tag:
        posts = posts.filter(tags__slug=filters.tag)
    if filters.q:
        q = filters.q
        posts = posts.filter(Q(title__icontains=q) | Q(summary__icontains=q) | Q(body__icontains=q)).distinct()
    return posts.order_by("-published_at", "-pk")


def tags_in_use() -> QuerySet[NewsTag]:
    return NewsTag.objects.filter(posts__status=NewsPost.Status.PUBLISHED).distinct().order_by("name")


def post_get(*, user, slug: str) -> NewsPost:
    """A post anyone may open (published or withdrawn); SECAS also open drafts and scheduled posts."""
    posts = NewsPost.objects.select_related("author").prefetch_related(
        Prefetch("tags", queryset=NewsTag.objects.order_by("name")),
        "related_modifications",
    )
    post = posts.filter(slug=slug).first()
    if post is None or not (post.is_public or can_publish_news(user)):
        raise Http404("No post has this address.")
    return post


def post_attachments(*, user, post: NewsPost) -> list[NewsAttachment]:
    if post.status != NewsPost.Status.PUBLISHED and not can_publish_news(user):
        return []
    return list(NewsAttachment.objects.visible_to(user).filter(post=post))


def posts_unpublished() -> QuerySet[NewsPost]:
    """For SECAS: drafts and scheduled posts, the soonest to go out first."""
    return (
        NewsPost.objects.filter(status__in=[NewsPost.Status.DRAFT, NewsPost.Status.SCHEDULED])
        .select_related("author")
        .order_by("status", "publish_at", "-updated_at")
    )


def post_history(post: NewsPost) -> tuple[list, list]:
    return list(post.revisions.select_related("editor")), list(post.events.select_related("actor"))


def latest_posts(*, limit: int = 4, exclude_kinds=()) -> list[NewsPost]:
    posts = NewsPost.objects.published()
    if exclude_kinds:
        posts = posts.exclude(kind__in=exclude_kinds)
    return list(posts.order_by("-published_at", "-pk")[:limit])


def latest_government_publications(*, limit: int = 3) -> list[NewsPost]:
    """The newest publications of DESNZ (formerly BEIS) and Ofgem that SECAS has posted."""
    posts = NewsPost.objects.published().filter(kind__in=NewsPost.GOVERNMENT_KINDS)
    return list(posts.order_by("-published_at", "-pk")[:limit])


def latest_slide_pack(*, user) -> SlidePack | None:
    """The slide pack uploaded last that this person may open, with its event."""
    packs = SlidePack.objects.visible_to(user).select_related("event")
    return packs.order_by("-uploaded_at", "-pk").first()


QUESTIONS_HOURS = (EventKind.QUESTIONS_HOUR, EventKind.OPERATIONS_QUESTIONS_HOUR)


def next_questions_hour(*, now=None) -> Event | None:
    """The next Questions Hour (Modifications or Operations) that is going ahead."""
    events = Event.objects.upcoming(now or timezone.now()).filter(
        kind__in=QUESTIONS_HOURS, status=Event.Status.SCHEDULED
    )
    return events.first()


# --- Events ----------------------------------------------------------------------------------------------


def event_list(*, kind: str = "", when: str = "upcoming", now=None) -> QuerySet[Event]:
    now = now or timezone.now()
    events = Event.objects.select_related("series")
    if kind:
        events = events.filter(kind=kind)
    return events.past(now) if when == "past" else events.upcoming(now)


def event_get(*, slug: str) -> Event:
    event = (
        Event.objects.select_related("series")
        .prefetch_related(Prefetch("agenda_items", queryset=AgendaItem.objects.order_by("position")))
        .filter(slug=slug)
        .first()
    )
    if event is None:
        raise Http404("No event has this address.")
    return event


def event_slide_packs(*, user, event: Event) -> list[SlidePack]:
    return list(SlidePack.objects.visible_to(user).filter(event=event))


def user_registration(*, user, event: Event) -> Registration | None:
    if not (user and user.is_authenticated):
        return None
    return event.registrations.filter(user=user, status__in=ACTIVE).first()


def waitlist_position(registration: Registration) -> int | None:
    if registration is None or registration.status != Registration.Status.WAITLISTED:
        return None
    ahead = registration.event.registrations.filter(status=Registration.Status.WAITLISTED).filter(
        Q(waitlisted_at__lt=registration.waitlisted_at)
        | Q(waitlisted_at=registration.waitlisted_at, pk__lt=registration.pk)
    )
    return ahead.count() + 1


def party_places_taken(*, event: Event, party_id: int | None) -> int:
    if party_id is None:
        return 0
    return event.registrations.filter(status=Registration.Status.CONFIRMED, party_id=party_id).count()


def registration_counts(*, event: Event) -> dict[str, int]:
    """How many hold a place and how many wait, in one query: the people a notice would reach."""
    rows = dict(
        event.registrations.filter(status__in=ACTIVE)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    counts = {status: rows.get(status, 0) for status in ACTIVE}
    return {"confirmed": counts["confirmed"], "waitlisted": counts["waitlisted"], "total": sum(counts.values())}


def registration_get(*, user, pk: int) -> Registration:
    """A registration its own person or SECAS may act on; anyone else gets 404."""
    registration = Registration.objects.select_related("event", "user").filter(pk=pk).first()
    if registration is None or not (
        user.is_authenticated and (registration.user_id == user.pk or can_manage_events(user))
    ):
        raise Http404("No registration of yours has this address.")
    return registration


def attendees(*, event: Event) -> list[Registration]:
    order = {Registration.Status.CONFIRMED: 0, Registration.Status.WAITLISTED: 1, Registration.Status.CANCELLED: 2}
    rows = list(event.registrations.select_related("user", "party").order_by("created_at", "pk"))
    return sorted(rows, key=lambda r: (order[r.status], r.waitlisted_at or r.created_at, r.pk))


def user_events(*, user, now=None, include_past: bool = False) -> list[Registration]:
    """A person's active registrations (and events of theirs since cancelled), soonest first."""
    registrations = Registration.objects.filter(user=user, status__in=ACTIVE).select_related("event")
    if not include_past:
        registrations = registrations.filter(event__ends_at__gte=now or timezone.now())
    return list(registrations.order_by("event__starts_at", "pk"))


def calendar_events(*, now=None) -> QuerySet[Event]:
    """The public calendar: every event from a year ago on (cancelled ones say so)."""
    since = (now or timezone.now()) - timezone.timedelta(days=365)
    return (
        Event.objects.filter(ends_at__gte=since)
        .prefetch_related(Prefetch("agenda_items", queryset=AgendaItem.objects.order_by("position")))
        .order_by("starts_at", "pk")
    )


def user_calendar_registrations(*, user) -> list[Registration]:
    since = timezone.now() - timezone.timedelta(days=365)
    return list(
        Registration.objects.filter(user=user, status__in=ACTIVE, event__ends_at__gte=since)
        .select_related("event")
        .prefetch_related(
            Prefetch("event__agenda_items", queryset=AgendaItem.objects.order_by("position")),
        )
        .order_by("event__starts_at")
    )


def can_see_attendees(user) -> bool:
    return can_manage_events(user)
