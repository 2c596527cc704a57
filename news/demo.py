"""Demo news posts and events (README "Demo accounts"): made-up content, generated slide pack."""

import datetime
import hashlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from fpdf import FPDF

from modifications.models import ModificationProposal
from parties import roles
from parties.models import User
from secportal.classification import Classification
from secportal.workingdays import LONDON, local_today

from . import services
from .models import (
    AgendaItem,
    Event,
    EventKind,
    EventSeries,
    NewsPost,
    NewsPostEvent,
    NewsPostRevision,
    NewsTag,
    Registration,
    SlidePack,
)
from .thumbnails import make_thumbnail

K = NewsPost.Kind
# slug, kind, title, summary, body, tags, related references, days ago
POSTS = [
    (
        "november-2026-sec-release-is-live",
        K.SEC_RELEASE,
        "The November 2026 SEC Release is live",
        "SEC v1.24 is in force, implementing MP221 and MP222.",
        "## What changed\n\nThe **November 2026 SEC Release** went live on 5 November 2026, producing SEC version 1.24.\n\n"
        "| Modification | Title |\n|---|---|\n| MP221 | Clarifying Smart Metering Key Infrastructure roles |\n"
        "| MP222 | Half-hourly settlement data access |\n\nThe conformed SEC is on the SECAS website.",
        ["SEC releases"],
        ["MP221", "MP222"],
        24,
    ),
    (
        "sec-newsletter-november-2026",
        K.NEWSLETTER,
        "SEC newsletter: November 2026",
        "Panel highlights, consultations closing soon and the Questions Hour dates for the new year.",
        "## In this issue\n\n- Panel highlights from November\n- Consultations closing soon\n- Spotlight on the SEC: slides now available\n\n"
        "Read on for the detail, and [contact SECAS](mailto:secas@secportal.example) with questions.",
        ["Newsletter"],
        [],
        10,
    ),
    (
        "desnz-smart-metering-policy-framework-2027",
        K.GOVERNMENT,
        "DESNZ publishes the smart metering policy framework for 2027",
        "The Department for Energy Security and Net Zero has set out its framework for the next phase of the roll-out.",
        "The government's framework covers installation targets, consumer protections and the DCC's role.\n\n"
        "SECAS will summarise the impacts on the SEC at the next **Spotlight on the SEC**.",
        ["Government"],
        [],
        33,
    ),
    (
        "ofgem-approves-mp218",
        K.OFGEM,
        "Ofgem approves MP218: Change of Supplier certificate updates",
        "The Authority has approved MP218 for the June 2027 SEC Release.",
        "Ofgem has approved **MP218** (Path 2). It will be implemented in the June 2027 SEC Release.",
        ["Ofgem", "Decisions"],
        ["MP218"],
        6,
    ),
    (
        "consultation-mp210-modification-report",
        K.CONSULTATION,
        "Consultation open: MP210 Modification Report",
        "Parties are invited to respond to the Modification Report Consultation on MP210.",
        "The Modification Report Consultation on **MP210** is open for 15 Working Days. Every Party except the DCC may respond.",
        ["Consultations"],
        ["MP210"],
        4,
    ),
    (
        "panel-elections-2027-call-for-nominations",
        K.ELECTION,
        "SEC Panel elections 2027: call for nominations",
        "Nominations are open for the Large Supplier and Small Supplier seats on the SEC Panel.",
        "## Seats up for election\n\n1. One Large Supplier seat\n2. One Small Supplier seat\n\nNominations close on 15 January 2027.",
        ["Elections", "SEC Panel"],
        [],
        3,
    ),
    (
        "change-board-elections-results-2026",
        K.ELECTION,
        "Change Board election results 2026",
        "The Change Board members for 2026 to 2028 have been elected.",
        "Thank you to everyone who stood and voted. The new members take their seats in January.",
        ["Elections", "Change Board"],
        [],
        60,
    ),
    (
        "secas-welcomes-new-parties",
        K.NEWS,
        "SECAS welcomes four new SEC Parties",
        "Four organisations acceded to the SEC this quarter.",
        "Welcome to our new Parties. Their Party Signifiers are listed on the [Party register](/parties/).",
        ["Parties"],
        [],
        45,
    ),
    (
        "questions-hour-dates-2027",
        K.NEWS,
        "Modifications Questions Hour: dates for 2027",
        "The monthly Questions Hour continues on the first Monday of each month at 11:00.",
        "When the first Monday is a bank holiday, the Questions Hour moves to the next Working Day. See [events](/events/).",
        ["Events"],
        [],
        2,
    ),
    (
        "dcc-service-desk-bank-holiday-hours",
        K.NEWS,
        "DCC Service Desk hours over the Christmas bank holidays",
        "The DCC has published its Service Desk hours for the Christmas period.",
        "The DCC Service Desk is open as usual except on Christmas Day and Boxing Day (observed).",
        ["DCC"],
        ["MP220"],
        1,
    ),
    (
        "june-2026-sec-release-is-live",
        K.SEC_RELEASE,
        "The June 2026 SEC Release is live",
        "SEC v1.23 is in force, implementing MP223 and MP224.",
        "The **June 2026 SEC Release** went live on 25 June 2026.",
        ["SEC releases"],
        ["MP223", "MP224"],
        157,
    ),
]
WITHDRAWN = (
    "draft-timetable-for-2027-releases",
    K.NEWS,
    "Draft timetable for the 2027 SEC Releases",
    "A draft timetable for the 2027 releases, for comment.",
    "The draft timetable is under review.",
    ["SEC releases"],
    [],
    20,
)
SCHEDULED = (
    "sec-newsletter-december-2026",
    K.NEWSLETTER,
    "SEC newsletter: December 2026",
    "The year in review and what is coming in 2027.",
    "## The year in review\n\nTo follow.",
    ["Newsletter"],
    [],
    0,
)


