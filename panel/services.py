"""Writes for committees: membership, papers, decisions, minutes and actions."""

import datetime
import math

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from modifications import services as modification_services
from modifications.models import Stage
from parties.models import Party, User
from secportal.exceptions import ApplicationError
from secportal.uploads import UploadRejected, check_upload, stored_name

from . import notifications
from .models import (
    Action,
    AgendaItem,
    Committee,
    Meeting,
    MeetingVisit,
    Membership,
    Minutes,
    MinutesCorrection,
    Paper,
    PaperDownload,
    Seat,
    Vote,
    VoteRound,
)
from .permissions import (
    can_approve_minutes,
    can_manage_panel,
    can_update_action,
    committee_rights,
    forget_committee_rights,
    voting_place,
)


def _require_staff(actor: User, what: str) -> None:
    if not can_manage_panel(actor):
        raise ApplicationError(f"Only SECAS staff can {what}.")


@transaction.atomic
def meeting_save(*, actor: User, meeting: Meeting) -> Meeting:
    """Create or edit a meeting (the admin's form saves through here). A meeting that moves or is
    cancelled withholds its stale reminders and tells the committee's members; one that has taken
    place cannot be cancelled."""
    _require_staff(actor, "arrange meetings")
    if meeting.ends_at <= meeting.starts_at:
        raise ApplicationError("The meeting must end after it starts.")
    old = Meeting.objects.select_for_update().filter(pk=meeting.pk).first() if meeting.pk else None
    cancelling = meeting.status == Meeting.Status.CANCELLED and (old is None or old.status != meeting.status)
    if cancelling and (old or meeting).ends_at <= timezone.now():
        raise ApplicationError("This meeting has already taken place; it cannot be cancelled.")
    if old is not None and (old.starts_at != meeting.starts_at or old.status != meeting.status):
        meeting.sequence = old.sequence + 1
    meeting.save()
    if old is not None:
        notifications.meeting_changed(meeting=meeting, old_starts_at=old.starts_at, old_status=old.status)
    return meeting


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=candidate)
        except ValueError:
            continue
    raise ValueError(day)


@transaction.atomic
def membership_add(
    *,
    actor: User,
    committee: Committee,
    user: User,
    role: str,
    seat: Seat | None = None,
    party: Party | None = None,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    alternate_for: Membership | None = None,
) -> Membership:
    """Appoint someone to a committee for a term (24 months unless given)."""
    _require_staff(actor, "appoint committee members")
    starts_on = starts_on or timezone.localdate()
    try:
        ends_on = ends_on or _add_months(starts_on, settings.SECPORTAL_TERM_MONTHS)
    except (ValueError, OverflowError):
        raise ApplicationError("That start date is too far in the future.") from None
    if ends_on <= starts_on:
        raise ApplicationError("The term must end after it starts.")
    if seat is not None and seat.committee_id != committee.pk:
        raise ApplicationError(f"That seat belongs to the {seat.committee}, not the {committee}.")
    if role == Membership.Role.ALTERNATE:
        if alternate_for is None or alternate_for.committee_id != committee.pk:
            raise ApplicationError("An alternate stands in for a member of the same committee: choose that member.")
        if alternate_for.role not in (Membership.Role.MEMBER, Membership.Role.CHAIR):
            raise ApplicationError("An alternate stands in for a member, not for another alternate or an observer.")
        if not Membership.objects.current(starts_on).filter(pk=alternate_for.pk).exists():
            raise ApplicationError(f"{alternate_for.user} is not a current member, so cannot have an alternate.")
        seat = alternate_for.seat
        if alternate_for.ends_on and ends_on > alternate_for.ends_on:
            ends_on = alternate_for.ends_on  # an alternate's term ends with the member's
    elif alternate_for is not None:
        raise ApplicationError("Only an alternate stands in for someone.")
    seat_holders = Membership.objects.current(starts_on).filter(
        seat=seat, role__in=[Membership.Role.MEMBER, Membership.Role.CHAIR]
    )
    if role in (Membership.Role.MEMBER, Membership.Role.CHAIR) and seat is not None and seat_holders.exists():
        raise ApplicationError(f"The {seat.label} seat is already filled; end that membership first.")
    if Membership.objects.current(starts_on).filter(committee=committee, user=user).exists():
        raise ApplicationError(f"{user} is already on the {committee}.")
    membership = Membership.objects.create(
        committee=committee,
        user=user,
        role=role,
        seat=seat,
        party=party if party is not None else user.party,
        starts_on=starts_on,
        ends_on=ends_on,
        alternate_for=alternate_for,
    )
    # Rights follow from the membership itself when next asked (panel.permissions); nothing to copy.
    forget_committee_rights(user)
    return membership


