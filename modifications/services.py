"""Writes for modifications: the lifecycle, releases, documents and following.

Every move goes through `_move`, which locks the row, checks the move against TRANSITIONS and the
path, saves with update_fields and records the timeline event in the same transaction.
"""

from datetime import date, datetime, time
from functools import partial

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from parties.models import Party, User
from secportal.exceptions import ApplicationError
from secportal.services import outbox_enqueue
from secportal.uploads import UploadRejected, check_upload, stored_name
from secportal.workingdays import LONDON, add_working_days, is_working_day, local_today, working_day_deadline

from . import notifications
from .models import (
    MRC_QUESTIONS,
    SELF_GOVERNANCE,
    TRANSITIONS,
    WITHDRAWABLE,
    Answer,
    Consultation,
    DocumentDownload,
    FilterFollow,
    Follow,
    ModificationDocument,
    ModificationEvent,
    ModificationProposal,
    ModificationReference,
    Path,
    Question,
    Release,
    ReleaseDocumentDownload,
    Response,
    ResponseVersion,
    Route,
    Stage,
)
from .permissions import (
    can_move_modification,
    can_raise_draft,
    can_read_response,
    can_upload_document,
    can_withdraw_modification,
)

MAX_CONSULTATION_DAYS = 60
ENDED = frozenset({Stage.REJECTED, Stage.WITHDRAWN, Stage.CLOSED})


def _require_mover(actor: User) -> None:
    if not can_move_modification(actor):
        raise ApplicationError("Only SECAS staff can move a modification through its lifecycle.")


def next_milestone(modification: ModificationProposal) -> tuple[str, date | None]:
    """What comes next for a modification at its stage, and when (if a date is known)."""
    stage = modification.stage
    if stage == Stage.DRAFT:
        due = add_working_days(modification.raised_on, settings.SECPORTAL_CRITICAL_FRIEND_DAYS)
        return "SECAS critical-friend review due", due
    if stage == Stage.MRC:
        # The consultation is the one source of its close: the stage only reads it.
        consultation = current_mrc(modification) if modification.pk else None
        closes = timezone.localtime(consultation.closes_at, LONDON).date() if consultation else None
        return "Modification Report Consultation closes", closes
    if stage == Stage.APPEAL_WINDOW:
        return "Appeal window closes", modification.appeal_window_ends
    if stage == Stage.APPROVED:
        release = modification.target_release
        if release is not None:
            return f"Goes live in the {release.name}", release.go_live
        return "Awaiting a target SEC Release", None
    return {
        Stage.DEVELOPMENT: ("Change Sub-Committee review of the problem", None),
        Stage.REFINEMENT: ("Refinement by the Working Group", None),
        Stage.REPORT_PHASE: ("Modification Report Consultation opens", None),
        Stage.CHANGE_BOARD: ("Change Board vote", None),
        Stage.WITH_AUTHORITY: ("Ofgem decision", None),
    }.get(Stage(stage), ("", None))


def current_mrc(modification: ModificationProposal) -> Consultation | None:
    """The modification's latest Modification Report Consultation (the one its MRC stage is about)."""
    return modification.consultations.filter(kind=Consultation.Kind.MRC).order_by("-opens_at", "-pk").first()


def _check_path_rules(modification: ModificationProposal, to: str) -> None:
    path, stage = modification.path, modification.stage
    if to == Stage.REFINEMENT and (modification.route != Route.REFINEMENT or path == Path.FAST_TRACK):
        raise ApplicationError("This modification's route does not go through the Refinement Process.")
    if stage == Stage.DEVELOPMENT and to in {Stage.REFINEMENT, Stage.REPORT_PHASE} and not path:
        raise ApplicationError("Convert the Draft Proposal first: the Panel sets its path and route.")
    if to == Stage.APPEAL_WINDOW and path not in SELF_GOVERNANCE:
        raise ApplicationError("Only a self-governance modification has an appeal window.")
    if to == Stage.WITH_AUTHORITY and path in SELF_GOVERNANCE:
        raise ApplicationError("A self-governance modification is decided by the Change Board, not Ofgem.")
    if stage == Stage.WITH_AUTHORITY and path in SELF_GOVERNANCE:
        raise ApplicationError("The Authority decides Path 1 and Path 2 modifications only.")
    if stage == Stage.CHANGE_BOARD and to == Stage.REJECTED and path not in SELF_GOVERNANCE:
        raise ApplicationError("For Paths 1 and 2 the Change Board recommends; Ofgem decides.")


def _move(
    modification: ModificationProposal,
    *,
    actor: User,
    to: str,
    summary: str,
    note: str = "",
    kind: str = ModificationEvent.Kind.STAGE,
    **fields,
) -> ModificationProposal:
    """Lock, check, move, record. The only place a modification's stage changes."""
    modification = (
        ModificationProposal.objects.select_for_update(of=("self",))
        .select_related("target_release")
        .get(pk=modification.pk)
    )
    old = modification.stage
    if to in ENDED and modification.target_release_id:
        fields["target_release"] = None  # it will never go live: the release no longer lists it
    if to not in TRANSITIONS[Stage(old)]:
        raise ApplicationError(
            f"{modification.reference} is at {Stage(old).label}; it cannot move to {Stage(to).label}."
        )
    for name, value in fields.items():
        setattr(modification, name, value)
    _check_path_rules(modification, to)
    modification.stage = to
    modification.updated_at = timezone.now()
    if note:
        modification.latest_update = note
    modification.next_milestone, modification.next_milestone_date = next_milestone(modification)
    modification.save(
        update_fields=[
            "stage",
            "updated_at",
            "latest_update",
            "next_milestone",
            "next_milestone_date",
            *fields,
        ]
    )
    event = ModificationEvent.objects.create(
        modification=modification,
        kind=kind,
        from_stage=old,
        to_stage=to,
        actor=actor,
        summary=summary,
        note=note,
        occurred_on=local_today(),
    )
    notifications.stage_changed(event=event)
    return modification


# --- Raising ---------------------------------------------------------------------------------------


_NUMBER_LOCK = 720_084  # an arbitrary application-wide key for pg_advisory_xact_lock


