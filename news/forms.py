import datetime
import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from modifications.models import ModificationProposal
from parties.models import Party, User
from secportal.classification import Classification
from secportal.forms import DateInput, bootstrap_fields, rich_text_field

from .models import Event, EventKind, EventSeries, NewsPost
from .selectors import PostFilters
from .services import AgendaLine, EventDetails

UK_TIME = "UK time (Europe/London)."
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class SecondarySubmit(Submit):
    """A second button beside the main one: outlined. (crispy's Submit is always `btn btn-primary`
    and only adds classes, so an added `btn-outline-primary` gave blue text on a blue button.)"""

    field_classes = "btn btn-outline-primary"


def _helper(*buttons: tuple[str, str], form_tag: bool = True) -> FormHelper:
    helper = FormHelper()
    helper.attrs = {"novalidate": ""}
    helper.form_tag = form_tag
    for i, (name, label) in enumerate(buttons):
        helper.add_input((Submit if i == 0 else SecondarySubmit)(name, label))
    return helper


def _datetime_field(label: str, *, required: bool = True, help_text: str = UK_TIME) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


def _names(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class PostFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search the news")
    kind = forms.ChoiceField(required=False, choices=[("", "Every kind"), *NewsPost.Kind.choices])
    tag = forms.ChoiceField(required=False, choices=[("", "Any tag")])

    def __init__(self, *args, tags=(), **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_fields(self)  # rendered without crispy: the news page is a hot page
        self.fields["tag"].choices = [("", "Any tag"), *((t.slug, t.name) for t in tags)]

    def filters(self) -> PostFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return PostFilters(kind=data.get("kind", ""), tag=data.get("tag", ""), q=(data.get("q") or "").strip())


class PostForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=NewsPost.Kind.choices, initial=NewsPost.Kind.NEWS)
    publisher = forms.ChoiceField(
        required=False,
        choices=[("", "Not a government publication"), *NewsPost.Publisher.choices],
        label="Published by",
        help_text="For a government publication: DESNZ (formerly BEIS) or Ofgem. "
        "The latest are featured on the home page.",
    )
    summary = forms.CharField(
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One or two sentences, shown in lists, the feed and on the home page.",
    )
    body = rich_text_field(
        NewsPost,
        "body",
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text="Markdown: headings (##), lists, links, tables, and images uploaded on the Images page. "
        "Scripts and embedded frames are removed.",
    )
    tags = forms.CharField(required=False, max_length=500, help_text="Separate tags with commas.")
    related_modifications = forms.CharField(
        required=False, max_length=500, help_text="References separated by commas, for example MP205, DP201."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(("save", "Save draft"), ("preview", "Save and preview"))

    def clean(self):
        data = super().clean()
        if data.get("kind") == NewsPost.Kind.GOVERNMENT and not data.get("publisher"):
            self.add_error("publisher", "Say who published it: DESNZ or Ofgem.")
        return data

    def clean_tags(self) -> list[str]:
        names = _names(self.cleaned_data["tags"])
        if any(len(name) > 50 for name in names):
            raise forms.ValidationError("Keep each tag under 50 characters.")
        return names

    def clean_related_modifications(self) -> list[ModificationProposal]:
        references = [r.upper() for r in _names(self.cleaned_data["related_modifications"])]
        found = {m.reference.upper(): m for m in ModificationProposal.objects.filter(reference__in=references)}
        unknown = [r for r in references if r not in found]
        if unknown:
            raise forms.ValidationError(f"No modification has the reference {', '.join(unknown)}.")
        return list(found.values())

    @classmethod
    def initial_for(cls, post: NewsPost) -> dict:
        return {
            "title": post.title,
            "kind": post.kind,
            "publisher": post.publisher,
            "summary": post.summary,
            "body": post.body,
            "tags": ", ".join(t.name for t in post.tags.all()),
            "related_modifications": ", ".join(m.reference for m in post.related_modifications.all()),
        }


class ScheduleForm(forms.Form):
    publish_at = _datetime_field("Publish at", help_text="UK time (Europe/London). The post goes out within a minute.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(("schedule", "Schedule"))


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why is it withdrawn?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Readers who follow a link to the post see this, with the date.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(("withdraw", "Withdraw the post"))


class ClassifiedUploadForm(forms.Form):
    title = forms.CharField(max_length=200)
    file = forms.FileField()
    classification = forms.ChoiceField(choices=Classification.choices, initial=Classification.WHITE)
    owner_party = forms.ModelChoiceField(queryset=Party.objects.all(), required=False, label="Owning Party (AMBER)")
    owner_committee = forms.SlugField(required=False, label="Owning committee slug (AMBER)")
    red_recipients = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("full_name"),
        required=False,
        label="Named recipients (RED)",
    )


class AttachmentForm(ClassifiedUploadForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = "PDF, Word, Excel, PowerPoint, PNG or JPEG, checked by content."
        self.helper = _helper(("upload", "Attach the file"))


class ImageForm(forms.Form):
    file = forms.FileField(label="Image", help_text="PNG or JPEG, checked by content. Anyone can see it.")
    alt_text = forms.CharField(
        label="Alternative text",
        max_length=300,
        help_text="What the image shows, for people who cannot see it. Shown in the post.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(("upload", "Upload the image"))


class SlidePackForm(ClassifiedUploadForm):
    recording_url = forms.URLField(
        required=False, label="Recording link", help_text="Where the recording can be watched (optional)."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].initial = "Slides"
        self.fields["file"].label = "Slide pack"
        self.fields["file"].help_text = "PDF or PowerPoint (PPTX), checked by content. A PDF gets a thumbnail."
        self.helper = _helper(("upload", "Publish the slide pack"))


# A title that names one Questions Hour must not be filed (and badged) as the other.
_QUESTIONS_HOURS = {
    EventKind.QUESTIONS_HOUR: re.compile(r"\bmodifications?\s+questions?\s+hour", re.IGNORECASE),
    EventKind.OPERATIONS_QUESTIONS_HOUR: re.compile(r"\boperations\s+questions?\s+hour", re.IGNORECASE),
}


def _check_kind_against_title(form: forms.Form, data: dict) -> None:
    title, kind = data.get("title") or "", data.get("kind")
    for named, pattern in _QUESTIONS_HOURS.items():
        if kind != named and kind in _QUESTIONS_HOURS and pattern.search(title):
            form.add_error("kind", f"The title names the {named.label}: choose that kind.")


_AGENDA_LINE = re.compile(r"^(?P<h>\d{1,2})[:.](?P<m>\d{2})\s+(?P<title>.+?)(?:\s+\|\s+(?P<speaker>.+))?$")


class EventForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=EventKind.choices)
    summary = forms.CharField(max_length=400, widget=forms.Textarea(attrs={"rows": 2}))
    description = rich_text_field(
        Event, "description", required=False, widget=forms.Textarea(attrs={"rows": 6}), help_text="Markdown."
    )
    starts_at = _datetime_field("Starts")
    ends_at = _datetime_field("Ends")
    online_link = forms.URLField(required=False, label="Online link", help_text="Teams, Zoom or webinar address.")
    venue = forms.CharField(required=False, max_length=300, help_text="Address, if people meet in person.")
    capacity = forms.IntegerField(
        required=False, min_value=1, max_value=100000, help_text="Places in all. Empty: no limit."
    )
    places_per_party = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=1000,
        label="Places per Party",
        help_text="For example 2. Empty: no limit.",
    )
    registration_opens_at = _datetime_field("Registration opens", required=False, help_text="UK time. Empty: open now.")
    registration_closes_at = _datetime_field(
        "Registration closes", required=False, help_text="UK time. Empty: until the event starts."
    )
    agenda = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One item a line, in UK time: “11:00 Welcome | Speaker name” (the speaker is optional).",
    )

    def __init__(self, *args, submit: str = "Create the event", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(("save", submit))

    def clean_agenda(self) -> tuple[AgendaLine, ...]:
        lines = []
        for number, raw in enumerate((self.cleaned_data["agenda"] or "").splitlines(), start=1):
            text = raw.strip()
            if not text:
                continue
            match = _AGENDA_LINE.match(text)
            if not match:
                raise forms.ValidationError(f"Line {number}: start with the time, like “11:00 Welcome”.")
            try:
                at = datetime.time(int(match["h"]), int(match["m"]))
            except ValueError:
                raise forms.ValidationError(f"Line {number}: {match['h']}:{match['m']} is not a time.") from None
            lines.append(
                AgendaLine(starts_at=at, title=match["title"].strip(), speaker=(match["speaker"] or "").strip())
            )
        return tuple(lines)

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", "The event must end after it starts.")
        if not (data.get("online_link") or data.get("venue")):
            self.add_error("online_link", "Give an online link, a venue, or both.")
        _check_kind_against_title(self, data)
        return data

    def details(self) -> EventDetails:
        d = self.cleaned_data
        return EventDetails(
            title=d["title"],
            kind=d["kind"],
            summary=d["summary"],
            description=d["description"],
            starts_at=d["starts_at"],
            ends_at=d["ends_at"],
            online_link=d["online_link"],
            venue=d["venue"],
            capacity=d["capacity"],
            places_per_party=d["places_per_party"],
            registration_opens_at=d["registration_opens_at"],
            registration_closes_at=d["registration_closes_at"],
            agenda=d["agenda"],
        )

    @classmethod
    def initial_for(cls, event) -> dict:
        fields = (
            "title",
            "kind",
            "summary",
            "description",
            "starts_at",
            "ends_at",
            "online_link",
            "venue",
            "capacity",
            "places_per_party",
            "registration_opens_at",
            "registration_closes_at",
        )
        agenda = [
            f"{i.starts_at:%H:%M} {i.title}" + (f" | {i.speaker}" if i.speaker else "")
            for i in event.agenda_items.all()
        ]
        return {**{f: getattr(event, f) for f in fields}, "agenda": "\n".join(agenda)}


class SeriesExtendForm(forms.Form):
    first_month = forms.DateField(
        label="From the month of",
        widget=DateInput(),
        help_text="Any day in the first month to add. Months the series already has are left as they are.",
    )
    months = forms.IntegerField(min_value=1, max_value=36, initial=6, label="Number of months")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Add the months"))


class SeriesForm(forms.Form):
    title = forms.CharField(max_length=200, initial="SEC Modifications Questions Hour")
    kind = forms.ChoiceField(
        choices=EventKind.choices,
        initial=EventKind.QUESTIONS_HOUR,
        label="Kind of event",
        help_text="Each occurrence is listed and badged as this kind.",
    )
    summary = forms.CharField(
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 2}),
        initial="Progress on the active modifications, then your questions to SECAS.",
    )
    description = rich_text_field(
        EventSeries, "description", required=False, widget=forms.Textarea(attrs={"rows": 4}), help_text="Markdown."
    )
    first_month = forms.DateField(
        label="From the month of",
        widget=DateInput(),
        help_text="Any day in the first month of the series.",
    )
    months = forms.IntegerField(min_value=1, max_value=36, initial=6, label="Number of months")
    local_start = forms.TimeField(
        label="Start time",
        initial=datetime.time(11, 0),
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=UK_TIME,
    )
    duration_minutes = forms.IntegerField(min_value=5, max_value=600, initial=60, label="Length in minutes")
    online_link = forms.URLField(required=False, label="Online link")
    venue = forms.CharField(required=False, max_length=300)
    capacity = forms.IntegerField(required=False, min_value=1, max_value=100000, help_text="Empty: no limit.")
    places_per_party = forms.IntegerField(required=False, min_value=1, max_value=1000, label="Places per Party")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(("save", "Create the series"))

    def clean(self):
        data = super().clean()
        if not (data.get("online_link") or data.get("venue")):
            self.add_error("online_link", "Give an online link, a venue, or both.")
        _check_kind_against_title(self, data)
        return data


class EventCancelForm(forms.Form):
    reason = forms.CharField(
        label="Why is it cancelled?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Everyone registered is told by email; the event page shows it too.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(("cancel", "Cancel this event"))


class RegistrationForm(forms.Form):
    notes = forms.CharField(
        required=False,
        max_length=2000,
        label="Accessibility or dietary needs (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only SECAS sees this.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(("register", "Register"))
