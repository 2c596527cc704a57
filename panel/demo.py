"""Demo committees, members, meetings, papers and minutes (README "Demo accounts")."""

import contextlib
import datetime
import hashlib
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from modifications.demo import _pdf
from modifications.models import ModificationProposal
from parties import roles
from parties.models import Party, User
from secportal.classification import Classification
from secportal.workingdays import local_today

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


def _meeting(committee, *, title, when, status, headlines="") -> Meeting:
    meeting, _ = Meeting.objects.get_or_create(
        committee=committee,
        title=title,
        defaults={
            "starts_at": when,
            "ends_at": when + datetime.timedelta(hours=3),
            "status": status,
            "venue": "SECAS offices, London" if committee.kind == Committee.Kind.PANEL else "",
            "online_link": "https://meetings.secportal.example/join/" + committee.slug,
            "headlines": headlines,
        },
    )
    return meeting


def _paper(meeting, *, title, classification, staff, item=None, owner_party=None, red=(), late=False) -> None:
    if Paper.objects.filter(meeting=meeting, title=title).exists():
        return
    content = _pdf(title, meeting.committee.name, [f"Paper for {meeting.title}.", f"TLP:{classification.upper()}."])
    name = default_storage.save(
        f"panel/demo/{meeting.committee.slug}-{meeting.pk}-{title[:20]}.pdf", ContentFile(content)
    )
    paper_day = datetime.datetime.combine(meeting.paper_day, datetime.time(9), tzinfo=LONDON)
    published = paper_day + datetime.timedelta(days=2 if late else -1)
    paper = Paper.objects.create(
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
    if red:
        paper.red_recipients.set(red)


def _first_monday_after(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    first = datetime.date(day.year + month // 12, month % 12 + 1, 1)
    return first + datetime.timedelta(days=(7 - first.weekday()) % 7 + 7)  # second week: not a bank holiday


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

    chair = User.objects.filter(email="chair@panel.example").first()
    panel_member = User.objects.filter(email="member@panel.example").first()
    dcc = Party.objects.filter(category=Party.Category.DCC).first()
    for slug, committee in committees.items():
        for offset in (-2, -1, 1, 2):
            day = _first_monday_after(today, offset)
            start = day + datetime.timedelta(days=committee.order - 1)  # committees meet on different days
            when = datetime.datetime.combine(start, datetime.time(10 if committee.order % 2 else 13), tzinfo=LONDON)
            past = offset < 0
            meeting = _meeting(
                committee,
                title=f"{when:%B %Y} meeting",
                when=when,
                status=(Meeting.Status.MINUTES_APPROVED if offset == -2 else Meeting.Status.HELD)
                if past
                else (Meeting.Status.PAPERS_PUBLISHED if offset == 1 else Meeting.Status.PLANNED),
                headlines="- Agreed the recommendations in the papers.\n- Noted the DCC's operational report."
                if past
                else "",
            )
            if meeting.items.exists():
                continue
            AgendaItem.objects.create(meeting=meeting, order=1, title="Apologies and minutes of the last meeting")
            at_board = list(ModificationProposal.objects.filter(stage="change_board").order_by("number")[:2])
            if slug == "change-board" and not past and at_board:
                for n, mp in enumerate(at_board, start=2):
                    item = AgendaItem.objects.create(
                        meeting=meeting,
                        order=n,
                        title=f"{mp.reference}: Change Board vote",
                        modification=mp,
                        decision_needed=True,
                    )
                    _paper(
                        meeting,
                        title=f"{mp.reference} Change Board paper",
                        classification=Classification.GREEN,
                        staff=staff,
                        item=item,
                    )
            item = AgendaItem.objects.create(
                meeting=meeting,
                order=5,
                title="Operational and security update",
                decision_needed=past,
                outcome="Noted: the Panel noted the update." if past else "",
            )
            _paper(meeting, title="Agenda", classification=Classification.WHITE, staff=staff)
            _paper(
                meeting,
                title="Operational performance report",
                classification=Classification.GREEN,
                staff=staff,
                item=item,
            )
            _paper(
                meeting,
                title="Risk register extract",
                classification=Classification.AMBER,
                staff=staff,
                item=item,
                owner_party=dcc,
                late=offset == 1,
            )
            if slug == "sec-panel" and chair and panel_member:
                _paper(
                    meeting,
                    title="Legal advice on a dispute",
                    classification=Classification.RED,
                    staff=staff,
                    item=item,
                    red=[chair, panel_member],
                )
            if past:
                for membership in Membership.objects.current().filter(committee=committee).select_related("user")[:6]:
                    Attendance.objects.get_or_create(
                        meeting=meeting, user=membership.user, defaults={"status": Attendance.Status.ATTENDED}
                    )
                Minutes.objects.get_or_create(
                    meeting=meeting,
                    defaults={
                        "text": f"## {meeting.title}\n\n1. The Chair welcomed members.\n2. The minutes of the last "
                        "meeting were approved.\n3. Members noted the operational update.",
                        "status": Minutes.Status.APPROVED if offset == -2 else Minutes.Status.DRAFT,
                    },
                )
                members = list(Membership.objects.current().filter(committee=committee).values_list("user", flat=True))
                owner = User.objects.get(pk=members[offset % len(members)]) if members else staff
                Action.objects.get_or_create(
                    meeting=meeting,
                    title="Circulate the revised risk register",
                    defaults={
                        "owner": owner,
                        "due_on": today + datetime.timedelta(days=14),
                        "reference": f"{slug.upper()[:6]}-{when:%y%m}-01",
                    },
                )
    _vote_in_progress(staff)
    if stdout:
        stdout.write(f"  panel: {Committee.objects.count()} committees, {Meeting.objects.count()} meetings")


def _vote_in_progress(staff) -> None:
    """A Change Board vote open on the first modification at the Change Board, with one seat's vote
    cast (by member@panel.example when that account votes there). Idempotent."""
    from secportal.exceptions import ApplicationError

    from .models import Vote, VoteRound

    modification = ModificationProposal.objects.filter(stage="change_board").order_by("number").first()
    if staff is None or modification is None or VoteRound.objects.filter(modification=modification).exists():
        return
    meeting = (
        Meeting.objects.filter(
            committee__kind=Committee.Kind.CHANGE_BOARD, starts_at__gte=datetime.datetime.now(LONDON)
        )
        .order_by("starts_at")
        .first()
    )
    vote_round = services.vote_round_open(actor=staff, modification=modification, meeting=meeting)
    member = User.objects.filter(email="member@panel.example").first()
    if member is not None and not Vote.objects.filter(round=vote_round).exists():
        with contextlib.suppress(ApplicationError):  # unless the demo member holds no voting seat there
            services.vote_cast(
                actor=member,
                vote_round=vote_round,
                choice="approve",
                rationale="Better facilitates SEC Objective (a): it removes a manual workaround.",
                objectives=["a"],
            )
