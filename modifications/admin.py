from django.contrib import admin
from django.urls import reverse

from secportal.admin_mixins import (
    AutocompleteOfIdsAdmin,
    BoundedInline,
    DownloadLogAdmin,
    PortalManagedAdmin,
)

from .models import DocumentDownload, ModificationDocument, ModificationEvent, ModificationProposal, Release


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "go_live", "sec_version", "status")
    list_filter = ("kind", "status")
    prepopulated_fields = {"slug": ("name",)}
    # Going live moves modifications, and the implementation document is checked by content: both are
    # done from the release's pages, through their services.
    readonly_fields = (
        "status",
        "went_live_at",
        "document",
        "document_content_type",
        "document_size",
        "document_sha256",
        "document_uploaded_at",
    )


class EventInline(BoundedInline):
    model = ModificationEvent
    extra = 0
    can_delete = False
    fields = ("occurred_on", "kind", "from_stage", "to_stage", "summary", "actor")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ModificationProposal)
class ModificationProposalAdmin(AutocompleteOfIdsAdmin):
    """Wording may be corrected here. The stage, path and dates move only through the lifecycle on the
    portal's pages; who proposed it (who may withdraw it), what it is an alternative of and its latest
    update (on its timeline) are set there too."""

    list_display = ("reference", "title", "stage", "path", "proposer_party", "target_release", "updated_at")
    list_filter = ("stage", "path", "urgent", "target_release")
    search_fields = ("reference", "title")
    list_select_related = ("proposer_party", "target_release")
    readonly_fields = (
        "reference",
        "number",
        "suffix",
        "stage",
        "path",
        "route",
        "decided_on",
        "appeal_window_ends",
        "target_release",
        "implementation_date",
        "next_milestone",
        "next_milestone_date",
        "updated_at",
        "proposer",
        "proposer_party",
        "raised_on",
        "alternative_of",
        "latest_update",
    )
    autocomplete_fields = ("related",)
    raw_id_fields = ("lead_analyst",)
    inlines = [EventInline]

    def has_add_permission(self, request) -> bool:
        return False  # Draft Proposals are raised on the portal, which numbers them

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # nothing published is silently deleted


@admin.register(ModificationDocument)
class ModificationDocumentAdmin(PortalManagedAdmin):
    """Uploaded (checked by content) and versioned on the modification's page; the classification
    decides who may download it, and a published version stays listed."""

    list_display = ("modification", "kind", "title", "version", "classification", "published_at")
    list_filter = ("classification", "kind")
    search_fields = ("title", "modification__reference")
    list_select_related = ("modification",)
    portal_label = "Upload documents and new versions on the modification's page"

    def portal_url(self, obj) -> str:
        return reverse("modifications:modification-detail", args=[obj.modification.reference])


admin.site.register(DocumentDownload, DownloadLogAdmin)
