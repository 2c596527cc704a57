from django import forms
from django.contrib import admin

from .admin_mixins import ViewOnlyAdmin
from .models import Happening, Notification, OutboxMessage, ReminderSchedule
from .notifications import offset_code, parse_offsets
from .registry import email_kinds
from .services import outbox_requeue


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ViewOnlyAdmin):
    """What was sent to whom and when, what is queued, what failed and why. What an email carrying
    a personal link said is never shown: the link would let whoever reads it sign in as the recipient."""

    list_display = (
        "created_at",
        "recipient",
        "kind_in_words",
        "subject",
        "status",
        "attempts",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", "kind")
    search_fields = ("recipient", "subject", "kind")
    date_hierarchy = "created_at"
    actions = ["requeue"]
    # What the email said (and its headers and attachments) as it went out.
    CONTENT = ("body_text", "body_html", "headers", "attachments")

    def get_fields(self, request, obj=None):
        fields = [f.name for f in OutboxMessage._meta.fields]
        if obj is None or obj.sensitive:
            return [*(f for f in fields if f not in self.CONTENT), "content_not_shown"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description="Kind", ordering="kind")
    def kind_in_words(self, obj) -> str:
        return email_kinds.label(obj.kind)

    @admin.display(description="Content")
    def content_not_shown(self, obj) -> str:
        return (
            "Not shown: this email carries a personal link (a password reset, set-password, invitation or "
            "verification link). It is erased once the email is sent or has failed; a person whose email "
            "failed asks for a new link."
        )

    @admin.action(description="Send the selected failed messages again", permissions=["view"])
    def requeue(self, request, queryset) -> None:
        requeued = outbox_requeue(message_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, requeued.summary(), requeued.level)


class ReminderScheduleForm(forms.ModelForm):
    class Meta:
        model = ReminderSchedule
        fields = ["event_kind", "offsets", "online_offsets"]

    def clean_offsets(self) -> str:
        return self._offsets("offsets", required=True)

    def clean_online_offsets(self) -> str:
        return self._offsets("online_offsets", required=False)

    def _offsets(self, name: str, *, required: bool) -> str:
        value = self.cleaned_data[name]
        try:
            offsets = parse_offsets(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        if required and not offsets:
            raise forms.ValidationError("Give at least one reminder time, such as 7d.")
        return ", ".join(offset_code(o) for o in offsets)


@admin.register(ReminderSchedule)
class ReminderScheduleAdmin(admin.ModelAdmin):
    """When reminders go out before each kind of event (and 'meeting' for committee meetings)."""

    form = ReminderScheduleForm
    list_display = ("event_kind", "offsets", "online_offsets")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "title", "delivery", "read_at")
    list_filter = ("delivery", "kind")
    search_fields = ("user__email", "title", "kind")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Happening)
class HappeningAdmin(ViewOnlyAdmin):
    """What changes announced, when their people were told and how many; one that could not be
    told keeps its last error here (beat stops after a few attempts)."""

    list_display = ("created_at", "kind", "title", "told_at", "told", "attempts", "last_error")
    list_filter = ("kind",)
    search_fields = ("title", "kind", "subject_id")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Happening._meta.fields]
