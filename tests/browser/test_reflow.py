"""Every page fits a phone: at 320 CSS pixels no page scrolls sideways (WCAG 1.4.10) and axe-core
finds nothing, for each kind of person the demo has (SECAS staff, a Panel member, a Party
administrator, a Party user, someone not signed in).

One test walks the portal as each of them in turn (building the data is most of its cost): it opens
the representative pages first (a modification with a long timeline, a meeting, a vote, an event, a
news post, a Party's people, a consultation, the register with and without filters, the
notification settings), then follows every link it finds on the portal's own pages, checking one
page of each kind (URL name), so a page added later is checked as soon as something links to it.
The data set is small but realistic, made with the project's factories and services, with the long
words real data has (long Party names, email addresses, titles)."""

import datetime
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.urls import Resolver404, resolve
from django.utils import timezone

from modifications import services as modification_services
from modifications.models import ModificationDocument, Path, Route, Stage
from modifications.tests.factories import PDF_BYTES, make_document, make_modification, make_release
from news.models import EventKind, NewsPost
from news.services import AgendaLine, registration_create
from news.tests.factories import make_event, make_post
from panel import services as panel_services
from panel.models import Action, AgendaItem, Committee, Meeting, Membership, Paper, Seat
from parties import roles
from parties import services as party_services
from parties.models import Party
from parties.tests.factories import make_party, make_user
from secportal.classification import Classification
from tests.browser.journey import check_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STAFF = "sam.analyst@secas.example"
MEMBER = "gareth.owen@brightwater-home-energy.example"
ADMIN = "alice.turner@northwind-energy-supply.example"
USER = "priya.shah@fenland-community-power.example"
LONG_EMAIL = "christopher.montgomery-fitzwilliam.settlements@northwind-energy-supply-company.example"

# Pages that are not HTML (files, feeds, calendars), that act when opened, or that are not the
# portal's own layout (the Django admin): never followed.
NOT_PAGES = {
    "admin",
    "healthz",
    "account_logout",
    "notifications:open",
    "notifications:unsubscribe",
    "modifications:document-download",
    "modifications:release-document-download",
    "modifications:modification-feed",
    "modifications:modification-export",
    "modifications:consultation-csv",
    "news:post-feed",
    "news:attachment-download",
    "news:image",
    "news:calendar-ics",
    "news:event-ics",
    "news:private-calendar",
    "news:slide-download",
    "news:slide-thumbnail",
    "news:event-attendees-csv",
    "panel:paper-download",
}
# The selects whose chosen option is cut off ("Any Party categ"): measured in the select's own
# font against the room inside it (its width less its padding, where the arrow is drawn). On a
# phone only the filters' own choices are asked to fit ("Any Party category"): a long option such
# as "Modification Report Consultation" cannot fit at 320 pixels, and the open list shows it whole.
CUT_OFF_CHOICES = """(filtersOnly) => {
    const canvas = document.createElement('canvas').getContext('2d');
    return [...document.querySelectorAll(filtersOnly ? 'form[role=search] select' : 'select')]
        .filter(s => s.getClientRects().length && s.selectedIndex >= 0 && (!filtersOnly || s.selectedIndex === 0))
        .filter(s => {
            const style = getComputedStyle(s);
            canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
            const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            return canvas.measureText(s.options[s.selectedIndex].text).width > room;
        }).map(s => `${s.name}: ${s.options[s.selectedIndex].text}`);
}"""
MAX_PAGES = 80  # one page of each kind: far more than the portal has, so a loop cannot run away


def _pdf(name: str) -> ContentFile:
    return ContentFile(PDF_BYTES, name=name)


