"""News posts (with revisions and attachments), events (with series, agendas, registrations and
slide packs) and the private calendar tokens.

Times are stored in UTC and shown in Europe/London. Status fields move only through services.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from modifications.models import ModificationProposal
from parties.models import Party
from secportal.classification import Classified, ClassifiedQuerySet
from secportal.downloads import DownloadLog
from secportal.richtext import RichText, SanitisedHTMLField

# A newsletter of several thousand words; events and series take a few paragraphs and an agenda.
POST_BODY_LIMIT = 50_000
DESCRIPTION_LIMIT = 20_000

# Paths under /news/ and /events/ that are pages of their own, never a slug.
RESERVED_SLUGS = frozenset(
    {
        "new",
        "feed",
        "drafts",
        "attachments",
        "calendar",
        "series",
        "slides",
        "my-calendar",
        "private",
        "registrations",
        "images",
    }
)


class NewsTag(models.Model):
    name = models.CharField(max_length=50, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class NewsPostQuerySet(models.QuerySet):
    def public(self):
        """What anyone may open: published posts and withdrawn ones (which say so)."""
        return self.filter(status__in=[NewsPost.Status.PUBLISHED, NewsPost.Status.WITHDRAWN])

    def published(self):
        return self.filter(status=NewsPost.Status.PUBLISHED)

    def due(self, now):
        return self.filter(status=NewsPost.Status.SCHEDULED, publish_at__lte=now)


class NewsPost(RichText, models.Model):
    """A news item, newsletter, release announcement or publication, written in Markdown."""

    rich_text_fields = ("body",)

    class Kind(models.TextChoices):
        NEWS = "news", "News"
        NEWSLETTER = "newsletter", "Newsletter"
        SEC_RELEASE = "sec_release", "SEC release"
        GOVERNMENT = "government", "Government publication"
        OFGEM = "ofgem", "Ofgem decision"
        CONSULTATION = "consultation", "Consultation"
        ELECTION = "election", "Election and nominations"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Publisher(models.TextChoices):
        """Who published a government publication (the department's name changed in 2023)."""

        DESNZ = "desnz", "Department for Energy Security and Net Zero (DESNZ, formerly BEIS)"
        OFGEM = "ofgem", "Ofgem"

    # The kinds the home page features as "Government publications".
    GOVERNMENT_KINDS = (Kind.GOVERNMENT, Kind.OFGEM)

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True, editable=False, help_text="Set once, never changed.")
    summary = models.CharField(max_length=400, help_text="One or two sentences for lists, the feed and the home page.")
    body = models.TextField(max_length=POST_BODY_LIMIT, help_text="Markdown.")
    body_html = SanitisedHTMLField()
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NEWS, db_index=True)
    publisher = models.CharField(
        max_length=10,
        choices=Publisher.choices,
        blank=True,
        help_text="For a government publication: the department or regulator that published it.",
    )
    tags = models.ManyToManyField(NewsTag, blank=True, related_name="posts")
    related_modifications = models.ManyToManyField(ModificationProposal, blank=True, related_name="news_posts")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False)
    publish_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When a scheduled post goes out."
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawal_reason = models.TextField(blank=True, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="news_posts"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = NewsPostQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        indexes = [models.Index(fields=["status", "publish_at"], name="newspost_status_publish_at")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="scheduled") | Q(publish_at__isnull=False), name="newspost_scheduled_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["published", "withdrawn"]) | Q(published_at__isnull=False),
                name="newspost_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.status in {self.Status.PUBLISHED, self.Status.WITHDRAWN}

    @property
    def publisher_short(self) -> str:
        """DESNZ or Ofgem, for a badge (the full name is `get_publisher_display`)."""
        if self.kind == self.Kind.OFGEM:
            return "Ofgem"
        return {self.Publisher.DESNZ: "DESNZ", self.Publisher.OFGEM: "Ofgem"}.get(self.publisher, "")


# The allowed moves of a post; a withdrawn post may be republished.
POST_TRANSITIONS = {
    NewsPost.Status.DRAFT: {NewsPost.Status.SCHEDULED, NewsPost.Status.PUBLISHED},
    NewsPost.Status.SCHEDULED: {NewsPost.Status.DRAFT, NewsPost.Status.PUBLISHED, NewsPost.Status.SCHEDULED},
    NewsPost.Status.PUBLISHED: {NewsPost.Status.WITHDRAWN},
    NewsPost.Status.WITHDRAWN: {NewsPost.Status.PUBLISHED},
}


class NewsPostRevision(RichText, models.Model):
    """The content of a post as it was after each save: nothing written is lost."""

    rich_text_fields = ("body",)

    post = models.ForeignKey(NewsPost, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=400)
    body = models.TextField(max_length=POST_BODY_LIMIT)
    body_html = SanitisedHTMLField()
    kind = models.CharField(max_length=20, choices=NewsPost.Kind.choices)
    publisher = models.CharField(max_length=10, choices=NewsPost.Publisher.choices, blank=True)
    tags = models.CharField(max_length=500, blank=True)
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["post", "number"], name="newspost_revision_number_unique")]

    def __str__(self) -> str:
        return f"{self.post} revision {self.number}"


