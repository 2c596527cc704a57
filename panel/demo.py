"""Demo committees, members, meetings, papers and minutes (README "Demo accounts")."""

import contextlib
import datetime
import hashlib
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from modifications.demo import _pdf
from modifications.models import ModificationProposal, Stage
from parties import roles
from parties.models import Party, User
from secportal.classification import Classification
from secportal.workingdays import add_working_days, local_today, next_working_day, previous_working_day

from . import services
from .models import Action, AgendaItem, Attendance, Committee, Constituency, Meeting, Membership, Minutes, Paper, Seat

LONDON = ZoneInfo("Europe/London")
C = Constituency

COMMITTEES = [
    (
        "SEC Panel",
        "sec-panel",
        Committee.Kind.PANEL,
        "Monthly",
        1,
        "The SEC Panel oversees the Smart Energy Code: it sets the path of each modification, runs elections and "
        "governs SECCo. Members are elected by Party category, with consumer members and an independent Chair.",
        [
            ("Independent Chair", C.CHAIR, False),
            ("Large Supplier 1", C.LARGE_SUPPLIER, True),
            ("Large Supplier 2", C.LARGE_SUPPLIER, True),
            ("Small Supplier 1", C.SMALL_SUPPLIER, True),
            ("Small Supplier 2", C.SMALL_SUPPLIER, True),
            ("Electricity Network", C.ELECTRICITY_NETWORK, True),
            ("Gas Network", C.GAS_NETWORK, True),
            ("Other SEC Party 1", C.OTHER, True),
            ("Other SEC Party 2", C.OTHER, True),
            ("DCC", C.DCC, False),
            ("Consumer 1", C.CONSUMER, False),
            ("Consumer 2", C.CONSUMER, False),
        ],
    ),
    (
        "Change Board",
        "change-board",
        Committee.Kind.CHANGE_BOARD,
        "Monthly",
        2,
        "The Change Board votes on Modification Proposals: it decides self-governance changes (Path 3) and "
        "recommends to Ofgem on Paths 1 and 2. Members vote for their constituency.",
        [
            ("Large Supplier", C.LARGE_SUPPLIER, False),
            ("Small Supplier", C.SMALL_SUPPLIER, False),
            ("Electricity Network", C.ELECTRICITY_NETWORK, False),
            ("Gas Network", C.GAS_NETWORK, False),
            ("Other SEC Party", C.OTHER, False),
            ("Consumer", C.CONSUMER, False),
            ("DCC (non-voting)", C.DCC, False),
        ],
    ),
    (
        "Change Sub-Committee",
        "change-sub-committee",
        Committee.Kind.SUB_COMMITTEE,
        "Monthly",
        3,
        "The Change Sub-Committee oversees Draft Proposals in the Development Stage and advises the Panel on "
        "the solution, impacts and costs of modifications.",
        [],
    ),
    (
        "Security Sub-Committee",
        "security-sub-committee",
        Committee.Kind.SUB_COMMITTEE,
        "Twice a month",
        4,
        "The Security Sub-Committee (SSC) oversees the security of the End-to-End Smart Metering System: "
        "security assessments, risk treatment and the security obligations of Users.",
        [],
    ),
    (
        "Technical Architecture and Business Architecture Sub-Committee",
        "tabasc",
        Committee.Kind.SUB_COMMITTEE,
        "Monthly",
        5,
        "TABASC keeps the technical and business architecture of smart metering coherent as the code changes.",
        [],
    ),
]


# Each committee's meetings are monthly, around one that is this many Working Days from today (held
# already when negative). So whatever the day: the Change Board met two Working Days ago and its vote
# is open; the Panel meets in three, its papers out since paper day; others have no papers yet.
NEAREST_MEETING = {
    "sec-panel": 3,
    "change-board": -2,
    "change-sub-committee": 8,
    "security-sub-committee": -5,
    "tabasc": 12,
}


