"""Who may do what in `panel`: pure functions of the user (and object).

Every right that comes from sitting on a committee is decided here, from the person's current
memberships at the moment of the request, never from a copy of them (a Group, a flag): an
appointment, an ending, a row written by any path or a start date that arrives counts at once.

A place counts while it is current today (started, its term not over, not ended), and an
alternate's only while the chair or member they stand in for is current too (`current_places`):

| place that counts             | AMBER | draft minutes | vote                 | meetings, link | all responses | MFA |
| chair, member                 | yes   | yes           | on a voting seat     | yes            | yes (1)       | yes |
| alternate of a current member | yes   | yes           | on the member's seat | yes            | yes (1)       | yes |
| observer                      | no    | no            | no                   | yes            | no            | yes |
| none (ended, not yet started) | no    | no            | no                   | no             | no            | (2) |

A current chair also approves the committee's draft minutes (`can_approve_minutes`), and the chairs
of the Panel and the Change Board follow how many seats have voted in an open Change Board vote
(`can_follow_vote_progress`; never how they voted).

AMBER: the committee's own AMBER papers and documents. Link: the online meeting's. All responses:
every consultation response, confidential ones included. (1) On the Panel or the Change Board,
after the consultation closes (modifications.permissions). (2) Only for another reason (a role, a
RED document: User.requires_mfa).

`committee_rights(user)` reads them (one small query when the person has no membership that has
not been ended, one more otherwise) and keeps the answer on the user object for the rest of the
request (Django keeps its permission cache the same way), so a page that asks many times pays once.
`secportal.classification` asks through the registry filled in `PanelConfig.ready()`, so
`modifications`, `news` and `parties` never import `panel`.
"""

import datetime
import functools
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from secportal.sql import quoted

from .models import Committee, Membership

# Where the rights are kept on the user object for the request (with the day they were read).
_MEMO = "_panel_committee_rights"

_FULL_ROLES = (Membership.Role.CHAIR, Membership.Role.MEMBER)
_DECIDING_KINDS = (Committee.Kind.PANEL, Committee.Kind.CHANGE_BOARD)


def current_places(on: datetime.date | None = None) -> QuerySet:
    """The memberships that count on a day: current ones, an alternate's only while the chair or
    member they stand in for is current too. Every right below starts from here."""
    current = Membership.objects.current(on or timezone.localdate())
    members = current.filter(role__in=_FULL_ROLES)
    return current.filter(~Q(role=Membership.Role.ALTERNATE) | Q(alternate_for__in=members))


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_manage_panel(user) -> bool:
    """SECAS staff run committees: members, meetings, papers, decisions, minutes."""
    return _active(user) and user.has_perm("panel.change_meeting")


def can_update_action(user, action) -> bool:
    return _active(user) and (can_manage_panel(user) or action.owner_id == user.pk)


@dataclass(frozen=True)
class Place:
    """One of a person's current memberships, as far as rights go."""

    membership_id: int
    committee_id: int
    committee_slug: str
    committee_name: str
    committee_kind: str
    role: str
    seat_id: int | None
    seat_votes: bool
    ends_on: datetime.date | None
    stands_in_for: str | None  # an alternate's member, by name

    @property
    def role_label(self) -> str:
        return Membership.Role(self.role).label

    @property
    def is_full(self) -> bool:
        """A chair, member or alternate (of a current member): the committee's own rights."""
        return self.role != Membership.Role.OBSERVER

    @property
    def votes(self) -> bool:
        """Votes on its seat (an alternate on the seat of the member they stand in for)."""
        return self.is_full and self.seat_id is not None and self.seat_votes

    @property
    def label(self) -> str:
        until = f", until {self.ends_on:%-d %B %Y}" if self.ends_on else ""
        standing_in = f" for {self.stands_in_for}" if self.stands_in_for else ""
        return f"{self.role_label}{standing_in}, {self.committee_name}{until}"


@dataclass(frozen=True)
class CommitteeRights:
    """What a person's current memberships give them today (see the table at the top)."""

    places: tuple[Place, ...] = ()

    @property
    def amber_committees(self) -> frozenset[str]:
        """Slugs of the committees whose AMBER material the person may open."""
        return frozenset(p.committee_slug for p in self.places if p.is_full)

    @property
    def panel_or_change_board(self) -> bool:
        """A current chair, member or alternate (of a current member) of the Panel or the Change Board:
        they read every consultation response after the close, confidential ones included."""
        return any(p.is_full and p.committee_kind in _DECIDING_KINDS for p in self.places)

    @property
    def memberships(self) -> tuple[str, ...]:
        """The person's current places, in words (their profile)."""
        return tuple(p.label for p in self.places)

    @property
    def committee_ids(self) -> frozenset[int]:
        """The committees whose meetings the person attends (observers included)."""
        return frozenset(p.committee_id for p in self.places)

    def attends(self, committee_id: int) -> bool:
        return any(p.committee_id == committee_id for p in self.places)

    def is_full_member_of(self, committee_id: int) -> bool:
        return any(p.committee_id == committee_id and p.is_full for p in self.places)

    def voting_place(self, committee_id: int) -> Place | None:
        return next((p for p in self.places if p.committee_id == committee_id and p.votes), None)


