from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.urls import reverse

from parties import roles
from parties.models import Party, User
from secportal.classification import Classification
from secportal.forms import DateInput, bootstrap_fields, rich_text_field

from .models import (
    MRC_QUESTIONS,
    Consultation,
    Impact,
    ModificationDocument,
    ModificationProposal,
    Path,
    Release,
    Route,
    Stage,
)
from .selectors import SORTS, ModificationFilters


def _helper(submit: str | None = None) -> FormHelper:
    helper = FormHelper()
    helper.attrs = {"novalidate": ""}
    if submit:
        helper.add_input(Submit("submit", submit))
    return helper


class ModificationFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        help_text="A reference (MP210, MP 210, 210), words, or who proposed it.",
    )
    stage = forms.ChoiceField(required=False, choices=[("", "Any stage"), *Stage.choices])
    path = forms.ChoiceField(required=False, choices=[("", "Any path"), *Path.choices])
    category = forms.ChoiceField(
        required=False, label="Impacts", choices=[("", "Any Party category"), *Party.Category.choices]
    )
    release = forms.ChoiceField(required=False, label="Target release")
    state = forms.ChoiceField(
        required=False,
        label="Open or closed",
        choices=[("", "Open and closed"), ("open", "In progress"), ("closed", "Closed")],
    )
    sort = forms.ChoiceField(
        required=False,
        label="Sort by",
        choices=[
            ("-updated", "Latest update first"),
            ("next", "Next milestone soonest"),
            ("-reference", "Reference (newest)"),
            ("reference", "Reference (oldest)"),
        ],
    )

    def __init__(self, *args, releases=(), **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_fields(self)
        self.fields["release"].choices = [("", "Any release"), *((r.slug, r.name) for r in releases)]

    def filters(self) -> ModificationFilters:
        self.is_valid()  # an invalid field is dropped; the valid ones still apply
        data = self.cleaned_data
        sort = data.get("sort") or "-updated"
        return ModificationFilters(
            stage=data.get("stage", ""),
            path=data.get("path", ""),
            category=data.get("category", ""),
            release=data.get("release", ""),
            state=data.get("state", ""),
            q=(data.get("q") or "").strip(),
            sort=sort if sort in SORTS else "-updated",
        )


class DraftProposalForm(forms.Form):
    title = forms.CharField(max_length=250, help_text="A short name for the problem.")
    issue = rich_text_field(
        ModificationProposal,
        "issue",
        label="What is the issue?",
        help_text="Describe the problem, who it affects and why it matters. Markdown is allowed. "
        "The solution comes later, with the Working Group.",
    )
    sec_sections = forms.CharField(
        required=False, max_length=200, label="SEC sections affected (if known)", help_text="For example: Section D, H"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for category in Party.Category:
            self.fields[f"impact_{category.value}"] = forms.ChoiceField(
                required=False,
                label=f"Impact on {category.label}s" if category != Party.Category.DCC else "Impact on the DCC",
                choices=[("", "None or not known"), *Impact.choices],
            )
        self.helper = _helper("Raise the Draft Proposal")

    def impacts(self) -> dict:
        return {
            c.value: self.cleaned_data[f"impact_{c.value}"]
            for c in Party.Category
            if self.cleaned_data.get(f"impact_{c.value}")
        }


class NoteForm(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=2000,
        label="Note for the timeline (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, submit: str = "Confirm", modification=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.modification = modification
        self.helper = _helper(submit)


class EarlyCloseForm(NoteForm):
    early = forms.BooleanField(
        required=False,
        label="The consultation closed early (say why in the note)",
        help_text="Leave unticked if the close date has passed.",
    )


class ConvertForm(NoteForm):
    path = forms.ChoiceField(choices=[(p.value, p.label) for p in Path if p != Path.FAST_TRACK])
    route = forms.ChoiceField(choices=Route.choices, widget=forms.RadioSelect)
    lead_analyst = forms.ModelChoiceField(queryset=User.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_analyst"].queryset = User.objects.filter(is_active=True, groups__name=roles.SECAS_STAFF)
        self.order_fields(["path", "route", "lead_analyst", "note"])


def parse_questions(text: str) -> list[tuple[str, str]]:
    """One question a line; a line starting “[text]” is a free-text question, the others ask for
    yes, no or neutral with a rationale."""
    questions = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.lower().startswith("[text]"):
            questions.append((line[6:].strip(), "text"))
        else:
            questions.append((line, "position"))
    if not questions:
        raise forms.ValidationError("Write at least one question.")
    return questions


QUESTIONS_HELP = (
    "One question per line. Start a line with “[text]” for a free-text question; other questions ask for yes, "
    "no or neutral with a rationale."
)


class OpenMrcForm(NoteForm):
    """Opens the consultation and moves the modification into its MRC stage, in one step."""

    title = forms.CharField(max_length=250, label="Consultation title")
    introduction = rich_text_field(
        Consultation,
        "introduction",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Introduction (Markdown)",
    )
    closes_on = forms.DateField(
        label="Consultation closes on",
        widget=DateInput(),
    )
    questions = forms.CharField(widget=forms.Textarea(attrs={"rows": 7}), help_text=QUESTIONS_HELP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .services import mrc_default_close

        closes_on = mrc_default_close()
        self.fields["closes_on"].initial = closes_on
        self.fields["closes_on"].help_text = (
            f"Responses are accepted until 23:59 UK time on that day. The usual length "
            f"({settings.SECPORTAL_MRC_DAYS} Working Days) closes it on {closes_on:%A %-d %B %Y}. "
            "Every acceded Party except the DCC may respond, and all their users are told it is open."
        )
        if self.modification is not None:
            self.fields["title"].initial = f"{self.modification.reference} Modification Report Consultation"
        self.fields["questions"].initial = "\n".join(MRC_QUESTIONS)
        self.order_fields(["title", "introduction", "closes_on", "questions", "note"])

    def clean_questions(self):
        return parse_questions(self.cleaned_data["questions"])


class ChangeBoardOutcomeForm(NoteForm):
    outcome = forms.ChoiceField(
        choices=[
            ("approve", "Approve (Path 3) / recommend approval (Paths 1 and 2)"),
            ("reject", "Reject (Path 3) / recommend rejection (Paths 1 and 2)"),
        ],
        widget=forms.RadioSelect,
    )


LETTER_HELP = "Ofgem's letter (PDF or Word). It is published on the modification as an Authority decision letter."


class AuthorityDecisionForm(NoteForm):
    decision = forms.ChoiceField(
        choices=[
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("sent_back", "Sent back to the Panel: the Modification Report is revised (back to the Report Phase)"),
        ],
        widget=forms.RadioSelect,
    )
    letter = forms.FileField(required=False, label="The Authority's letter", help_text=LETTER_HELP)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "sent_back" and not data.get("letter"):
            self.add_error("letter", "Attach the Authority's letter sending the report back.")
        return data


class ImplementationChangeForm(forms.Form):
    """A change of implementation date or release, with the reason (and, for Paths 1 and 2, Ofgem's letter)."""

    implementation_date = forms.DateField(required=False, label="New implementation date", widget=DateInput())
    release = forms.ModelChoiceField(
        queryset=Release.objects.filter(status=Release.Status.PLANNED).order_by("go_live"),
        required=False,
        label="New SEC Release",
        help_text="Leave empty to keep the release it has.",
    )
    reason = forms.CharField(max_length=2000, label="Why it changes", widget=forms.Textarea(attrs={"rows": 3}))
    letter = forms.FileField(required=False, label="The Authority's letter", help_text=LETTER_HELP)

    def __init__(self, *args, submit: str = "Record the change", modification=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.modification = modification
        self.helper = _helper(submit)
        if modification is not None and modification.path in {Path.PATH_1, Path.PATH_2}:
            self.fields["letter"].required = True
            self.fields["letter"].help_text = "Required: this is an Authority modification. " + LETTER_HELP

    def clean(self):
        data = super().clean()
        if not data.get("implementation_date") and not data.get("release") and not self.errors:
            raise forms.ValidationError("Give the new implementation date, the new release, or both.")
        return data


class AppealWindowForm(NoteForm):
    appeal_upheld = forms.BooleanField(required=False, label="An appeal was upheld (the change is rejected)")


class TargetReleaseForm(NoteForm):
    release = forms.ModelChoiceField(queryset=Release.objects.filter(status=Release.Status.PLANNED).order_by("go_live"))


class UpdateForm(forms.Form):
    text = forms.CharField(label="Update", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, submit: str = "Post the update", modification=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit)


class AlternativeForm(forms.Form):
    title = forms.CharField(max_length=250, help_text="A short name for this alternative solution.")
    solution = rich_text_field(
        ModificationProposal,
        "solution",
        label="The alternative solution",
        help_text="What this alternative would change in the SEC, and how it differs. Markdown is allowed.",
    )

    def __init__(self, *args, submit: str = "Raise the alternative", modification=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit)


class FastTrackForm(forms.Form):
    title = forms.CharField(max_length=250)
    issue = rich_text_field(
        ModificationProposal,
        "issue",
        label="What needs correcting",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="A housekeeping change: a typo, a broken cross-reference. Markdown is allowed.",
    )
    solution = rich_text_field(
        ModificationProposal, "solution", label="The change to the SEC", widget=forms.Textarea(attrs={"rows": 5})
    )
    sec_sections = forms.CharField(required=False, max_length=500, label="SEC sections (optional)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Raise the Fast-track modification")


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(choices=ModificationDocument.Kind.choices)
    title = forms.CharField(max_length=200, help_text="Use the same title to publish a new version.")
    file = forms.FileField(help_text="PDF, Word, Excel, PowerPoint, PNG or JPEG.")
    classification = forms.ChoiceField(choices=Classification.choices, initial=Classification.WHITE)
    owner_party = forms.ModelChoiceField(queryset=Party.objects.all(), required=False, label="Owning Party (AMBER)")
    owner_committee = forms.SlugField(required=False, label="Owning committee slug (AMBER)")
    red_recipients = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("full_name"),
        required=False,
        label="Named recipients (RED)",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Publish the document")


class ReleaseDocumentForm(forms.Form):
    document = forms.FileField(label="Implementation document", help_text="PDF, Word, Excel or PowerPoint.")

    def __init__(self, *args, release: Release, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Publish the implementation document")
        self.helper.form_action = reverse("modifications:release-document-upload", args=[release.slug])


class ReleaseGoLiveForm(forms.Form):
    sec_version = forms.CharField(max_length=20, required=False, label="New SEC version")


class ConsultationCloseForm(forms.Form):
    """SECAS moves an open consultation's close (an extension, or an earlier close still to come)."""

    closes_on = forms.DateField(
        label="Closes on",
        help_text="A Working Day after today; it closes at 23:59 UK time. Everyone who was told it opened is told.",
        widget=DateInput(),
    )
    note = forms.CharField(
        required=False,
        max_length=2000,
        label="Why (optional: shown on the modification's timeline)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Move the close")


class ConsultationForm(forms.Form):
    title = forms.CharField(max_length=250)
    kind = forms.ChoiceField(
        choices=[
            ("mrc", "Modification Report Consultation"),
            ("refinement", "Refinement Consultation"),
            ("other", "Other consultation"),
        ]
    )
    modification = forms.CharField(required=False, max_length=10, label="Modification reference (e.g. MP212)")
    introduction = rich_text_field(
        Consultation,
        "introduction",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Introduction (Markdown)",
    )
    opens_on = forms.DateField(
        required=False,
        label="Opens on (optional)",
        help_text="Leave empty to open it now. A later day opens it at 00:00 UK time; followers are told then.",
        widget=DateInput(),
    )
    days = forms.IntegerField(
        min_value=1,
        max_value=60,
        initial=15,
        label="Length in Working Days",
        help_text="Counted from the day it opens; it closes at 23:59 UK time on the last Working Day.",
    )
    excluded_categories = forms.MultipleChoiceField(
        required=False,
        choices=Party.Category.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Parties that may not respond (optional)",
        help_text="Leave all unticked for the usual rule: a Modification Report Consultation leaves out the DCC; "
        "other consultations are open to every acceded Party.",
    )
    questions = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), help_text=QUESTIONS_HELP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Open the consultation")

    def clean_opens_on(self):
        from secportal.workingdays import local_today

        day = self.cleaned_data.get("opens_on")
        if day is not None and day < local_today():
            raise forms.ValidationError("A consultation cannot open in the past: leave it empty to open it now.")
        return day

    def clean(self):
        data = super().clean()
        from secportal.workingdays import local_today

        opens_on = data.get("opens_on")
        if data.get("kind") == "mrc" and opens_on is not None and opens_on > local_today():
            self.add_error(
                "opens_on",
                "A Modification Report Consultation opens when you create it (it moves the modification into "
                "its MRC stage): leave the date empty.",
            )
        return data

    def clean_modification(self):
        from .models import ModificationProposal

        reference = self.cleaned_data["modification"].strip().upper()
        if not reference:
            return None
        try:
            return ModificationProposal.objects.get(reference=reference)
        except ModificationProposal.DoesNotExist:
            raise forms.ValidationError(f"There is no modification {reference}.") from None

    def clean_questions(self):
        return parse_questions(self.cleaned_data["questions"])
