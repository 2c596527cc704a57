from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import AccountRequest, Party, User


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "status", "party_signifier", "acceded_on")
    list_filter = ("category", "status")
    search_fields = ("name", "party_signifier")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "party", "is_active", "is_staff")
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


@admin.register(AccountRequest)
class AccountRequestAdmin(admin.ModelAdmin):
    list_display = ("full_name", "email", "party", "status", "created_at", "decided_by")
    list_filter = ("status",)
    search_fields = ("full_name", "email")
    list_select_related = ("party", "decided_by")
    # Decisions are made in the portal (which creates the account and sends the email).
    readonly_fields = ("status", "decided_at", "decided_by", "decision_note", "user")
