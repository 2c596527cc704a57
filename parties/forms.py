from allauth.account.adapter import get_adapter
from allauth.account.forms import ResetPasswordForm
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError

from secportal.forms import DateInput, PlainSelect, bootstrap_fields

from .models import Party
from .selectors import PARTY_SORTS, PartyFilters, party_choices_for_account_request
from .tasks import enqueue_after_commit, password_reset_send
from .validators import NAME_MAX_LENGTH, clean_person_name, job_title_validator


class PersonNameField(forms.CharField):
    """A person's full name, by the one rule (parties.validators): trimmed, accents composed."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Full name")
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "name"}))
        super().__init__(max_length=NAME_MAX_LENGTH, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        return clean_person_name(value) if value else value


class JobTitleField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Job title")
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "organization-title"}))
        super().__init__(max_length=150, validators=[job_title_validator], **kwargs)


class AccountRequestForm(forms.Form):
    full_name = PersonNameField()
    email = forms.EmailField(
        label="Work email address",
        help_text="Use the address your organisation gave you; we send the set-password link there.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    party = forms.ModelChoiceField(
        queryset=party_choices_for_account_request(),
        label="SEC Party",
        empty_label="Choose your Party",
        widget=PlainSelect,
        help_text="The SEC Party you work for. SECAS checks this before approving.",
    )
    job_title = JobTitleField()
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


def _helper(submit: str | None = None, *, form_tag: bool = True) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = form_tag
    helper.attrs = {"novalidate": ""}
    if submit:
        helper.add_input(Submit("submit", submit))
    return helper


class PartyFilterForm(forms.Form):
    """The register's filters; they live in the URL so a view can be bookmarked or shared."""

    q = forms.CharField(required=False, label="Search by name or Party Signifier", max_length=100)
    category = forms.ChoiceField(required=False, choices=[("", "All categories"), *Party.Category.choices])
    status = forms.ChoiceField(
        required=False, label="Accession status", choices=[("", "Any status"), *Party.Status.choices]
    )
    sort = forms.ChoiceField(
        required=False,
        label="Sort by",
        choices=[
            ("name", "Name (A to Z)"),
            ("-name", "Name (Z to A)"),
            ("category", "Category"),
            ("status", "Accession status"),
            ("-acceded", "Acceded (newest first)"),
            ("acceded", "Acceded (oldest first)"),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_fields(self)

    def filters(self) -> PartyFilters:
        self.is_valid()  # an invalid field is dropped; the valid ones still apply
        data = self.cleaned_data
        sort = data.get("sort") or "name"
        return PartyFilters(
            category=data.get("category", ""),
            status=data.get("status", ""),
            q=(data.get("q") or "").strip(),
            sort=sort if sort in PARTY_SORTS else "name",
        )


class PartyForm(forms.ModelForm):
    """SECAS staff record or edit a Party."""

    class Meta:
        model = Party
        fields = (
            "name",
            "category",
            "party_signifier",
            "voting_group",
            "contact_name",
            "contact_email",
            "contact_phone",
            "address",
            "website",
            "licences",
        )
        widgets = {"address": forms.Textarea(attrs={"rows": 3}), "licences": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Save the Party")

    def validate_unique(self):
        # Uniqueness is the service's to check (with a message that names the clash).
        pass


class PartyCreateForm(PartyForm):
    status_on = forms.DateField(label="Date the application was received", widget=DateInput())


class PartyStatusForm(forms.Form):
    status = forms.ChoiceField(label="Next step")
    on = forms.DateField(label="Date of this step", widget=DateInput())
    note = forms.CharField(required=False, max_length=300, label="Note for the history (optional)")

    def __init__(self, *args, party: Party, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = Party.TRANSITIONS[Party.Status(party.status)]
        self.fields["status"].choices = [(s.value, s.label) for s in Party.Status if s in allowed]
        self.helper = _helper("Record this step")


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Colleague's work email address")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Send the invitation")


class InvitationAcceptForm(forms.Form):
    full_name = PersonNameField()
    job_title = JobTitleField()
    password1 = forms.CharField(
        label="Choose a password",
        help_text="At least 12 characters; not a common password.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Type the password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email
        self.helper = _helper("Create my account")

    def clean(self):
        from django.contrib.auth import password_validation

        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords are not the same.")
        elif p1:
            try:
                password_validation.validate_password(p1)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class PartyChangeRequestForm(forms.ModelForm):
    """A Party administrator proposes new details; only what differs is sent to SECAS."""

    reason = forms.CharField(
        required=False, max_length=2000, label="Why the change (optional)", widget=forms.Textarea(attrs={"rows": 2})
    )

    class Meta:
        model = Party
        fields = Party.DETAIL_FIELDS
        widgets = {"address": forms.Textarea(attrs={"rows": 3}), "licences": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Send to SECAS for approval")

    def validate_unique(self):
        pass

    def proposed(self) -> dict:
        return {f: self.cleaned_data[f] for f in Party.DETAIL_FIELDS}


class DecisionNoteForm(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=2000,
        label="Note to the person who asked",
        help_text="Required when rejecting; it is emailed to them.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(form_tag=False)


class ProfileForm(forms.Form):
    full_name = PersonNameField()
    job_title = JobTitleField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Save")


class PasswordResetForm(ResetPasswordForm):
    """allauth's password-reset form (ACCOUNT_FORMS), except that the page never looks the address
    up: it hands the address to a worker, which finds the account and sends the email. The page
    does the same work, and takes the same time, for an address with an account and without."""

    def clean_email(self) -> str:
        return get_adapter().clean_email(self.cleaned_data["email"].lower())

    def save(self, request, **kwargs) -> str:
        email = self.cleaned_data["email"]
        enqueue_after_commit(password_reset_send, email=email)
        return email