def _next_number() -> int:
    """The next DP/MP number. On PostgreSQL a transaction-scoped advisory lock makes two proposals
    raised at the same moment take turns (SQLite serialises writers anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_NUMBER_LOCK])
    top = ModificationProposal.objects.order_by("-number").values_list("number", flat=True).first()
    return (top or 0) + 1


@transaction.atomic
def modification_raise(
    *, actor: User, title: str, issue: str, impacts: dict | None = None, sec_sections: str = ""
) -> ModificationProposal:
    """A Party user raises a Draft Proposal (the problem only); SECAS reviews it as critical friend."""
    if not can_raise_draft(actor):
        raise ApplicationError("Only users of an acceded SEC Party can raise a Draft Proposal.")
    number = _next_number()
    today = local_today()
    modification = ModificationProposal(
        number=number,
        reference=f"DP{number:03d}",
        title=title.strip(),
        issue=issue.strip(),
        impacts=impacts or {},
        sec_sections=sec_sections.strip(),
        proposer=actor,
        proposer_party=actor.party,
        raised_on=today,
        stage=Stage.DRAFT,
    )
    modification.next_milestone, modification.next_milestone_date = next_milestone(modification)
    modification.save()
    ModificationEvent.objects.create(
        modification=modification,
        kind=ModificationEvent.Kind.RAISED,
        to_stage=Stage.DRAFT,
        actor=actor,
        summary=f"Draft Proposal raised by {actor.party or actor}",
        occurred_on=today,
    )
    notifications.draft_raised(modification=modification)  # SECAS staff, told after commit
    # The proposer follows it (they hear of each move, and may stop following it from its page)
    # and gets a receipt with its reference and the day SECAS's critical-friend review is due.
    Follow.objects.get_or_create(user=actor, modification=modification)
    outbox_enqueue(
        recipient=actor.email,
        kind="modification.draft_received",
        template_prefix="emails/modifications/draft_received",
        context={
            "modification": modification,
            "proposer": actor,
            "review_days": settings.SECPORTAL_CRITICAL_FRIEND_DAYS,
        },
        subject_obj=modification,
        user=actor,
    )
    return modification


@transaction.atomic
def modification_raise_fast_track(
    *, actor: User, title: str, issue: str, solution: str, sec_sections: str = ""
) -> ModificationProposal:
    """The Panel raises a housekeeping change as Fast-track self-governance: an MP, never refined."""
    _require_mover(actor)
    number = _next_number()
    today = local_today()
    modification = ModificationProposal.objects.create(
        number=number,
        reference=f"MP{number:03d}",
        title=title.strip(),
        issue=issue.strip(),
        solution=solution.strip(),
        sec_sections=sec_sections.strip(),
        path=Path.FAST_TRACK,
        route=Route.REPORT_PHASE,
        raised_on=today,
        stage=Stage.REPORT_PHASE,
        next_milestone="Modification Report Consultation opens",
    )
    ModificationEvent.objects.create(
        modification=modification,
        kind=ModificationEvent.Kind.RAISED,
        to_stage=Stage.REPORT_PHASE,
        actor=actor,
        summary="Raised by the Panel as Fast-track self-governance",
        occurred_on=today,
    )
    return modification


@transaction.atomic
def modification_raise_alternative(*, actor: User, original: ModificationProposal, title: str, solution: str):
    """An alternative solution to an MP: MP102 gets MP102A, MP102B ... on the same path."""
    _require_mover(actor)
    original = ModificationProposal.objects.select_for_update().get(pk=original.pk)
    if original.is_draft or original.alternative_of_id:
        raise ApplicationError(
            "Alternatives are raised against a Modification Proposal, not a draft or another alternative."
        )
    if original.stage not in {Stage.REFINEMENT, Stage.REPORT_PHASE, Stage.MRC}:
        raise ApplicationError("An alternative is raised while the proposal is still being refined or consulted on.")
    taken = set(ModificationProposal.objects.filter(number=original.number).values_list("suffix", flat=True))
    suffix = next(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in taken)
    alternative = ModificationProposal.objects.create(
        number=original.number,
        suffix=suffix,
        reference=f"MP{original.number:03d}{suffix}",
        title=title.strip(),
        issue=original.issue,
        solution=solution.strip(),
        impacts=original.impacts,
        sec_sections=original.sec_sections,
        path=original.path,
        route=original.route,
        stage=original.stage,
        proposer=original.proposer,
        proposer_party=original.proposer_party,
        alternative_of=original,
        raised_on=local_today(),
        next_milestone=original.next_milestone,
        next_milestone_date=original.next_milestone_date,
    )
    ModificationEvent.objects.create(
        modification=alternative,
        kind=ModificationEvent.Kind.RAISED,
        to_stage=alternative.stage,
        actor=actor,
        summary=f"Raised as an alternative to {original.reference}, at {alternative.get_stage_display()}",
        occurred_on=local_today(),
    )
    return alternative


# --- The lifecycle ------------------------------------------------------------------------------------


@transaction.atomic
def modification_start_development(*, actor: User, modification: ModificationProposal, note: str = ""):
    _require_mover(actor)
    return _move(
        modification,
        actor=actor,
        to=Stage.DEVELOPMENT,
        note=note,
        summary="Critical-friend review done; the problem goes to the Change Sub-Committee",
    )


@transaction.atomic
def modification_convert(
    *,
    actor: User,
    modification: ModificationProposal,
    path: str,
    route: str,
    lead_analyst: User | None = None,
    note: str = "",
) -> ModificationProposal:
    """The Panel agrees the problem: the DP becomes an MP (same number), with its path and route."""
    _require_mover(actor)
    if path not in {Path.PATH_1, Path.PATH_2, Path.PATH_3}:
        raise ApplicationError("Choose Path 1, 2 or 3 (fast-track modifications are raised by the Panel directly).")
    if route not in Route.values:
        raise ApplicationError("Choose the route: the Refinement Process or straight to the Report Phase.")
    current = ModificationProposal.objects.select_for_update().get(pk=modification.pk)
    if current.stage != Stage.DEVELOPMENT:
        raise ApplicationError(
            f"{current.reference} is at {current.get_stage_display()}; only a DP in development is converted."
        )
    old_reference = current.reference
    new_reference = f"MP{current.number:03d}{current.suffix}"
    ModificationReference.objects.get_or_create(reference=old_reference, defaults={"modification": current})
    to = Stage.REFINEMENT if route == Route.REFINEMENT else Stage.REPORT_PHASE
    return _move(
        current,
        actor=actor,
        to=to,
        note=note,
        kind=ModificationEvent.Kind.CONVERTED,
        summary=f"{old_reference} converted to {new_reference}: {Path(path).label}, {Route(route).label}",
        reference=new_reference,
        path=path,
        route=route,
        lead_analyst=lead_analyst or current.lead_analyst,
    )


@transaction.atomic
def modification_finish_refinement(*, actor: User, modification: ModificationProposal, note: str = ""):
    _require_mover(actor)
    return _move(
        modification,
        actor=actor,
        to=Stage.REPORT_PHASE,
        note=note,
        summary="Refinement complete; into the Report Phase",
    )


def _check_mrc_close(closes_on: date) -> None:
    if closes_on <= local_today():
        raise ApplicationError("The consultation must close after today.")
    if not is_working_day(closes_on):
        raise ApplicationError("A consultation closes on a Working Day: not a weekend or bank holiday.")
    if closes_on > add_working_days(local_today(), MAX_CONSULTATION_DAYS):
        raise ApplicationError(f"A consultation runs for at most {MAX_CONSULTATION_DAYS} Working Days.")


def mrc_default_close() -> date:
    """The day a Modification Report Consultation opened today closes (SECPORTAL_MRC_DAYS Working Days)."""
    return add_working_days(local_today(), settings.SECPORTAL_MRC_DAYS)


def mrc_default_questions() -> list[tuple[str, str]]:
    return [
        (q.removeprefix("[text]").strip(), Question.Kind.TEXT if q.startswith("[text]") else Question.Kind.POSITION)
        for q in MRC_QUESTIONS
    ]


def _add_questions(consultation: Consultation, questions: list[tuple[str, str]]) -> None:
    Question.objects.bulk_create(
        Question(consultation=consultation, order=n, text=text.strip(), kind=qkind)
        for n, (text, qkind) in enumerate(questions, start=1)
    )


@transaction.atomic
def modification_open_mrc(
    *,
    actor: User,
    modification: ModificationProposal,
    closes_on: date | None = None,
    questions: list[tuple[str, str]] | None = None,
    title: str = "",
    introduction: str = "",
    note: str = "",
) -> ModificationProposal:
    """Open the Modification Report Consultation: one action that opens the consultation (every
    acceded Party except the DCC may respond, until 23:59 UK time on `closes_on`, by default
    SECPORTAL_MRC_DAYS Working Days from today) and moves the modification into its MRC stage,
    whose close date is read from the consultation. Refused until a Modification Report is
    published on the modification. Every user of a Party that may respond is told."""
    _require_mover(actor)
    modification = ModificationProposal.objects.select_for_update(of=("self",)).get(pk=modification.pk)
    if modification.stage != Stage.REPORT_PHASE:
        raise ApplicationError(
            f"{modification.reference} is at {modification.get_stage_display()}; the Modification Report "
            "Consultation opens from the Report Phase."
        )
    if not modification.documents.filter(kind=ModificationDocument.Kind.MODIFICATION_REPORT).exists():
        raise ApplicationError(
            f"Publish the Modification Report on {modification.reference} first (Documents: kind “Modification "
            "Report”); Parties respond to it."
        )
    closes_on = closes_on or mrc_default_close()
    _check_mrc_close(closes_on)
    questions = questions if questions is not None else mrc_default_questions()
    if not questions:
        raise ApplicationError("A consultation needs at least one question.")
    consultation = Consultation.objects.create(
        modification=modification,
        kind=Consultation.Kind.MRC,
        title=(title.strip() or f"{modification.reference} Modification Report Consultation"),
        introduction=introduction.strip(),
        opens_at=timezone.now(),
        closes_at=datetime.combine(closes_on, time.max, tzinfo=LONDON),
        excluded_categories=[Party.Category.DCC.value],
        created_by=actor,
    )
    _add_questions(consultation, questions)
    modification = _move(
        modification,
        actor=actor,
        to=Stage.MRC,
        note=note,
        summary=f"Modification Report Consultation open until {closes_on:%-d %B %Y}",
    )
    notifications.consultation_opened(consultation=consultation)
    return modification


CLOSE_IS_FINAL = "This consultation has closed; its close can no longer be moved."


@transaction.atomic
def consultation_move_close(
    *, actor: User, consultation: Consultation, closes_on: date, note: str = ""
) -> Consultation:
    """Move an open consultation's close to the end of another Working Day (an extension). The
    modification's "what comes next" date is derived again from it, in the same transaction, and
    everyone who was told it opened is told the new close (after commit, by Celery)."""
    _require_mover(actor)
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if consultation.close_is_final():
        raise ApplicationError(CLOSE_IS_FINAL)
    _check_mrc_close(closes_on)
    opens_on = timezone.localtime(consultation.opens_at, LONDON).date()
    if closes_on <= opens_on:
        raise ApplicationError(f"It opens on {opens_on:%-d %B %Y}: it must close on a later Working Day.")
    if timezone.localtime(consultation.closes_at, LONDON).date() == closes_on:
        raise ApplicationError(f"It already closes on {closes_on:%-d %B %Y}.")
    consultation.closes_at = datetime.combine(closes_on, time.max, tzinfo=LONDON)
    consultation.save(update_fields=["closes_at"])
    if consultation.is_open():
        notifications.consultation_close_moved(consultation=consultation)
    if consultation.modification_id:
        modification = ModificationProposal.objects.select_for_update(of=("self",)).get(pk=consultation.modification_id)
        modification.next_milestone, modification.next_milestone_date = next_milestone(modification)
        modification.save(update_fields=["next_milestone", "next_milestone_date"])
        ModificationEvent.objects.create(
            modification=modification,
            kind=ModificationEvent.Kind.UPDATE,
            actor=actor,
            summary=f"{consultation.title} now closes on {closes_on:%-d %B %Y}",
            note=note,
            occurred_on=local_today(),
        )
    return consultation


def _responses_sent(consultation: Consultation) -> int:
    return consultation.responses.filter(status=Response.Status.SUBMITTED).count()


@transaction.atomic
def modification_send_to_change_board(
    *, actor: User, modification: ModificationProposal, note: str = "", early: bool = False
):
    _require_mover(actor)
    consultation = current_mrc(modification) if modification.stage == Stage.MRC else None
    if consultation is not None and not consultation.is_closed() and not early:
        closes = timezone.localtime(consultation.closes_at, LONDON)
        raise ApplicationError(f"The consultation is open until {closes:%-d %B %Y}; it closes before the Change Board.")
    return _move(
        modification,
        actor=actor,
        to=Stage.CHANGE_BOARD,
        note=note,
        summary="Consultation closed; with the Change Board",
    )


def consultations_close_due(*, now=None) -> int:
    """Beat, every minute: act on each consultation whose close has passed, once (its row is locked
    and marked in the same transaction, so a second run finds nothing to do). A Modification Report
    Consultation moves its modification on to the Change Board (or, if its lifecycle does not allow
    that now, SECAS is told it is ready to); SECAS is told the number of responses either way.
    Returns the number of consultations acted on."""
    now = now or timezone.now()
    due = Consultation.objects.filter(closes_at__lt=now, close_handled_at__isnull=True).order_by("closes_at")
    handled = 0
    for pk in list(due.values_list("pk", flat=True)[:100]):
        with transaction.atomic():
            consultation = (
                Consultation.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=pk, close_handled_at__isnull=True)
                .select_related("modification")
                .first()
            )
            if consultation is None:
                continue
            count = _responses_sent(consultation)
            moved = _move_on_after_close(consultation, count) if consultation.modification_id else None
            notifications.consultation_closed(consultation=consultation, responses=count, moved=moved)
            consultation.close_handled_at = now
            consultation.save(update_fields=["close_handled_at"])
            handled += 1
    return handled


def _move_on_after_close(consultation: Consultation, count: int) -> bool | None:
    """Move the modification of a closed MRC to the Change Board. True: moved; False: it could not
    move (SECAS is told it is ready to); None: nothing to move (not an MRC, or it has moved already)."""
    modification = consultation.modification
    if consultation.kind != Consultation.Kind.MRC or modification.stage != Stage.MRC:
        return None
    if current_mrc(modification).pk != consultation.pk:
        return None
    plural = "s" if count != 1 else ""
    try:
        with transaction.atomic():
            _move(
                modification,
                actor=None,
                to=Stage.CHANGE_BOARD,
                summary=f"Modification Report Consultation closed ({count} response{plural}); with the Change Board",
            )
    except ApplicationError:
        return False
    return True


@transaction.atomic
def modification_record_change_board_outcome(
    *, actor: User, modification: ModificationProposal, approve: bool, note: str = ""
) -> ModificationProposal:
    """Path 3 and fast track: the Change Board decides (approval opens the appeal window).
    Paths 1 and 2: it recommends, and the recommendation goes to Ofgem."""
    _require_mover(actor)
    today = local_today()
    if modification.path in SELF_GOVERNANCE:
        if approve:
            ends = add_working_days(today, settings.SECPORTAL_APPEAL_WINDOW_DAYS)
            return _move(
                modification,
                actor=actor,
                to=Stage.APPEAL_WINDOW,
                note=note,
                decided_on=today,
                appeal_window_ends=ends,
                summary=f"Approved by the Change Board; appeal window open until {ends:%-d %B %Y}",
            )
        return _move(
            modification,
            actor=actor,
            to=Stage.REJECTED,
            note=note,
            decided_on=today,
            summary="Rejected by the Change Board",
        )
    verdict = "approval" if approve else "rejection"
    return _move(
        modification,
        actor=actor,
        to=Stage.WITH_AUTHORITY,
        note=note,
        summary=f"Change Board recommends {verdict}; sent to Ofgem",
    )


@transaction.atomic
def modification_close_appeal_window(
    *, actor: User, modification: ModificationProposal, appeal_upheld: bool = False, note: str = ""
):
    _require_mover(actor)
    ends = modification.appeal_window_ends
    if not appeal_upheld and ends and local_today() <= ends:
        raise ApplicationError(
            f"The appeal window is open until {ends:%-d %B %Y}; it cannot close as approved before then."
        )
    if appeal_upheld:
        return _move(
            modification,
            actor=actor,
            to=Stage.REJECTED,
            note=note,
            summary="Appeal upheld by Ofgem: the decision is overturned",
        )
    return _move(
        modification,
        actor=actor,
        to=Stage.APPROVED,
        note=note,
        summary="Appeal window closed: approved, awaiting implementation",
    )


AUTHORITY_DECISIONS = {"approved": Stage.APPROVED, "rejected": Stage.REJECTED, "sent_back": Stage.REPORT_PHASE}


def _publish_letter(*, actor: User, modification: ModificationProposal, letter, title: str) -> ModificationDocument:
    """The Authority's letter, published on the modification (it shows on the timeline with a link)."""
    return document_upload(
        actor=actor,
        modification=modification,
        kind=ModificationDocument.Kind.AUTHORITY_LETTER,
        title=title,
        upload=letter,
        classification="white",
    )


