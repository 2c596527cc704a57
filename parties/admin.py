from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import AccountRequest, Invitation, Party, PartyChangeRequest, PartyEvent, User, VotingGroup
from .services import party_has_history


class PartyEventInline(admin.TabularInline):
    model = PartyEvent
    extra = 0
    can_delete = False
    readonly_fields = ("created_at", "kind", "actor", "summary", "changes")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    """Listed here too; day-to-day management (with history) is in the portal's staff pages."""

    list_display = ("name", "category", "status", "party_signifier", "voting_group", "acceded_on")
    list_filter = ("category", "status", "voting_group")
    search_fields = ("name", "party_signifier")
    list_select_related = ("voting_group",)
    readonly_fields = ("slug", "status", "applied_on", "agreement_sent_on", "acceded_on", "withdrawn_on")
    inlines = [PartyEventInline]
    actions = None  # no bulk delete: a Party with history is withdrawn, never deleted

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and obj is not None and not party_has_history(obj)


@admin.register(VotingGroup)
class VotingGroupAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "party", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at")
    list_select_related = ("party", "invited_by")
    search_fields = ("email", "party__name")
    readonly_fields = [f.name for f in Invitation._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PartyChangeRequest)
class PartyChangeRequestAdmin(admin.ModelAdmin):
    list_display = ("party", "requested_by", "status", "created_at", "decided_by")
    list_filter = ("status",)
    list_select_related = ("party", "requested_by", "decided_by")
    readonly_fields = [f.name for f in PartyChangeRequest._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "party", "is_active", "is_staff", "removed_at")
    list_filter = ("is_active", "is_staff", "groups", "party__category")
    search_fields = ("email", "full_name")
    list_select_related = ("party",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name", "job_title", "party")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "party", "password1", "password2")}),
    )
    filter_horizontal = ("groups",)

    def get_readonly_fields(self, request, obj=None):
        """Only a superuser grants superuser status, and no one changes their own access here."""
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly.append("is_superuser")
        if obj is not None and obj.pk == request.user.pk:
            readonly += ["is_active", "is_staff", "is_superuser", "groups"]
        return readonly


@admin.register(AccountRequest)
class AccountRequestAdmin(admin.ModelAdmin):
    list_display = ("full_name", "email", "party", "status", "created_at", "decided_by")
    list_filter = ("status",)
    search_fields = ("full_name", "email")
    list_select_related = ("party", "decided_by")
    # Decisions are made in the portal (which creates the account and sends the email).
    readonly_fields = ("status", "decided_at", "decided_by", "decision_note", "user")
