from django import forms
from django.contrib import admin, messages

from .models import Notification, OutboxMessage, ReminderSchedule
from .notifications import offset_code, parse_offsets
from .services import outbox_requeue


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """What was sent to whom and when, what is queued, what failed and why."""

    list_display = ("created_at", "recipient", "kind", "subject", "status", "attempts", "sent_at", "last_error")
    list_filter = ("status", "kind")
    search_fields = ("recipient", "subject", "kind")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["requeue"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Send the selected failed messages again", permissions=["view"])
    def requeue(self, request, queryset) -> None:
        count = outbox_requeue(message_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} failed message(s) queued again.", messages.SUCCESS)


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
