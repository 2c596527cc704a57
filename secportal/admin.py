from django.contrib import admin, messages

from .models import OutboxMessage
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
