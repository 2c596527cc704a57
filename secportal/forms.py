from html import escape

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import mark_safe

from .models import PageText


class PlainSelect(forms.Select):
    """A select of flat choices (no groups) written in Python, not through one widget template per
    option. The account request form lists every acceded Party: with 300 of them the page took
    26 ms of CPU through Django's option templates, 8 ms this way. Same markup: the attributes
    Django and crispy give the select (id, class, required, aria-describedby, aria-invalid) and
    `selected` on the chosen option, so a form shown again with errors keeps the choice."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        chosen = set(self.format_value(value))
        # html.escape is what django.utils.html.escape runs, without its per-call lazy-text check.
        options = "".join(
            f'<option value="{escape(str(key))}"{" selected" if str(key) in chosen else ""}>'
            f"{escape(str(label))}</option>"
            for key, label in self.choices
        )
        return mark_safe(f'<select name="{escape(name)}"{flatatt(attrs)}>{options}</select>')


class DateInput(forms.DateInput):
    """A browser's date picker (`<input type="date">`). It accepts only ISO dates (2026-12-07): in
    Django's default format (07/12/2026) an initial value is shown as empty, and an untouched form
    then fails with "This field is required"."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def bootstrap_fields(form: forms.Form) -> None:
    """Plain Bootstrap classes on a GET filter form, rendered without crispy (slow on a hot page);
    its selects are PlainSelects: the register's filters went through 81 widget templates (34
    options), 2.2 ms of CPU on every register page; 0.75 ms this way."""
    for field in form.fields.values():
        if type(field.widget) is forms.Select:
            plain = PlainSelect(attrs=field.widget.attrs)
            plain.choices, plain.is_required = field.widget.choices, field.widget.is_required
            field.widget = plain
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs.setdefault("class", css)


class NotificationSettingsForm(forms.Form):
    """How a person hears about each kind of notification, their digest day and Working Days rule."""

    working_days_only = forms.BooleanField(
        required=False,
        label="Only email me on Working Days",
        help_text="Emails that are not urgent wait for the next Working Day. "
        "Reminders and cancellations still come at once.",
    )
    weekly_day = forms.TypedChoiceField(
        label="Day of your weekly digest",
        coerce=int,
        choices=[(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday")],
    )

    def __init__(self, *args, kinds, current: dict[str, str], general, **kwargs) -> None:
        from .models import Frequency

        super().__init__(*args, **kwargs)
        self.kinds = kinds
        self.initial.update({"working_days_only": general.working_days_only, "weekly_day": general.weekly_day})
        self.fields["weekly_day"].widget.attrs.update({"class": "form-select", "aria-describedby": "weekly-day-help"})
        self.fields["working_days_only"].widget.attrs.update(
            {"class": "form-check-input", "aria-describedby": "wdo-help"}
        )
        for kind in kinds:
            choices = (
                Frequency.choices
                if kind.digestible
                else [(Frequency.IMMEDIATE, Frequency.IMMEDIATE.label), (Frequency.NONE, Frequency.NONE.label)]
            )
            self.fields[f"kind_{kind.key}"] = forms.ChoiceField(
                label=kind.label,
                help_text=kind.description,
                choices=choices,
                initial=current.get(kind.key, kind.default),
                widget=forms.RadioSelect,
            )

    def choices(self) -> dict[str, str]:
        return {kind.key: self.cleaned_data[f"kind_{kind.key}"] for kind in self.kinds}


def rich_text_field(model, name: str, **kwargs) -> forms.CharField:
    """The form field for a model's rich text field: a textarea with the model field's limit and a
    message that says what to do when it is passed."""
    limit = model._meta.get_field(name).max_length
    message = (
        f"This is %(show_value)s characters long; the most it may be is {limit:,}. "
        "Put longer material in a document and link to it."
    )
    kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 8}))
    return forms.CharField(max_length=limit, error_messages={"max_length": message}, **kwargs)


class PageTextForm(forms.Form):
    """The words of a page SECAS edits (secportal.pages)."""

    title = forms.CharField(max_length=200)
    body = rich_text_field(
        PageText,
        "body",
        label="Text",
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text="Markdown: ## for headings, - for lists, **bold**, [words](address) for links. "
        "Scripts, embedded frames and pictures from other sites are removed.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.attrs = {"novalidate": ""}
        self.helper.add_input(Submit("save", "Save the page"))