@pytest.fixture
def portal(settings):
    """The small, realistic portal every role walks through; returns its representative pages."""
    settings.SECPORTAL_REQUIRE_MFA = False
    staff = make_user(email=STAFF, full_name="Sam Analyst", role_names={roles.SECAS_STAFF})

    northwind = make_party(
        name="Northwind Energy Supply Ltd",
        category=Party.Category.LARGE_SUPPLIER,
        status=Party.Status.ACCEDED,
        party_signifier="NWES",
    )
    fenland = make_party(name="Fenland Community Power Ltd", status=Party.Status.ACCEDED, party_signifier="FCPL")
    brightwater = make_party(
        name="Brightwater Home Energy plc", category=Party.Category.LARGE_SUPPLIER, status=Party.Status.ACCEDED
    )
    network = make_party(
        name="Eastern and Northern Counties Electricity Distribution Network Operator (Holdings) Ltd",
        category=Party.Category.ELECTRICITY_NETWORK,
        status=Party.Status.ACCEDED,
    )
    make_party(name="Data and Communications Company", category=Party.Category.DCC, status=Party.Status.ACCEDED)
    make_party(name="Harbourside Gas Transporters Ltd", category=Party.Category.GAS_NETWORK)

    admin = make_user(
        email=ADMIN,
        full_name="Alice Turner",
        party=northwind,
        job_title="Head of Industry Codes and Regulatory Change",
        role_names={roles.PARTY_USER, roles.PARTY_ADMINISTRATOR},
    )
    make_user(email=LONG_EMAIL, full_name="Christopher Montgomery-Fitzwilliam", party=northwind)
    make_user(email="rosa.diaz@northwind-energy-supply.example", full_name="Rosa Diaz", party=northwind)
    party_services.invitation_create(
        actor=admin, party=northwind, email="new.starter.in.settlements@northwind-energy-supply-company.example"
    )
    party_services.party_change_request_create(
        actor=admin,
        party=northwind,
        proposed={"website": "https://www.northwind-energy-supply-company.example/industry/smart-energy-code"},
        reason="Our web address changed when the company was renamed.",
    )
    user = make_user(email=USER, full_name="Priya Shah", party=fenland, job_title="Regulation Analyst")
    ewan = make_user(email="ewan.fraser@fenland-community-power.example", full_name="Ewan Fraser", party=fenland)
    party_services.account_request_create(
        full_name="Margaret Featherstonehaugh-Whittingham",
        email="margaret.featherstonehaugh-whittingham@eastern-northern-counties-dno.example",
        party=network,
        job_title="Smart Metering Interoperability Lead",
        reason="I lead our smart metering change programme and need to follow modifications.",
    )
    member = make_user(email=MEMBER, full_name="Gareth Owen", party=brightwater)

    # The Panel and the Change Board, with seats and members.
    panel = Committee.objects.create(
        name="SEC Panel",
        slug="sec-panel",
        kind=Committee.Kind.PANEL,
        purpose="Oversees the Smart Energy Code and decides the path of each modification.",
        meets="Monthly",
    )
    board = Committee.objects.create(
        name="Change Board",
        slug="change-board",
        kind=Committee.Kind.CHANGE_BOARD,
        purpose="Votes on Modification Proposals.",
        meets="Monthly",
    )
    panel_seat = Seat.objects.create(committee=panel, label="Large Supplier 1", constituency="large_supplier")
    board_seat = Seat.objects.create(committee=board, label="Large Supplier", constituency="large_supplier")
    panel_services.membership_add(
        actor=staff, committee=panel, user=member, role=Membership.Role.MEMBER, seat=panel_seat
    )
    panel_services.membership_add(
        actor=staff, committee=board, user=member, role=Membership.Role.MEMBER, seat=board_seat
    )
    panel_services.membership_add(
        actor=staff,
        committee=panel,
        user=make_user(
            email=LONG_EMAIL.replace("northwind", "network"), full_name="Bartholomew Ashworth", party=network
        ),
        role=Membership.Role.OBSERVER,
    )

    # Modifications at many stages; MP210 with a long timeline and many documents.
    release = make_release(name="June 2027 SEC Release", slug="june-2027")
    long_title = "Smart meter installation reporting for Small Suppliers and Electricity Distribution Network Operators"
    mp210 = make_modification(
        stage=Stage.REFINEMENT,
        path=Path.PATH_2,
        route=Route.REFINEMENT,
        number=210,
        title=long_title,
        issue="Installations are reported late.\n\n| Party | Late reports | Share |\n|---|---|---|\n"
        "| Northwind Energy Supply Ltd | 1,204 | 12% |\n| Fenland Community Power Ltd | 87 | 3% |\n\n"
        "See https://www.smartenergycodecompany.example/modifications/mp210-installation-reporting-consultation-responses",
        impacts={"small_supplier": "high", "large_supplier": "medium", "electricity_network": "low"},
        proposer=user,
        proposer_party=fenland,
        target_release=release,
    )
    for follower in (user, member, admin):
        modification_services.follow_set(user=follower, modification=mp210, following=True)
    for n in range(8):
        modification_services.modification_post_update(
            actor=staff,
            modification=mp210,
            text=f"Working Group meeting {n + 1}: requirements and legal text reviewed.",
        )
    for kind, title, version, label in (
        (ModificationDocument.Kind.LEGAL_TEXT, "MP210 legal text", 1, Classification.WHITE),
        (ModificationDocument.Kind.LEGAL_TEXT, "MP210 legal text", 2, Classification.GREEN),
        (ModificationDocument.Kind.MODIFICATION_REPORT, "MP210 Modification Report", 1, Classification.WHITE),
    ):
        make_document(mp210, kind=kind, title=title, version=version, classification=label)
    modification_services.modification_finish_refinement(actor=staff, modification=mp210, note="Refinement done.")
    modification_services.modification_open_mrc(actor=staff, modification=mp210)
    consultation = mp210.consultations.get()
    modification_services.response_submit(
        actor=user,
        consultation=consultation,
        changes={
            str(q.pk): {"position": "yes", "text": "It makes installation data consistent across suppliers."}
            for q in consultation.questions.all()
        },
    )
    make_modification(number=102, title="Prepayment top-up retries", stage=Stage.REPORT_PHASE, proposer_party=fenland)
    make_modification(number=102, suffix="A", reference="MP102A", title="Prepayment top-up retries (alternative)")
    make_modification(number=215, title="Certificate revocation timetable", proposer_party=northwind)
    make_modification(number=216, title="Firmware for legacy hubs", stage=Stage.DEVELOPMENT)
    make_modification(number=190, title="Half-hourly data access", stage=Stage.IMPLEMENTED, target_release=release)
    make_modification(number=201, title="Alerts to network operators", stage=Stage.WITHDRAWN, path=Path.PATH_3)
    voted_on = make_modification(
        stage=Stage.CHANGE_BOARD, path=Path.PATH_3, route=Route.REFINEMENT, number=213, title="Accession fees"
    )

    # A meeting with an agenda, papers, an action and a vote.
    starts = timezone.now().replace(microsecond=0) + datetime.timedelta(days=10)
    meeting = Meeting.objects.create(
        committee=board,
        title="January 2027 Change Board",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=3),
        online_link="https://meet.example.org/change-board/january-2027-meeting-with-a-long-address",
    )
    item = AgendaItem.objects.create(
        meeting=meeting, order=1, title="MP213 Accession fees: vote", modification=voted_on
    )
    AgendaItem.objects.create(meeting=meeting, order=2, title="MP210 progress", modification=mp210)
    panel_services.paper_publish(
        actor=staff, meeting=meeting, title="MP213 Change Board paper", upload=_pdf("p.pdf"), classification="white"
    )
    Paper.objects.filter(meeting=meeting).update(item=item)
    Action.objects.create(
        meeting=meeting,
        reference="CB-2027-01-01",
        title="SECAS to circulate the revised legal text of MP210 to every Electricity Distribution Network Operator",
        owner=staff,
        due_on=timezone.localdate() + datetime.timedelta(days=20),
    )
    vote = panel_services.vote_round_open(actor=staff, modification=voted_on, meeting=meeting)

    # News and events.
    post = make_post(
        actor=staff,
        title="Smart Energy Code release notes for June 2027",
        summary="What the June 2027 SEC Release changes.",
        body="## Changes\n\n| Modification | Title | Who is affected |\n|---|---|---|\n"
        "| MP190 | Half-hourly data access | Large Suppliers, Small Suppliers, Electricity Network Parties |\n\n"
        "Read https://www.smartenergycodecompany.example/releases/june-2027/implementation-guidance-for-parties",
        tags=["releases", "implementation"],
    )
    make_post(actor=staff, title="A draft being written", status=NewsPost.Status.DRAFT)
    event = make_event(
        actor=staff,
        title="SEC Modifications Questions Hour",
        kind=EventKind.QUESTIONS_HOUR,
        agenda=(
            AgendaLine(datetime.time(11), "Welcome and the modifications pipeline", "SECAS"),
            AgendaLine(datetime.time(11, 20), "Questions from Parties about Modification Proposals in refinement"),
        ),
        capacity=40,
    )
    registration_create(actor=user, event=event, notes="I would like to ask about MP210's reporting timetable.")
    registration_create(actor=ewan, event=event)
    make_event(
        actor=staff,
        title="Introduction to the SEC seminar",
        kind=EventKind.INTRODUCTION,
        starts_in=-datetime.timedelta(days=30),
    )

    return {
        "staff": staff,
        "pages": [
            "/",
            "/modifications/",
            "/modifications/?q=MP+210&state=open",
            "/modifications/?stage=mrc&category=small_supplier&sort=next",
            "/modifications/MP210/",
            f"/modifications/consultations/{consultation.pk}/",
            f"/panel/meetings/{meeting.pk}/",
            f"/panel/votes/{vote.pk}/",
            f"/events/{event.slug}/",
            f"/news/{post.slug}/",
            "/parties/northwind-energy-supply-ltd/",
            "/parties/northwind-energy-supply-ltd/people/",
            "/notifications/settings/",
        ],
    }


