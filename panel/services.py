"""Writes for committees: membership, papers, decisions, minutes and actions."""

import datetime

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from modifications import services as modification_services
from modifications.models import Stage
from parties import roles
from parties.models import Party, User
from parties.services import user_set_roles
from secportal.exceptions import ApplicationError
from secportal.uploads import UploadRejected, check_upload, stored_name

from .models import Action, AgendaItem, Committee, Meeting, Membership, Minutes, MinutesCorrection, Paper, Seat
from .permissions import can_manage_panel, can_update_action


def _require_staff(actor: User, what: str) -> None:
    if not can_manage_panel(actor):
        raise ApplicationError(f"Only SECAS staff can {what}.")


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=candidate)
        except ValueError:
            continue
    raise ValueError(day)


def _sync_committee_roles(user: User) -> None:
    """Panel member / Committee member roles follow the person's current memberships."""
    kinds = set(Membership.objects.current().filter(user=user).values_list("committee__kind", flat=True))
    wanted = set(user.role_names) - {roles.PANEL_MEMBER, roles.COMMITTEE_MEMBER}
    if Committee.Kind.PANEL in kinds:
        wanted.add(roles.PANEL_MEMBER)
    if kinds - {Committee.Kind.PANEL}:
        wanted.add(roles.COMMITTEE_MEMBER)
    if wanted != set(user.role_names):
        user_set_roles(user=user, role_names=wanted)


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
    ends_on = ends_on or _add_months(starts_on, settings.SECPORTAL_TERM_MONTHS)
    if ends_on <= starts_on:
        raise ApplicationError("The term must end after it starts.")
    if seat is not None and seat.committee_id != committee.pk:
        raise ApplicationError(f"That seat belongs to the {seat.committee}, not the {committee}.")
    if role == Membership.Role.ALTERNATE:
        if alternate_for is None or alternate_for.committee_id != committee.pk:
            raise ApplicationError("An alternate stands in for a member of the same committee: choose that member.")
        if alternate_for.role not in (Membership.Role.MEMBER, Membership.Role.CHAIR):
            raise ApplicationError("An alternate stands in for a member, not for another alternate or an observer.")
        seat = alternate_for.seat
    elif alternate_for is not None:
        raise ApplicationError("Only an alternate stands in for someone.")
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
    _sync_committee_roles(user)
    return membership


@transaction.atomic
def membership_end(*, actor: User, membership: Membership) -> Membership:
    """End a membership today: the person loses the committee's AMBER papers on their next request."""
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
        _sync_committee_roles(alternate.user)
    _sync_committee_roles(membership.user)
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
    """Minutes are approved at a later meeting of the same committee, and then locked."""
    _require_staff(actor, "approve minutes")
    minutes = Minutes.objects.select_for_update().select_related("meeting").get(pk=minutes.pk)
    if minutes.status == Minutes.Status.APPROVED:
        raise ApplicationError("These minutes are already approved.")
    if at_meeting.committee_id != minutes.meeting.committee_id or at_meeting.starts_at <= minutes.meeting.starts_at:
        raise ApplicationError("Minutes are approved at a later meeting of the same committee.")
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
    action.status = status
    action.updated_at = timezone.now()
    action.save(update_fields=["status", "updated_at"])
    return action
