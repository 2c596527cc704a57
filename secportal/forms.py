from django import forms


def bootstrap_fields(form: forms.Form) -> None:
    """Plain Bootstrap classes on a GET filter form, rendered without crispy (slow on a hot page)."""
    for field in form.fields.values():
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs.setdefault("class", css)
