from django.conf import settings
from django.db import models
from django.utils import timezone


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
    # Carries a sign-in, set-password or invitation link: the bodies are erased once sent.
    sensitive = models.BooleanField(default=False)
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
