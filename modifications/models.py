from django.conf import settings
from django.db import models
from django.utils import timezone

from parties.models import Party
from secportal.classification import Classified
from secportal.downloads import DownloadLog
from secportal.richtext import RichText, SanitisedHTMLField


class Release(models.Model):
    """A SEC Release: the scheduled releases in February, June and November, and ad hoc ones."""

    class Kind(models.TextChoices):
        FEBRUARY = "february", "February release"
        JUNE = "june", "June major release"
        NOVEMBER = "november", "November major release"
        AD_HOC = "ad_hoc", "Ad hoc release"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        LIVE = "live", "Live"

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    go_live = models.DateField()
    sec_version = models.CharField("SEC version", max_length=20, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    went_live_at = models.DateTimeField(null=True, blank=True)
    # The release's implementation document (what goes live, and how), checked by content on upload.
    document = models.FileField(upload_to="releases/", max_length=200, blank=True)
    document_content_type = models.CharField(max_length=100, blank=True)
    document_size = models.PositiveIntegerField(null=True, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    document_uploaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-go_live"]

    def __str__(self) -> str:
        return self.name


class Stage(models.TextChoices):
    DRAFT = "draft_proposal", "Draft Proposal"
    DEVELOPMENT = "development", "Development"
    REFINEMENT = "refinement", "Refinement Process"
    REPORT_PHASE = "report_phase", "Report Phase"
    MRC = "mrc", "Modification Report Consultation"
    CHANGE_BOARD = "change_board", "Awaiting Change Board"
    APPEAL_WINDOW = "appeal_window", "Approved: appeal window"
    WITH_AUTHORITY = "with_authority", "With the Authority (Ofgem)"
    APPROVED = "approved", "Approved: awaiting implementation"
    IMPLEMENTED = "implemented", "Implemented"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CLOSED = "closed", "Closed"


# One line for a newcomer: what happens at each stage.
STAGE_EXPLANATIONS = {
    Stage.DRAFT: "A Party has raised a problem. SECAS reviews it as critical friend within 5 Working Days.",
    Stage.DEVELOPMENT: "The Change Sub-Committee helps shape the problem until the Panel agrees it.",
    Stage.REFINEMENT: "A Working Group develops the solution: requirements, legal text, DCC assessments.",
    Stage.REPORT_PHASE: "SECAS writes the Modification Report for the Parties' consultation.",
    Stage.MRC: "Every Party except the DCC may respond to the Modification Report Consultation.",
    Stage.CHANGE_BOARD: "The Change Board votes, constituency by constituency.",
    Stage.APPEAL_WINDOW: "The Change Board approved it; Parties may appeal to Ofgem until the window closes.",
    Stage.WITH_AUTHORITY: "The Change Board's recommendation is with Ofgem, which decides.",
    Stage.APPROVED: "Approved: it is targeted at a SEC Release and goes live with it.",
    Stage.IMPLEMENTED: "It is part of the Smart Energy Code.",
    Stage.REJECTED: "It was rejected; the code does not change.",
    Stage.WITHDRAWN: "The proposer withdrew it before a decision.",
    Stage.CLOSED: "Closed without becoming a change to the code.",
}

OPEN_STAGES = frozenset(
    {
        Stage.DRAFT,
        Stage.DEVELOPMENT,
        Stage.REFINEMENT,
        Stage.REPORT_PHASE,
        Stage.MRC,
        Stage.CHANGE_BOARD,
        Stage.APPEAL_WINDOW,
        Stage.WITH_AUTHORITY,
        Stage.APPROVED,
    }
)
# Before a decision, the proposer may withdraw.
WITHDRAWABLE = frozenset(
    {Stage.DRAFT, Stage.DEVELOPMENT, Stage.REFINEMENT, Stage.REPORT_PHASE, Stage.MRC, Stage.CHANGE_BOARD}
)


class Path(models.TextChoices):
    PATH_1 = "path_1", "Path 1: Authority-led"
    PATH_2 = "path_2", "Path 2: Authority determination"
    PATH_3 = "path_3", "Path 3: Self-governance"
    FAST_TRACK = "fast_track", "Fast-track self-governance"


SELF_GOVERNANCE = frozenset({Path.PATH_3, Path.FAST_TRACK})


class Route(models.TextChoices):
    REFINEMENT = "refinement", "Refinement Process"
    REPORT_PHASE = "report_phase", "Straight to the Report Phase"


class Impact(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


# The allowed moves, as data. Path rules on top: see services.
TRANSITIONS = {
    Stage.DRAFT: {Stage.DEVELOPMENT, Stage.WITHDRAWN, Stage.CLOSED},
    Stage.DEVELOPMENT: {Stage.REFINEMENT, Stage.REPORT_PHASE, Stage.WITHDRAWN, Stage.CLOSED},
    Stage.REFINEMENT: {Stage.REPORT_PHASE, Stage.WITHDRAWN},
    Stage.REPORT_PHASE: {Stage.MRC, Stage.WITHDRAWN},
    Stage.MRC: {Stage.CHANGE_BOARD, Stage.WITHDRAWN},
    Stage.CHANGE_BOARD: {Stage.APPEAL_WINDOW, Stage.REJECTED, Stage.WITH_AUTHORITY, Stage.WITHDRAWN},
    Stage.APPEAL_WINDOW: {Stage.APPROVED, Stage.REJECTED},
    Stage.WITH_AUTHORITY: {Stage.APPROVED, Stage.REJECTED, Stage.REPORT_PHASE},
    Stage.APPROVED: {Stage.IMPLEMENTED},
    Stage.IMPLEMENTED: set(),
    Stage.REJECTED: set(),
    Stage.WITHDRAWN: set(),
    Stage.CLOSED: set(),
}


def stages_for_path(path: str, route: str) -> list[str]:
    """The stages a modification on this path and route goes through, in order (for its progress bar)."""
    stages = [Stage.DRAFT, Stage.DEVELOPMENT] if path != Path.FAST_TRACK else []
    if route == Route.REFINEMENT and path != Path.FAST_TRACK:
        stages.append(Stage.REFINEMENT)
    stages += [Stage.REPORT_PHASE, Stage.MRC, Stage.CHANGE_BOARD]
    stages.append(Stage.APPEAL_WINDOW if path in SELF_GOVERNANCE else Stage.WITH_AUTHORITY)
    return [*stages, Stage.APPROVED, Stage.IMPLEMENTED]


class ModificationQuerySet(models.QuerySet):
    def open(self):
        return self.filter(stage__in=OPEN_STAGES)

    def closed(self):
        return self.exclude(stage__in=OPEN_STAGES)

    def impacting(self, category: str):
        return self.filter(impacts__has_key=category)


_STAGE_LABELS = dict(Stage.choices)
_PATH_LABELS = dict(Path.choices)


class ModificationProposal(RichText, models.Model):
    """A Draft Proposal (DP) or Modification Proposal (MP) to change the Smart Energy Code."""

    rich_text_fields = ("issue", "solution")
    # Its long texts: read for its own page, never for a list of modifications.
    LONG_TEXTS = ("issue", "issue_html", "solution", "solution_html", "latest_update", "impacts")

    number = models.PositiveIntegerField(help_text="DP084 and MP084 share the number 84.")
    suffix = models.CharField(max_length=2, blank=True, help_text="Alternatives: MP102A.")
    reference = models.CharField(max_length=10, unique=True)
    title = models.CharField(max_length=250)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.DRAFT, editable=False)
    path = models.CharField(max_length=12, choices=Path.choices, blank=True)
    route = models.CharField(max_length=12, choices=Route.choices, blank=True)
    urgent = models.BooleanField(default=False, help_text="A compressed timetable agreed with Ofgem.")
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="modifications_raised"
    )
    proposer_party = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.PROTECT, related_name="modifications_raised"
    )
    lead_analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="modifications_led"
    )
    raised_on = models.DateField(default=timezone.localdate)
    # A few pages each: the detail of a proposal is in its documents (proposal form, legal text).
    issue = models.TextField("What is the issue", max_length=20_000, help_text="Markdown.")
    issue_html = SanitisedHTMLField()
    solution = models.TextField("What is the solution", max_length=20_000, blank=True, help_text="Markdown.")
    solution_html = SanitisedHTMLField()
    impacts = models.JSONField(
        default=dict, blank=True, help_text="Party category to impact level (high, medium, low)."
    )
    sec_sections = models.CharField("SEC sections affected", max_length=200, blank=True)
    cross_code_references = models.CharField(max_length=200, blank=True)
    alternative_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="alternatives"
    )
    related = models.ManyToManyField("self", blank=True, symmetrical=True)
    target_release = models.ForeignKey(
        Release, null=True, blank=True, on_delete=models.SET_NULL, related_name="modifications"
    )
    implementation_date = models.DateField(null=True, blank=True)
    latest_update = models.TextField(blank=True)
    next_milestone = models.CharField(max_length=200, blank=True)
    next_milestone_date = models.DateField(null=True, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    appeal_window_ends = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ModificationQuerySet.as_manager()

    class Meta:
        ordering = ["-number", "suffix"]
        indexes = [
            models.Index(fields=["stage", "path"], name="modification_stage_path"),
            models.Index(fields=["-updated_at"], name="modification_updated"),
            # The register sorted by what comes next ("sort=next"): read in order, not sorted.
            models.Index(fields=["next_milestone_date", "-number"], name="modification_next"),
        ]
        constraints = [models.UniqueConstraint(fields=["number", "suffix"], name="modification_number_suffix_unique")]
        permissions = [("move_modification", "Can move a modification through its lifecycle")]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    # Django writes get_<field>_display itself unless the class has one. Its own rebuilds a dict of
    # the choices on every call (~30 µs); the register shows two on each of its rows.
    def get_stage_display(self) -> str:
        return _STAGE_LABELS.get(self.stage, self.stage)

    def get_path_display(self) -> str:
        return _PATH_LABELS.get(self.path, self.path)

    @property
    def is_draft(self) -> bool:
        return self.reference.startswith("DP")

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def stage_explanation(self) -> str:
        return STAGE_EXPLANATIONS[Stage(self.stage)]

    def impact_rows(self) -> list[dict]:
        order = {Impact.HIGH: 0, Impact.MEDIUM: 1, Impact.LOW: 2}
        rows = [
            {"category": Party.Category(c).label, "level": level, "label": Impact(level).label}
            for c, level in self.impacts.items()
            if c in Party.Category.values and level in Impact.values
        ]
        return sorted(rows, key=lambda r: (order[r["level"]], r["category"]))


class ModificationReference(models.Model):
    """A reference a modification once had (DP084 before it became MP084): old links redirect."""

    reference = models.CharField(max_length=10, unique=True)
    modification = models.ForeignKey(ModificationProposal, on_delete=models.CASCADE, related_name="old_references")

    def __str__(self) -> str:
        return self.reference


class ModificationEvent(models.Model):
    """One dated line of a modification's timeline: a move, a document, an update."""

    class Kind(models.TextChoices):
        RAISED = "raised", "Raised"
        STAGE = "stage", "Stage changed"
        CONVERTED = "converted", "Converted to a Modification Proposal"
        DOCUMENT = "document", "Document published"
        UPDATE = "update", "Update"
        RELEASE = "release", "Targeted at a release"
        RESCHEDULED = "rescheduled", "Implementation date changed"

    modification = models.ForeignKey(ModificationProposal, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.CharField(max_length=300)
    note = models.TextField(blank=True)
    document = models.ForeignKey(
        "ModificationDocument", null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    occurred_on = models.DateField(default=timezone.localdate)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_on", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.modification.reference}: {self.summary}"


class ModificationDocument(Classified):
    """A document of a modification, in versions; downloads go through a checked view."""

    class Kind(models.TextChoices):
        PROPOSAL = "proposal", "Proposal form"
        BUSINESS_REQUIREMENTS = "business_requirements", "Business requirements"
        LEGAL_TEXT = "legal_text", "Legal text"
        DCC_PRELIMINARY = "dcc_preliminary", "DCC Preliminary Assessment"
        DCC_IMPACT = "dcc_impact", "DCC Impact Assessment"
        WORKING_GROUP = "working_group", "Working Group summary"
        CONSULTATION = "consultation", "Consultation"
        CONSULTATION_RESPONSES = "consultation_responses", "Consultation responses"
        MODIFICATION_REPORT = "modification_report", "Modification Report"
        DECISION = "decision", "Decision"
        AUTHORITY_LETTER = "authority_letter", "Authority decision letter"
        OTHER = "other", "Other"

    modification = models.ForeignKey(ModificationProposal, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    title = models.CharField(max_length=200)
    version = models.PositiveSmallIntegerField(default=1)
    file = models.FileField(upload_to="modifications/", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "title", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["modification", "kind", "title", "version"], name="document_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def extension(self) -> str:
        return self.file.name.rsplit(".", 1)[-1].upper() if "." in self.file.name else ""


class DocumentDownload(DownloadLog):
    """Who was served a document, when: every time, whatever asked for it."""

    served = "document"
    document = models.ForeignKey(ModificationDocument, on_delete=models.CASCADE, related_name="downloads")


class ReleaseDocumentDownload(DownloadLog):
    """Who was served a release's implementation document, when."""

    served = "release"
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="document_downloads")


class Follow(models.Model):
    """A person follows one modification."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    modification = models.ForeignKey(ModificationProposal, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "modification"], name="follow_once")]

    def __str__(self) -> str:
        return f"{self.user} follows {self.modification.reference}"


class FilterFollow(models.Model):
    """A person follows a whole filter of the register (e.g. everything impacting Small Suppliers)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="filter_follows")
    query = models.CharField(max_length=500, help_text="The register's query string, normalised.")
    label = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "query"], name="filter_follow_once")]

    def __str__(self) -> str:
        return f"{self.user} follows {self.label}"