@transaction.atomic
def modification_record_authority_decision(
    *, actor: User, modification: ModificationProposal, decision: str, note: str = "", letter=None
):
    """Ofgem's decision on a Path 1 or 2 modification: approved, rejected, or sent back to the Panel
    (Code Governance Review phase 2), which returns it to the Report Phase. The Authority's letter is
    published as a document of kind "Authority decision letter"; a send-back must come with it."""
    _require_mover(actor)
    if decision not in AUTHORITY_DECISIONS:
        raise ApplicationError("The Authority's decision is approved, rejected or sent back.")
    modification = ModificationProposal.objects.select_for_update(of=("self",)).get(pk=modification.pk)
    if modification.stage != Stage.WITH_AUTHORITY:
        # Refinement, the Change Board and the appeal window lead to some of the same stages: not Ofgem's.
        raise ApplicationError(
            f"{modification.reference} is at {modification.get_stage_display()}; Ofgem's decision is recorded "
            f"when it is at {Stage.WITH_AUTHORITY.label}."
        )
    if decision == "sent_back" and letter is None:
        raise ApplicationError("Attach the Authority's letter sending the report back: it says what to do again.")
    summary = {
        "approved": "Approved by Ofgem: awaiting implementation",
        "rejected": "Rejected by Ofgem",
        "sent_back": "Sent back by Ofgem to the Panel: the Modification Report is revised in the Report Phase",
    }[decision]
    fields = {"decided_on": local_today()} if decision != "sent_back" else {"decided_on": None}
    modification = _move(
        modification, actor=actor, to=AUTHORITY_DECISIONS[decision], note=note, summary=summary, **fields
    )
    if letter is not None:
        title = "Authority send-back letter" if decision == "sent_back" else "Authority decision letter"
        _publish_letter(actor=actor, modification=modification, letter=letter, title=title)
    return modification


