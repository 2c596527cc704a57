"""Demo modifications, releases, documents and consultations (README "Demo accounts"): made-up
content, and no date written by hand. Every date is worked out from the day the demo is loaded:

- the releases are the scheduled February, June and November releases around today (the ones whose
  go-live has passed are live) and an ad hoc one between the next two;
- each modification was raised some time ago (its number follows the order they were raised in) and
  moved from stage to stage on Working Days: a critical-friend review takes 5 Working Days, a
  Modification Report Consultation and an appeal window 15, and the other stages share the time
  left until the day it reached the stage it is at now;
- its documents are published on the day of the stage they belong to, never after today.
"""

import datetime
import hashlib
import textwrap
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from fpdf import FPDF

from parties import roles
from parties.models import Party, User
from secportal.classification import Classification
from secportal.notifications import happening_tell
from secportal.workingdays import (
    LONDON,
    add_working_days,
    local_today,
    next_working_day,
    previous_working_day,
    working_day_deadline,
    working_days_between,
)

from .models import (
    ModificationDocument,
    ModificationEvent,
    ModificationProposal,
    ModificationReference,
    Path,
    Release,
    Route,
    Stage,
    stages_for_path,
)
from .selectors import register_changed
from .services import next_milestone

# --- Releases ----------------------------------------------------------------------------------------------

THURSDAY = 3
# The scheduled releases: kind, month, which Thursday of the month (-1: the last one).
SCHEDULED_RELEASES = (
    (Release.Kind.FEBRUARY, 2, -1),
    (Release.Kind.JUNE, 6, -1),
    (Release.Kind.NOVEMBER, 11, 1),
)


@dataclass(frozen=True)
class DemoRelease:
    key: str  # L1 the latest live release, L2 the one before ...; P1 the next planned one ...; AH ad hoc
    name: str
    kind: str
    go_live: datetime.date
    sec_version: str

    @property
    def slug(self) -> str:
        return self.name.lower().replace(" ", "-")

    @property
    def live(self) -> bool:
        return bool(self.sec_version)


def _thursday(year: int, month: int, which: int) -> datetime.date:
    if which > 0:
        first = datetime.date(year, month, 1)
        day = first + datetime.timedelta(days=(THURSDAY - first.weekday()) % 7 + 7 * (which - 1))
    else:
        last = datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)
        day = last - datetime.timedelta(days=(last.weekday() - THURSDAY) % 7)
    return next_working_day(day)


def releases(today: datetime.date) -> list[DemoRelease]:
    """The four scheduled releases that went live before `today`, the next three, and an ad hoc
    release half way between the next two scheduled ones (on a Thursday that is a Working Day)."""
    scheduled = sorted(
        (_thursday(year, month, which), kind, index)
        for year in range(today.year - 2, today.year + 3)
        for index, (kind, month, which) in enumerate(SCHEDULED_RELEASES)
    )
    past = [s for s in scheduled if s[0] < today][-4:]
    future = [s for s in scheduled if s[0] >= today][:3]
    result = [
        # SEC versions count the scheduled releases: three a year.
        DemoRelease(f"L{len(past) - n}", f"{day:%B %Y} SEC Release", kind, day, f"v{day.year - 2000}.{index + 1}")
        for n, (day, kind, index) in enumerate(past)
    ]
    result += [
        DemoRelease(f"P{n + 1}", f"{day:%B %Y} SEC Release", kind, day, "") for n, (day, kind, _) in enumerate(future)
    ]
    middle = future[0][0] + (future[1][0] - future[0][0]) / 2
    ad_hoc = next_working_day(middle + datetime.timedelta(days=(THURSDAY - middle.weekday()) % 7))
    result.append(DemoRelease("AH", f"{ad_hoc:%B %Y} ad hoc SEC Release", Release.Kind.AD_HOC, ad_hoc, ""))
    return result


# --- Modifications -----------------------------------------------------------------------------------------