NO_RIGHTS = CommitteeRights()


def _read(user_id: int, today: datetime.date) -> CommitteeRights:
    rows = (
        current_places(today)
        .filter(user_id=user_id)
        .order_by("committee__order", "committee__name", "pk")
        .values(
            "committee_id",
            "role",
            "seat_id",
            "ends_on",
            membership_id=F("pk"),
            committee_slug=F("committee__slug"),
            committee_name=F("committee__name"),
            committee_kind=F("committee__kind"),
            seat_votes=Coalesce("seat__voting", Value(False)),
            stands_in_for=F("alternate_for__user__full_name"),
        )
    )
    return CommitteeRights(places=tuple(Place(**row) for row in rows))


def committee_rights(user) -> CommitteeRights:
    """The person's rights from their current memberships, kept on the user object for the rest of
    the request (a new request loads a new user object, so reads afresh). Every signed-in request
    asks (the MFA rule), so someone with no membership that has not been ended, most people, costs
    one small query; anyone else, one more for their current places."""
    if not _active(user):
        return NO_RIGHTS
    today = timezone.localdate()
    kept = getattr(user, _MEMO, None)
    if kept is not None and kept[0] == today:
        return kept[1]
    # Every current place is one that has not been ended (Membership.objects.current).
    with connection.cursor() as cursor:
        cursor.execute(_open_place_sql(), [user.pk])
        open_places = cursor.fetchone() is not None
    rights = _read(user.pk, today) if open_places else NO_RIGHTS
    setattr(user, _MEMO, (today, rights))
    return rights


@functools.cache
def _open_place_sql() -> str:
    """Whether the person has a membership that has not been ended (parameter: their id). Written
    once per process from the model's metadata: asked on every signed-in request, the ORM's
    `exists()` took ~0.6 ms of Python to write for an answer PostgreSQL gives in ~0.1 ms."""
    table, person, ended_on = quoted(Membership, "user", "ended_on")
    return f"SELECT 1 FROM {table} WHERE {person} = %s AND {ended_on} IS NULL LIMIT 1"  # noqa: S608


def forget_committee_rights(user) -> None:
    """After a change to this person's memberships: the next question reads them again."""
    if user is not None and getattr(user, _MEMO, None) is not None:
        setattr(user, _MEMO, None)


def has_place(user) -> bool:
    """Whether the person has any current place, observers included (they attend meetings and see
    their join links): the committee part of the MFA rule (secportal.classification.needs_second_factor)."""
    return bool(committee_rights(user).places)


def can_see_draft_minutes(user, committee: Committee) -> bool:
    """Draft minutes are for the committee's chair, members and alternates, and SECAS, until approved."""
    return can_manage_panel(user) or committee_rights(user).is_full_member_of(committee.pk)


def can_approve_minutes(user, committee: Committee) -> bool:
    """Draft minutes are approved, and locked, by the committee's current chair (at a later
    meeting), or recorded as approved by SECAS."""
    if can_manage_panel(user):
        return True
    return any(
        p.committee_id == committee.pk and p.role == Membership.Role.CHAIR for p in committee_rights(user).places
    )


def chaired_committee_ids(user) -> frozenset[int]:
    """The committees the person chairs today."""
    return frozenset(p.committee_id for p in committee_rights(user).places if p.role == Membership.Role.CHAIR)


def can_follow_vote_progress(user) -> bool:
    """How many seats have voted in an open Change Board vote (never how they voted): SECAS, and the
    current chairs of the Panel and the Change Board."""
    if can_manage_panel(user):
        return True
    return any(
        p.role == Membership.Role.CHAIR and p.committee_kind in _DECIDING_KINDS for p in committee_rights(user).places
    )


def can_join_meeting(user, meeting) -> bool:
    """The online link is for those who attend: anyone with a current place on the committee,
    observers included, and SECAS."""
    return can_manage_panel(user) or committee_rights(user).attends(meeting.committee_id)


def voting_place(user, committee: Committee) -> Place | None:
    """The place through which the person votes today: a chair or member on a voting seat, or the
    alternate of a current one (on that member's seat). Observers never vote."""
    return committee_rights(user).voting_place(committee.pk)


def can_see_join_link(user, meeting) -> bool:
    """Who may see a meeting's online link (issue #14 names the rule so): those who attend, as
    `can_join_meeting` decides from current places, and SECAS. One rule, two names."""
    return can_join_meeting(user, meeting)