@transaction.atomic
def modification_withdraw(*, actor: User, modification: ModificationProposal, note: str = ""):
    if not can_withdraw_modification(actor, modification):
        raise ApplicationError("Only the proposer or SECAS can withdraw a modification.")
    if modification.stage not in WITHDRAWABLE:
        raise ApplicationError("A modification can be withdrawn only before a decision.")
    by = "the proposer" if actor.pk == modification.proposer_id else "SECAS for the proposer"
    return _move(modification, actor=actor, to=Stage.WITHDRAWN, note=note, summary=f"Withdrawn by {by}")


@transaction.atomic
def modification_close(*, actor: User, modification: ModificationProposal, note: str = ""):
    _require_mover(actor)
    return _move(modification, actor=actor, to=Stage.CLOSED, note=note, summary="Closed without conversion")


@transaction.atomic
def modification_post_update(*, actor: User, modification: ModificationProposal, text: str) -> ModificationProposal:
    """A dated line on the timeline ("Working Group 3 held; legal text v2 next")."""
    _require_mover(actor)
    text = text.strip()
    if not text:
        raise ApplicationError("Write the update.")
    modification = ModificationProposal.objects.select_for_update().get(pk=modification.pk)
    modification.latest_update = text
    modification.updated_at = timezone.now()
    modification.save(update_fields=["latest_update", "updated_at"])
    ModificationEvent.objects.create(
        modification=modification,
        kind=ModificationEvent.Kind.UPDATE,
        actor=actor,
        summary=text[:300],
        note=text,
        occurred_on=local_today(),
    )
    return modification


