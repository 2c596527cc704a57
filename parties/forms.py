from allauth.account.forms import LoginForm as AllauthLoginForm
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError

from .models import AccountRequest
from .selectors import party_choices_for_account_request


class LoginForm(AllauthLoginForm):
    """allauth's login form, telling a person whose account request awaits a decision so."""

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            email = (self.cleaned_data.get("login") or "").strip()
            if (
                email
                and AccountRequest.objects.filter(
                    email__iexact=email, status=AccountRequest.Status.PENDING, user__isnull=True
                ).exists()
            ):
                raise ValidationError(
                    "Your account request is waiting for SECAS to approve it. "
                    "You will receive an email with a link to set your password once it is approved."
                ) from None
            raise


class AccountRequestForm(forms.Form):
    full_name = forms.CharField(
        max_length=150, label="Full name", widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label="Work email address",
        help_text="Use the address your organisation gave you; we send the set-password link there.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    party = forms.ModelChoiceField(
        queryset=party_choices_for_account_request(),
        label="SEC Party",
        empty_label="Choose your Party",
        help_text="The SEC Party you work for. SECAS checks this before approving.",
    )
    job_title = forms.CharField(
        max_length=150, label="Job title", widget=forms.TextInput(attrs={"autocomplete": "organization-title"})
    )
    reason = forms.CharField(
        required=False,
        label="Anything SECAS should know (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.attrs = {"novalidate": ""}  # the server's messages, same for every browser
        self.helper.add_input(Submit("submit", "Request an account"))


class AccountRequestDeclineForm(forms.Form):
    reason = forms.CharField(
        label="Reason for declining",
        help_text="Sent to the person who asked.",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
