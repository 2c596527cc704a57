import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from modifications.models import ModificationProposal
from parties.models import Party
from secportal.classification import Classified
from secportal.downloads import DownloadLog
from secportal.richtext import RichText, SanitisedHTMLField
from secportal.workingdays import add_working_days


class Committee(RichText, models.Model):
    """The SEC Panel, the Change Board, the sub-committees and Working Groups."""

    rich_text_fields = ("purpose", "terms_of_reference")

    class Kind(models.TextChoices):
        PANEL = "panel", "SEC Panel"
        CHANGE_BOARD = "change_board", "Change Board"
        SUB_COMMITTEE = "sub_committee", "Sub-committee"
        WORKING_GROUP = "working_group", "Working Group"

    name = models.CharField(max_length=150, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The purpose is a paragraph or two at the top of the page; terms of reference are a document
    # of several pages (the Panel's run to some 30,000 characters).
    purpose = models.TextField(max_length=5_000, help_text="Markdown: what the committee is for.")
    purpose_html = SanitisedHTMLField()
    terms_of_reference = models.TextField(max_length=50_000, blank=True, help_text="Markdown.")
    terms_of_reference_html = SanitisedHTMLField()
    meets = models.CharField(max_length=100, blank=True, help_text="How often, e.g. Monthly.")
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Constituency(models.TextChoices):
    LARGE_SUPPLIER = "large_supplier", "Large Supplier"
    SMALL_SUPPLIER = "small_supplier", "Small Supplier"
    ELECTRICITY_NETWORK = "electricity_network", "Electricity Network Party"
    GAS_NETWORK = "gas_network", "Gas Network Party"
    OTHER = "other", "Other SEC Party"
    DCC = "dcc", "DCC"
    CONSUMER = "consumer", "Consumer (Citizens Advice)"
    CHAIR = "chair", "Independent Chair"
    EXPERT = "expert", "Expert member"


class Seat(models.Model):
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="seats")
    constituency = models.CharField(max_length=25, choices=Constituency.choices)
    label = models.CharField(max_length=100)
    voting = models.BooleanField(default=True)
    elected = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["committee", "order", "label"]

    def __str__(self) -> str:
        return f"{self.committee}: {self.label}"


class MembershipQuerySet(models.QuerySet):
    def current(self, on: datetime.date | None = None):
        on = on or timezone.localdate()
        return self.filter(starts_on__lte=on, ended_on__isnull=True).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=on)
        )


class Membership(models.Model):
    """A person's place on a committee for a term: chair, member, alternate or observer."""

    class Role(models.TextChoices):
        CHAIR = "chair", "Chair"
        MEMBER = "member", "Member"
        ALTERNATE = "alternate", "Alternate"
        OBSERVER = "observer", "Observer"

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="memberships")
    seat = models.ForeignKey(Seat, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships")
    party = models.ForeignKey(Party, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    alternate_for = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="alternates",
        help_text="For an alternate: the member they stand in for.",
    )
    starts_on = models.DateField(default=timezone.localdate)
    ends_on = models.DateField(null=True, blank=True, help_text="End of term.")
    ended_on = models.DateField(null=True, blank=True, help_text="Set when the membership ends early.")
    created_at = models.DateTimeField(default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["committee", "seat__order", "role", "starts_on"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.committee})"

    @property
    def has_vote(self) -> bool:
        return self.role in (self.Role.CHAIR, self.Role.MEMBER) and bool(self.seat and self.seat.voting)


class Meeting(RichText, models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        PAPERS_PUBLISHED = "papers_published", "Papers published"
        HELD = "held", "Held"
        MINUTES_APPROVED = "minutes_approved", "Minutes approved"
        CANCELLED = "cancelled", "Cancelled"

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="meetings")
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    venue = models.CharField(max_length=200, blank=True)
    online_link = models.URLField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    headlines = models.TextField(max_length=20_000, blank=True, help_text="Markdown: what was decided, in brief.")
    headlines_html = SanitisedHTMLField()
    sequence = models.PositiveIntegerField(default=0, editable=False, help_text="iCalendar SEQUENCE: bumped on moves.")

    rich_text_fields = ("headlines",)

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.committee.name}: {self.title}"

    @property
    def paper_day(self) -> datetime.date:
        """Papers are due 5 Working Days before the meeting."""
        return add_working_days(timezone.localtime(self.starts_at).date(), -settings.SECPORTAL_PAPER_DAY_DAYS)

    @property
    def is_past(self) -> bool:
        return self.starts_at < timezone.now()