# --- Releases -------------------------------------------------------------------------------------------


@transaction.atomic
def modification_target_release(*, actor: User, modification: ModificationProposal, release: Release):
    _require_mover(actor)
    # Lock the release too: it cannot go live while a modification is being added to it.
    release = Release.objects.select_for_update().get(pk=release.pk)
    modification = ModificationProposal.objects.select_for_update().get(pk=modification.pk)
    if release.status == Release.Status.LIVE:
        raise ApplicationError(f"The {release.name} is already live; choose a later release.")
    if not modification.is_open:
        raise ApplicationError(f"{modification.reference} is {modification.get_stage_display().lower()}.")
    modification.target_release = release
    modification.updated_at = timezone.now()
    modification.next_milestone, modification.next_milestone_date = next_milestone(modification)
    modification.save(update_fields=["target_release", "updated_at", "next_milestone", "next_milestone_date"])
    ModificationEvent.objects.create(
        modification=modification,
        kind=ModificationEvent.Kind.RELEASE,
        actor=actor,
        summary=f"Targeted at the {release.name} (go-live {release.go_live:%-d %B %Y})",
        occurred_on=local_today(),
    )
    return modification


@transaction.atomic
def release_go_live(*, actor: User, release: Release, sec_version: str = "") -> Release:
    """A release goes live on or after its go-live date: its approved modifications become implemented
    (a new SEC version). Modifications targeted at it but not yet approved are taken off it, with a
    timeline line saying so, to be targeted at a later release."""
    _require_mover(actor)
    release = Release.objects.select_for_update().get(pk=release.pk)
    if release.status == Release.Status.LIVE:
        raise ApplicationError(f"The {release.name} is already live.")
    if local_today() < release.go_live:
        raise ApplicationError(
            f"The {release.name} goes live on {release.go_live:%-d %B %Y}; mark it live on or after that day."
        )
    release.status = Release.Status.LIVE
    release.went_live_at = timezone.now()
    if sec_version:
        release.sec_version = sec_version
    release.save(update_fields=["status", "went_live_at", "sec_version"])
    version = f" (SEC {release.sec_version})" if release.sec_version else ""
    for modification in release.modifications.select_for_update():
        if modification.stage == Stage.APPROVED:
            _move(
                modification,
                actor=actor,
                to=Stage.IMPLEMENTED,
                implementation_date=release.go_live,
                summary=f"Implemented in the {release.name}{version}",
            )
        elif modification.is_open:
            modification.target_release = None
            modification.next_milestone, modification.next_milestone_date = next_milestone(modification)
            modification.save(update_fields=["target_release", "next_milestone", "next_milestone_date"])
            ModificationEvent.objects.create(
                modification=modification,
                kind=ModificationEvent.Kind.RELEASE,
                actor=actor,
                summary=f"Not ready for the {release.name}: to be targeted at a later release",
                occurred_on=local_today(),
            )
    return release


def _when(release: Release | None, day: date | None) -> str:
    parts = [f"the {release.name}" if release else "", f"{day:%-d %B %Y}" if day else ""]
    return ", ".join(p for p in parts if p) or "not set"