@transaction.atomic
def membership_end(*, actor: User, membership: Membership) -> Membership:
    """End a membership today: the person loses what it gave them (AMBER papers, votes, draft
    minutes, meetings) on their next request, since every right is read from current memberships."""
    _require_staff(actor, "end a membership")
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.ended_on is not None:
        raise ApplicationError("This membership has already ended.")
    today = timezone.localdate()
    membership.ended_on = today if membership.starts_on <= today else membership.starts_on
    membership.save(update_fields=["ended_on"])
    # Alternates stand in for this member only: their place ends with the member's.
    for alternate in membership.alternates.filter(ended_on__isnull=True):
        alternate.ended_on = membership.ended_on
        alternate.save(update_fields=["ended_on"])
    return membership


@transaction.atomic
def paper_publish(
    *,
    actor: User,
    meeting: Meeting,
    title: str,
    upload,
    classification: str,
    item: AgendaItem | None = None,
    owner_party: Party | None = None,
    red_recipients=(),
    supersedes: Paper | None = None,
    change_note: str = "",
) -> Paper:
    """Publish a paper (or a revision that keeps the earlier version and says what changed)."""
    _require_staff(actor, "publish papers")
    if item is not None and item.meeting_id != meeting.pk:
        raise ApplicationError("That agenda item belongs to another meeting.")
    if classification == "red" and not red_recipients:
        raise ApplicationError("A RED paper needs its named recipients.")
    if supersedes is not None:
        if supersedes.meeting_id != meeting.pk:
            raise ApplicationError("A revision replaces a paper of the same meeting.")
        if Paper.objects.filter(supersedes=supersedes).exists():
            raise ApplicationError("That paper has already been revised; revise the latest version.")
        if not change_note.strip():
            raise ApplicationError("Say what changed in this version.")
    try:
        checked = check_upload(upload)
    except UploadRejected as exc:
        raise ApplicationError(exc.message) from None
    name = default_storage.save(stored_name(checked, prefix="panel"), upload)
    paper = Paper.objects.create(
        meeting=meeting,
        item=item if item is not None else (supersedes.item if supersedes else None),
        title=title.strip(),
        version=supersedes.version + 1 if supersedes else 1,
        supersedes=supersedes,
        change_note=change_note.strip(),
        file=name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
        classification=classification,
        owner_party=owner_party,
        owner_committee=meeting.committee.slug,
    )
    if red_recipients:
        paper.red_recipients.set(red_recipients)
    if meeting.status == Meeting.Status.PLANNED:
        meeting.status = Meeting.Status.PAPERS_PUBLISHED
        meeting.save(update_fields=["status"])
    return paper


OUTCOMES = {"approve": "Approved", "reject": "Rejected", "note": "Noted"}


