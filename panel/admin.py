from django import forms
from django.contrib import admin
from django.urls import reverse

from secportal.admin_mixins import BoundedInline, DownloadLogAdmin, PortalManagedAdmin, ServiceSavedAdmin

from .models import (
    Action,
    AgendaItem,
    Attendance,
    Committee,
    Meeting,
    Membership,
    Minutes,
    Paper,
    PaperDownload,
    Seat,
)
from .services import meeting_save


class MeetingAdminForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["committee", "title", "starts_at", "ends_at", "venue", "online_link", "status", "headlines"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Approving the minutes on the meeting's page (minutes_approve) is what sets that status.
        approved = Meeting.Status.MINUTES_APPROVED
        if self.instance.status != approved:
            self.fields["status"].choices = [c for c in self.fields["status"].choices if c[0] != approved]

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", "The meeting must end after it starts.")
        return data


class SeatInline(BoundedInline):
    model = Seat
    extra = 0


@admin.register(Committee)
class CommitteeAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "meets", "order")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [SeatInline]

    def get_readonly_fields(self, request, obj=None):
        # AMBER papers name their committee by slug: it never changes once set.
        return ("slug",) if obj is not None else ()

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None else self.prepopulated_fields


@admin.register(Membership)
class MembershipAdmin(PortalManagedAdmin):
    """Members are appointed and memberships ended on the committee's page (membership_add and
    membership_end): a membership decides who sees the committee's AMBER papers and who votes."""

    list_display = ("user", "committee", "role", "seat", "party", "starts_on", "ends_on", "ended_on")
    list_filter = ("committee", "role")
    list_select_related = ("user", "committee", "seat", "party")
    portal_label = "Appoint or end memberships on the committee's page"

    def portal_url(self, obj) -> str:
        return reverse("panel:committee-detail", args=[obj.committee.slug])


class AgendaItemInline(BoundedInline):
    model = AgendaItem
    extra = 1
    fields = ("order", "title", "modification", "decision_needed")
    raw_id_fields = ("modification",)


class AttendanceInline(BoundedInline):
    model = Attendance
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Meeting)
class MeetingAdmin(ServiceSavedAdmin):
    """Meetings and their agendas are set up here; papers, outcomes and minutes on the meeting's page."""

    list_display = ("title", "committee", "starts_at", "status")
    list_filter = ("committee", "status")
    date_hierarchy = "starts_at"
    inlines = [AgendaItemInline, AttendanceInline]

    form = MeetingAdminForm

    def save_model(self, request, obj, form, change) -> None:
        # Through the service: a moved or cancelled meeting tells its members.
        meeting_save(actor=request.user, meeting=obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # cancel it instead: its members are told, and its papers and minutes stay


@admin.register(Paper)
class PaperAdmin(PortalManagedAdmin):
    """Papers are published (checked by content, with their classification) and revised on the
    meeting's page; their classification decides who may download them."""

    list_display = ("title", "meeting", "version", "classification", "published_at")
    list_filter = ("classification",)
    list_select_related = ("meeting",)
    portal_label = "Publish or revise papers on the meeting's page"

    def portal_url(self, obj) -> str:
        return reverse("panel:meeting-detail", args=[obj.meeting_id])


@admin.register(Minutes)
class MinutesAdmin(PortalManagedAdmin):
    """Drafted, approved and corrected on the meeting's page: approved minutes are locked."""

    list_display = ("meeting", "status", "approved_on")
    portal_label = "Edit, approve or correct the minutes on the meeting's page"

    def portal_url(self, obj) -> str:
        return reverse("panel:minutes-edit", args=[obj.meeting_id])


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    """Actions are recorded (and numbered) and their status changed on the meeting's page; their
    wording, owner and due date may be corrected here."""

    list_display = ("reference", "title", "owner", "due_on", "status")
    list_filter = ("status",)
    list_select_related = ("owner",)
    readonly_fields = ("meeting", "reference", "status", "updated_at")

    def has_add_permission(self, request) -> bool:
        return False


admin.site.register(PaperDownload, DownloadLogAdmin)