@transaction.atomic
def modification_change_implementation(
    *,
    actor: User,
    modification: ModificationProposal,
    implementation_date: date | None,
    release: Release | None,
    reason: str,
    letter=None,
) -> ModificationProposal:
    """SECAS records a change of an approved or decided-on modification's implementation date or
    release. For an Authority modification (Paths 1 and 2) the change is the Authority's, so its letter
    is attached (published as an "Authority decision letter"). The timeline gets one row: from, to,
    the reason and the letter."""
    _require_mover(actor)
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why the implementation date or release changes.")
    modification = (
        ModificationProposal.objects.select_for_update(of=("self",))
        .select_related("target_release")
        .get(pk=modification.pk)
    )
    if not modification.is_open:
        raise ApplicationError(
            f"{modification.reference} is {modification.get_stage_display().lower()}; its implementation is settled."
        )
    if release is not None:
        release = Release.objects.select_for_update().get(pk=release.pk)
        if release.status == Release.Status.LIVE:
            raise ApplicationError(f"The {release.name} is already live; choose a later release.")
    if implementation_date is not None and implementation_date <= local_today():
        raise ApplicationError("The new implementation date must be after today.")
    before = (modification.target_release, modification.implementation_date)
    if release is None and implementation_date is None:
        raise ApplicationError("Give the new implementation date, the new release, or both.")
    after = (release or modification.target_release, implementation_date or modification.implementation_date)
    if (after[0] and after[0].pk, after[1]) == (before[0] and before[0].pk, before[1]):
        raise ApplicationError("That is the implementation date and release it already has.")
    authority = modification.path in {Path.PATH_1, Path.PATH_2}
    if authority and letter is None:
        raise ApplicationError("This is an Authority modification: attach Ofgem's letter agreeing the change.")
    modification.target_release, modification.implementation_date = after
    modification.updated_at = timezone.now()
    modification.latest_update = reason
    modification.next_milestone, modification.next_milestone_date = next_milestone(modification)
    modification.save(
        update_fields=[
            "target_release",
            "implementation_date",
            "updated_at",
            "latest_update",
            "next_milestone",
            "next_milestone_date",
        ]
    )
    document = None
    if letter is not None:
        document = _publish_letter(
            actor=actor, modification=modification, letter=letter, title="Authority letter: implementation date"
        )
    ModificationEvent.objects.create(
        modification=modification,
        kind=ModificationEvent.Kind.RESCHEDULED,
        actor=actor,
        summary=f"Implementation changed from {_when(*before)} to {_when(*after)}"[:300],
        note=reason,
        document=document,
        occurred_on=local_today(),
    )
    return modification


@transaction.atomic
def release_attach_document(*, actor: User, release: Release, upload) -> Release:
    """Publish (or replace) a release's implementation document, checked by content like every upload."""
    if not can_upload_document(actor):
        raise ApplicationError("Only SECAS staff can publish documents.")
    try:
        checked = check_upload(upload)
    except UploadRejected as exc:
        raise ApplicationError(exc.message) from None
    release = Release.objects.select_for_update().get(pk=release.pk)
    old = release.document.name
    release.document = default_storage.save(stored_name(checked, prefix="releases"), upload)
    release.document_content_type = checked.content_type
    release.document_size = checked.size
    release.document_sha256 = checked.sha256
    release.document_uploaded_at = timezone.now()
    release.save(
        update_fields=[
            "document",
            "document_content_type",
            "document_size",
            "document_sha256",
            "document_uploaded_at",
        ]
    )
    if old:
        transaction.on_commit(partial(default_storage.delete, old))
    return release


@transaction.atomic
def release_document_download_record(*, user: User | None, release: Release) -> ReleaseDocumentDownload:
    who = user if user and user.is_authenticated else None
    return ReleaseDocumentDownload.objects.create(release=release, user=who)


# --- Documents --------------------------------------------------------------------------------------------


@transaction.atomic
def document_upload(
    *,
    actor: User,
    modification: ModificationProposal,
    kind: str,
    title: str,
    upload,
    classification: str,
    owner_party: Party | None = None,
    owner_committee: str = "",
    red_recipients=(),
) -> ModificationDocument:
    """Publish a document (or a new version of one) on a modification, checked by content."""
    if not can_upload_document(actor):
        raise ApplicationError("Only SECAS staff can publish documents.")
    if classification == "amber" and not (owner_party or owner_committee):
        raise ApplicationError("An AMBER document needs its owner: a Party or a committee.")
    if classification == "red" and not red_recipients:
        raise ApplicationError("A RED document needs its named recipients.")
    try:
        checked = check_upload(upload)
    except UploadRejected as exc:
        raise ApplicationError(exc.message) from None
    modification = ModificationProposal.objects.select_for_update().get(pk=modification.pk)
    title = title.strip()
    latest = modification.documents.filter(kind=kind, title=title).aggregate(v=Max("version"))["v"] or 0
    name = default_storage.save(stored_name(checked, prefix="modifications"), upload)
    document = ModificationDocument(
        modification=modification,
        kind=kind,
        title=title,
        version=latest + 1,
        file=name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
        classification=classification,
        owner_party=owner_party,
        owner_committee=owner_committee,
    )
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        default_storage.delete(name)
        raise ApplicationError("Another version of this document was published a moment ago; try again.") from None
    if red_recipients:
        document.red_recipients.set(red_recipients)
    if classification == "white":  # a restricted document must not show, even as a date, on public lists
        modification.updated_at = timezone.now()
        modification.save(update_fields=["updated_at"])
    label = title if title == document.get_kind_display() else f"{document.get_kind_display()}: {title}"
    label += f" (version {document.version})" if document.version > 1 else ""
    ModificationEvent.objects.create(
        modification=modification,
        kind=ModificationEvent.Kind.DOCUMENT,
        actor=actor,
        summary=f"Published {label}",
        document=document,
        occurred_on=local_today(),
    )
    notifications.document_published(document=document, label=label)
    return document


@transaction.atomic
def document_download_record(*, user: User | None, document: ModificationDocument) -> DocumentDownload:
    return DocumentDownload.objects.create(document=document, user=user if user and user.is_authenticated else None)


# --- Following ----------------------------------------------------------------------------------------------


