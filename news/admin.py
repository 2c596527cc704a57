from django.contrib import admin

from .models import (
    AgendaItem,
    CalendarToken,
    Event,
    EventSeries,
    NewsAttachment,
    NewsImage,
    NewsPost,
    NewsPostEvent,
    NewsPostRevision,
    NewsTag,
    Registration,
    SlidePack,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class RevisionInline(ReadOnlyInline):
    model = NewsPostRevision
    fields = ("number", "title", "editor", "created_at")


class PostEventInline(ReadOnlyInline):
    model = NewsPostEvent
    fields = ("created_at", "from_status", "to_status", "actor", "note")


@admin.register(NewsPost)
class NewsPostAdmin(admin.ModelAdmin):
    """Posts are written and published on the portal's pages (revisions kept); corrections only here."""

    list_display = ("title", "kind", "status", "published_at", "publish_at", "author")
    list_filter = ("status", "kind", "tags")
    search_fields = ("title", "slug", "summary")
    list_select_related = ("author",)
    readonly_fields = ("slug", "status", "publish_at", "published_at", "withdrawn_at", "withdrawal_reason")
    filter_horizontal = ("tags",)
    raw_id_fields = ("author", "related_modifications")
    inlines = [RevisionInline, PostEventInline]

    def has_add_permission(self, request) -> bool:
        return False  # written on the portal, which keeps the revisions

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # nothing published is silently deleted: withdraw it instead


@admin.register(NewsTag)
class NewsTagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name",)


@admin.register(NewsAttachment)
class NewsAttachmentAdmin(admin.ModelAdmin):
    list_display = ("title", "post", "classification", "uploaded_at")
    list_filter = ("classification",)
    list_select_related = ("post",)
    readonly_fields = ("file", "content_type", "size", "sha256", "uploaded_by")

    def has_add_permission(self, request) -> bool:
        return False  # uploads are checked by content on the post's page


class AgendaInline(admin.TabularInline):
    model = AgendaItem
    extra = 0


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "starts_at", "status", "capacity", "confirmed_count", "series")
    list_filter = ("kind", "status", "series")
    search_fields = ("title", "slug")
    list_select_related = ("series",)
    readonly_fields = ("uid", "confirmed_count", "status", "cancellation_reason", "series", "occurrence_key",
                       "detached", "sequence")  # fmt: skip
    inlines = [AgendaInline]

    def get_readonly_fields(self, request, obj=None):
        # Times and places are changed on the portal (event_update), which tells the people
        # registered, withholds stale reminders and moves the waitlist on.
        moved_on_the_portal = ("starts_at", "ends_at", "capacity", "places_per_party")
        return (*self.readonly_fields, *moved_on_the_portal) if obj is not None else self.readonly_fields

    def has_add_permission(self, request) -> bool:
        return False  # created on the portal, through the same checks

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # cancel it on the portal: its page and calendar entry say so


@admin.register(EventSeries)
class EventSeriesAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "local_start", "duration_minutes")


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ("event", "user", "party", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("event", "user", "party")
    search_fields = ("user__email", "user__full_name", "event__title")
    readonly_fields = ("event", "user", "party", "status", "created_at", "waitlisted_at", "confirmed_at",
                       "cancelled_at")  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False  # places are counted under a lock by the registration services


@admin.register(SlidePack)
class SlidePackAdmin(admin.ModelAdmin):
    list_display = ("title", "event", "classification", "uploaded_at")
    list_filter = ("classification",)
    list_select_related = ("event",)
    readonly_fields = ("file", "thumbnail", "content_type", "size", "sha256", "uploaded_by")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CalendarToken)
class CalendarTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at")
    readonly_fields = ("user", "created_at", "last_used_at")
    exclude = ("token",)

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(NewsImage)
class NewsImageAdmin(admin.ModelAdmin):
    list_display = ("alt_text", "key", "uploaded_by", "uploaded_at")
    readonly_fields = ("key", "file", "content_type", "extension", "size", "sha256", "uploaded_by")

    def has_add_permission(self, request) -> bool:
        return False  # uploads are checked by content on the portal's image page
