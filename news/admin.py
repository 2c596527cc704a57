from django.contrib import admin
from django.urls import reverse

from secportal.admin_mixins import BoundedInline, DownloadLogAdmin, PortalManagedAdmin

from .models import (
    AgendaItem,
    AttachmentDownload,
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
    SlidePackDownload,
)


class ReadOnlyInline(BoundedInline):
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
class NewsPostAdmin(PortalManagedAdmin):
    """Posts are written, edited (every revision kept, the Markdown rendered once), published and
    withdrawn on the portal's pages; nothing published is silently deleted."""

    list_display = ("title", "kind", "status", "published_at", "publish_at", "author")
    list_filter = ("status", "kind", "tags")
    search_fields = ("title", "slug", "summary")
    list_select_related = ("author",)
    inlines = [RevisionInline, PostEventInline]
    portal_label = "Edit, publish or withdraw it on the portal"

    def portal_url(self, obj) -> str:
        return reverse("news:post-edit", args=[obj.slug])


@admin.register(NewsTag)
class NewsTagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name",)


@admin.register(NewsAttachment)
class NewsAttachmentAdmin(PortalManagedAdmin):
    """Uploaded (checked by content, with a classification that decides who downloads it) on the
    post's page."""

    list_display = ("title", "post", "classification", "uploaded_at")
    list_filter = ("classification",)
    list_select_related = ("post",)
    portal_label = "Attachments are added on the post's page"

    def portal_url(self, obj) -> str:
        return reverse("news:post-detail", args=[obj.post.slug])


class AgendaInline(ReadOnlyInline):
    model = AgendaItem


@admin.register(Event)
class EventAdmin(PortalManagedAdmin):
    """Created, edited and cancelled on the portal (event_create, event_update, event_cancel), which
    tell the people registered, withhold stale reminders and move the waitlist on."""

    list_display = ("title", "kind", "starts_at", "status", "capacity", "confirmed_count", "series")
    list_filter = ("kind", "status", "series")
    search_fields = ("title", "slug")
    list_select_related = ("series",)
    inlines = [AgendaInline]
    portal_label = "Edit or cancel it on the portal"

    def portal_url(self, obj) -> str:
        return reverse("news:event-edit", args=[obj.slug])


@admin.register(EventSeries)
class EventSeriesAdmin(admin.ModelAdmin):
    """What a series' occurrences are made from: a change applies to months added later (each
    occurrence already made is an event of its own, edited on the portal)."""

    list_display = ("title", "kind", "local_start", "duration_minutes")
    readonly_fields = ("slug",)

    def has_add_permission(self, request) -> bool:
        return False  # created on the portal (series_create), which makes its occurrences


@admin.register(Registration)
class RegistrationAdmin(PortalManagedAdmin):
    """Places are counted under a lock by the registration services; SECAS sees them on the
    event's attendee list."""

    list_display = ("event", "user", "party", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("event", "user", "party")
    search_fields = ("user__email", "user__full_name", "event__title")
    portal_label = "See the attendee list on the portal"

    def portal_url(self, obj) -> str:
        return reverse("news:event-attendees", args=[obj.event.slug])


@admin.register(SlidePack)
class SlidePackAdmin(PortalManagedAdmin):
    """Uploaded (checked by content, with a classification that decides who downloads it) on the
    event's page."""

    list_display = ("title", "event", "classification", "uploaded_at")
    list_filter = ("classification",)
    list_select_related = ("event",)
    portal_label = "Slide packs are added on the event's page"

    def portal_url(self, obj) -> str:
        return reverse("news:event-detail", args=[obj.event.slug])


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


admin.site.register(AttachmentDownload, DownloadLogAdmin)
admin.site.register(SlidePackDownload, DownloadLogAdmin)