S, P, R = Stage, Path, Route
# title, stage, path, route, proposer Party, release (see DemoRelease.key), days since it was raised, urgent.
# Numbers are given in the order they were raised, oldest first, from FIRST_NUMBER.
FIRST_NUMBER = 201
MODIFICATIONS = [
    (
        "Aligning Service Request response times with DUIS 6",
        S.DEVELOPMENT,
        "",
        "",
        "Pennine Electricity Networks plc",
        None,
        40,
        False,
    ),
    (
        "Making Alt HAN Forum cost recovery transparent",
        S.DEVELOPMENT,
        "",
        "",
        "Meterline Services Ltd",
        None,
        55,
        False,
    ),
    (
        "Consumer consent records for half-hourly data",
        S.REFINEMENT,
        P.PATH_2,
        R.REFINEMENT,
        "Brightwater Home Energy plc",
        None,
        160,
        False,
    ),
    (
        "Firmware updates for legacy Communications Hubs",
        S.REFINEMENT,
        P.PATH_3,
        R.REFINEMENT,
        "Data and Communications Company",
        None,
        130,
        False,
    ),
    (
        "Reducing anomaly detection false positives",
        S.REFINEMENT,
        P.PATH_3,
        R.REFINEMENT,
        "Severn Gas Distribution Ltd",
        None,
        95,
        False,
    ),
    (
        "Network Party access to outage alerts",
        S.REPORT_PHASE,
        P.PATH_2,
        R.REFINEMENT,
        "Southern Coast Power Distribution plc",
        None,
        240,
        False,
    ),
    ("Removing obsolete DUIS versions", S.REPORT_PHASE, P.FAST_TRACK, R.REPORT_PHASE, None, None, 20, False),
    (
        "Smart meter installation reporting for Small Suppliers",
        S.MRC,
        P.PATH_3,
        R.REFINEMENT,
        "Orchard Lane Energy Ltd",
        None,
        210,
        False,
    ),
    (
        "Extending the Threshold Anomaly Detection limits",
        S.MRC,
        P.PATH_2,
        R.REPORT_PHASE,
        "Halcyon Power and Gas Ltd",
        None,
        120,
        False,
    ),
    (
        "Security controls for User Systems in the cloud",
        S.CHANGE_BOARD,
        P.PATH_2,
        R.REFINEMENT,
        "Meridian Utilities plc",
        None,
        300,
        False,
    ),
    (
        "Clarifying SEC Party accession fees",
        S.CHANGE_BOARD,
        P.PATH_3,
        R.REPORT_PHASE,
        "Lumen Energy Data Ltd",
        None,
        150,
        False,
    ),
    (
        "Testing environment availability commitments",
        S.APPEAL_WINDOW,
        P.PATH_3,
        R.REFINEMENT,
        "Beacon Metering Solutions Ltd",
        "P2",
        280,
        False,
    ),
    (
        "Gas meter valve control safeguards",
        S.WITH_AUTHORITY,
        P.PATH_2,
        R.REFINEMENT,
        "Northern Fells Gas Networks plc",
        None,
        330,
        True,
    ),
    ("Data retention for Smart Metering Inventory", S.WITH_AUTHORITY, P.PATH_1, R.REFINEMENT, None, None, 260, False),
    (
        "Register of SEC Subsidiary Documents housekeeping",
        S.APPROVED,
        P.FAST_TRACK,
        R.REPORT_PHASE,
        None,
        "P1",
        75,
        False,
    ),
    (
        "Improving Change of Supplier certificate updates",
        S.APPROVED,
        P.PATH_2,
        R.REFINEMENT,
        "Northwind Gas Retail Ltd",
        "P2",
        380,
        False,
    ),
    ("Load control for electric vehicle chargers", S.APPROVED, P.PATH_1, R.REFINEMENT, None, "P3", 425, False),
    (
        "DCC Service Desk hours over bank holidays",
        S.APPROVED,
        P.PATH_3,
        R.REPORT_PHASE,
        "Kestrel Green Energy Ltd",
        "P2",
        200,
        False,
    ),
    (
        "Clarifying Smart Metering Key Infrastructure roles",
        S.IMPLEMENTED,
        P.PATH_3,
        R.REFINEMENT,
        "Quayside Shared Services Ltd",
        "L1",
        420,
        False,
    ),
    (
        "Half-hourly settlement data access",
        S.IMPLEMENTED,
        P.PATH_2,
        R.REFINEMENT,
        "Halcyon Business Energy Ltd",
        "L1",
        560,
        False,
    ),
    (
        "Communications Hub returns process",
        S.IMPLEMENTED,
        P.PATH_3,
        R.REPORT_PHASE,
        "Data and Communications Company",
        "L2",
        400,
        False,
    ),
    (
        "Privacy audit frequency for Other Users",
        S.IMPLEMENTED,
        P.PATH_2,
        R.REFINEMENT,
        "Silverbirch Consulting Ltd",
        "L2",
        610,
        False,
    ),
    ("Glossary corrections in Section A", S.IMPLEMENTED, P.FAST_TRACK, R.REPORT_PHASE, None, "L3", 500, False),
    ("Prepayment meter friendly credit periods", S.IMPLEMENTED, P.PATH_1, R.REFINEMENT, None, "L4", 800, False),
    (
        "Dual fuel installation appointment data",
        S.IMPLEMENTED,
        P.PATH_3,
        R.REFINEMENT,
        "Tidewater Renewables Supply Ltd",
        "L3",
        650,
        False,
    ),
    (
        "Mandating SMETS1 enrolment reporting",
        S.REJECTED,
        P.PATH_2,
        R.REFINEMENT,
        "Granite City Power Co-operative",
        None,
        450,
        False,
    ),
    (
        "Restricting Other User access to consumption data",
        S.REJECTED,
        P.PATH_3,
        R.REPORT_PHASE,
        "Wren Valley Electricity Ltd",
        None,
        305,
        False,
    ),
    (
        "Automatic meter reading frequency for microbusinesses",
        S.WITHDRAWN,
        P.PATH_3,
        R.REFINEMENT,
        "Fenland Community Power Ltd",
        None,
        350,
        False,
    ),
    (
        "Centralised registration service interface changes",
        S.WITHDRAWN,
        "",
        "",
        "Midshires Independent Networks Ltd",
        None,
        90,
        False,
    ),
    (
        "Duplicate of an earlier Draft Proposal on DUIS response times",
        S.CLOSED,
        "",
        "",
        "Highland and Islands Grid Ltd",
        None,
        34,
        False,
    ),
    (
        "In-home display accessibility requirements",
        S.REFINEMENT,
        P.PATH_2,
        R.REFINEMENT,
        "Brightwater Home Energy plc",
        None,
        75,
        False,
    ),
    ("Clarifying prepayment top-up retry obligations", S.DRAFT, "", "", "Fenland Community Power Ltd", None, 0, False),
]
# The Draft Proposal a Party user raises today, through the portal's own service (the newest number).
RAISED_TODAY = ("Shortening the SMKI certificate revocation timetable", "admin@largesupplier.example")
ALTERNATIVE_OF = "Firmware updates for legacy Communications Hubs"