@transaction.atomic
def follow_set(*, user: User, modification: ModificationProposal, following: bool) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        raise ApplicationError("Sign in to follow modifications.")
    if following:
        Follow.objects.get_or_create(user=user, modification=modification)
    else:
        Follow.objects.filter(user=user, modification=modification).delete()
    return following


@transaction.atomic
def filter_follow_add(*, user: User, query: str, label: str) -> FilterFollow:
    """Follow a view of the register (its filters as a normalised query string), up to
    SECPORTAL_MAX_SAVED_VIEWS per person: each saved view is worked out for every change."""
    if not (user and user.is_authenticated and user.is_active):
        raise ApplicationError("Sign in to follow a view of the register.")
    if not query:
        raise ApplicationError("Choose at least one filter to follow.")
    existing = FilterFollow.objects.filter(user=user, query=query).first()
    if existing is not None:
        return existing
    # One person's additions take turns (their row locked), so two at once cannot pass the cap.
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
    most = settings.SECPORTAL_MAX_SAVED_VIEWS
    if FilterFollow.objects.filter(user=user).count() >= most:
        raise ApplicationError(
            f"You already follow {most} {'view' if most == 1 else 'views'} of the register, the most one person "
            "may. Open one you no longer need from your dashboard, choose “Stop following this view”, then try again."
        )
    follow, _ = FilterFollow.objects.get_or_create(user=user, query=query, defaults={"label": label[:300]})
    return follow


@transaction.atomic
def filter_follow_remove(*, user: User, pk: int) -> None:
    FilterFollow.objects.filter(user=user, pk=pk).delete()


# --- Consultations ------------------------------------------------------------------------------------------


def consultation_deadline(opens_on: date, days: int):
    """The close of a consultation: the end (23:59:59 UK time) of the n-th Working Day after it opens."""
    return working_day_deadline(opens_on, days)


@transaction.atomic
def consultation_create(
    *,
    actor: User,
    title: str,
    kind: str,
    questions: list[tuple[str, str]],
    modification: ModificationProposal | None = None,
    introduction: str = "",
    opens_at=None,
    days: int | None = None,
    closes_at=None,
    excluded_categories: list[str] | None = None,
) -> Consultation:
    """Open a consultation with ordered questions. Its close is computed in Working Days (default
    SECPORTAL_MRC_DAYS) unless given. A Modification Report Consultation is opened by
    `modification_open_mrc` (one action: the consultation and the modification's MRC stage)."""
    _require_mover(actor)
    if not questions:
        raise ApplicationError("A consultation needs at least one question.")
    if kind == Consultation.Kind.MRC and modification is None:
        raise ApplicationError("A Modification Report Consultation is on a modification: choose it.")
    opens_at = opens_at or timezone.now()
    if closes_at is None:
        closes_at = consultation_deadline(timezone.localtime(opens_at).date(), days or settings.SECPORTAL_MRC_DAYS)
    if closes_at <= opens_at:
        raise ApplicationError("The consultation must close after it opens.")
    if kind == Consultation.Kind.MRC:
        if opens_at > timezone.now():
            raise ApplicationError("A Modification Report Consultation opens when it is created: leave the date empty.")
        modification = modification_open_mrc(
            actor=actor,
            modification=modification,
            closes_on=timezone.localtime(closes_at, LONDON).date(),
            questions=questions,
            title=title,
            introduction=introduction,
        )
        return current_mrc(modification)
    consultation = Consultation.objects.create(
        modification=modification,
        kind=kind,
        title=title.strip(),
        introduction=introduction.strip(),
        opens_at=opens_at,
        closes_at=closes_at,
        excluded_categories=excluded_categories or [],
        created_by=actor,
    )
    _add_questions(consultation, questions)
    if modification is not None:
        until = timezone.localtime(closes_at)
        ModificationEvent.objects.create(
            modification=modification,
            kind=ModificationEvent.Kind.UPDATE,
            actor=actor,
            summary=f"{consultation.get_kind_display()} open until {until:%-d %B %Y, %H:%M %Z}",
            occurred_on=local_today(),
        )
    if consultation.opens_at <= timezone.now():
        notifications.consultation_opened(consultation=consultation)
    return consultation


def _check_may_respond(actor: User, consultation: Consultation, now) -> Party:
    party = getattr(actor, "party", None)
    if not (actor and actor.is_authenticated and actor.is_active) or party is None:
        raise ApplicationError("Responses are made for a Party: sign in with your Party account.")
    if party.status != Party.Status.ACCEDED:
        raise ApplicationError(f"{party.name} has not acceded to the SEC (or has withdrawn), so it cannot respond.")
    if not consultation.party_may_respond(party):
        who = "The DCC is" if party.category == Party.Category.DCC else f"{party.get_category_display()} Parties are"
        raise ApplicationError(f"{who} not consulted on this; it is open to other Parties.")
    if now < consultation.opens_at:
        raise ApplicationError("This consultation has not opened yet.")
    if now > consultation.closes_at:
        closed = timezone.localtime(consultation.closes_at)
        raise ApplicationError(
            f"This consultation closed at {closed:%H:%M %Z} on {closed:%-d %B %Y}; responses can no longer be sent."
        )
    return party


def _locked_response(consultation: Consultation, party: Party, actor: User) -> Response:
    """The Party's one response, created on first save; two colleagues saving at once share it."""
    try:
        with transaction.atomic():
            Response.objects.get_or_create(consultation=consultation, party=party, defaults={"updated_by": actor})
    except IntegrityError:
        pass  # a colleague created it a moment ago
    return Response.objects.select_for_update().get(consultation=consultation, party=party)


MAX_ANSWER = 20000


