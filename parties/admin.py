from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from secportal.admin_mixins import BoundedInline, PortalManagedAdmin, ViewOnlyAdmin

from .models import AccountRequest, Invitation, Party, PartyChangeRequest, PartyEvent, User, VotingGroup


def _superuser(request) -> bool:
    return request.user.is_active and request.user.is_superuser


class PartyEventInline(BoundedInline):
    model = PartyEvent
    extra = 0
    can_delete = False
    readonly_fields = ("created_at", "kind", "actor", "summary", "changes")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Party)
class PartyAdmin(PortalManagedAdmin):
    """Listed here too; Parties are recorded, edited, moved through accession and deleted on the
    portal's staff pages, which keep every change in the Party's history (and old addresses)."""

    list_display = ("name", "category", "status", "party_signifier", "voting_group", "acceded_on")
    list_filter = ("category", "status", "voting_group")
    search_fields = ("name", "party_signifier")
    list_select_related = ("voting_group",)
    inlines = [PartyEventInline]

    def portal_url(self, obj) -> str:
        return reverse("parties:party-edit", args=[obj.slug])


@admin.register(VotingGroup)
class VotingGroupAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Invitation)
class InvitationAdmin(ViewOnlyAdmin):
    """Sent and withdrawn on the Party's people page; the record stays."""

    list_display = ("email", "party", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at")
    list_select_related = ("party", "invited_by")
    search_fields = ("email", "party__name")


@admin.register(PartyChangeRequest)
class PartyChangeRequestAdmin(ViewOnlyAdmin):
    """Asked for and decided on the portal; the record stays."""

    list_display = ("party", "requested_by", "status", "created_at", "decided_by")
    list_filter = ("status",)
    list_select_related = ("party", "requested_by", "decided_by")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """People. What gives access (the staff and superuser flags, roles, a password, the email a
    password reset goes to, the Party) is changed here by superusers only, and no one changes their own. Others
    with admin access edit names and job titles of people who are not superusers; accounts come from
    approved requests and invitations, roles from the portal's pages."""

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
    # Whoever may change these may sign in as the person or give themselves more access. The Party
    # decides access too: its AMBER material, its consultation responses and, for a Party
    # administrator, its people.
    ACCESS_FIELDS = ("email", "party", "is_staff", "is_superuser", "groups", "user_permissions")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or _superuser(request):
            return fieldsets
        # No link to the set-password form: only superusers set passwords here.
        return tuple(
            (name, {**options, "fields": tuple(f for f in options["fields"] if f != "password")})
            for name, options in fieldsets
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not _superuser(request):
            readonly += self.ACCESS_FIELDS
        if obj is not None and obj.pk == request.user.pk:
            readonly += ["is_active", "email", "party", "is_staff", "is_superuser", "groups"]
        if obj is not None and obj.party_id:
            # Moving someone to another Party has no service yet (their Party roles would follow
            # them): they are removed on one Party's people page and invited by the other.
            readonly += ["party"]
        if obj is not None and (obj.party_id or not _superuser(request)):
            # A Party's people are removed and reinstated on its people page, which ends their
            # sessions, takes their roles and keeps the Party's history; a superuser turns off the
            # account of someone with no Party (SECAS staff) here, in the admin's own history.
            readonly += ["is_active"]
        return list(dict.fromkeys(readonly))

    def has_add_permission(self, request) -> bool:
        return _superuser(request)

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not _superuser(request):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and not _superuser(request) and (obj.is_superuser or obj.is_staff or obj.is_secas_staff):
            return False
        return super().has_delete_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        if not _superuser(request):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


# Django's own Group admin, for superusers only: a role's permissions are what the role may do.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    def has_view_permission(self, request, obj=None) -> bool:
        return _superuser(request)

    def has_add_permission(self, request) -> bool:
        return _superuser(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return _superuser(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _superuser(request)


@admin.register(AccountRequest)
class AccountRequestAdmin(admin.ModelAdmin):
    list_display = ("full_name", "email", "party", "status", "created_at", "decided_by")
    list_filter = ("status",)
    search_fields = ("full_name", "email")
    list_select_related = ("party", "decided_by")
    # Decisions are made in the portal (which creates the account and sends the email).
    readonly_fields = ("status", "decided_at", "decided_by", "decision_note", "user")
