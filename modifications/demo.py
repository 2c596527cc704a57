"""Demo modifications, releases and documents (README "Demo accounts"); generated, made-up content."""

import datetime
import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from fpdf import FPDF

from parties import roles
from parties.models import Party, User
from secportal.classification import Classification
from secportal.notifications import happening_tell
from secportal.workingdays import add_working_days, local_today

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
from .services import consultation_deadline, next_milestone

RELEASES = [
    # name, kind, go-live, SEC version, live
    ("June 2025 SEC Release", Release.Kind.JUNE, datetime.date(2025, 6, 26), "v1.21", True),
    ("November 2025 SEC Release", Release.Kind.NOVEMBER, datetime.date(2025, 11, 6), "v1.22", True),
    ("June 2026 SEC Release", Release.Kind.JUNE, datetime.date(2026, 6, 25), "v1.23", True),
    ("November 2026 SEC Release", Release.Kind.NOVEMBER, datetime.date(2026, 11, 5), "v1.24", True),
    ("February 2027 SEC Release", Release.Kind.FEBRUARY, datetime.date(2027, 2, 25), "", False),
    ("April 2027 ad hoc SEC Release", Release.Kind.AD_HOC, datetime.date(2027, 4, 8), "", False),
    ("June 2027 SEC Release", Release.Kind.JUNE, datetime.date(2027, 6, 24), "", False),
    ("November 2027 SEC Release", Release.Kind.NOVEMBER, datetime.date(2027, 11, 4), "", False),
]