def _slides_pdf(title: str, slides: list[tuple[str, list[str]]]) -> bytes:
    pdf = FPDF(orientation="L", format=(190.5, 338.7))  # 16:9
    pdf.set_title(title)
    for index, (heading, lines) in enumerate(slides):
        pdf.add_page()
        pdf.set_fill_color(11, 37, 69)
        pdf.rect(0, 0, 338.7, 190.5 if index == 0 else 26, "F")
        pdf.set_fill_color(11, 110, 105)
        pdf.rect(0, 186 if index == 0 else 26, 338.7, 4.5, "F")
        if index == 0:
            pdf.set_text_color(255, 255, 255)
            pdf.set_font("Helvetica", "B", 30)
            pdf.set_xy(24, 60)
            pdf.multi_cell(290, 14, heading)
            pdf.set_font("Helvetica", "", 16)
            pdf.set_x(24)
            for line in lines:
                pdf.set_x(24)
                pdf.multi_cell(290, 9, line)
            continue
        pdf.set_text_color(255, 255, 255)
        pdf.set_font("Helvetica", "B", 20)
        pdf.set_xy(16, 8)
        pdf.cell(0, 10, heading)
        pdf.set_text_color(20, 20, 20)
        pdf.set_font("Helvetica", "", 16)
        pdf.set_xy(20, 42)
        for line in lines:
            pdf.set_x(20)
            pdf.multi_cell(300, 10, f"-  {line}")
            pdf.ln(2)
    return bytes(pdf.output())


def _post(staff, spec: tuple, *, status=NewsPost.Status.PUBLISHED):
    slug, kind, title, summary, body, tags, refs, days_ago = spec
    if NewsPost.objects.filter(slug=slug).exists():
        return None
    now = timezone.now()
    published = now - datetime.timedelta(days=days_ago, hours=3)
    post = NewsPost.objects.create(
        slug=slug,
        kind=kind,
        title=title,
        summary=summary,
        body=body,
        author=staff,
        status=status,
        published_at=published if status != NewsPost.Status.SCHEDULED else None,
        publish_at=now + datetime.timedelta(days=3) if status == NewsPost.Status.SCHEDULED else None,
        created_at=published - datetime.timedelta(days=1),
        updated_at=published,
    )
    tag_objects = [
        NewsTag.objects.get_or_create(slug=t.lower().replace(" ", "-"), defaults={"name": t})[0] for t in tags
    ]
    post.tags.set(tag_objects)
    post.related_modifications.set(ModificationProposal.objects.filter(reference__in=refs))
    NewsPostRevision.objects.create(
        post=post,
        number=1,
        title=title,
        summary=summary,
        body=body,
        kind=kind,
        tags=", ".join(tags),
        editor=staff,
        created_at=post.created_at,
    )
    NewsPostEvent.objects.create(
        post=post, to_status=NewsPost.Status.DRAFT, actor=staff, note="Draft written", created_at=post.created_at
    )
    if status != NewsPost.Status.DRAFT:
        NewsPostEvent.objects.create(
            post=post,
            from_status=NewsPost.Status.DRAFT,
            to_status=NewsPost.Status.SCHEDULED if status == NewsPost.Status.SCHEDULED else NewsPost.Status.PUBLISHED,
            actor=staff,
            created_at=published,
        )
    return post


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=LONDON)