def _apply_changes(response: Response, changes: dict, actor: User, now) -> list[int]:
    """Save only the answers that changed. A change made from a value a colleague has since replaced
    is not applied (their answer is kept) and the question's number is returned as a conflict."""
    questions = {q.pk: q for q in response.consultation.questions.all()}
    existing = {a.question_id: a for a in response.answers.all()}
    conflicts = []
    for question_id, values in changes.items():
        question = (
            questions.get(int(question_id)) if str(question_id).isascii() and str(question_id).isdigit() else None
        )
        if question is None:
            continue
        answer = existing.get(question.pk) or Answer(response=response, question=question)
        changed = False
        for field in ("position", "text"):
            if field not in values or (field == "position" and question.kind != Question.Kind.POSITION):
                continue
            value = (values[field] or "").replace("\x00", "")
            if field == "position" and value and value not in Answer.Position.values:
                raise ApplicationError("Choose yes, no or neutral.")
            if len(value) > MAX_ANSWER:
                raise ApplicationError(
                    f"An answer can be at most {MAX_ANSWER:,} characters; question {question.order} is longer."
                )
            started_from = values.get(f"orig_{field}")
            if started_from is not None and started_from != getattr(answer, field) and value != getattr(answer, field):
                conflicts.append(question.order)
                continue
            setattr(answer, field, value)
            changed = True
        if changed:
            answer.updated_at, answer.updated_by = now, actor
            answer.save()
    return sorted(set(conflicts))


@transaction.atomic
def response_save_draft(
    *, actor: User, consultation: Consultation, changes: dict, confidential: bool | None = None, now=None
) -> Response:
    """Save what a colleague typed, as they go (autosave) or with the Save button."""
    now = now or timezone.now()
    party = _check_may_respond(actor, consultation, now)
    response = _locked_response(consultation, party, actor)
    response.conflicts = _apply_changes(response, changes, actor, now)
    fields = ["updated_at", "updated_by"]
    if confidential is not None:
        # The draft's choice; what is published follows the choice made when a version was sent.
        response.confidential = confidential
        fields.append("confidential")
    response.updated_at, response.updated_by = now, actor
    response.save(update_fields=fields)
    return response


def _answered(question: Question, answer: Answer | None) -> bool:
    if answer is None:
        return False
    return bool(answer.position if question.kind == Question.Kind.POSITION else answer.text.strip())


def response_submit(
    *, actor: User, consultation: Consultation, changes: dict, confidential: bool | None = None, now=None
) -> Response:
    """Send the Party's response (again, to revise it): every question answered, before the close.
    What was typed is saved first, in its own transaction, so a refused submission loses nothing."""
    now = now or timezone.now()
    draft = response_save_draft(
        actor=actor, consultation=consultation, changes=changes, confidential=confidential, now=now
    )
    if draft.conflicts:
        listed = ", ".join(str(n) for n in draft.conflicts)
        raise ApplicationError(
            f"A colleague changed question {listed} while you were editing. Their answer is kept: check it, then send."
        )
    return _submit(actor=actor, consultation=consultation, now=now)


@transaction.atomic
def _submit(*, actor: User, consultation: Consultation, now) -> Response:
    party = _check_may_respond(actor, consultation, now)
    response = Response.objects.select_for_update().get(consultation=consultation, party=party)
    answers = {a.question_id: a for a in response.answers.all()}
    missing = [q.order for q in consultation.questions.all() if not _answered(q, answers.get(q.pk))]
    if missing:
        listed = ", ".join(f"question {n}" for n in missing)
        verb = "needs" if len(missing) == 1 else "need"
        raise ApplicationError(f"Answer every question before sending: {listed} still {verb} an answer. Draft saved.")
    response.version += 1
    response.status = Response.Status.SUBMITTED
    response.submitted_at, response.submitted_by = now, actor
    response.save(update_fields=["version", "status", "submitted_at", "submitted_by"])
    version = ResponseVersion.objects.create(
        response=response,
        version=response.version,
        confidential=response.confidential,
        submitted_at=now,
        submitted_by=actor,
        answers={str(qid): {"position": a.position, "text": a.text} for qid, a in answers.items()},
    )
    authors = {a.updated_by_id for a in answers.values()}
    colleagues = User.objects.filter(pk__in=authors - {actor.pk}, is_active=True, party=party)
    _send_receipts(version, consultation=consultation, party=party, colleagues=colleagues)
    notifications.response_received(version=version, consultation=consultation, party=party)
    return response


def _send_receipts(version: ResponseVersion, *, consultation: Consultation, party: Party, colleagues) -> None:
    """A receipt of a response as sent (each question and its answer, and whether it is marked
    confidential) to the person who sent it, copied to the colleagues of their Party whose saved
    answers are in it. A Party's users number a few, so this is done in the sending transaction."""
    rows = []
    for question in consultation.questions.all():
        answer = version.answers.get(str(question.pk), {})
        position = Answer.Position(answer["position"]).label if answer.get("position") else ""
        rows.append({"question": question, "position": position, "text": answer.get("text", "")})
    sender = version.submitted_by
    for person in [sender, *colleagues]:
        if not can_read_response(person, consultation, party_id=party.pk, confidential=version.confidential):
            continue
        outbox_enqueue(
            recipient=person.email,
            kind="modification.response_receipt",
            template_prefix="emails/modifications/response_receipt",
            context={
                "recipient": person,
                "sender": sender,
                "copy": person.pk != sender.pk,
                "consultation": consultation,
                "party": party,
                "version": version,
                "rows": rows,
                "closes_at": timezone.localtime(consultation.closes_at, LONDON),
                "sent_at": timezone.localtime(version.submitted_at, LONDON),
            },
            subject_obj=version,
            user=person,
        )


@transaction.atomic
def consultation_publish(*, actor: User, consultation: Consultation, now=None) -> Consultation:
    """After the close, publish the non-confidential responses with the modification."""
    _require_mover(actor)
    now = now or timezone.now()
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if not consultation.is_closed(now):
        raise ApplicationError("Responses are published after the consultation closes.")
    if consultation.published_at:
        raise ApplicationError("The responses are already published.")
    consultation.published_at = now
    consultation.save(update_fields=["published_at"])
    if consultation.modification_id:
        count = consultation.responses.filter(status=Response.Status.SUBMITTED, confidential=False).count()
        ModificationEvent.objects.create(
            modification_id=consultation.modification_id,
            kind=ModificationEvent.Kind.UPDATE,
            actor=actor,
            summary=f"{consultation.get_kind_display()}: {count} response{'s' if count != 1 else ''} published",
            occurred_on=local_today(),
        )
    return consultation