# --- Consultations ---------------------------------------------------------------------------------------


class Consultation(RichText, models.Model):
    """A Refinement Consultation, a Modification Report Consultation, or a stand-alone one."""

    rich_text_fields = ("introduction",)

    class Kind(models.TextChoices):
        REFINEMENT = "refinement", "Refinement Consultation"
        MRC = "mrc", "Modification Report Consultation"
        OTHER = "other", "Consultation"

    modification = models.ForeignKey(
        ModificationProposal, null=True, blank=True, on_delete=models.PROTECT, related_name="consultations"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    title = models.CharField(max_length=250)
    # A few paragraphs before the questions; the consultation document itself is a document.
    introduction = models.TextField(max_length=20_000, blank=True, help_text="Markdown.")
    introduction_html = SanitisedHTMLField()
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField(help_text="Responses are accepted up to this instant, and not after.")
    excluded_categories = models.JSONField(
        default=list, blank=True, help_text="Party categories that may not respond (the DCC for an MRC)."
    )
    published_at = models.DateTimeField(null=True, blank=True, help_text="When responses were published.")
    close_handled_at = models.DateTimeField(
        null=True, blank=True, help_text="When its close was acted on: the modification moved on, SECAS told."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-closes_at"]

    def __str__(self) -> str:
        return self.title

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now <= self.closes_at

    def is_closed(self, now=None) -> bool:
        return (now or timezone.now()) > self.closes_at

    def close_is_final(self) -> bool:
        """Closed, or acted on as closed by beat: its close can no longer be moved."""
        return self.is_closed() or self.close_handled_at is not None

    def party_may_respond(self, party) -> bool:
        return (
            party is not None
            and party.status == Party.Status.ACCEDED
            and party.category not in self.excluded_categories
        )


# The questions a Modification Report Consultation asks unless SECAS edits them ("[text]" marks a
# free-text question; the others ask for yes, no or neutral with a rationale).
MRC_QUESTIONS = (
    "Do you agree that the proposed solution better facilitates the SEC Objectives?",
    "Do you agree that the proposed legal text delivers the solution?",
    "Do you agree with the proposed implementation approach and date?",
    "[text] What would the change cost your organisation, and how long would you need to implement it?",
    "[text] Please provide any other comments.",
)


class Question(models.Model):
    class Kind(models.TextChoices):
        POSITION = "position", "Yes / no / neutral, with a rationale"
        TEXT = "text", "Free text"

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(default=1)
    text = models.TextField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.POSITION)

    class Meta:
        ordering = ["consultation", "order"]
        constraints = [models.UniqueConstraint(fields=["consultation", "order"], name="question_order_unique")]

    def __str__(self) -> str:
        return f"Q{self.order}. {self.text[:60]}"


class Response(models.Model):
    """One Party's response to one consultation: drafted together, submitted, revisable until the close."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="responses")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="consultation_responses")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    confidential = models.BooleanField(default=False)
    version = models.PositiveSmallIntegerField(default=0, help_text="Submitted versions so far.")
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consultation", "party"], name="one_response_per_party")]

    def __str__(self) -> str:
        return f"{self.party} on {self.consultation}"


class Answer(models.Model):
    class Position(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        NEUTRAL = "neutral", "Neutral"

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    position = models.CharField(max_length=10, choices=Position.choices, blank=True)
    text = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="one_answer_per_question")]

    def __str__(self) -> str:
        return f"{self.response} / Q{self.question.order}"


class ResponseVersion(models.Model):
    """Each submission, kept as it was sent."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveSmallIntegerField()
    answers = models.JSONField()
    confidential = models.BooleanField()
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["response", "version"]
        constraints = [models.UniqueConstraint(fields=["response", "version"], name="response_version_unique")]

    def __str__(self) -> str:
        return f"{self.response} v{self.version}"