S, P, R = Stage, Path, Route
# number, title, stage, path, route, proposer Party, release, age in days, urgent
MODIFICATIONS = [
    (
        201,
        "Shortening the SMKI certificate revocation timetable",
        S.DRAFT,
        "",
        "",
        "Northwind Energy Supply Ltd",
        None,
        3,
        False,
    ),
    (
        202,
        "Clarifying prepayment top-up retry obligations",
        S.DRAFT,
        "",
        "",
        "Fenland Community Power Ltd",
        None,
        6,
        False,
    ),
    (
        203,
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
        204,
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
        205,
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
        206,
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
        207,
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
        208,
        "Network Party access to outage alerts",
        S.REPORT_PHASE,
        P.PATH_2,
        R.REFINEMENT,
        "Southern Coast Power Distribution plc",
        None,
        240,
        False,
    ),
    (209, "Removing obsolete DUIS versions", S.REPORT_PHASE, P.FAST_TRACK, R.REPORT_PHASE, None, None, 20, False),
    (
        210,
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
        211,
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
        212,
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
        213,
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
        214,
        "Testing environment availability commitments",
        S.APPEAL_WINDOW,
        P.PATH_3,
        R.REFINEMENT,
        "Beacon Metering Solutions Ltd",
        "june-2027-sec-release",
        280,
        False,
    ),
    (
        215,
        "Gas meter valve control safeguards",
        S.WITH_AUTHORITY,
        P.PATH_2,
        R.REFINEMENT,
        "Northern Fells Gas Networks plc",
        None,
        330,
        True,
    ),
    (
        216,
        "Data retention for Smart Metering Inventory",
        S.WITH_AUTHORITY,
        P.PATH_1,
        R.REFINEMENT,
        None,
        None,
        260,
        False,
    ),
    (
        217,
        "Register of SEC Subsidiary Documents housekeeping",
        S.APPROVED,
        P.FAST_TRACK,
        R.REPORT_PHASE,
        None,
        "february-2027-sec-release",
        60,
        False,
    ),
    (
        218,
        "Improving Change of Supplier certificate updates",
        S.APPROVED,
        P.PATH_2,
        R.REFINEMENT,
        "Northwind Gas Retail Ltd",
        "june-2027-sec-release",
        380,
        False,
    ),
    (
        219,
        "Load control for electric vehicle chargers",
        S.APPROVED,
        P.PATH_1,
        R.REFINEMENT,
        None,
        "november-2027-sec-release",
        420,
        False,
    ),
    (
        220,
        "DCC Service Desk hours over bank holidays",
        S.APPROVED,
        P.PATH_3,
        R.REPORT_PHASE,
        "Kestrel Green Energy Ltd",
        "june-2027-sec-release",
        200,
        False,
    ),
    (
        221,
        "Clarifying Smart Metering Key Infrastructure roles",
        S.IMPLEMENTED,
        P.PATH_3,
        R.REFINEMENT,
        "Quayside Shared Services Ltd",
        "november-2026-sec-release",
        420,
        False,
    ),
    (
        222,
        "Half-hourly settlement data access",
        S.IMPLEMENTED,
        P.PATH_2,
        R.REFINEMENT,
        "Halcyon Business Energy Ltd",
        "november-2026-sec-release",
        560,
        False,
    ),
    (
        223,
        "Communications Hub returns process",
        S.IMPLEMENTED,
        P.PATH_3,
        R.REPORT_PHASE,
        "Data and Communications Company",
        "june-2026-sec-release",
        400,
        False,
    ),
    (
        224,
        "Privacy audit frequency for Other Users",
        S.IMPLEMENTED,
        P.PATH_2,
        R.REFINEMENT,
        "Silverbirch Consulting Ltd",
        "june-2026-sec-release",
        610,
        False,
    ),
    (
        225,
        "Glossary corrections in Section A",
        S.IMPLEMENTED,
        P.FAST_TRACK,
        R.REPORT_PHASE,
        None,
        "november-2025-sec-release",
        500,
        False,
    ),
    (
        226,
        "Prepayment meter friendly credit periods",
        S.IMPLEMENTED,
        P.PATH_1,
        R.REFINEMENT,
        None,
        "june-2025-sec-release",
        800,
        False,
    ),
    (
        227,
        "Dual fuel installation appointment data",
        S.IMPLEMENTED,
        P.PATH_3,
        R.REFINEMENT,
        "Tidewater Renewables Supply Ltd",
        "november-2025-sec-release",
        650,
        False,
    ),
    (
        228,
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
        229,
        "Restricting Other User access to consumption data",
        S.REJECTED,
        P.PATH_3,
        R.REPORT_PHASE,
        "Wren Valley Electricity Ltd",
        None,
        300,
        False,
    ),
    (
        230,
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
        231,
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
        232,
        "Duplicate of DP203: DUIS response times",
        S.CLOSED,
        "",
        "",
        "Highland and Islands Grid Ltd",
        None,
        70,
        False,
    ),
    (
        233,
        "In-home display accessibility requirements",
        S.REFINEMENT,
        P.PATH_2,
        R.REFINEMENT,
        "Brightwater Home Energy plc",
        None,
        75,
        False,
    ),
]

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
    pdf = FPDF()
    pdf.set_title(f"{reference} {title}")
    pdf.add_page()
    pdf.set_fill_color(11, 37, 69)
    pdf.rect(0, 0, 210, 28, "F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("Helvetica", "B", 16)
    pdf.set_xy(12, 9)
    pdf.cell(0, 10, f"{reference}  |  Smart Energy Code")
    pdf.set_text_color(20, 20, 20)
    pdf.set_xy(12, 40)
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(186, 9, title)
    pdf.set_font("Helvetica", "", 11)
    pdf.ln(4)
    for line in lines:
        pdf.multi_cell(186, 6, line)
        pdf.ln(2)
    return bytes(pdf.output())


def _document(
    modification,
    *,
    kind,
    title,
    version,
    classification,
    published,
    staff,
    owner_party=None,
    owner_committee="",
    red=(),
) -> None:
    content = _pdf(
        title,
        modification.reference,
        [
            f"Version {version}, published {published:%-d %B %Y}.",
            f"Classification: TLP:{classification.upper()}.",
            "This is demonstration content generated for the SEC Portal.",
        ],
    )
    name = default_storage.save(
        f"modifications/demo/{modification.reference}-{kind}-v{version}.pdf", ContentFile(content)
    )

    document = ModificationDocument.objects.create(
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
        published_at=datetime.datetime.combine(published, datetime.time(10, 0), tzinfo=datetime.UTC),
    )
    if red:
        document.red_recipients.set(red)
    ModificationEvent.objects.create(
        modification=modification,
        kind=ModificationEvent.Kind.DOCUMENT,
        actor=staff,
        document=document,
        summary=f"Published {title}" + (f" (version {version})" if version > 1 else ""),
        occurred_on=published,
    )


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


def seed(*, stdout=None) -> None:
    today = local_today()
    releases = {}
    for name, kind, go_live, version, live in RELEASES:
        slug = name.lower().replace(" ", "-")
        releases[slug], _ = Release.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "kind": kind,
                "go_live": go_live,
                "sec_version": version,
                "status": Release.Status.LIVE if live else Release.Status.PLANNED,
            },
        )
    staff = User.objects.filter(groups__name=roles.SECAS_STAFF).order_by("pk").first()
    member = User.objects.filter(email="member@panel.example").first()
    dcc = Party.objects.filter(category=Party.Category.DCC).first()
    for index, (number, title, planned, path, route, party_name, release_slug, age, urgent) in enumerate(MODIFICATIONS):
        if ModificationProposal.objects.filter(number=number, suffix="").exists():
            continue
        party = Party.objects.filter(name=party_name).first() if party_name else None
        proposer = party.users.filter(is_active=True).order_by("pk").first() if party else None
        sequence = _stage_sequence(planned, path, route)
        # An MRC is opened by seed_consultations, as SECAS opens one: through modification_open_mrc,
        # which opens the consultation and moves the stage (here it waits at the Report Phase).
        opens_mrc = planned == S.MRC
        stage = S.REPORT_PHASE if opens_mrc else planned
        if opens_mrc:
            sequence = sequence[:-1]
        is_mp = bool(path)
        raised = today - datetime.timedelta(days=age)
        topic = title[0].lower() + title[1:]
        modification = ModificationProposal(
            number=number,
            reference=f"{'MP' if is_mp else 'DP'}{number:03d}",
            title=title,
            stage=stage,
            path=path,
            route=route,
            urgent=urgent,
            proposer=proposer,
            proposer_party=party,
            lead_analyst=staff if is_mp else None,
            raised_on=raised,
            issue=ISSUE.format(topic=topic),
            solution=SOLUTION.format(topic=topic) if is_mp else "",
            impacts=IMPACT_SETS[index % len(IMPACT_SETS)],
            sec_sections=SECTIONS[index % len(SECTIONS)],
            target_release=releases.get(release_slug) if release_slug else None,
        )
        # Dates along the way: spread the stages between raising and a few days ago.
        step = max(1, (age - 2) // max(1, len(sequence)))
        dates = [raised + datetime.timedelta(days=step * i) for i in range(len(sequence))]
        if stage == S.APPEAL_WINDOW and len(dates) > 1:
            dates[-1] = today - datetime.timedelta(days=4)  # a window still open
        if stage == S.IMPLEMENTED and modification.target_release:
            modification.implementation_date = modification.target_release.go_live
            dates[-1] = modification.target_release.go_live
        if stage == S.APPEAL_WINDOW:
            modification.decided_on = dates[-1]
            modification.appeal_window_ends = add_working_days(dates[-1], 15)
        modification.latest_update = f"{Stage(stage).label} since {dates[-1]:%-d %B %Y}."
        modification.next_milestone, date = next_milestone(modification)
        modification.next_milestone_date = modification.next_milestone_date or date
        modification.updated_at = datetime.datetime.combine(dates[-1], datetime.time(12), tzinfo=datetime.UTC)
        modification.save()
        if is_mp and path != P.FAST_TRACK:
            ModificationReference.objects.get_or_create(
                reference=f"DP{number:03d}", defaults={"modification": modification}
            )
        for i, (previous, current) in enumerate(zip([None, *sequence], sequence, strict=False)):
            if previous is None:
                summary = (
                    "Raised by the Panel as Fast-track self-governance"
                    if path == P.FAST_TRACK
                    else (f"Draft Proposal raised by {party or 'the Panel'}")
                )
                kind = ModificationEvent.Kind.RAISED
            elif previous == S.DEVELOPMENT and is_mp:
                summary = f"DP{number:03d} converted to MP{number:03d}: {Path(path).label}, {Route(route).label}"
                kind = ModificationEvent.Kind.CONVERTED
            else:
                summary = f"Moved to {Stage(current).label}"
                kind = ModificationEvent.Kind.STAGE
            ModificationEvent.objects.create(
                modification=modification,
                kind=kind,
                from_stage=previous or "",
                to_stage=current,
                actor=staff,
                summary=summary,
                occurred_on=dates[i],
            )
        _document(
            modification,
            kind="proposal",
            title="Proposal form",
            version=1,
            classification=Classification.WHITE,
            published=raised,
            staff=staff,
        )
        reached = set(sequence)
        if S.REFINEMENT in reached or S.REPORT_PHASE in reached:
            _document(
                modification,
                kind="business_requirements",
                title="Business requirements",
                version=1,
                classification=Classification.GREEN,
                published=dates[min(2, len(dates) - 1)],
                staff=staff,
            )
            _document(
                modification,
                kind="dcc_impact",
                title="DCC Impact Assessment",
                version=1,
                classification=Classification.AMBER,
                owner_party=dcc,
                owner_committee="change-board",
                published=dates[min(2, len(dates) - 1)],
                staff=staff,
            )
            for version in (1, 2):
                _document(
                    modification,
                    kind="legal_text",
                    title="Legal text",
                    version=version,
                    classification=Classification.WHITE,
                    published=dates[min(1 + version, len(dates) - 1)],
                    staff=staff,
                )
        if S.MRC in reached or opens_mrc:
            _document(
                modification,
                kind="modification_report",
                title="Modification Report",
                version=1,
                classification=Classification.WHITE,
                published=dates[sequence.index(S.MRC)] if S.MRC in reached else dates[-1],
                staff=staff,
            )
        if S.CHANGE_BOARD in reached:
            _document(
                modification,
                kind="consultation_responses",
                title="Consultation responses",
                version=1,
                classification=Classification.AMBER,
                owner_committee="change-board",
                published=dates[sequence.index(S.CHANGE_BOARD)],
                staff=staff,
            )
        if stage in (S.APPROVED, S.IMPLEMENTED, S.REJECTED, S.APPEAL_WINDOW):
            _document(
                modification,
                kind="decision",
                title="Decision letter",
                version=1,
                classification=Classification.WHITE,
                published=dates[-1],
                staff=staff,
            )
        if number == 212 and staff and member:
            _document(
                modification,
                kind="other",
                title="Penetration test findings",
                version=1,
                classification=Classification.RED,
                red=[staff, member],
                published=dates[-1],
                staff=staff,
            )
    # MP206 has an alternative solution.
    original = ModificationProposal.objects.filter(number=206, suffix="").first()
    if original and not ModificationProposal.objects.filter(number=206, suffix="A").exists():
        ModificationProposal.objects.create(
            number=206,
            suffix="A",
            reference="MP206A",
            title="Firmware updates for legacy Communications Hubs (alternative)",
            stage=original.stage,
            path=original.path,
            route=original.route,
            proposer_party=original.proposer_party,
            raised_on=today - datetime.timedelta(days=40),
            issue=original.issue,
            solution="An alternative: stage the firmware roll-out by Communications Hub variant.",
            impacts=original.impacts,
            alternative_of=original,
            next_milestone=original.next_milestone,
        )
    if stdout:
        stdout.write(f"  modifications: {ModificationProposal.objects.count()} on the register")


CONSULTATION_QUESTIONS = [
    ("Do you believe the proposed solution better facilitates the SEC Objectives?", "position"),
    ("Do you agree with the proposed implementation date?", "position"),
    ("[text] Please provide any other comments.", "text"),
]


def _seed_responses(consultation, *, count: int, now, skip: str = "") -> None:
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
        response_submit(actor=user, consultation=consultation, changes=changes, confidential=index == 2, now=now)


def seed_consultations(*, stdout=None) -> None:
    """The Modification Report Consultations of MP210 and MP211, opened as SECAS opens them (one
    action: the consultation and the MRC stage) with some responses; and a closed, published one."""
    from django.utils import timezone

    from .models import Consultation, Question
    from .services import current_mrc, modification_open_mrc

    staff = User.objects.filter(groups__name=roles.SECAS_STAFF).order_by("pk").first()
    if staff is None:
        return
    now = timezone.now()
    for number in (210, 211):
        modification = ModificationProposal.objects.filter(number=number, suffix="", stage=Stage.REPORT_PHASE).first()
        if modification is None or modification.consultations.exists():
            continue
        modification = modification_open_mrc(
            actor=staff,
            modification=modification,
            introduction=f"SECAS invites SEC Parties to respond on **{modification.title}**.",
        )
        _seed_responses(current_mrc(modification), count=3, now=timezone.now(), skip="Fenland Community Power Ltd")
    modification = ModificationProposal.objects.filter(number=213, suffix="").first()
    if modification is None or modification.consultations.exists():
        return
    opened = now - datetime.timedelta(days=40)
    closes = consultation_deadline(timezone.localtime(opened).date(), 15)
    # Closed long ago (MP213 is past its MRC): written as it stood, its close already acted on.
    consultation = Consultation.objects.create(
        modification=modification,
        kind=Consultation.Kind.MRC,
        created_by=staff,
        title=f"{modification.reference} Modification Report Consultation",
        introduction=f"SECAS invites SEC Parties to respond on **{modification.title}**.",
        opens_at=opened,
        closes_at=closes,
        excluded_categories=["dcc"],
        close_handled_at=closes,
    )
    for order, (text, kind) in enumerate(CONSULTATION_QUESTIONS, start=1):
        Question.objects.create(consultation=consultation, order=order, kind=kind, text=text.replace("[text] ", ""))
    _seed_responses(consultation, count=6, now=opened + datetime.timedelta(days=1))
    consultation.published_at = closes + datetime.timedelta(days=1)
    consultation.save(update_fields=["published_at"])


def seed_follows(*, stdout=None) -> None:
    """The demo Party users follow a few modifications in progress, and have heard of their latest
    stage change (in the portal, and by email as they prefer). Idempotent."""
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
    for modification in in_progress:
        # The move that brought it to its stage now (a conversion is one too), not merely the
        # latest "stage" line: the notification's title and body both come from this one event.
        latest = modification.events.filter(to_stage=modification.stage).order_by("-occurred_on", "-pk").first()
        if latest is not None:
            happening = notifications.stage_changed(event=latest)
            happening_tell(happening_id=happening.pk)  # now, not after the seed's commit