@transaction.atomic
def item_record_outcome(*, actor: User, item: AgendaItem, decision: str, reasons: str) -> AgendaItem:
    """Record the committee's decision or recommendation on an item. About a modification, it goes
    on the modification's timeline and, where it decides, moves the modification on."""
    _require_staff(actor, "record decisions")
    if decision not in OUTCOMES:
        raise ApplicationError("The outcome is approve, reject or note.")
    reasons = reasons.strip()
    if not reasons:
        raise ApplicationError("Give the reasons: they are published with the decision.")
    item = (
        AgendaItem.objects.select_for_update(of=("self",))
        .select_related("meeting__committee", "modification")
        .get(pk=item.pk)
    )
    committee = item.meeting.committee
    if item.outcome:
        raise ApplicationError("An outcome is already recorded for this item; record a correction in the minutes.")
    if (
        item.modification_id
        and VoteRound.objects.filter(modification_id=item.modification_id, status=VoteRound.Status.OPEN).exists()
    ):
        raise ApplicationError("A Change Board vote on this modification is open: its close records the outcome.")
    if not item.meeting.is_past:
        raise ApplicationError("Outcomes are recorded once the meeting has taken place.")
    if (
        committee.kind == Committee.Kind.CHANGE_BOARD
        and decision in ("approve", "reject")
        and item.modification is not None
        and item.modification.stage != Stage.CHANGE_BOARD
    ):
        raise ApplicationError(f"{item.modification.reference} is not with the Change Board; record a note instead.")
    item.outcome = f"{OUTCOMES[decision]}: {reasons}"
    item.outcome_recorded_at = timezone.now()
    item.save(update_fields=["outcome", "outcome_recorded_at"])
    modification = item.modification
    if modification is None:
        return item
    if (
        committee.kind == Committee.Kind.CHANGE_BOARD
        and decision in ("approve", "reject")
        and modification.stage == Stage.CHANGE_BOARD
    ):
        modification_services.modification_record_change_board_outcome(
            actor=actor, modification=modification, approve=decision == "approve", note=f"{committee.name}: {reasons}"
        )
    else:
        modification_services.modification_post_update(
            actor=actor, modification=modification, text=f"{committee.name}, {item.meeting.title}: {item.outcome}"
        )
    return item


@transaction.atomic
def minutes_save_draft(*, actor: User, meeting: Meeting, text: str) -> Minutes:
    _require_staff(actor, "write minutes")
    minutes = Minutes.objects.select_for_update().filter(meeting=meeting).first()
    if minutes is not None and minutes.status == Minutes.Status.APPROVED:
        raise ApplicationError("These minutes are approved and locked. Record a correction instead.")
    if minutes is None:
        minutes = Minutes(meeting=meeting)
    minutes.text = text.strip()
    minutes.save()
    if meeting.status in (Meeting.Status.PLANNED, Meeting.Status.PAPERS_PUBLISHED) and meeting.is_past:
        meeting.status = Meeting.Status.HELD
        meeting.save(update_fields=["status"])
    return minutes


@transaction.atomic
def minutes_approve(*, actor: User, minutes: Minutes, at_meeting: Meeting) -> Minutes:
    """Minutes are approved at a later meeting of the same committee, by its chair (or recorded by
    SECAS), and then locked."""
    minutes = Minutes.objects.select_for_update().select_related("meeting__committee").get(pk=minutes.pk)
    if not can_approve_minutes(actor, minutes.meeting.committee):
        raise ApplicationError("Only the committee's chair or SECAS staff can approve minutes.")
    if minutes.status == Minutes.Status.APPROVED:
        raise ApplicationError("These minutes are already approved.")
    if at_meeting.committee_id != minutes.meeting.committee_id or at_meeting.starts_at <= minutes.meeting.starts_at:
        raise ApplicationError("Minutes are approved at a later meeting of the same committee.")
    if not at_meeting.is_past or at_meeting.status == Meeting.Status.CANCELLED:
        raise ApplicationError("Minutes are approved at a meeting that has taken place.")
    minutes.status = Minutes.Status.APPROVED
    minutes.approved_at = at_meeting
    minutes.approved_by = actor
    minutes.approved_on = timezone.localdate()
    minutes.save(update_fields=["status", "approved_at", "approved_by", "approved_on"])
    Meeting.objects.filter(pk=minutes.meeting_id).update(status=Meeting.Status.MINUTES_APPROVED)
    return minutes


@transaction.atomic
def minutes_correct(*, actor: User, minutes: Minutes, text: str) -> MinutesCorrection:
    _require_staff(actor, "correct minutes")
    minutes = Minutes.objects.get(pk=minutes.pk)
    if minutes.status != Minutes.Status.APPROVED:
        raise ApplicationError("Draft minutes are edited directly; corrections are for approved minutes.")
    if not text.strip():
        raise ApplicationError("Write the correction.")
    return MinutesCorrection.objects.create(minutes=minutes, text=text.strip(), created_by=actor)


