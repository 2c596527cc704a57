import datetime

from django.utils import timezone

from panel.models import Committee, Membership, Seat

NAMES = {
    Committee.Kind.PANEL: ("SEC Panel", "sec-panel"),
    Committee.Kind.CHANGE_BOARD: ("Change Board", "change-board"),
    Committee.Kind.SUB_COMMITTEE: ("TABASC", "tabasc"),
    Committee.Kind.WORKING_GROUP: ("Working Group", "working-group"),
}


def make_committee(kind: str = Committee.Kind.PANEL, *, seats: int = 0) -> Committee:
    """The committee of this kind (one each), with at least `seats` voting seats."""
    name, slug = NAMES[kind]
    committee, _ = Committee.objects.get_or_create(slug=slug, defaults={"name": name, "kind": kind, "purpose": "x"})
    for n in range(committee.seats.count(), seats):
        Seat.objects.create(committee=committee, label=f"Seat {n + 1}", constituency="large_supplier")
    return committee


def make_place(
    user,
    *,
    kind: str = Committee.Kind.PANEL,
    role: str = Membership.Role.MEMBER,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    ended_on: datetime.date | None = None,
    alternate_for: Membership | None = None,
    seat: Seat | None = None,
) -> Membership:
    """A membership written straight to the table, as the admin (or a data fix) would: no service,
    so nothing but the row itself can give the person their rights."""
    today = timezone.localdate()
    return Membership.objects.create(
        committee=make_committee(kind),
        user=user,
        party=user.party,
        role=role,
        seat=seat if seat is not None else (alternate_for.seat if alternate_for else None),
        starts_on=starts_on or today - datetime.timedelta(days=30),
        ends_on=ends_on or today + datetime.timedelta(days=700),
        ended_on=ended_on,
        alternate_for=alternate_for,
    )
