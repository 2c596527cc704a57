"""What the Django admin may change. A model whose rules live in a service (who may see it, what
its changes tell people, what history they leave) is shown in the admin and changed only on the
portal's pages, which call the service: the admin is never a way round the portal."""

from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.html import format_html

from .exceptions import ApplicationError


class ViewOnlyAdmin(admin.ModelAdmin):
    """Listed and shown here; never added, changed or deleted here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PortalManagedAdmin(ViewOnlyAdmin):
    """Listed and shown here, changed only on the portal: a subclass says where (`portal_url`)."""

    portal_label = "Change it on the portal"

    def portal_url(self, obj) -> str:
        raise NotImplementedError

    @admin.display(description="Where to change it")
    def on_the_portal(self, obj) -> str:
        return format_html('<a href="{}">{}</a>', self.portal_url(obj), self.portal_label)

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "on_the_portal")


class ServiceSavedAdmin(admin.ModelAdmin):
    """Saved through a service: a subclass's `save_model` calls it with `actor=request.user`. What
    the service refuses comes back as a message above the form, and nothing is saved (the admin's
    transaction is undone, with anything the service queued)."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())


class DownloadLogAdmin(ViewOnlyAdmin):
    """A log of files served (secportal.downloads.DownloadLog): what was served, to whom, when."""

    date_hierarchy = "downloaded_at"

    def get_list_display(self, request):
        others = [f.name for f in self.model._meta.fields if f.name not in {"id", self.model.served}]
        return [self.model.served, *others]

    def get_queryset(self, request):
        related = [f.name for f in self.model._meta.fields if f.is_relation]
        return super().get_queryset(request).select_related(*related)


class BoundedInline(admin.TabularInline):
    """A tabular inline that builds no more forms than the page can need.

    Django builds as many inline forms as a post's TOTAL_FORMS asks for, up to max_num + 1,000,
    and renders them all again when the page has an error: one hostile post kept a worker busy
    for 20 seconds. Here a post may bring the rows there are and `max_new` new ones; asking for
    more gets Django's own "Please submit at most N forms" error.
    """

    max_new = 50

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        rows = (
            0 if obj is None or obj.pk is None else self.model._default_manager.filter(**{formset.fk.name: obj}).count()
        )
        formset.max_num = formset.absolute_max = min(formset.max_num, rows + self.max_new)
        return formset


class AutocompleteOfIds(AutocompleteSelectMultiple):
    """Django's autocomplete for many-to-many fields, showing a form posted with something that is
    no id ("abc" where a number belongs) again without looking that up: the lookup raised a
    ValueError, a 500 where the person should see the form's own error."""

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        return super().optgroups(name, [v for v in value if _is_value_of(target, v)], attr)


def _is_value_of(field, value) -> bool:
    try:
        field.to_python(value)
    except ValidationError:
        return False
    return True


class AutocompleteOfIdsAdmin(admin.ModelAdmin):
    """A ModelAdmin whose `autocomplete_fields` (many-to-many) use `AutocompleteOfIds`."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request) and "widget" not in kwargs:
            kwargs["widget"] = AutocompleteOfIds(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)