# Days counted in Working Days back from today.
DRAFT_RAISED = {"Clarifying prepayment top-up retry obligations": 3}
# The Modification Report Consultations open now (opened this many Working Days ago: one closes
# within 3 Working Days, so "closing soon" reminders are due) ...
MRC_OPENED = {
    "Smart meter installation reporting for Small Suppliers": 4,
    "Extending the Threshold Anomaly Detection limits": 13,
}
# ... and those that closed and sent the modification to the Change Board. The first is voted on
# at the Change Board's last meeting (panel.demo); the second reached the Board after that
# meeting's paper day, so it waits for the next one.
MRC_CLOSED = {"Security controls for User Systems in the cloud": 30, "Clarifying SEC Party accession fees": 18}
# Responses each closed consultation had (the demo has five Parties, other than the DCC, with users).
CLOSED_MRC_RESPONSES = 5
# Decided a few Working Days ago: a Change Board approval in its appeal window, and Ofgem's approval
# of a Path 2 modification (news.demo announces it on the day).
RECENT_DECISION = {
    "Testing environment availability commitments": 4,
    "Improving Change of Supplier certificate updates": 4,
}

ISSUE = (
    "Parties report that the current arrangements for **{topic}** cause avoidable cost and delay.\n\n"
    "- The obligations in the SEC are unclear about who acts first.\n"
    "- Timescales differ from those in the related industry codes.\n"
    "- Consumers can be affected when the process fails.\n"
)
SOLUTION = (
    "Amend the SEC so that the obligations for **{topic}** are set out in one place, with timescales "
    "measured in Working Days, and update the relevant Subsidiary Document."
)
SECTIONS = ["Section H", "Section G, L", "Section D", "Section E, H", "Appendix AB", "Section F", "Section L"]
IMPACT_SETS = [
    {"large_supplier": "high", "small_supplier": "high", "dcc": "medium"},
    {"electricity_network": "high", "gas_network": "medium", "dcc": "low"},
    {"dcc": "high", "other": "medium"},
    {"small_supplier": "medium", "large_supplier": "medium", "other": "low"},
]


