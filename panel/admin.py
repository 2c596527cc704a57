from django import forms
from django.contrib import admin

from .models import Action, AgendaItem, Attendance, Committee, Meeting, Membership, Minutes, Paper, Seat
from .services import meeting_save


class MeetingAdminForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["committee", "title", "starts_at", "ends_at", "venue", "online_link", "status", "headlines"]

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", "The meeting must end after it starts.")
        return data


class SeatInline(admin.TabularInline):
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
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "committee", "role", "seat", "party", "starts_on", "ends_on", "ended_on")
    list_filter = ("committee", "role")
    list_select_related = ("user", "committee", "seat", "party")
    raw_id_fields = ("user", "alternate_for")


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 1
    fields = ("order", "title", "modification", "decision_needed")
    raw_id_fields = ("modification",)


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    """Meetings and their agendas are set up here; papers, outcomes and minutes on the meeting's page."""

    list_display = ("title", "committee", "starts_at", "status")
    list_filter = ("committee", "status")
    date_hierarchy = "starts_at"
    inlines = [AgendaItemInline, AttendanceInline]

    form = MeetingAdminForm

    def save_model(self, request, obj, form, change) -> None:
        # Through the service: a moved or cancelled meeting tells its members.
        meeting_save(actor=request.user, meeting=obj)


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ("title", "meeting", "version", "classification", "published_at")
    list_filter = ("classification",)
    list_select_related = ("meeting",)
    readonly_fields = ("file", "content_type", "size", "sha256", "version", "supersedes", "uploaded_by")

    def has_add_permission(self, request) -> bool:
        return False  # papers are published (checked by content) from the meeting's page


@admin.register(Minutes)
class MinutesAdmin(admin.ModelAdmin):
    list_display = ("meeting", "status", "approved_on")
    readonly_fields = ("status", "approved_at", "approved_by", "approved_on")

    def has_change_permission(self, request, obj=None) -> bool:
        return (obj is None or obj.status != Minutes.Status.APPROVED) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return (obj is not None and obj.status != Minutes.Status.APPROVED) and super().has_delete_permission(
            request, obj
        )


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ("reference", "title", "owner", "due_on", "status")
    list_filter = ("status",)
    list_select_related = ("owner",)
