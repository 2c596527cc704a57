from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone

from parties.models import Party, User
from secportal.classification import Classification
from secportal.forms import DateInput, rich_text_field

from .models import Action, AgendaItem, Meeting, Membership, Minutes, Paper, Seat
from .services import OUTCOMES


def _helper(submit: str | None) -> FormHelper:
    helper = FormHelper()
    helper.attrs = {"novalidate": ""}
    if submit:
        helper.add_input(Submit("submit", submit))
    return helper


class MembershipForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True).order_by("full_name"), label="Person")
    role = forms.ChoiceField(choices=Membership.Role.choices)
    seat = forms.ModelChoiceField(queryset=Seat.objects.none(), required=False)
    alternate_for = forms.ModelChoiceField(
        queryset=Membership.objects.none(), required=False, label="Alternate for (alternates only)"
    )
    party = forms.ModelChoiceField(
        queryset=Party.objects.all(), required=False, help_text="Leave empty for the person's own Party."
    )
    starts_on = forms.DateField(required=False, widget=DateInput())
    ends_on = forms.DateField(required=False, help_text="Leave empty for a 24-month term.", widget=DateInput())

    def __init__(self, *args, committee, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seat"].queryset = committee.seats.all()
        self.fields["alternate_for"].queryset = (
            Membership.objects.current()
            .filter(committee=committee)
            .exclude(role=Membership.Role.ALTERNATE)
            .select_related("user")
        )
        self.helper = _helper("Appoint")


class PaperForm(forms.Form):
    title = forms.CharField(max_length=200)
    item = forms.ModelChoiceField(queryset=AgendaItem.objects.none(), required=False, label="Agenda item")
    file = forms.FileField(help_text="PDF, Word, Excel, PowerPoint, PNG or JPEG, checked by content.")
    classification = forms.ChoiceField(
        choices=Classification.choices,
        initial=Classification.AMBER,
        help_text="AMBER: this committee's members, the owning Party and SECAS.",
    )
    owner_party = forms.ModelChoiceField(queryset=Party.objects.all(), required=False, label="Owning Party (AMBER)")
    red_recipients = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("full_name"),
        required=False,
        label="Named recipients (RED)",
    )
    supersedes = forms.ModelChoiceField(
        queryset=Paper.objects.none(), required=False, label="Revises (for a new version)"
    )
    change_note = forms.CharField(max_length=300, required=False, label="What changed (for a new version)")

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = meeting.items.all()
        self.fields["supersedes"].queryset = meeting.papers.filter(superseded_by__isnull=True)
        self.helper = _helper("Publish the paper")


class OutcomeForm(forms.Form):
    decision = forms.ChoiceField(choices=[(k, v) for k, v in OUTCOMES.items()], widget=forms.RadioSelect)
    reasons = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Record the outcome")


class MinutesForm(forms.Form):
    text = rich_text_field(Minutes, "text", label="Minutes (Markdown)", widget=forms.Textarea(attrs={"rows": 14}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Save the draft minutes")


class MinutesApproveForm(forms.Form):
    at_meeting = forms.ModelChoiceField(queryset=Meeting.objects.none(), label="Approved at")

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        # Minutes are approved at a later meeting of the committee that has taken place.
        self.fields["at_meeting"].queryset = (
            meeting.committee.meetings.filter(starts_at__gt=meeting.starts_at, starts_at__lt=timezone.now())
            .exclude(status=Meeting.Status.CANCELLED)
            .order_by("-starts_at")
        )
        self.helper = _helper("Approve and lock the minutes")


class CorrectionForm(forms.Form):
    text = forms.CharField(label="Correction", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Record the correction")


class ActionForm(forms.Form):
    title = forms.CharField(max_length=300)
    owner = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True).order_by("full_name"))
    due_on = forms.DateField(widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Add the action")


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Action.Status.choices)