def _pdf(title: str, reference: str, lines: list[str]) -> bytes:
    """A one-page PDF, drawn in single cells (wrapping the title by hand is much cheaper than
    fpdf's multi_cell, and the demo draws a few hundred of these)."""
    pdf = FPDF()
    pdf.set_compression(False)  # a few hundred bytes more each, drawn in half the time
    pdf.set_title(f"{reference} {title}")
    pdf.add_page()
    pdf.set_fill_color(11, 37, 69)
    pdf.rect(0, 0, 210, 28, "F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("Helvetica", "B", 16)
    pdf.set_xy(12, 9)
    pdf.cell(0, 10, f"{reference}  |  Smart Energy Code")
    pdf.set_text_color(20, 20, 20)
    pdf.set_font("Helvetica", "B", 18)
    y = 40
    for part in textwrap.wrap(title, 45):
        pdf.set_xy(12, y)
        pdf.cell(186, 9, part)
        y += 9
    pdf.set_font("Helvetica", "", 11)
    for line in lines:
        y += 8
        pdf.set_xy(12, y)
        pdf.cell(186, 6, line)
    return bytes(pdf.output())


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """`hour`:`minute` UK time on `day`, aware."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=LONDON)


def _stage_sequence(stage, path, route) -> list:
    if stage in (S.DRAFT, S.DEVELOPMENT, S.CLOSED) or (stage == S.WITHDRAWN and not path):
        base = [S.DRAFT, S.DEVELOPMENT]
        return base[: base.index(stage) + 1] if stage in base else [*base, stage]
    full = stages_for_path(path, route)
    if stage in full:
        return full[: full.index(stage) + 1]
    if stage == S.REJECTED:
        cut = full.index(S.APPEAL_WINDOW if path in (P.PATH_3, P.FAST_TRACK) else S.WITH_AUTHORITY)
        return [*full[:cut], S.REJECTED] if path in (P.PATH_3, P.FAST_TRACK) else [*full[: cut + 1], S.REJECTED]
    # withdrawn during refinement
    return [*full[: full.index(S.REFINEMENT if route == R.REFINEMENT else S.REPORT_PHASE) + 1], S.WITHDRAWN]


def _fixed_days(stage) -> int | None:
    """Working Days from reaching `stage` to the next move where the rules fix them (None: as long as
    the work takes): the critical-friend review, the consultation and the appeal window."""
    return {
        S.DRAFT: settings.SECPORTAL_CRITICAL_FRIEND_DAYS,
        S.MRC: settings.SECPORTAL_MRC_DAYS + 1,
        S.APPEAL_WINDOW: settings.SECPORTAL_APPEAL_WINDOW_DAYS + 1,
    }.get(stage)


def _timeline(sequence: list, raised: datetime.date, reached: datetime.date) -> list[datetime.date]:
    """The Working Day each stage of `sequence` was reached, from `raised` (the first) to `reached`
    (the last): the fixed stages take their days, the others share the rest evenly (at least 3
    Working Days each; the day it was raised moves back if there was not enough time)."""
    gaps = [_fixed_days(stage) for stage in sequence[:-1]]
    if not gaps:
        return [reached]
    fixed = sum(g for g in gaps if g is not None)
    flexible = sum(1 for g in gaps if g is None)
    available = working_days_between(raised, reached)
    if available < fixed + 3 * flexible or not flexible:
        available = fixed + 3 * flexible
        raised = add_working_days(reached, -available)
    share, extra = divmod(available - fixed, flexible) if flexible else (0, 0)
    days = [raised]
    for gap in gaps:
        days.append(add_working_days(days[-1], share + extra if gap is None else gap))
        if gap is None:
            extra = 0
    return days


@dataclass
class Plan:
    """A demo modification as it stands today: the stages it went through and the day it reached each."""

    title: str
    stage: str
    path: str
    route: str
    party_name: str | None
    release: DemoRelease | None
    urgent: bool
    sequence: list
    dates: list
    mrc_opens: datetime.date | None = None  # an MRC opened by seed_consultations on this day

    @property
    def raised(self) -> datetime.date:
        return self.dates[0]

    def reached(self, stage) -> datetime.date | None:
        return self.dates[self.sequence.index(stage)] if stage in self.sequence else None

    @property
    def decided(self) -> datetime.date | None:
        """The decision: the Change Board's (self-governance) or Ofgem's (Paths 1 and 2)."""
        return next((day for stage, day in zip(self.sequence, self.dates, strict=True) if stage in DECISIONS), None)


DECISIONS = {S.APPEAL_WINDOW, S.APPROVED, S.REJECTED}


def plans(today: datetime.date) -> list[Plan]:
    """Every demo modification's stages and dates as of `today`, oldest first (the order of their numbers)."""
    by_key = {r.key: r for r in releases(today)}
    result = []
    for title, stage, path, route, party_name, release_key, age, urgent in MODIFICATIONS:
        sequence = _stage_sequence(stage, path, route)
        raised = previous_working_day(today - datetime.timedelta(days=age))
        release = by_key[release_key] if release_key else None
        plan = Plan(title, stage, path, route, party_name, release, urgent, sequence, [])
        if title in DRAFT_RAISED:
            plan.dates = [add_working_days(today, -DRAFT_RAISED[title])]
        elif title in MRC_OPENED:
            # Waits at the Report Phase: seed_consultations opens its MRC as SECAS does.
            plan.mrc_opens = add_working_days(today, -MRC_OPENED[title])
            plan.sequence = sequence[:-1]
            plan.dates = _timeline(plan.sequence, raised, add_working_days(plan.mrc_opens, -10))
        elif title in MRC_CLOSED:
            opens = add_working_days(today, -MRC_CLOSED[title])
            plan.dates = _timeline(sequence[:-1], raised, opens)
            # Beat moves it to the Change Board the moment its consultation has closed.
            closes = working_day_deadline(opens, settings.SECPORTAL_MRC_DAYS)
            plan.dates.append(closes.date() + datetime.timedelta(days=1))
        elif stage == S.IMPLEMENTED:
            plan.dates = _timeline(sequence, raised, release.go_live)
        elif title in RECENT_DECISION:
            plan.dates = _timeline(sequence, raised, add_working_days(today, -RECENT_DECISION[title]))
        else:
            plan.dates = _timeline(
                sequence, raised, previous_working_day(today - datetime.timedelta(days=max(2, age // 6)))
            )
        result.append(plan)
    result.sort(key=lambda p: p.raised)
    return result


STAGE_SUMMARIES = {
    (S.DRAFT, S.DEVELOPMENT): "Critical-friend review done; the problem goes to the Change Sub-Committee",
    (S.REFINEMENT, S.REPORT_PHASE): "Refinement complete; into the Report Phase",
    (S.MRC, S.CHANGE_BOARD): "Consultation closed; with the Change Board",
    (S.WITH_AUTHORITY, S.APPROVED): "Approved by Ofgem: awaiting implementation",
    (S.WITH_AUTHORITY, S.REJECTED): "Rejected by Ofgem",
    (S.APPEAL_WINDOW, S.APPROVED): "Appeal window closed: approved, awaiting implementation",
    (S.CHANGE_BOARD, S.REJECTED): "Rejected by the Change Board",
    (S.DEVELOPMENT, S.CLOSED): "Closed without conversion",
}


def _move_summary(plan: Plan, step: int, *, reference: str, number: int) -> tuple[str, str]:
    """(kind, summary) of the line for the `step`-th stage of a plan, worded as the lifecycle
    service words that move."""
    current, day = plan.sequence[step], plan.dates[step]
    previous = plan.sequence[step - 1] if step else None
    kind, summary = ModificationEvent.Kind.STAGE, STAGE_SUMMARIES.get((previous, current), "")
    if previous is None:
        kind = ModificationEvent.Kind.RAISED
        summary = (
            "Raised by the Panel as Fast-track self-governance"
            if plan.path == P.FAST_TRACK
            else f"Draft Proposal raised by {plan.party_name or 'the Panel'}"
        )
    elif previous == S.DEVELOPMENT and plan.path:
        kind = ModificationEvent.Kind.CONVERTED
        summary = f"DP{number:03d} converted to {reference}: {Path(plan.path).label}, {Route(plan.route).label}"
    elif current == S.MRC:
        closes = add_working_days(day, settings.SECPORTAL_MRC_DAYS)
        summary = f"Modification Report Consultation open until {closes:%-d %B %Y}"
    elif current == S.CHANGE_BOARD and plan.title in MRC_CLOSED:
        summary = f"Modification Report Consultation closed ({CLOSED_MRC_RESPONSES} responses); with the Change Board"
    elif current == S.APPEAL_WINDOW:
        ends = add_working_days(day, settings.SECPORTAL_APPEAL_WINDOW_DAYS)
        summary = f"Approved by the Change Board; appeal window open until {ends:%-d %B %Y}"
    elif current == S.WITH_AUTHORITY:
        summary = f"Change Board recommends {'rejection' if plan.stage == S.REJECTED else 'approval'}; sent to Ofgem"
    elif current == S.WITHDRAWN:
        summary = "Withdrawn by the proposer"
    elif current == S.IMPLEMENTED and plan.release:
        summary = f"Implemented in the {plan.release.name} (SEC {plan.release.sec_version})"
    return kind, summary or f"Moved to {Stage(current).label}"


def _documents(plan: Plan, today: datetime.date) -> list[tuple]:
    """(kind, title, version, classification, day published, owner Party category, owner committee) of a plan."""
    W, G, A = Classification.WHITE, Classification.GREEN, Classification.AMBER
    docs = [("proposal", "Proposal form", 1, W, plan.raised, None, "")]
    worked = plan.reached(S.REFINEMENT) or plan.reached(S.REPORT_PHASE)
    if worked:
        # Written during refinement (or the Report Phase), before the stage after it.
        after = plan.dates[plan.sequence.index(S.REFINEMENT if plan.reached(S.REFINEMENT) else S.REPORT_PHASE) + 1 :]
        until = after[0] if after else plan.mrc_opens or previous_working_day(today - datetime.timedelta(days=1))
        span = max(0, working_days_between(worked, until) - 1)
        first, second = add_working_days(worked, span // 3), add_working_days(worked, 2 * span // 3)
        docs += [
            ("business_requirements", "Business requirements", 1, G, first, None, ""),
            ("dcc_impact", "DCC Impact Assessment", 1, A, second, Party.Category.DCC, "change-board"),
            ("legal_text", "Legal text", 1, W, first, None, ""),
            ("legal_text", "Legal text", 2, W, second, None, ""),
        ]
    if plan.reached(S.MRC) or plan.mrc_opens:
        opens = plan.reached(S.MRC) or plan.mrc_opens
        docs.append(("modification_report", "Modification Report", 1, W, add_working_days(opens, -1), None, ""))
    if plan.reached(S.CHANGE_BOARD):
        day = next_working_day(plan.reached(S.CHANGE_BOARD))
        docs.append(("consultation_responses", "Consultation responses", 1, A, day, None, "change-board"))
    if plan.decided:
        docs.append(("decision", "Decision letter", 1, W, plan.decided, None, ""))
    return docs


def seed(*, stdout=None) -> None:
    today = local_today()
    now = timezone.now()
    demo_releases = releases(today)
    for release in demo_releases:
        Release.objects.get_or_create(
            slug=release.slug,
            defaults={
                "name": release.name,
                "kind": release.kind,
                "go_live": release.go_live,
                "sec_version": release.sec_version,
                "status": Release.Status.LIVE if release.live else Release.Status.PLANNED,
                "went_live_at": at(release.go_live, 9) if release.live else None,
            },
        )
    staff = User.objects.filter(groups__name=roles.SECAS_STAFF).order_by("pk").first()
    if staff is None:
        return
    titles = [spec[0] for spec in MODIFICATIONS]
    if not ModificationProposal.objects.filter(title__in=titles).exists():
        _seed_modifications(plans(today), staff=staff, today=today, now=now)
    _raise_today(staff)
    if stdout:
        stdout.write(f"  modifications: {ModificationProposal.objects.count()} on the register")


def _seed_modifications(demo_plans: list[Plan], *, staff: User, today: datetime.date, now: datetime.datetime) -> None:
    """Write the modifications of `demo_plans` in bulk: rows, old references, documents and timelines."""
    release_rows = {
        r.slug: r for r in Release.objects.filter(slug__in={p.release.slug for p in demo_plans if p.release})
    }
    parties = {p.name: p for p in Party.objects.filter(name__in={p.party_name for p in demo_plans if p.party_name})}
    proposers = {}
    for user in User.objects.filter(party__in=parties.values(), is_active=True).order_by("-pk"):
        proposers[user.party_id] = user  # the first (lowest pk) user of each Party wins
    dcc = Party.objects.filter(category=Party.Category.DCC).first()
    member = User.objects.filter(email="member@panel.example").first()
    rows = []
    for index, plan in enumerate(demo_plans):
        number = FIRST_NUMBER + index
        party = parties.get(plan.party_name)
        stage, day = plan.sequence[-1], plan.dates[-1]
        release = release_rows[plan.release.slug] if plan.release else None
        topic = plan.title[0].lower() + plan.title[1:]
        modification = ModificationProposal(
            number=number,
            reference=f"{'MP' if plan.path else 'DP'}{number:03d}",
            title=plan.title,
            stage=stage,
            path=plan.path,
            route=plan.route,
            urgent=plan.urgent,
            proposer=proposers.get(party.pk) if party else None,
            proposer_party=party,
            lead_analyst=staff if plan.path else None,
            raised_on=plan.raised,
            issue=ISSUE.format(topic=topic),
            solution=SOLUTION.format(topic=topic) if plan.path else "",
            impacts=IMPACT_SETS[index % len(IMPACT_SETS)],
            sec_sections=SECTIONS[index % len(SECTIONS)],
            target_release=release,
            implementation_date=release.go_live if release and stage == S.IMPLEMENTED else None,
            decided_on=plan.decided,
            latest_update=f"{Stage(stage).label} since {day:%-d %B %Y}.",
            updated_at=min(at(day, 16), now),
        )
        if stage == S.APPEAL_WINDOW:
            modification.appeal_window_ends = add_working_days(day, settings.SECPORTAL_APPEAL_WINDOW_DAYS)
        modification.next_milestone, modification.next_milestone_date = next_milestone(modification)
        rows.append(modification.render_rich_text())
    rows = ModificationProposal.objects.bulk_create(rows)
    register_changed()  # bulk_create sends no signals: the register counts again
    ModificationReference.objects.bulk_create(
        ModificationReference(reference=f"DP{m.number:03d}", modification=m)
        for m in rows
        if m.path and m.path != P.FAST_TRACK
    )
    documents, events = [], []
    for plan, modification in zip(demo_plans, rows, strict=True):
        for i, current in enumerate(plan.sequence):
            previous = plan.sequence[i - 1] if i else None
            kind, summary = _move_summary(plan, i, reference=modification.reference, number=modification.number)
            events.append(
                ModificationEvent(
                    modification=modification,
                    kind=kind,
                    from_stage=previous or "",
                    to_stage=current,
                    actor=staff if previous else modification.proposer or staff,
                    summary=summary,
                    occurred_on=plan.dates[i],
                )
            )
        if plan.release:
            targeted = plan.reached(S.APPROVED) or plan.dates[-1]
            events.append(
                ModificationEvent(
                    modification=modification,
                    kind=ModificationEvent.Kind.RELEASE,
                    actor=staff,
                    summary=f"Targeted at the {plan.release.name} (go-live {plan.release.go_live:%-d %B %Y})",
                    occurred_on=targeted,
                )
            )
        for kind, title, version, classification, day, owner, committee in _documents(plan, today):
            documents.append(
                _document(
                    modification,
                    kind=kind,
                    title=title,
                    version=version,
                    classification=classification,
                    published=min(at(day, 10), now),
                    staff=staff,
                    owner_party=dcc if owner == Party.Category.DCC else None,
                    owner_committee=committee,
                )
            )
        if plan.title == "Security controls for User Systems in the cloud" and member:
            documents.append(
                _document(
                    modification,
                    kind="other",
                    title="Penetration test findings",
                    version=1,
                    classification=Classification.RED,
                    published=min(at(plan.dates[-1], 11), now),
                    staff=staff,
                )
            )
    documents = ModificationDocument.objects.bulk_create(documents)
    for document in documents:
        if document.classification == Classification.RED:
            document.red_recipients.set([staff, member])
        label = f"Published {document.title}" + (f" (version {document.version})" if document.version > 1 else "")
        events.append(
            ModificationEvent(
                modification=document.modification,
                kind=ModificationEvent.Kind.DOCUMENT,
                actor=staff,
                document=document,
                summary=label,
                occurred_on=timezone.localtime(document.published_at, LONDON).date(),
            )
        )
    ModificationEvent.objects.bulk_create(events)


def _document(
    modification, *, kind, title, version, classification, published, staff, owner_party=None, owner_committee=""
):
    """A document with its generated PDF stored (not yet saved: the caller writes them in bulk)."""
    content = _pdf(
        title,
        modification.reference,
        [
            f"Version {version}, published {timezone.localtime(published, LONDON):%-d %B %Y}.",
            f"Classification: TLP:{classification.upper()}.",
            "This is demonstration content generated for the SEC Portal.",
        ],
    )
    name = default_storage.save(
        f"modifications/demo/{modification.reference}-{kind}-v{version}.pdf", ContentFile(content)
    )
    return ModificationDocument(
        modification=modification,
        kind=kind,
        title=title,
        version=version,
        file=name,
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=staff,
        classification=classification,
        owner_party=owner_party,
        owner_committee=owner_committee,
        published_at=published,
    )


def _raise_today(staff: User) -> None:
    """A Party user raises a Draft Proposal today and SECAS raises an alternative solution to a
    modification in refinement, both through the portal's services (receipts, follows, timeline)."""
    from .services import modification_raise, modification_raise_alternative

    title, email = RAISED_TODAY
    proposer = User.objects.filter(email=email, is_active=True).first()
    if proposer is not None and not ModificationProposal.objects.filter(title=title).exists():
        topic = title[0].lower() + title[1:]
        modification_raise(
            actor=proposer,
            title=title,
            issue=ISSUE.format(topic=topic),
            impacts=IMPACT_SETS[0],
            sec_sections="Section L",
        )
    original = ModificationProposal.objects.filter(title=ALTERNATIVE_OF, alternative_of=None).first()
    if original is not None and not original.alternatives.exists() and original.stage == S.REFINEMENT:
        modification_raise_alternative(
            actor=staff,
            original=original,
            title=f"{original.title} (alternative)",
            solution="An alternative: stage the firmware roll-out by Communications Hub variant.",
        )


def _seed_responses(consultation, *, count: int, first: datetime.date, now: datetime.datetime, skip: str = "") -> None:
    """Responses from `count` Parties (their first active user sends each), a Working Day apart from
    `first`, through the portal's service (a receipt each), never later than `now`."""
    from .services import response_submit

    questions = list(consultation.questions.all())
    responders = Party.objects.exclude(category=Party.Category.DCC).filter(users__is_active=True).distinct()
    for index, party in enumerate(responders.order_by("name")[:count]):
        if party.name == skip:
            continue  # left for the demo's Small Supplier user to answer
        user = party.users.filter(is_active=True).order_by("pk").first()
        changes = {}
        for q in questions:
            if q.kind == "position":
                changes[str(q.pk)] = {
                    "position": ["yes", "yes", "neutral", "no"][index % 4],
                    "text": f"{party.name} considers the change proportionate.",
                }
            else:
                changes[str(q.pk)] = {"text": "No further comments."}
        sent = min(at(add_working_days(first, index), 11, 30), now)
        response_submit(actor=user, consultation=consultation, changes=changes, confidential=index == 2, now=sent)


def seed_consultations(*, stdout=None) -> None:
    """The Modification Report Consultations. Those open now are opened as SECAS opens one (one
    action: the consultation and the MRC stage), on the day they opened, with some responses; those
    that closed were written as they stood, their close acted on and their responses published."""
    from .models import Consultation, Question, Response
    from .services import current_mrc, modification_open_mrc, mrc_default_questions

    staff = User.objects.filter(groups__name=roles.SECAS_STAFF).order_by("pk").first()
    if staff is None:
        return
    today, now = local_today(), timezone.now()
    for title, days_ago in MRC_OPENED.items():
        modification = ModificationProposal.objects.filter(title=title, stage=Stage.REPORT_PHASE).first()
        if modification is None or modification.consultations.exists():
            continue
        opens = add_working_days(today, -days_ago)
        modification = modification_open_mrc(
            actor=staff,
            modification=modification,
            closes_on=add_working_days(opens, settings.SECPORTAL_MRC_DAYS),
            introduction=f"SECAS invites SEC Parties to respond on **{modification.title}**.",
        )
        # Opened on its day (the service writes "now"): the consultation, its stage line and the register.
        consultation = current_mrc(modification)
        opened_at = min(at(opens, 10), now)
        Consultation.objects.filter(pk=consultation.pk).update(opens_at=opened_at, created_at=opened_at)
        consultation.refresh_from_db()
        modification.events.filter(to_stage=Stage.MRC).update(occurred_on=opens, created_at=opened_at)
        ModificationProposal.objects.filter(pk=modification.pk).update(updated_at=opened_at)
        _seed_responses(
            consultation, count=3, first=add_working_days(opens, 1), now=now, skip="Fenland Community Power Ltd"
        )
    for title in MRC_CLOSED:
        modification = ModificationProposal.objects.filter(title=title, stage=Stage.CHANGE_BOARD).first()
        if modification is None or modification.consultations.exists():
            continue
        opens = modification.events.get(to_stage=Stage.MRC).occurred_on
        closes = working_day_deadline(opens, settings.SECPORTAL_MRC_DAYS)
        consultation = Consultation.objects.create(
            modification=modification,
            kind=Consultation.Kind.MRC,
            created_by=staff,
            title=f"{modification.reference} Modification Report Consultation",
            introduction=f"SECAS invites SEC Parties to respond on **{modification.title}**.",
            opens_at=at(opens, 10),
            closes_at=closes,
            excluded_categories=[Party.Category.DCC.value],
            created_at=at(opens, 10),
        )
        Question.objects.bulk_create(
            Question(consultation=consultation, order=n, kind=kind, text=text)
            for n, (text, kind) in enumerate(mrc_default_questions(), start=1)
        )
        _seed_responses(consultation, count=CLOSED_MRC_RESPONSES, first=add_working_days(opens, 2), now=now)
        # Beat acted on the close a minute later (moving it to the Change Board); SECAS published the
        # responses not marked confidential two Working Days after.
        published = min(at(add_working_days(closes.date(), 2), 14), now)
        Consultation.objects.filter(pk=consultation.pk).update(
            close_handled_at=closes + datetime.timedelta(minutes=1), published_at=published
        )
        count = consultation.responses.filter(status=Response.Status.SUBMITTED, confidential=False).count()
        ModificationEvent.objects.create(
            modification=modification,
            kind=ModificationEvent.Kind.UPDATE,
            actor=staff,
            summary=f"Modification Report Consultation: {count} response{'s' if count != 1 else ''} published",
            occurred_on=timezone.localtime(published, LONDON).date(),
        )


def seed_follows(*, stdout=None) -> None:
    """The demo Party users follow a few modifications in progress, and have heard of their latest
    stage change (in the portal, and by email as they prefer). Idempotent."""
    from secportal.models import Happening

    from . import notifications
    from .models import Follow

    in_progress = list(
        ModificationProposal.objects.filter(stage__in=[Stage.REFINEMENT, Stage.MRC, Stage.CHANGE_BOARD]).order_by(
            "-updated_at"
        )[:4]
    )
    for email in ("user@smallsupplier.example", "admin@largesupplier.example"):
        user = User.objects.filter(email=email).first()
        if user is None:
            continue
        for modification in in_progress:
            Follow.objects.get_or_create(user=user, modification=modification)
    # Proposers follow what they raised, as `modification_raise` has them do (the demo builds its
    # modifications in bulk, not through it).
    Follow.objects.bulk_create(
        [
            Follow(user_id=proposer_id, modification_id=pk)
            for pk, proposer_id in ModificationProposal.objects.filter(proposer__isnull=False).values_list(
                "pk", "proposer_id"
            )
        ],
        ignore_conflicts=True,
    )
    for modification in in_progress:
        # The move that brought it to its stage now (a conversion is one too), not merely the
        # latest "stage" line: the notification's title and body both come from this one event.
        latest = modification.events.filter(to_stage=modification.stage).order_by("-occurred_on", "-pk").first()
        if (
            latest is None
            or Happening.objects.filter(kind=notifications.STAGE_CHANGED, occurrence=f"event-{latest.pk}").exists()
        ):
            continue  # told already (a second run tells no one again)
        happening = notifications.stage_changed(event=latest)
        happening_tell(happening_id=happening.pk)  # now, not after the seed's commit