def kind_of(path: str) -> str | None:
    """The page's URL name (one page of each kind is checked), or None for what is not a page."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    name = match.view_name
    if name in NOT_PAGES or name.split(":")[0] in NOT_PAGES or path.startswith("/admin/"):
        return None
    return name


def walk(page, axe, start: list[str]) -> tuple[list[str], list[str]]:
    """Check each start page the person may see, then one page of each kind linked from the pages
    checked (every link must work). Returns the pages checked and what was wrong with any of them
    (all of them, not only the first)."""
    queue, kinds, checked, failures = [(path, True) for path in start], set(), [], []
    while queue:
        path, is_start = queue.pop(0)
        kind = kind_of(urlsplit(path).path)
        if kind is None or (not is_start and kind in kinds):
            continue
        kinds.add(kind)
        response = page.goto(path)
        if is_start and response is not None and response.status in (403, 404):
            page.console_errors.clear()  # a page this person may not see: the browser logs the refusal
            continue
        checked.append(path)
        assert len(checked) <= MAX_PAGES, checked
        if response is None or response.status != 200:
            failures.append(f"{path} answered {response and response.status}")
            continue
        try:
            check_page(page, axe)
        except AssertionError as failure:
            failures.append(str(failure).splitlines()[0])
        for width in (320, 1280):  # a phone, then back to the desktop the walk goes on with
            page.set_viewport_size({"width": width, "height": 720})
            cut = page.evaluate(CUT_OFF_CHOICES, width < 576)
            if cut:
                failures.append(f"{path} at {width} px shows only part of the choice in {cut}")
        here = urlsplit(page.url).netloc
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            url = urlsplit(href)
            if url.netloc == here and url.scheme in ("http", "https"):
                queue.append((url.path + (f"?{url.query}" if url.query else ""), False))
    return checked, failures


# Who walks the portal, and kinds of page each must reach (so the walk cannot quietly stop short).
ROLES = [
    ("anonymous", None, {"home", "modifications:modification-list", "panel:meeting-detail", "account-request"}),
    (
        "SECAS staff",
        STAFF,
        {
            "dashboard",
            "notifications:outbox",
            "parties:accountrequest-list",
            "parties:change-request-list",
            "news:post-drafts",
            "news:event-attendees",
            "modifications:modification-action",
        },
    ),
    ("Panel member", MEMBER, {"dashboard", "panel:vote-detail", "panel:committee-detail", "notifications:list"}),
    ("Party administrator", ADMIN, {"parties:party-people", "parties:party-change-request", "profile"}),
    (
        "Party user",
        USER,
        {"modifications:modification-raise", "modifications:consultation-detail", "notifications:settings"},
    ),
]


def test_every_page_reflows_at_320_pixels_and_passes_axe(page, axe, portal):
    """One walk per role over one data set (building it is most of the cost); every failure of
    every role is reported together."""
    problems = []
    for role, email, must_reach in ROLES:
        page.context.clear_cookies()
        if email:
            sign_in(page, email)
        checked, failures = walk(page, axe, portal["pages"])
        reached = {kind_of(urlsplit(path).path) for path in checked}
        problems += [f"{role}: {failure}" for failure in failures]
        if not must_reach <= reached:
            problems.append(f"{role}: did not reach {sorted(must_reach - reached)}")
    # The error pages are in the same layout and fit too.
    page.context.clear_cookies()
    assert page.goto("/modifications/MP999/").status == 404
    page.console_errors.clear()  # the browser logs the 404 itself
    try:
        check_page(page, axe)
    except AssertionError as failure:
        problems.append(f"the 404 page: {str(failure).splitlines()[0]}")
    assert problems == [], "\n".join(problems)