def _spotlight(staff) -> None:
    slug = "spotlight-on-the-sec-the-modification-lifecycle"
    if Event.objects.filter(slug=slug).exists():
        return
    day = local_today() - datetime.timedelta(days=38)
    day -= datetime.timedelta(days=(day.weekday() - 2) % 7)  # a Wednesday
    event = Event.objects.create(
        slug=slug,
        title="Spotlight on the SEC: the modification lifecycle",
        kind=EventKind.SPOTLIGHT,
        summary="How a problem becomes a change to the SEC: Draft Proposals, refinement, the Report Phase and the vote.",
        description="A webinar for new and experienced Party representatives.\n\n- The stages and paths\n"
        "- Where to find each document\n- How to respond to a consultation",
        starts_at=_at(day, 10),
        ends_at=_at(day, 12),
        online_link="https://meet.secportal.example/spotlight-lifecycle",
        capacity=100,
        recording_url="https://video.secportal.example/spotlight-lifecycle",
        created_by=staff,
        registration_closes_at=_at(day, 9),
    )
    for i, (hour, minute, title, speaker) in enumerate(
        [
            (10, 0, "Welcome and introductions", "SECAS"),
            (10, 10, "From Draft Proposal to Modification Proposal", "Lead analyst, SECAS"),
            (10, 45, "Refinement and the Report Phase", "Change Sub-Committee Chair"),
            (11, 20, "The Change Board vote and Ofgem's decision", "SECAS"),
            (11, 45, "Questions", ""),
        ],
        start=1,
    ):
        AgendaItem.objects.create(
            event=event, position=i, starts_at=datetime.time(hour, minute), title=title, speaker=speaker
        )
    content = _slides_pdf(
        "Spotlight on the SEC: the modification lifecycle",
        [
            (
                "Spotlight on the SEC: the modification lifecycle",
                [f"SECAS webinar, {day:%-d %B %Y}", "Demonstration slides"],
            ),
            (
                "From problem to change",
                [
                    "A Party raises a Draft Proposal",
                    "SECAS reviews it as critical friend",
                    "The Panel agrees the problem and sets the path",
                ],
            ),
            ("Refinement", ["Working Group meetings", "Legal text and DCC assessments", "Refinement Consultation"]),
            ("Decisions", ["Modification Report Consultation", "Change Board vote", "Ofgem decides Paths 1 and 2"]),
        ],
    )
    name = default_storage.save("events/demo/spotlight-lifecycle.pdf", ContentFile(content))
    png = make_thumbnail(
        content, seconds=settings.SECPORTAL_THUMBNAIL_SECONDS, memory_mb=settings.SECPORTAL_THUMBNAIL_MEMORY_MB
    )
    thumbnail = default_storage.save("events/demo/spotlight-lifecycle.png", ContentFile(png))
    SlidePack.objects.create(
        event=event,
        title="Slides",
        file=name,
        thumbnail=thumbnail,
        thumbnail_status=SlidePack.Thumbnail.READY,
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=staff,
        classification=Classification.WHITE,
        uploaded_at=_at(day, 15),
    )