class NewsPostEvent(models.Model):
    """One status change of a post: who, from, to, when, why."""

    post = models.ForeignKey(NewsPost, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, choices=NewsPost.Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=NewsPost.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.post}: {self.from_status or 'new'} to {self.to_status}"


class NewsAttachment(Classified):
    """A file attached to a post; downloads go through a checked view."""

    post = models.ForeignKey(NewsPost, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to="news/", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = ClassifiedQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def extension(self) -> str:
        return self.file.name.rsplit(".", 1)[-1].upper() if "." in self.file.name else ""


class AttachmentDownload(DownloadLog):
    """Who was served a post's attachment, when: every time, whatever asked for it."""

    served = "attachment"
    attachment = models.ForeignKey(NewsAttachment, on_delete=models.CASCADE, related_name="downloads")


class NewsImage(models.Model):
    """A picture SECAS publishes to show inside posts (PNG or JPEG, checked by content). Served at
    /news/images/<key>.<ext>: the one place rich text may take images from (secportal.richtext)."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file = models.FileField(upload_to="news/images/", max_length=200)
    content_type = models.CharField(max_length=100)
    extension = models.CharField(max_length=5)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    alt_text = models.CharField("Alternative text", max_length=300)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.alt_text

    @property
    def path(self) -> str:
        return f"/news/images/{self.key}.{self.extension}"

    @property
    def markdown(self) -> str:
        alt = self.alt_text.replace("]", "").replace("[", "")
        return f"![{alt}]({self.path})"


class EventKind(models.TextChoices):
    SPOTLIGHT = "spotlight", "Spotlight on the SEC"
    QUESTIONS_HOUR = "questions_hour", "SEC Modifications Questions Hour"
    OPERATIONS_QUESTIONS_HOUR = "ops_questions_hour", "SEC Operations Questions Hour"
    INTRODUCTION = "introduction", "Introduction to the SEC seminar"
    PARTY_ENGAGEMENT = "party_engagement", "Party Engagement Day"
    SMALL_SUPPLIER = "small_supplier", "Small Supplier Engagement Day"
    WEBINAR = "webinar", "Webinar"
    WORKSHOP = "workshop", "Workshop"


class EventSeries(RichText, models.Model):
    """A recurring event: the Questions Hour on the first Monday of each month at 11:00 UK time,
    moved to the next Working Day when that Monday is a bank holiday. Each occurrence is an
    Event of its own, so one can be edited or cancelled without touching the others."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=EventKind.choices, default=EventKind.QUESTIONS_HOUR)
    summary = models.CharField(max_length=400)
    description = models.TextField(max_length=DESCRIPTION_LIMIT, blank=True, help_text="Markdown.")
    description_html = SanitisedHTMLField()
    local_start = models.TimeField(help_text="UK time (Europe/London).")
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    online_link = models.URLField(blank=True)
    venue = models.CharField(max_length=300, blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True)
    places_per_party = models.PositiveSmallIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    rich_text_fields = ("description",)

    class Meta:
        verbose_name_plural = "event series"
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class EventQuerySet(models.QuerySet):
    def upcoming(self, now=None):
        return self.filter(ends_at__gte=now or timezone.now()).order_by("starts_at", "pk")

    def past(self, now=None):
        return self.filter(ends_at__lt=now or timezone.now()).order_by("-starts_at", "-pk")


class Event(RichText, models.Model):
    """A seminar, webinar, workshop or Questions Hour; registration is for signed-in Party users."""

    rich_text_fields = ("description",)

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text="Stable iCalendar UID.")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    kind = models.CharField(max_length=20, choices=EventKind.choices, db_index=True)
    summary = models.CharField(max_length=400)
    description = models.TextField(max_length=DESCRIPTION_LIMIT, blank=True, help_text="Markdown.")
    description_html = SanitisedHTMLField()
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    online_link = models.URLField(blank=True)
    venue = models.CharField(max_length=300, blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no limit.")
    places_per_party = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: no limit.")
    registration_opens_at = models.DateTimeField(null=True, blank=True)
    registration_closes_at = models.DateTimeField(null=True, blank=True)
    # Kept by the registration services under a lock of this row; the database checks the capacity.
    confirmed_count = models.PositiveIntegerField(default=0, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED, editable=False)
    cancellation_reason = models.TextField(blank=True, editable=False)
    series = models.ForeignKey(
        EventSeries, null=True, blank=True, on_delete=models.PROTECT, related_name="occurrences", editable=False
    )
    occurrence_key = models.CharField(
        max_length=10, blank=True, editable=False, help_text="The series month (YYYY-MM) this occurrence stands for."
    )
    detached = models.BooleanField(default=False, editable=False, help_text="Edited on its own, apart from its series.")
    recording_url = models.URLField(blank=True)
    sequence = models.PositiveIntegerField(default=0, editable=False, help_text="iCalendar SEQUENCE: bumped on edits.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_start"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(confirmed_count__lte=F("capacity")),
                name="event_capacity_never_exceeded",
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1), name="event_capacity_positive"
            ),
            models.CheckConstraint(
                condition=Q(places_per_party__isnull=True) | Q(places_per_party__gte=1),
                name="event_places_per_party_positive",
            ),
            models.CheckConstraint(condition=~Q(online_link="", venue=""), name="event_has_link_or_venue"),
            models.UniqueConstraint(
                fields=["series", "occurrence_key"],
                condition=Q(series__isnull=False),
                name="event_one_occurrence_per_series_month",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    def is_past(self, now=None) -> bool:
        return self.ends_at < (now or timezone.now())

    def registration_state(self, now=None) -> str:
        """ "open", "not_yet", "closed", "cancelled" or "past": can people register now?"""
        now = now or timezone.now()
        if self.is_cancelled:
            return "cancelled"
        if self.starts_at <= now:
            return "past"
        if self.registration_opens_at and now < self.registration_opens_at:
            return "not_yet"
        if self.registration_closes_at and now >= self.registration_closes_at:
            return "closed"
        return "open"

    @property
    def places_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(0, self.capacity - self.confirmed_count)


class AgendaItem(models.Model):
    """One timed line of an event's agenda (UK time on the day of the event)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="agenda_items")
    position = models.PositiveSmallIntegerField()
    starts_at = models.TimeField(help_text="UK time.")
    title = models.CharField(max_length=300)
    speaker = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["event", "position"], name="agenda_item_position_unique")]

    def __str__(self) -> str:
        return f"{self.starts_at:%H:%M} {self.title}"


class Registration(models.Model):
    """A Party user's place at an event, or their place on its waitlist."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Place confirmed"
        WAITLISTED = "waitlisted", "On the waitlist"
        CANCELLED = "cancelled", "Cancelled"

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="registrations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="event_registrations")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="event_registrations")
    status = models.CharField(max_length=10, choices=Status.choices, editable=False)
    notes = models.TextField(blank=True, help_text="Accessibility or dietary needs.")
    created_at = models.DateTimeField(default=timezone.now)
    waitlisted_at = models.DateTimeField(null=True, blank=True, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=Q(status__in=["confirmed", "waitlisted"]),
                name="registration_one_active_per_person",
            ),
            models.CheckConstraint(
                condition=~Q(status="waitlisted") | Q(waitlisted_at__isnull=False),
                name="registration_waitlisted_has_time",
            ),
        ]
        indexes = [models.Index(fields=["event", "status", "waitlisted_at"], name="registration_waitlist")]

    def __str__(self) -> str:
        return f"{self.user} at {self.event} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in {self.Status.CONFIRMED, self.Status.WAITLISTED}


