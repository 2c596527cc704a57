from django.contrib import admin

from .models import DocumentDownload, ModificationDocument, ModificationEvent, ModificationProposal, Release


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "go_live", "sec_version", "status")
    list_filter = ("kind", "status")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("status", "went_live_at")  # going live moves modifications: do it from the releases page


class EventInline(admin.TabularInline):
    model = ModificationEvent
    extra = 0
    can_delete = False
    fields = ("occurred_on", "kind", "from_stage", "to_stage", "summary", "actor")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ModificationProposal)
class ModificationProposalAdmin(admin.ModelAdmin):
    """Details may be corrected here; the stage moves only through the lifecycle on the portal's pages."""

    list_display = ("reference", "title", "stage", "path", "proposer_party", "target_release", "updated_at")
    list_filter = ("stage", "path", "urgent", "target_release")
    search_fields = ("reference", "title")
    list_select_related = ("proposer_party", "target_release")
    readonly_fields = (
        "reference", "number", "suffix", "stage", "path", "route", "decided_on", "appeal_window_ends",
        "target_release", "implementation_date", "next_milestone", "next_milestone_date", "updated_at",
    )  # fmt: skip
    autocomplete_fields = ("related",)
    raw_id_fields = ("proposer", "lead_analyst", "alternative_of")
    inlines = [EventInline]

    def has_add_permission(self, request) -> bool:
        return False  # Draft Proposals are raised on the portal, which numbers them

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # nothing published is silently deleted


@admin.register(ModificationDocument)
class ModificationDocumentAdmin(admin.ModelAdmin):
    list_display = ("modification", "kind", "title", "version", "classification", "published_at")
    list_filter = ("classification", "kind")
    search_fields = ("title", "modification__reference")
    list_select_related = ("modification",)
    readonly_fields = ("file", "content_type", "size", "sha256", "uploaded_by", "version")

    def has_add_permission(self, request) -> bool:
        return False  # uploads are checked by content on the modification's page

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a published version stays listed


@admin.register(DocumentDownload)
class DocumentDownloadAdmin(admin.ModelAdmin):
    list_display = ("document", "user", "downloaded_at")
    list_select_related = ("document", "user")
    readonly_fields = ("document", "user", "downloaded_at")

    def has_add_permission(self, request) -> bool:
        return False