def _add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` months on (or back), or the month's last day if it is shorter."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)).day
    return datetime.date(year, month, min(day.day, last))


def _in_month(day: datetime.date) -> datetime.date:
    """`day` if it is a Working Day, else the next one (the one before, if the next is in another month)."""
    after = next_working_day(day)
    return after if after.month == day.month else previous_working_day(day)


def meeting_days(slug: str, today: datetime.date) -> list[datetime.date]:
    """The days of a committee's four demo meetings, a month apart: two held and two to come."""
    nearest = add_working_days(today, NEAREST_MEETING[slug])
    months = (-2, -1, 0, 1) if nearest > today else (-1, 0, 1, 2)
    return [nearest if n == 0 else _in_month(_add_months(nearest, n)) for n in months]


def _paper(meeting, *, title, classification, staff, published, item=None, owner_party=None) -> Paper:
    content = _pdf(
        title,
        meeting.committee.name,
        [
            f"Paper for the {meeting.title} of {timezone.localtime(meeting.starts_at, LONDON):%-d %B %Y}.",
            f"Issued {timezone.localtime(published, LONDON):%-d %B %Y}. TLP:{classification.upper()}.",
        ],
    )
    name = default_storage.save(
        f"panel/demo/{meeting.committee.slug}-{meeting.pk}-{title[:20]}.pdf", ContentFile(content)
    )
    return Paper(
        meeting=meeting,
        item=item,
        title=title,
        file=name,
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=staff,
        classification=classification,
        owner_party=owner_party,
        owner_committee=meeting.committee.slug,
        published_at=published,
    )


def seed(*, stdout=None) -> None:
    staff = User.objects.filter(groups__name=roles.SECAS_STAFF).order_by("pk").first()
    committees = {}
    for name, slug, kind, meets, order, purpose, seats in COMMITTEES:
        committee, created = Committee.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "kind": kind,
                "meets": meets,
                "order": order,
                "purpose": purpose,
                "terms_of_reference": f"The {name} acts under the Smart Energy Code and the "
                "Panel's delegations. Quorum: half the voting members.",
            },
        )
        committees[slug] = committee
        if created:
            for index, (label, constituency, elected) in enumerate(seats):
                Seat.objects.create(
                    committee=committee,
                    label=label,
                    constituency=constituency,
                    elected=elected,
                    voting=constituency not in (C.DCC, C.CHAIR),
                    order=index,
                )
    if staff is None:
        return
    today = local_today()

    def appoint(email, slug, role, seat_label=None, *, alternate_for=None, party_name=None):
        user = User.objects.filter(email=email).first()
        committee = committees[slug]
        if user is None or Membership.objects.current().filter(committee=committee, user=user).exists():
            return Membership.objects.current().filter(committee=committee, user=user).first()
        seat = committee.seats.filter(label=seat_label).first() if seat_label else None
        party = Party.objects.filter(name=party_name).first() if party_name else None
        return services.membership_add(
            actor=staff,
            committee=committee,
            user=user,
            role=role,
            seat=seat,
            party=party,
            starts_on=today - datetime.timedelta(days=200),
            alternate_for=alternate_for,
        )

    # The demo's committee members get their rights (AMBER papers, votes, MFA) from these places
    # alone: nothing is copied into a role (panel.permissions).
    R = Membership.Role
    appoint("chair@panel.example", "sec-panel", R.CHAIR, "Independent Chair")
    member = appoint("member@panel.example", "sec-panel", R.MEMBER, "Large Supplier 1")
    appoint("fatima.begum@largesupplier.example", "sec-panel", R.ALTERNATE, alternate_for=member)
    appoint("ewan.fraser@smallsupplier.example", "sec-panel", R.MEMBER, "Small Supplier 1")
    appoint("claire.davies@pennine.example", "sec-panel", R.MEMBER, "Electricity Network")
    appoint("oliver.grant@severngas.example", "sec-panel", R.MEMBER, "Gas Network")
    appoint("user@dcc.example", "sec-panel", R.MEMBER, "DCC")
    cb_member = appoint("member@panel.example", "change-board", R.MEMBER, "Large Supplier")
    appoint("james.oconnor@largesupplier.example", "change-board", R.ALTERNATE, alternate_for=cb_member)
    appoint("ewan.fraser@smallsupplier.example", "change-board", R.MEMBER, "Small Supplier")
    appoint("claire.davies@pennine.example", "change-board", R.MEMBER, "Electricity Network")
    appoint("oliver.grant@severngas.example", "change-board", R.MEMBER, "Gas Network")
    appoint("user@dcc.example", "change-board", R.MEMBER, "DCC (non-voting)")
    appoint("james.oconnor@largesupplier.example", "change-sub-committee", R.MEMBER)
    appoint("ewan.fraser@smallsupplier.example", "change-sub-committee", R.MEMBER)
    appoint("claire.davies@pennine.example", "security-sub-committee", R.MEMBER)
    appoint("user@dcc.example", "tabasc", R.MEMBER)
    appoint("member@panel.example", "tabasc", R.OBSERVER)

    for slug, committee in committees.items():
        if not committee.meetings.exists():
            _meetings(committee, meeting_days(slug, today), staff=staff)
    _vote_in_progress(staff)
    if stdout:
        stdout.write(f"  panel: {Committee.objects.count()} committees, {Meeting.objects.count()} meetings")


def _meetings(committee: Committee, days: list[datetime.date], *, staff: User) -> None:
    """A committee's meetings on `days`: the ones held with their papers, attendance, outcomes,
    minutes (the earlier ones approved at the next meeting) and actions; the ones to come with the
    papers whose paper day has come. Agenda items are numbered 1, 2, 3 in order."""
    now = timezone.now()
    chair = User.objects.filter(email="chair@panel.example").first()
    panel_member = User.objects.filter(email="member@panel.example").first()
    dcc = Party.objects.filter(category=Party.Category.DCC).first()
    members = list(Membership.objects.current().filter(committee=committee).select_related("user").order_by("pk"))
    is_board = committee.kind == Committee.Kind.CHANGE_BOARD
    at_board = (
        list(ModificationProposal.objects.filter(stage=Stage.CHANGE_BOARD, alternative_of=None).order_by("number"))
        if is_board
        else []
    )
    meetings = []
    for day in days:
        when = datetime.datetime.combine(day, datetime.time(10 if committee.order % 2 else 13), tzinfo=LONDON)
        meetings.append(
            Meeting(
                committee=committee,
                title=f"{when:%B %Y} meeting",
                starts_at=when,
                ends_at=when + datetime.timedelta(hours=3),
                venue="SECAS offices, London" if committee.kind == Committee.Kind.PANEL else "",
                online_link="https://meetings.secportal.example/join/" + committee.slug,
            )
        )
    held = [m for m in meetings if m.ends_at <= now]
    coming = [m for m in meetings if m.starts_at > now]
    for meeting in held:
        meeting.status = Meeting.Status.MINUTES_APPROVED if meeting is not held[-1] else Meeting.Status.HELD
        meeting.headlines = "- Agreed the recommendations in the papers.\n- Noted the DCC's operational report."
    for meeting in meetings:
        meeting.render_rich_text()
    meetings = Meeting.objects.bulk_create(meetings)

    items, papers, agenda = [], [], {}
    for meeting in meetings:
        past = meeting in held
        # The modifications the Change Board votes on here: at its last meeting, those that reached
        # it by that meeting's paper day; at its next, those that came after.
        on_agenda = []
        if is_board and meeting in (held[-1:] + coming[:1]):
            last_paper_day = held[-1].paper_day if held else None
            for modification in at_board:
                reached = modification.events.filter(to_stage=Stage.CHANGE_BOARD).order_by("-occurred_on").first()
                early = reached is not None and last_paper_day is not None and reached.occurred_on < last_paper_day
                if early == (meeting in held):
                    on_agenda.append(modification)
        lines = [("Apologies and minutes of the last meeting", None, False)]
        lines += [(f"{m.reference}: Change Board vote", m, True) for m in on_agenda]
        lines += [("Operational and security update", None, past), ("Any other business", None, False)]
        agenda[meeting.pk] = []
        for order, (title, modification, decision) in enumerate(lines, start=1):
            item = AgendaItem(
                meeting=meeting, order=order, title=title, modification=modification, decision_needed=decision
            )
            if past and title == "Operational and security update":
                item.outcome = f"Noted: the {committee.name} noted the update."
                item.outcome_recorded_at = meeting.ends_at
            items.append(item)
            agenda[meeting.pk].append(item)
    AgendaItem.objects.bulk_create(items)

    for meeting in meetings:
        paper_day = datetime.datetime.combine(meeting.paper_day, datetime.time(9), tzinfo=LONDON)
        late = datetime.datetime.combine(add_working_days(meeting.paper_day, 2), datetime.time(9), tzinfo=LONDON)
        update = agenda[meeting.pk][-2]
        specs = [("Agenda", Classification.WHITE, None, None, paper_day)]
        specs += [
            (f"{item.modification.reference} Change Board paper", Classification.GREEN, item, None, paper_day)
            for item in agenda[meeting.pk]
            if item.modification is not None
        ]
        specs += [
            ("Operational performance report", Classification.GREEN, update, None, paper_day),
            # Late on purpose, for the last meeting held: papers can arrive after paper day.
            ("Risk register extract", Classification.AMBER, update, dcc, late if meeting in held[-1:] else paper_day),
        ]
        if committee.kind == Committee.Kind.PANEL and chair and panel_member:
            specs.append(("Legal advice on a dispute", Classification.RED, update, None, paper_day))
        for title, classification, item, owner, published in specs:
            if published <= now:  # nothing is published before its time
                papers.append(
                    _paper(
                        meeting,
                        title=title,
                        classification=classification,
                        staff=staff,
                        published=published,
                        item=item,
                        owner_party=owner,
                    )
                )
    papers = Paper.objects.bulk_create(papers)
    for paper in papers:
        if paper.classification == Classification.RED:
            paper.red_recipients.set([chair, panel_member])
    with_papers = {p.meeting_id for p in papers}
    Meeting.objects.filter(pk__in=[m.pk for m in coming if m.pk in with_papers]).update(
        status=Meeting.Status.PAPERS_PUBLISHED
    )

    attendance, minutes, actions = [], [], []
    for n, meeting in enumerate(held):
        day = timezone.localtime(meeting.starts_at, LONDON).date()
        later = held[n + 1] if n + 1 < len(held) else None
        attendance += [
            Attendance(meeting=meeting, user=membership.user, status=Attendance.Status.ATTENDED)
            for membership in members[:6]
        ]
        minutes.append(
            Minutes(
                meeting=meeting,
                text=f"## {meeting.title}\n\n1. The Chair welcomed members.\n2. The minutes of the last "
                "meeting were approved.\n3. Members noted the operational update.",
                status=Minutes.Status.APPROVED if later else Minutes.Status.DRAFT,
                approved_at=later,
                approved_by=staff if later else None,
                approved_on=timezone.localtime(later.starts_at, LONDON).date() if later else None,
            ).render_rich_text()
        )
        due = add_working_days(day, 15)
        done = due < local_today()
        owner = members[n % len(members)].user if members else staff
        actions.append(
            Action(
                meeting=meeting,
                title="Circulate the revised risk register",
                owner=owner,
                due_on=due,
                status=Action.Status.DONE if done else Action.Status.OPEN,
                updated_at=datetime.datetime.combine(due, datetime.time(12), tzinfo=LONDON)
                if done
                else meeting.ends_at,
                reference=f"{committee.slug.upper()[:6]}-{timezone.localtime(meeting.starts_at):%y%m}-01",
            )
        )
    Attendance.objects.bulk_create(attendance)
    Minutes.objects.bulk_create(minutes)
    Action.objects.bulk_create(actions)


def _vote_in_progress(staff) -> None:
    """The Change Board's vote on each modification on the agenda of its last meeting, opened at that
    meeting, with one seat's vote cast there (by member@panel.example when that account votes on
    the Board). Idempotent."""
    from secportal.exceptions import ApplicationError

    from .models import Vote, VoteRound

    now = timezone.now()
    items = AgendaItem.objects.filter(
        meeting__committee__kind=Committee.Kind.CHANGE_BOARD,
        meeting__ends_at__lte=now,
        modification__stage=Stage.CHANGE_BOARD,
        decision_needed=True,
        outcome="",
    ).select_related("meeting", "modification")
    member = User.objects.filter(email="member@panel.example").first()
    for item in items:
        if VoteRound.objects.filter(modification=item.modification).exists():
            continue
        vote_round = services.vote_round_open(actor=staff, modification=item.modification, meeting=item.meeting)
        # Opened at the meeting (the service stamps "now"), and the member voted there.
        opened_at = item.meeting.starts_at + datetime.timedelta(hours=1)
        VoteRound.objects.filter(pk=vote_round.pk).update(opened_at=opened_at)
        if member is not None:
            with contextlib.suppress(ApplicationError):  # unless the demo member holds no voting seat there
                vote = services.vote_cast(
                    actor=member,
                    vote_round=vote_round,
                    choice="approve",
                    rationale="Better facilitates SEC Objective (a): it removes a manual workaround.",
                    objectives=["a"],
                )
                Vote.objects.filter(pk=vote.pk).update(cast_at=opened_at + datetime.timedelta(minutes=20))
