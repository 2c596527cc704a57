"""What the Django admin may change. A model whose rules live in a service (who may see it, what
its changes tell people, what history they leave) is shown in the admin and changed only on the
portal's pages, which call the service: the admin is never a way round the portal."""

from django.contrib import admin
from django.utils.html import format_html


class PortalManagedAdmin(admin.ModelAdmin):
    """Listed and shown here, changed only on the portal: a subclass says where (`portal_url`)."""

    portal_label = "Change it on the portal"

    def portal_url(self, obj) -> str:
        raise NotImplementedError

    @admin.display(description="Where to change it")
    def on_the_portal(self, obj) -> str:
        return format_html('<a href="{}">{}</a>', self.portal_url(obj), self.portal_label)

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "on_the_portal")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