class MeetingVisit(models.Model):
    """When a person last looked at a meeting's page: the dashboard's "papers published since you
    last looked" lists the meetings with a paper they may open published after it.

    One row per person and meeting, written when someone who attends the committee opens the
    meeting's page (`panel.services.meeting_visit_record`). Per meeting rather than one timestamp on
    the person, so that opening the dashboard, or one meeting, does not hide the new papers of
    another meeting they have not opened yet; and a row, not a read-receipt per paper, because
    "since I last looked at this meeting" is all the dashboard asks."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meeting_visits")
    meeting = models.ForeignKey("Meeting", on_delete=models.CASCADE, related_name="visits")
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "meeting"], name="meeting_visit_once")]

    def __str__(self) -> str:
        return f"{self.user} looked at {self.meeting_id} on {self.seen_at:%Y-%m-%d %H:%M}"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(default=1)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    modification = models.ForeignKey(
        ModificationProposal, null=True, blank=True, on_delete=models.PROTECT, related_name="agenda_items"
    )
    decision_needed = models.BooleanField(default=False)
    outcome = models.TextField(blank=True, help_text="The decision or recommendation, with its reasons.")
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting", "order"]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"


class Paper(Classified):
    """A meeting paper. A revision is a new Paper that supersedes the earlier version."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="papers")
    item = models.ForeignKey(AgendaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="papers")
    title = models.CharField(max_length=200)
    version = models.PositiveSmallIntegerField(default=1)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    change_note = models.CharField(max_length=300, blank=True, help_text="What changed in this version.")
    file = models.FileField(upload_to="panel/", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    published_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["item__order", "title", "-version"]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def is_late(self) -> bool:
        return timezone.localtime(self.published_at).date() > self.meeting.paper_day

    @property
    def extension(self) -> str:
        return self.file.name.rsplit(".", 1)[-1].upper() if "." in self.file.name else ""


class PaperDownload(DownloadLog):
    """Who was served a paper, when: every time, whatever asked for it."""

    served = "paper"
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="downloads")


class Attendance(models.Model):
    class Status(models.TextChoices):
        ATTENDED = "attended", "Attended"
        APOLOGIES = "apologies", "Apologies"
        OBSERVER = "observer", "Observer"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attendance")
    status = models.CharField(max_length=10, choices=Status.choices)
    on_behalf_of = models.CharField(max_length=150, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="attendance_once")]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_status_display()}"


class Minutes(RichText, models.Model):
    """Drafted after the meeting, approved at the next one, then locked."""

    rich_text_fields = ("text",)

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="minutes")
    # Full minutes of a day-long Panel meeting, some 7,000 words; the papers carry the detail.
    text = models.TextField("minutes", max_length=50_000, help_text="Markdown.")
    text_html = SanitisedHTMLField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    approved_at = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.PROTECT, related_name="minutes_approved_here"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "minutes"

    def __str__(self) -> str:
        return f"Minutes of {self.meeting}"


class MinutesCorrection(models.Model):
    """Approved minutes never change: a correction is a new record linked to them."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="corrections")
    text = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Correction to {self.minutes}"


class Action(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="actions")
    reference = models.CharField(max_length=20, blank=True)
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="panel_actions")
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["status", "due_on"]

    def __str__(self) -> str:
        return self.title


class VoteRound(models.Model):
    """A Change Board vote on one modification (or one alternative). Results stay hidden until it closes."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Outcome(models.TextChoices):
        APPROVE = "approve", "Approve"
        REJECT = "reject", "Reject"
        NO_VOTES = "no_votes", "No votes cast"

    modification = models.ForeignKey(ModificationProposal, on_delete=models.PROTECT, related_name="vote_rounds")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="vote_rounds")
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="vote_rounds")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    rule = models.CharField(max_length=200, blank=True, help_text="The counting rule used.")
    tally = models.JSONField(
        default=dict, blank=True, help_text="Per constituency: approve, reject, abstain, position."
    )

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["modification"], condition=Q(status="open"), name="one_open_vote_per_modification"
            )
        ]

    def __str__(self) -> str:
        return f"Vote on {self.modification.reference}"


class Vote(models.Model):
    """One seat's vote: cast by the member or their alternate, never both."""

    class Choice(models.TextChoices):
        APPROVE = "approve", "Approve"
        REJECT = "reject", "Reject"
        ABSTAIN = "abstain", "Abstain"

    round = models.ForeignKey(VoteRound, on_delete=models.CASCADE, related_name="votes")
    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="votes")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="votes")
    choice = models.CharField(max_length=10, choices=Choice.choices)
    rationale = models.TextField()
    objectives = models.JSONField(default=list, blank=True, help_text="The SEC Objectives the rationale cites.")
    cast_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "seat"], name="one_vote_per_seat")]

    def __str__(self) -> str:
        return f"{self.seat}: {self.get_choice_display()}"