def _upcoming(staff) -> None:
    """An Introduction to the SEC seminar (2 places a Party) and a Party Engagement Day."""
    today = local_today()
    specs = [
        (
            "introduction-to-the-sec-seminar",
            EventKind.INTRODUCTION,
            "Introduction to the SEC seminar",
            "A day for people new to the Smart Energy Code: the Parties, the Panel, the DCC and how changes are made.",
            today + datetime.timedelta(days=23),
            (9, 30),
            (16, 0),
            "",
            "SECAS offices, 1 Example Street, London EC1A 1AA",
            24,
            2,
        ),
        (
            "party-engagement-day-2027",
            EventKind.PARTY_ENGAGEMENT,
            "Party Engagement Day 2027",
            "Meet SECAS, the Panel and the DCC: the year ahead for the SEC.",
            today + datetime.timedelta(days=58),
            (10, 0),
            (15, 30),
            "https://meet.secportal.example/engagement-day",
            "Conference Centre, Birmingham B1 2AA",
            120,
            4,
        ),
    ]
    for slug, kind, title, summary, near, start, end, link, venue, capacity, per_party in specs:
        if Event.objects.filter(slug=slug).exists():
            continue
        day = near + datetime.timedelta(days=(1 - near.weekday()) % 7)  # a Tuesday
        event = Event.objects.create(
            slug=slug,
            kind=kind,
            title=title,
            summary=summary,
            starts_at=_at(day, *start),
            ends_at=_at(day, *end),
            online_link=link,
            venue=venue,
            capacity=capacity,
            places_per_party=per_party,
            created_by=staff,
            registration_closes_at=_at(day - datetime.timedelta(days=2), 17),
        )
        AgendaItem.objects.bulk_create(
            [
                AgendaItem(event=event, position=1, starts_at=datetime.time(*start), title="Arrival and welcome"),
                AgendaItem(
                    event=event,
                    position=2,
                    starts_at=datetime.time(start[0] + 1, 0),
                    title="The SEC in an hour",
                    speaker="SECAS",
                ),
                AgendaItem(
                    event=event, position=3, starts_at=datetime.time(end[0] - 1, 0), title="Questions and close"
                ),
            ]
        )


def _questions_hours(staff) -> None:
    """The Questions Hours of the coming months (a later run adds the months that have come into range)."""
    series = EventSeries.objects.filter(slug="sec-modifications-questions-hour").first()
    if series is not None:
        services.series_extend(actor=staff, series=series, first_month=local_today(), months=7)
    else:
        services.series_create(
            actor=staff,
            title="SEC Modifications Questions Hour",
            first_month=local_today(),
            months=7,
            summary="Progress on the active modifications, then your questions to SECAS.",
            description="Every month SECAS runs through the modifications in progress and answers your questions. "
            "Send questions in advance to secas@secportal.example.",
            online_link="https://meet.secportal.example/questions-hour",
            capacity=150,
        )


def _registrations() -> None:
    user = User.objects.filter(email="user@smallsupplier.example").first()
    if user is None or user.party_id is None:
        return
    event = Event.objects.upcoming().filter(kind=EventKind.QUESTIONS_HOUR).first()
    for target in [e for e in (event, Event.objects.filter(slug="introduction-to-the-sec-seminar").first()) if e]:
        if Registration.objects.filter(event=target, user=user).exists():
            continue
        Registration.objects.create(
            event=target,
            user=user,
            party_id=user.party_id,
            status=Registration.Status.CONFIRMED,
            confirmed_at=timezone.now(),
            notes="Step-free access, please.",
        )
        Event.objects.filter(pk=target.pk).update(
            confirmed_count=target.registrations.filter(status=Registration.Status.CONFIRMED).count()
        )


def seed(*, stdout=None) -> None:
    staff = User.objects.filter(groups__name=roles.SECAS_STAFF, email="staff@secas.example").first()
    staff = staff or User.objects.filter(groups__name=roles.SECAS_STAFF).order_by("pk").first()
    if staff is None:
        return
    for spec in POSTS:
        _post(staff, spec)
    withdrawn = _post(staff, WITHDRAWN)
    if withdrawn is not None:
        services.news_withdraw(
            actor=staff, post=withdrawn, reason="Superseded by the timetable agreed at the Panel in November."
        )
    _post(staff, SCHEDULED, status=NewsPost.Status.SCHEDULED)
    _spotlight(staff)
    _upcoming(staff)
    _questions_hours(staff)
    _registrations()
    if stdout:
        stdout.write(f"  news: {NewsPost.objects.count()} posts, {Event.objects.count()} events")