@transaction.atomic
def action_add(*, actor: User, meeting: Meeting, title: str, owner: User, due_on: datetime.date) -> Action:
    _require_staff(actor, "record actions")
    count = meeting.actions.count() + 1
    return Action.objects.create(
        meeting=meeting,
        title=title.strip(),
        owner=owner,
        due_on=due_on,
        reference=f"{meeting.committee.slug.upper()[:6]}-{timezone.localtime(meeting.starts_at):%y%m}-{count:02d}",
    )


@transaction.atomic
def action_set_status(*, actor: User, action: Action, status: str) -> Action:
    if not can_update_action(actor, action):
        raise ApplicationError("Only the action's owner or SECAS can update it.")
    if status not in Action.Status.values:
        raise ApplicationError("Unknown status.")
    if not can_manage_panel(actor) and status != Action.Status.DONE:
        raise ApplicationError("An action's owner marks it done; SECAS cancels or reopens actions.")
    action.status = status
    action.updated_at = timezone.now()
    action.save(update_fields=["status", "updated_at"])
    return action


# --- Change Board votes ----------------------------------------------------------------------------------


def voting_membership(user: User, committee: Committee) -> Membership | None:
    """The membership through which the user votes today (panel.permissions.voting_place decides:
    a chair or member on a voting seat, or the alternate of a current one; never an observer)."""
    place = voting_place(user, committee)
    if place is None:
        return None
    return Membership.objects.select_related("seat", "alternate_for").get(pk=place.membership_id)


@transaction.atomic
def vote_round_open(*, actor: User, modification, meeting: Meeting | None = None) -> VoteRound:
    _require_staff(actor, "open a vote")
    if modification.stage != Stage.CHANGE_BOARD:
        raise ApplicationError(f"{modification.reference} is not with the Change Board; its vote cannot open.")
    committee = Committee.objects.filter(kind=Committee.Kind.CHANGE_BOARD).order_by("order").first()
    if committee is None:
        raise ApplicationError("There is no Change Board to vote.")
    if VoteRound.objects.filter(modification=modification, status=VoteRound.Status.OPEN).exists():
        raise ApplicationError(f"A vote on {modification.reference} is already open.")
    try:
        with transaction.atomic():
            return VoteRound.objects.create(
                modification=modification, committee=committee, meeting=meeting, opened_by=actor
            )
    except IntegrityError:
        raise ApplicationError(f"A vote on {modification.reference} was opened a moment ago.") from None


@transaction.atomic
def vote_cast(*, actor: User, vote_round: VoteRound, choice: str, rationale: str, objectives=()) -> Vote:
    """Record (or change, while the vote is open) the vote of the actor's seat."""
    vote_round = VoteRound.objects.select_for_update().select_related("modification").get(pk=vote_round.pk)
    if vote_round.status != VoteRound.Status.OPEN:
        raise ApplicationError("This vote has closed.")
    if vote_round.modification.stage != Stage.CHANGE_BOARD:
        raise ApplicationError(f"{vote_round.modification.reference} is no longer with the Change Board.")
    membership = voting_membership(actor, vote_round.committee)
    if membership is None:
        raise ApplicationError("Only voting members of the Change Board (or their alternates) can vote.")
    if choice not in Vote.Choice.values:
        raise ApplicationError("Choose approve, reject or abstain.")
    rationale = rationale.replace("\x00", "").strip()
    if not rationale:
        raise ApplicationError("Give your rationale against the SEC Objectives.")
    if len(rationale) > 10000:
        raise ApplicationError("A rationale can be at most 10,000 characters.")
    from .voting import SEC_OBJECTIVES

    known = {key for key, _ in SEC_OBJECTIVES}
    objectives = [o for o in objectives if o in known]
    existing = Vote.objects.filter(round=vote_round, seat=membership.seat).select_related("membership__user").first()
    if existing is not None and existing.membership_id != membership.pk:
        raise ApplicationError(
            f"{existing.membership.user} has already voted for the {membership.seat.label} seat; a seat has one vote."
        )
    vote = existing or Vote(round=vote_round, seat=membership.seat, membership=membership)
    vote.choice, vote.rationale, vote.objectives, vote.cast_at = choice, rationale, list(objectives), timezone.now()
    vote.save()
    return vote


