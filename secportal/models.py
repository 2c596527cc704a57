from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone

from .richtext import RichText, SanitisedHTMLField

# A page of a few screens; longer material belongs in a document.
PAGE_TEXT_LIMIT = 20_000


class OutboxMessageQuerySet(models.QuerySet):
    def due(self, now=None):
        return self.filter(status=OutboxMessage.Status.QUEUED, due_at__lte=now or timezone.now())


class OutboxMessage(models.Model):
    """One email to one person, written in the same transaction as the change that causes it.

    Celery delivers due rows; the unique key (recipient, kind, subject, occurrence) means a
    message is queued at most once however often the cause is retried.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        # Not sent: the recipient may no longer see what it is about, or it went stale (a moved event).
        WITHHELD = "withheld", "Withheld"

    recipient = models.EmailField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbox_messages",
    )
    kind = models.CharField(max_length=100)
    subject_type = models.CharField(max_length=100, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    occurrence = models.CharField(max_length=100, blank=True)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # Carries a personal link (password reset, set-password, invitation, email verification): its
    # bodies are never shown (admin, outbox page) and are erased once it is sent, fails or is withheld.
    sensitive = models.BooleanField(default=False)
    # Extra headers (List-Unsubscribe) and small text attachments ([{"name", "type", "content"}]: an .ics).
    headers = models.JSONField(default=dict, blank=True)
    attachments = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    due_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "subject_type", "subject_id", "occurrence"],
                name="outbox_once_per_recipient_subject_kind",
            )
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="outbox_status_due")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.status})"

    @property
    def link_not_kept(self) -> bool:
        """A personal message that failed: its link was erased, so it cannot be sent again."""
        return self.sensitive and self.status == self.Status.FAILED


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", "Straight away"
    DAILY = "daily", "In a daily digest"
    WEEKLY = "weekly", "In a weekly digest"
    NONE = "none", "Not by email"


class NotificationSettings(models.Model):
    """One person's general email settings (per-kind choices are NotificationPreference rows)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    # No non-urgent email on a day that is not a Working Day: it waits for the next one.
    working_days_only = models.BooleanField(default=True)
    weekly_day = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY)

    def __str__(self) -> str:
        return f"Email settings of {self.user}"


class NotificationPreference(models.Model):
    """How one person hears about one kind of notification (no row: the kind's default)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=100)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.frequency}"


class Notification(models.Model):
    """Something one person is told about, in the portal and (as they prefer) by email.

    Written in the same transaction as its cause; the unique key means a person is told about
    one thing (kind, subject, occurrence) once, however often the cause is retried.
    """

    class Delivery(models.TextChoices):
        EMAILED = "emailed", "Emailed"
        DIGEST = "digest", "Waiting for a digest"
        DIGESTED = "digested", "Sent in a digest"
        PORTAL_ONLY = "portal", "In the portal only"
        WITHHELD = "withheld", "Withheld (no longer allowed to see it)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=100)
    subject_type = models.CharField(max_length=100)
    subject_id = models.CharField(max_length=64)
    occurrence = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, help_text="The subject's page (a path on the portal).")
    # Digests group items under this heading: the modification's reference and title, say.
    group = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    delivery = models.CharField(max_length=10, choices=Delivery.choices)
    # For delivery DIGEST: which digest ("daily" or "weekly") it waits for.
    digest = models.CharField(max_length=10, blank=True)
    email = models.ForeignKey(OutboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "subject_type", "subject_id", "occurrence"], name="notification_once"
            )
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_recent"),
            models.Index(
                fields=["digest", "user"], name="notification_digest_pending", condition=models.Q(delivery="digest")
            ),
            models.Index(fields=["user"], name="notification_unread", condition=models.Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.title} (to {self.user})"


class Happening(models.Model):
    """Something people are to hear about (a modification moved on, a document published, a
    consultation opened, an event moved), written in the transaction of the change that causes it.

    The change writes this one row whatever the size of the audience; a Celery task queued on
    commit (and beat, every minute, for any a lost task left) works out who hears, through the
    audience registered under `audience`, and writes their notifications and emails in batches.
    Telling is idempotent (each person is told about a kind, subject and occurrence once), so a
    happening told twice has the effect of once."""

    kind = models.CharField(max_length=100, help_text="The kind of notification.")
    audience = models.CharField(max_length=100, help_text="Who hears (a key of the audience registry).")
    subject_type = models.CharField(max_length=100)
    subject_id = models.CharField(max_length=64)
    occurrence = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500)
    group = models.CharField(max_length=300, blank=True)
    # Small text attachments for every email ([{"name", "type", "content"}]: an .ics).
    attachments = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    told_at = models.DateTimeField(null=True, blank=True)
    told = models.PositiveIntegerField(default=0, help_text="Notifications written.")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["created_at"], name="happening_untold", condition=models.Q(told_at__isnull=True)),
            models.Index(fields=["subject_type", "subject_id", "kind"], name="happening_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"


class ReminderSchedule(models.Model):
    """When reminders go out before one kind of event or meeting (set by SECAS in the admin).

    Without a row, the defaults apply: SECPORTAL_REMINDER_OFFSETS, plus
    SECPORTAL_ONLINE_REMINDER_OFFSETS for events with an online link."""

    event_kind = models.CharField(
        max_length=40,
        unique=True,
        help_text="The kind of event (for example questions_hour, spotlight, webinar), "
        "or 'meeting' for committee meetings.",
    )
    offsets = models.CharField(
        max_length=100, help_text="Before every event of this kind, e.g. '7d, 1d' (d: days, h: hours, m: minutes)."
    )
    online_offsets = models.CharField(
        max_length=100, blank=True, help_text="Added for events with an online link, e.g. '1h'."
    )

    class Meta:
        ordering = ["event_kind"]

    def __str__(self) -> str:
        return f"Reminders for {self.event_kind}: {self.offsets} {self.online_offsets}".strip()


class Session(AbstractBaseSession):
    """A visit's session (Django's, SESSION_ENGINE = secportal.sessions) with the signed-in person in
    a column of their own, so that removing a person, or changing their second factor, ends their
    sessions."""

    # No database constraint: a session saved while its person is being deleted must not fail (a
    # new key is tried for ever on a failed insert); deleting a person through the ORM still
    # deletes their sessions, and a session whose person is gone signs nobody in.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )

    class Meta(AbstractBaseSession.Meta):
        db_table = "secportal_session"

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore


class PageText(RichText, models.Model):
    """The words of a page SECAS edits without a developer: the welcome to the SEC on the home page,
    the privacy notice and the accessibility statement. Markdown, rendered and sanitised when it is
    saved (secportal.richtext); each save keeps a revision (who, when, what)."""

    class Page(models.TextChoices):
        HOME = "home", "Home page welcome"
        PRIVACY = "privacy", "Privacy notice"
        ACCESSIBILITY = "accessibility", "Accessibility statement"

    rich_text_fields = ("body",)

    slug = models.SlugField(max_length=40, unique=True, choices=Page.choices, editable=False)
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=PAGE_TEXT_LIMIT, help_text="Markdown.")
    body_html = SanitisedHTMLField()
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["slug"]
        verbose_name = "page text"

    def __str__(self) -> str:
        return self.get_slug_display()


class PageTextRevision(RichText, models.Model):
    """A page's text as it was after one save: nothing written is lost."""

    rich_text_fields = ("body",)

    page = models.ForeignKey(PageText, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=PAGE_TEXT_LIMIT)
    body_html = SanitisedHTMLField()
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["page", "number"], name="pagetext_revision_number_unique")]

    def __str__(self) -> str:
        return f"{self.page} revision {self.number}"
