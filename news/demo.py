"""Demo news posts and events (README "Demo accounts"): made-up content, generated slide pack.

Every date comes from the day the demo is loaded, and every post says what was true on the day it
is dated: a release is announced the Working Day after it went live, a consultation the day it
opened, Ofgem's approval the day it was recorded; the newsletter of a month comes out on its first
Working Day; nothing is published in the future (the next newsletter is scheduled). Events fall on
Working Days: a Spotlight held last month with its slides, seminars to come, the monthly
Modifications and Operations Questions Hours, and a Questions Hour on the next Working Day with its
agenda.
"""

import datetime
import hashlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from fpdf import FPDF

from modifications.models import Consultation, ModificationEvent, ModificationProposal, Release, Stage
from parties import roles
from parties.models import Party, User
from secportal.classification import Classification
from secportal.workingdays import (
    LONDON,
    add_working_days,
    is_working_day,
    local_today,
    next_working_day,
    previous_working_day,
)

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


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=LONDON)


def _first_working_day(year: int, month: int) -> datetime.date:
    return next_working_day(datetime.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1))


def newsletter_days(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """When the latest monthly newsletter came out (09:00 on the first Working Day of its month) and
    when the next one is due."""
    today = timezone.localtime(now, LONDON).date()
    times = [_at(_first_working_day(today.year, today.month + n), 9) for n in (-1, 0, 1)]
    return max(t for t in times if t <= now), min(t for t in times if t > now)


def bank_holidays_ahead(today: datetime.date) -> list[datetime.date]:
    """The next bank holidays after `today`: the weekdays that are not Working Days, with any that
    follow over the same weekend (Christmas and Boxing Day, Good Friday and Easter Monday)."""
    day = today + datetime.timedelta(days=1)
    while is_working_day(day) or day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    run = []
    while not is_working_day(day):
        if day.weekday() < 5:
            run.append(day)
        day += datetime.timedelta(days=1)
    return run


def _days_text(days: list[datetime.date]) -> str:
    names = [f"{d:%A %-d %B}" for d in days]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _extra_questions_hour_day(today: datetime.date) -> datetime.date:
    """The next Working Day: the Questions Hour "tomorrow"."""
    return next_working_day(today + datetime.timedelta(days=1))


def posts(now: datetime.datetime) -> list[tuple]:
    """The demo's posts as of `now`: (slug, kind, title, summary, body, tags, related references,
    published at), each dated by what it reports (read from the demo's modifications, releases and
    Parties) and never after `now`."""
    today = timezone.localtime(now, LONDON).date()
    result = []
    live = list(Release.objects.filter(status=Release.Status.LIVE, go_live__lt=today).order_by("-go_live")[:2])
    for release in live:
        implemented = list(release.modifications.filter(stage=Stage.IMPLEMENTED).order_by("number"))
        refs = [m.reference for m in implemented]
        rows = "".join(f"| {m.reference} | {m.title} |\n" for m in implemented)
        result.append(
            (
                f"{release.slug}-is-live",
                K.SEC_RELEASE,
                f"The {release.name} is live",
                f"SEC {release.sec_version} is in force, implementing {' and '.join(refs) or 'housekeeping changes'}.",
                f"## What changed\n\nThe **{release.name}** went live on {release.go_live:%-d %B %Y}, producing SEC "
                f"version {release.sec_version}.\n\n| Modification | Title |\n|---|---|\n{rows}\n"
                "The conformed SEC is on the SECAS website.",
                ["SEC releases"],
                refs,
                _at(add_working_days(release.go_live, 1), 10),
            )
        )
    out, _ = newsletter_days(now)
    month = timezone.localtime(out, LONDON)
    result.append(
        (
            f"sec-newsletter-{month:%B-%Y}".lower(),
            K.NEWSLETTER,
            f"SEC newsletter: {month:%B %Y}",
            "Panel highlights, consultations closing soon and the Questions Hours coming up.",
            f"## In this issue\n\n- Panel highlights from {month - datetime.timedelta(days=7):%B}\n"
            "- Consultations closing soon\n- Spotlight on the SEC: slides now available\n\n"
            "Read on for the detail, and [contact SECAS](mailto:secas@secportal.example) with questions.",
            ["Newsletter"],
            [],
            out,
        )
    )
    day = previous_working_day(today - datetime.timedelta(days=33))
    year = day.year + (1 if day.month >= 10 else 0)
    result.append(
        (
            f"desnz-smart-metering-policy-framework-{year}",
            K.GOVERNMENT,
            f"DESNZ publishes the smart metering policy framework for {year}",
            "The Department for Energy Security and Net Zero has set out its framework for the next phase of the "
            "roll-out.",
            "The government's framework covers installation targets, consumer protections and the DCC's role.\n\n"
            "SECAS will summarise the impacts on the SEC at the next **Spotlight on the SEC**.",
            ["Government"],
            [],
            _at(day, 11),
        )
    )
    approval = (
        ModificationEvent.objects.filter(
            from_stage=Stage.WITH_AUTHORITY, to_stage=Stage.APPROVED, modification__stage=Stage.APPROVED
        )
        .select_related("modification__target_release")
        .order_by("-occurred_on", "-pk")
        .first()
    )
    if approval is not None:
        mp = approval.modification
        release = mp.target_release.name if mp.target_release else "a SEC Release to be decided"
        result.append(
            (
                f"ofgem-approves-{mp.reference.lower()}",
                K.OFGEM,
                f"Ofgem approves {mp.reference}: {mp.title}",
                f"The Authority has approved {mp.reference} for the {release}.",
                f"Ofgem has approved **{mp.reference}** ({mp.get_path_display()}). It will be implemented in the "
                f"{release}.",
                ["Ofgem", "Decisions"],
                [mp.reference],
                _at(approval.occurred_on, 14),
            )
        )
    consultation = (
        Consultation.objects.filter(kind=Consultation.Kind.MRC, opens_at__lte=now, closes_at__gt=now)
        .select_related("modification")
        .order_by("-opens_at")
        .first()
    )
    if consultation is not None:
        mp = consultation.modification
        closes = timezone.localtime(consultation.closes_at, LONDON)
        result.append(
            (
                f"consultation-{mp.reference.lower()}-modification-report",
                K.CONSULTATION,
                f"Consultation open: {mp.reference} Modification Report",
                f"Parties are invited to respond to the Modification Report Consultation on {mp.reference}.",
                f"The Modification Report Consultation on **{mp.reference}** is open until {closes:%-d %B %Y}. "
                "Every Party except the DCC may respond.",
                ["Consultations"],
                [mp.reference],
                consultation.opens_at + datetime.timedelta(minutes=30),
            )
        )
    day = add_working_days(today, -3)
    closes = add_working_days(day, 20)
    result.append(
        (
            f"panel-elections-{closes.year}-call-for-nominations",
            K.ELECTION,
            f"SEC Panel elections {closes.year}: call for nominations",
            "Nominations are open for the Large Supplier and Small Supplier seats on the SEC Panel.",
            "## Seats up for election\n\n1. One Large Supplier seat\n2. One Small Supplier seat\n\n"
            f"Nominations close on {closes:%-d %B %Y}.",
            ["Elections", "SEC Panel"],
            [],
            _at(day, 10),
        )
    )
    day = previous_working_day(today - datetime.timedelta(days=60))
    result.append(
        (
            f"change-board-election-results-{day.year}",
            K.ELECTION,
            f"Change Board election results {day.year}",
            f"The Change Board members for {day.year} to {day.year + 2} have been elected.",
            "Thank you to everyone who stood and voted. The new members take their seats at the Change Board's "
            "next meeting.",
            ["Elections", "Change Board"],
            [],
            _at(day, 12),
        )
    )
    acceding = list(
        Party.objects.filter(status__in=[Party.Status.APPLIED, Party.Status.AGREEMENT_SENT]).order_by("name")
    )
    if acceding:
        latest = max(p.agreement_sent_on or p.applied_on for p in acceding)
        lines = "".join(
            f"- **{p.name}** ({p.get_category_display()}): "
            + (
                f"Accession Agreement sent on {p.agreement_sent_on:%-d %B %Y}"
                if p.agreement_sent_on
                else f"applied on {p.applied_on:%-d %B %Y}"
            )
            + "\n"
            for p in acceding
        )
        result.append(
            (
                "organisations-acceding-to-the-sec",
                K.NEWS,
                "New organisations acceding to the SEC",
                f"{len(acceding)} organisations are on their way to becoming SEC Parties.",
                f"{lines}\nEvery Party, with its accession status, is on the [Party register](/parties/).",
                ["Parties"],
                [],
                _at(add_working_days(latest, 1), 10),
            )
        )
    day = add_working_days(today, -2)
    year = day.year + (1 if day.month >= 11 else 0)
    extra = _extra_questions_hour_day(today)
    result.append(
        (
            f"questions-hour-dates-{year}",
            K.NEWS,
            f"Modifications Questions Hour: dates for {year}",
            "The monthly Questions Hour continues on the first Monday of each month at 11:00.",
            "When the first Monday is a bank holiday, the Questions Hour moves to the next Working Day. The "
            "Operations Questions Hour follows the same day at 14:00. "
            f"An extra session on {extra:%A %-d %B} looks at the Modification Report Consultations open now. "
            "See [events](/events/).",
            ["Events"],
            [],
            _at(day, 15),
        )
    )
    holidays_ahead = bank_holidays_ahead(today)
    service_desk = ModificationProposal.objects.filter(title="DCC Service Desk hours over bank holidays").first()
    result.append(
        (
            f"dcc-service-desk-hours-{holidays_ahead[0]:%Y-%m-%d}",
            K.NEWS,
            f"DCC Service Desk hours over the bank holiday{'s' if len(holidays_ahead) > 1 else ''}",
            f"The DCC has published its Service Desk hours for {_days_text(holidays_ahead)}.",
            f"The DCC Service Desk is open as usual except on {_days_text(holidays_ahead)}, when it takes "
            "Priority 1 incidents only.",
            ["DCC"],
            [service_desk.reference] if service_desk else [],
            _at(add_working_days(today, -1), 10),
        )
    )
    return [p for p in result if p[-1] <= now]


def withdrawn_post(today: datetime.date) -> tuple:
    day = previous_working_day(today - datetime.timedelta(days=20))
    return (
        f"draft-timetable-for-{day.year + 1}-sec-releases",
        K.NEWS,
        f"Draft timetable for the {day.year + 1} SEC Releases",
        f"A draft timetable for the {day.year + 1} releases, for comment.",
        "The draft timetable is under review.",
        ["SEC releases"],
        [],
        _at(day, 10),
    )


def scheduled_post(now: datetime.datetime) -> tuple:
    _, due = newsletter_days(now)
    month = timezone.localtime(due, LONDON)
    return (
        f"sec-newsletter-{month:%B-%Y}".lower(),
        K.NEWSLETTER,
        f"SEC newsletter: {month:%B %Y}",
        f"What happened in {month - datetime.timedelta(days=7):%B} and what is coming next.",
        "## The month in review\n\nTo follow.",
        ["Newsletter"],
        [],
        due,
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


def _post(staff, spec: tuple, *, now: datetime.datetime, status=NewsPost.Status.PUBLISHED, withdrawn=None):
    """A post as SECAS wrote it: a draft the Working Day before, then published (or scheduled) at its
    time, with its first revision and its history. `withdrawn`: (when, why)."""
    slug, kind, title, summary, body, tags, refs, when = spec
    if NewsPost.objects.filter(slug=slug).exists():
        return None
    scheduled = status == NewsPost.Status.SCHEDULED
    # Who published a government publication (as news.services decides it): the demo's is DESNZ's.
    publisher = {K.OFGEM: NewsPost.Publisher.OFGEM, K.GOVERNMENT: NewsPost.Publisher.DESNZ}.get(kind, "")
    written = min(_at(add_working_days(timezone.localtime(when, LONDON).date(), -1), 15), now)
    post = NewsPost.objects.create(
        slug=slug,
        kind=kind,
        title=title,
        summary=summary,
        body=body,
        publisher=publisher,
        author=staff,
        status=status,
        published_at=None if scheduled else when,
        publish_at=when if scheduled else None,
        withdrawn_at=withdrawn[0] if withdrawn else None,
        withdrawal_reason=withdrawn[1] if withdrawn else "",
        created_at=written,
        updated_at=written if scheduled else when,
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
        publisher=publisher,
        tags=", ".join(tags),
        editor=staff,
        created_at=written,
    )
    S = NewsPost.Status
    history = [(S.DRAFT, "", "Draft written", written)]
    if scheduled:
        history.append(
            (S.SCHEDULED, S.DRAFT, f"Scheduled for {timezone.localtime(when, LONDON):%-d %B %Y, %H:%M %Z}", written)
        )
    else:
        history.append((S.PUBLISHED, S.DRAFT, "Published", when))
    if withdrawn:
        history.append((S.WITHDRAWN, S.PUBLISHED, withdrawn[1], withdrawn[0]))
    NewsPostEvent.objects.bulk_create(
        NewsPostEvent(post=post, to_status=to, from_status=old, actor=staff, note=note, created_at=at)
        for to, old, note, at in history
    )
    return post


def _spotlight(staff) -> None:
    slug = "spotlight-on-the-sec-the-modification-lifecycle"
    if Event.objects.filter(slug=slug).exists():
        return
    day = local_today() - datetime.timedelta(days=38)
    day = previous_working_day(day - datetime.timedelta(days=(day.weekday() - 2) % 7))  # a Wednesday, held
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
        created_at=_at(add_working_days(day, -20), 10),
        updated_at=_at(day, 15),  # the recording and the slides, the afternoon after
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
    """An Introduction to the SEC seminar (2 places a Party) and a Party Engagement Day, on Tuesdays
    that are Working Days, registration closing at 17:00 two Working Days before."""
    today = local_today()
    specs = [
        (
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
            EventKind.PARTY_ENGAGEMENT,
            "Party Engagement Day",
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
    for kind, title, summary, near, start, end, link, venue, capacity, per_party in specs:
        if Event.objects.filter(kind=kind).exists():
            continue
        day = next_working_day(near + datetime.timedelta(days=(1 - near.weekday()) % 7))  # a Tuesday
        services.event_create(
            actor=staff,
            details=services.EventDetails(
                title=f"{title} {day.year}" if kind == EventKind.PARTY_ENGAGEMENT else title,
                kind=kind,
                summary=summary,
                starts_at=_at(day, *start),
                ends_at=_at(day, *end),
                online_link=link,
                venue=venue,
                capacity=capacity,
                places_per_party=per_party,
                registration_closes_at=_at(add_working_days(day, -2), 17),
                agenda=(
                    services.AgendaLine(datetime.time(*start), "Arrival and welcome"),
                    services.AgendaLine(datetime.time(start[0] + 1, 0), "The SEC in an hour", "SECAS"),
                    services.AgendaLine(datetime.time(end[0] - 1, 0), "Questions and close"),
                ),
            ),
        )


def _questions_hours(staff) -> None:
    """The Modifications and Operations Questions Hours of the coming months (the first Monday, at
    11:00 and 14:00; a later run adds the months that have come into range), and a Modifications
    Questions Hour on the next Working Day with its agenda: the series' own occurrence if it falls
    that day, otherwise an extra session on the consultations open now."""
    today = local_today()
    series = EventSeries.objects.filter(slug="sec-modifications-questions-hour").first()
    if series is not None:
        services.series_extend(actor=staff, series=series, first_month=today, months=7)
    else:
        series = services.series_create(
            actor=staff,
            title="SEC Modifications Questions Hour",
            first_month=today,
            months=7,
            summary="Progress on the active modifications, then your questions to SECAS.",
            description="Every month SECAS runs through the modifications in progress and answers your questions. "
            "Send questions in advance to secas@secportal.example.",
            online_link="https://meet.secportal.example/questions-hour",
            capacity=150,
        )
    operations = EventSeries.objects.filter(kind=EventKind.OPERATIONS_QUESTIONS_HOUR).first()
    if operations is not None:
        services.series_extend(actor=staff, series=operations, first_month=today, months=7)
    else:
        services.series_create(
            actor=staff,
            title="SEC Operations Questions Hour",
            kind=EventKind.OPERATIONS_QUESTIONS_HOUR,
            first_month=today,
            months=7,
            local_start=datetime.time(14, 0),
            summary="Operational questions to SECAS and the DCC: service performance, incidents and releases.",
            online_link="https://meet.secportal.example/operations-questions-hour",
            capacity=150,
        )
    day = _extra_questions_hour_day(today)
    start, end = _at(day, 11), _at(day, 12)
    if (
        Event.objects.filter(kind=EventKind.QUESTIONS_HOUR, starts_at__gte=start, starts_at__lt=_at(day, 23))
        .filter(agenda_items__isnull=False)
        .exists()
    ):
        return
    open_now = (
        Consultation.objects.filter(kind=Consultation.Kind.MRC, opens_at__lte=timezone.now(), closes_at__gt=start)
        .select_related("modification")
        .order_by("closes_at")
    )
    agenda = [services.AgendaLine(datetime.time(11, 0), "Welcome, and the register at a glance", "SECAS")]
    for minute, consultation in zip((10, 25), open_now, strict=False):
        closes = timezone.localtime(consultation.closes_at, LONDON)
        agenda.append(
            services.AgendaLine(
                datetime.time(11, minute),
                f"{consultation.modification.reference}: the Modification Report Consultation, open until "
                f"{closes:%-d %B}",
                "Lead analyst, SECAS",
            )
        )
    agenda.append(services.AgendaLine(datetime.time(11, 40), "Your questions"))
    occurrence = series.occurrences.filter(starts_at__gte=_at(day, 0), starts_at__lt=_at(day, 23)).first()
    details = services.EventDetails(
        title=occurrence.title if occurrence else "SEC Modifications Questions Hour: extra session",
        kind=EventKind.QUESTIONS_HOUR,
        summary=occurrence.summary if occurrence else "An extra Questions Hour on the consultations open now.",
        description=series.description,
        starts_at=occurrence.starts_at if occurrence else start,
        ends_at=occurrence.ends_at if occurrence else end,
        online_link=series.online_link,
        capacity=series.capacity,
        agenda=tuple(agenda),
    )
    if occurrence is not None:
        services.event_update(actor=staff, event=occurrence, details=details)
    else:
        services.event_create(actor=staff, details=details)


def _registrations() -> None:
    """The demo's Small Supplier user has places at the next Questions Hour and the seminar."""
    user = User.objects.filter(email="user@smallsupplier.example").first()
    if user is None or user.party_id is None:
        return
    event = Event.objects.upcoming().filter(kind=EventKind.QUESTIONS_HOUR).first()
    seminar = Event.objects.upcoming().filter(kind=EventKind.INTRODUCTION).first()
    for target in [e for e in (event, seminar) if e]:
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
    now = timezone.now()
    today = timezone.localtime(now, LONDON).date()
    for spec in posts(now):
        _post(staff, spec, now=now)
    spec = withdrawn_post(today)
    withdrawn_at = min(_at(add_working_days(timezone.localtime(spec[-1], LONDON).date(), 2), 16), now)
    _post(
        staff,
        spec,
        now=now,
        status=NewsPost.Status.WITHDRAWN,
        withdrawn=(withdrawn_at, "Superseded by the timetable the Panel agreed."),
    )
    _post(staff, scheduled_post(now), now=now, status=NewsPost.Status.SCHEDULED)
    _spotlight(staff)
    _upcoming(staff)
    _questions_hours(staff)
    _registrations()
    if stdout:
        stdout.write(f"  news: {NewsPost.objects.count()} posts, {Event.objects.count()} events")