class SlidePackQuerySet(ClassifiedQuerySet):
    pass


class SlidePack(Classified):
    """The slides of an event (PDF or PPTX, checked by content), with a first-page thumbnail that a
    Celery task draws after the upload (news.thumbnails)."""

    class Thumbnail(models.TextChoices):
        NONE = "none", "None (not a PDF)"
        PENDING = "pending", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Could not be drawn"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="slide_packs")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to="events/", max_length=200)
    thumbnail = models.FileField(upload_to="events/thumbnails/", max_length=200, blank=True)
    thumbnail_status = models.CharField(max_length=10, choices=Thumbnail.choices, default=Thumbnail.NONE)
    # Tries at drawing it (a worker killed mid-way leaves it pending; beat tries again, up to a limit).
    thumbnail_attempts = models.PositiveSmallIntegerField(default=0)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = SlidePackQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def extension(self) -> str:
        return self.file.name.rsplit(".", 1)[-1].upper() if "." in self.file.name else ""


class SlidePackDownload(DownloadLog):
    """Who was served a slide pack or its first-page thumbnail, when: every time, whatever asked."""

    served = "pack"
    pack = models.ForeignKey(SlidePack, on_delete=models.CASCADE, related_name="downloads")
    thumbnail = models.BooleanField(default=False, help_text="The first-page picture, not the pack itself.")


class CalendarToken(models.Model):
    """The secret in a person's private calendar address; resetting it revokes the old address."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar address of {self.user}"
