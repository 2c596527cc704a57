import datetime
import io
import itertools
import zipfile
import zlib

from django.utils import timezone
from fpdf import FPDF

from news.models import Event, EventKind, NewsPost, Registration
from news.services import EventDetails, event_create, news_create
from parties import roles
from parties.models import Party
from parties.tests.factories import give_totp, make_party, make_user

_seq = itertools.count(1)


def make_staff(*, totp: bool = True, **fields):
    """SECAS staff, with an authenticator app set up (as SECPORTAL_REQUIRE_MFA demands) unless totp=False."""
    user = make_user(role_names={roles.SECAS_STAFF}, **fields)
    if totp:
        give_totp(user)
    return user


def make_party_user(party: Party | None = None, **fields):
    return make_user(party=party or make_party(status=Party.Status.ACCEDED), **fields)


def make_post(*, actor=None, status=NewsPost.Status.PUBLISHED, published_at=None, **fields) -> NewsPost:
    """A post written through the service, then put in `status` directly (tests of publishing use services)."""
    actor = actor or make_staff()
    n = next(_seq)
    post = news_create(
        actor=actor,
        title=fields.pop("title", f"Post {n}"),
        summary=fields.pop("summary", f"Summary {n}."),
        body=fields.pop("body", f"Body of post {n}."),
        kind=fields.pop("kind", NewsPost.Kind.NEWS),
        tags=fields.pop("tags", []),
    )
    if status != NewsPost.Status.DRAFT:
        published_at = published_at or timezone.now() - datetime.timedelta(hours=n)
        NewsPost.objects.filter(pk=post.pk).update(
            status=status,
            published_at=published_at if status in (NewsPost.Status.PUBLISHED, NewsPost.Status.WITHDRAWN) else None,
            publish_at=fields.pop("publish_at", None),
            **fields,
        )
        post.refresh_from_db()
    return post


def make_event(*, actor=None, starts_in=datetime.timedelta(days=14), hours=1, **fields) -> Event:
    actor = actor or make_staff()
    n = next(_seq)
    starts_at = fields.pop("starts_at", timezone.now().replace(microsecond=0) + starts_in)
    details = EventDetails(
        title=fields.pop("title", f"Event {n}"),
        kind=fields.pop("kind", EventKind.WEBINAR),
        summary=fields.pop("summary", "What the event is about."),
        starts_at=starts_at,
        ends_at=fields.pop("ends_at", starts_at + datetime.timedelta(hours=hours)),
        online_link=fields.pop("online_link", "https://meet.example.org/event"),
        venue=fields.pop("venue", ""),
        capacity=fields.pop("capacity", None),
        places_per_party=fields.pop("places_per_party", None),
        registration_opens_at=fields.pop("registration_opens_at", None),
        registration_closes_at=fields.pop("registration_closes_at", None),
        agenda=fields.pop("agenda", ()),
    )
    event = event_create(actor=actor, details=details)
    if fields:
        Event.objects.filter(pk=event.pk).update(**fields)
        event.refresh_from_db()
    return event


def confirmed(event: Event) -> int:
    return event.registrations.filter(status=Registration.Status.CONFIRMED).count()


def pdf_bytes(title: str = "Slides", pages: int = 2) -> bytes:
    pdf = FPDF(orientation="L")
    for i in range(pages):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 24)
        pdf.cell(0, 20, f"{title}, slide {i + 1}")
    return bytes(pdf.output())


def pptx_bytes() -> bytes:
    """The smallest ZIP that is recognisably a PowerPoint package (enough for the content check)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("ppt/presentation.xml", '<?xml version="1.0"?><presentation/>')
    return buffer.getvalue()


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><document/>')
    return buffer.getvalue()


def pdf_page_of(width: float, height: float) -> bytes:
    """A one-page PDF whose page declares this size, in points."""
    pdf = FPDF(unit="pt", format=(width, height))
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="A page of an odd size")
    return bytes(pdf.output())


def hostile_pdf(*, side: int = 20_000, times: int = 40, page: tuple[int, int] = (960, 540)) -> bytes:
    """A small, valid PDF whose one page draws a side x side image `times` times over (a 1-bit image
    of zeros compresses to ~50 KB): pdfium takes seconds to draw it at any scale."""
    compressor = zlib.compressobj(9)
    row = bytes((side + 7) // 8)
    image = b"".join(compressor.compress(row * min(1000, side - y)) for y in range(0, side, 1000))
    image += compressor.flush()
    draws = b"".join(b"q %d 0 0 %d 0 0 cm /Im0 Do Q\n" % page for _ in range(times))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] " % page
        + b"/Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(draws), draws),
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray " % (side, side)
        + b"/BitsPerComponent 1 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (len(image), image),
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