def quorum_of(seats: int) -> int:
    """The votes a round needs to close without SECAS confirming it closes without quorum:
    SECPORTAL_VOTE_QUORUM of the voting seats, rounded up."""
    return math.ceil(seats * settings.SECPORTAL_VOTE_QUORUM)


def vote_quorum(vote_round: VoteRound) -> tuple[int, int, int]:
    """(seats that have voted, voting seats, the quorum: SECPORTAL_VOTE_QUORUM of the seats, rounded up)."""
    seats = vote_round.committee.seats.filter(voting=True).count()
    voted = vote_round.votes.count()
    return voted, seats, quorum_of(seats)


@transaction.atomic
def vote_round_close(*, actor: User, vote_round: VoteRound, without_quorum: bool = False) -> VoteRound:
    """Count the votes with the configured rule and record the Change Board's decision (Path 3) or
    recommendation to Ofgem (Paths 1 and 2), which moves the modification on."""
    from .voting import current_rule

    _require_staff(actor, "close a vote")
    vote_round = VoteRound.objects.select_for_update().select_related("modification").get(pk=vote_round.pk)
    if vote_round.status != VoteRound.Status.OPEN:
        raise ApplicationError("This vote has already closed.")
    voted, seats, quorum = vote_quorum(vote_round)
    if voted < quorum and not without_quorum and vote_round.modification.stage == Stage.CHANGE_BOARD:
        raise ApplicationError(
            f"Only {voted} of {seats} voting seats {'has' if voted == 1 else 'have'} voted; the quorum is {quorum}. "
            "Wait for more votes, or confirm that the vote closes without quorum."
        )
    path, rule, _ = current_rule()
    if vote_round.modification.stage != Stage.CHANGE_BOARD:
        # Withdrawn (or moved) meanwhile: the round closes without deciding anything.
        vote_round.status, vote_round.closed_at, vote_round.closed_by = VoteRound.Status.CLOSED, timezone.now(), actor
        vote_round.outcome, vote_round.rule = VoteRound.Outcome.NO_VOTES, path
        vote_round.save(update_fields=["status", "closed_at", "closed_by", "outcome", "rule"])
        return vote_round
    votes = [(v.seat.constituency, v.choice) for v in vote_round.votes.select_related("seat")]
    outcome, tally = rule(votes)
    vote_round.status, vote_round.closed_at, vote_round.closed_by = VoteRound.Status.CLOSED, timezone.now(), actor
    vote_round.outcome, vote_round.tally, vote_round.rule = outcome, tally, path
    vote_round.save(update_fields=["status", "closed_at", "closed_by", "outcome", "tally", "rule"])
    if outcome in ("approve", "reject"):
        counted = ", ".join(f"{c}: {t['approve']} for, {t['reject']} against" for c, t in sorted(tally.items()))
        modification_services.modification_record_change_board_outcome(
            actor=actor,
            modification=vote_round.modification,
            approve=outcome == "approve",
            note=f"Change Board vote: {outcome}. {counted}.",
        )
    return vote_round


def meeting_visit_record(*, user: User, meeting: Meeting) -> None:
    """Remember that someone who attends the committee looked at the meeting's page now (what the
    dashboard's "papers published since you last looked" counts from). One statement: an insert
    that updates the person's row for the meeting if there is one. Nobody else is recorded."""
    if not committee_rights(user).attends(meeting.committee_id):
        return
    MeetingVisit.objects.bulk_create(
        [MeetingVisit(user=user, meeting=meeting, seen_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["user", "meeting"],
        update_fields=["seen_at"],
    )


@transaction.atomic
def paper_download_record(*, user: User | None, paper: Paper) -> PaperDownload:
    return PaperDownload.objects.create(paper=paper, user=user)
