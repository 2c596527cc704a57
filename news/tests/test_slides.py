"""Slide packs: checked by content, a thumbnail from the PDF's first page, downloads by classification."""

import datetime
import io
import time
from functools import partial

import pypdfium2 as pdfium
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from news import services, tasks, thumbnails
from news.models import NewsAttachment, SlidePack
from news.tests.factories import (
    docx_bytes,
    hostile_pdf,
    make_event,
    make_party_user,
    make_post,
    make_staff,
    pdf_bytes,
    pdf_page_of,
    pptx_bytes,
)
from parties.models import Party
from parties.tests.factories import give_totp, make_party
from secportal.exceptions import ApplicationError

pytestmark = pytest.mark.django_db
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def publish(event, name, content, **kwargs) -> SlidePack:
    """Upload a slide pack and draw its thumbnail as the task queued on commit would (a test's
    transaction never commits)."""
    pack = services.slide_pack_upload(
        actor=kwargs.pop("actor", None) or make_staff(),
        event=event,
        title=kwargs.pop("title", "Slides"),
        upload=upload(name, content),
        classification=kwargs.pop("classification", "white"),
        **kwargs,
    )
    tasks.slide_thumbnail_make(pack.pk)
    pack.refresh_from_db()
    return pack


def test_a_pdf_gets_a_thumbnail_of_its_first_page():
    event = make_event()
    pack = publish(event, "deck.pdf", pdf_bytes(pages=3), recording_url="https://video.example.org/rec")
    assert pack.content_type == "application/pdf" and pack.file.name.endswith(".pdf")
    assert pack.thumbnail_status == SlidePack.Thumbnail.READY
    assert "deck" not in pack.file.name  # stored under a generated name
    thumbnail = pack.thumbnail.open("rb").read()
    assert thumbnail.startswith(PNG_MAGIC)
    from PIL import Image

    image = Image.open(io.BytesIO(thumbnail))
    assert image.width == 480 and image.height < image.width  # landscape slide
    event.refresh_from_db()
    assert event.recording_url == "https://video.example.org/rec"
    assert len(pdfium.PdfDocument(pack.file.open("rb").read())) == 3


def test_a_pptx_is_accepted_without_a_thumbnail():
    pack = publish(make_event(), "deck.pptx", pptx_bytes())
    assert pack.content_type.endswith("presentationml.presentation") and not pack.thumbnail
    assert pack.thumbnail_status == SlidePack.Thumbnail.NONE
    assert pack.extension == "PPTX"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("deck.pdf", b"<html><script>alert(1)</script></html>", "not a PDF or PowerPoint"),
        ("deck.pdf", docx_bytes(), "not a PDF or PowerPoint"),
        ("deck.pptx", b"MZ\x90\x00 an executable", "not a PDF or PowerPoint"),
        ("deck.pdf", b"%PDF-1.7\nthis is not really a PDF at all\n%%EOF", "could not be read"),
        ("deck.pdf", b"", "empty"),
    ],
)
def test_uploads_are_checked_by_content(name, content, message):
    event = make_event()
    with pytest.raises(ApplicationError, match=message):
        publish(event, name, content)
    assert not SlidePack.objects.filter(event=event).exists()


def test_size_limit(settings):
    settings.SECPORTAL_UPLOAD_MAX_BYTES = 1000
    with pytest.raises(ApplicationError, match="larger than"):
        publish(make_event(), "deck.pdf", pdf_bytes(pages=5))


def test_only_secas_staff_publish_slides():
    with pytest.raises(ApplicationError, match="Only SECAS staff"):
        publish(make_event(), "deck.pdf", pdf_bytes(), actor=make_party_user())


def test_downloads_follow_the_classification(client):
    event = make_event()
    party = make_party(status=Party.Status.ACCEDED)
    public = publish(event, "a.pdf", pdf_bytes(), title="Public slides")
    green = publish(event, "b.pdf", pdf_bytes(), title="Signed-in slides", classification="green")
    amber = publish(event, "c.pdf", pdf_bytes(), title="Party slides", classification="amber", owner_party=party)
    for pack, status in [(public, 200), (green, 404), (amber, 404)]:
        assert client.get(reverse("news:slide-download", args=[pack.pk])).status_code == status
        assert client.get(reverse("news:slide-thumbnail", args=[pack.pk])).status_code == status
    page = client.get(reverse("news:event-detail", args=[event.slug])).content.decode()
    assert "Public slides" in page and "Signed-in slides" not in page and "Party slides" not in page
    client.force_login(make_party_user())
    assert client.get(reverse("news:slide-download", args=[green.pk])).status_code == 200
    assert client.get(reverse("news:slide-download", args=[amber.pk])).status_code == 404
    insider = make_party_user(party)
    give_totp(insider)  # their Party owns AMBER material: a second factor is required
    client.force_login(insider)
    response = client.get(reverse("news:slide-download", args=[amber.pk]))
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    thumb = client.get(reverse("news:slide-thumbnail", args=[amber.pk]))
    assert thumb["Content-Type"] == "image/png" and "inline" in thumb["Content-Disposition"]


def test_red_slides_need_named_recipients():
    with pytest.raises(ApplicationError, match="named recipients"):
        publish(make_event(), "a.pdf", pdf_bytes(), classification="red")


def test_upload_page(client, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    staff = make_staff()
    event = make_event(actor=staff)
    client.force_login(make_party_user())
    assert client.get(reverse("news:slide-upload", args=[event.slug])).status_code == 404
    client.force_login(staff)
    url = reverse("news:slide-upload", args=[event.slug])
    bad = client.post(url, {"title": "Slides", "classification": "white", "file": upload("x.pdf", b"GIF89a")})
    assert bad.status_code == 400 and b"whatever its name says" in bad.content
    good = client.post(url, {"title": "Slides", "classification": "white", "file": upload("x.pdf", pdf_bytes())})
    assert good.status_code == 302 and event.slide_packs.count() == 1


def test_attachments_follow_the_post_and_the_classification(client):
    staff = make_staff()
    post = make_post(actor=staff)
    attachment = services.attachment_upload(
        actor=staff, post=post, title="Timetable", upload=upload("t.pdf", pdf_bytes()), classification="white"
    )
    green = services.attachment_upload(
        actor=staff, post=post, title="Members only", upload=upload("m.pdf", pdf_bytes()), classification="green"
    )
    assert client.get(reverse("news:attachment-download", args=[attachment.pk])).status_code == 200
    assert client.get(reverse("news:attachment-download", args=[green.pk])).status_code == 404
    with pytest.raises(ApplicationError, match="whatever its name says"):
        services.attachment_upload(
            actor=staff, post=post, title="x", upload=upload("x.pdf", b"#!/bin/sh\n"), classification="white"
        )
    services.news_withdraw(actor=staff, post=post, reason="Wrong timetable.")
    assert client.get(reverse("news:attachment-download", args=[attachment.pk])).status_code == 404
    assert NewsAttachment.objects.count() == 2


def test_images_for_posts_are_checked_served_and_embeddable(client):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (11, 37, 69)).save(buffer, format="PNG")
    staff = make_staff()
    with pytest.raises(ApplicationError, match="not a PNG or JPEG"):
        services.image_upload(actor=staff, upload=upload("x.png", pdf_bytes()), alt_text="A chart")
    with pytest.raises(ApplicationError, match="alternative text"):
        services.image_upload(actor=staff, upload=upload("x.png", buffer.getvalue()), alt_text="  ")
    with pytest.raises(ApplicationError, match="Only SECAS staff"):
        services.image_upload(actor=make_party_user(), upload=upload("x.png", buffer.getvalue()), alt_text="A chart")
    image = services.image_upload(actor=staff, upload=upload("chart.png", buffer.getvalue()), alt_text="Chart [draft]")
    assert image.markdown == f"![Chart draft](/news/images/{image.key}.png)"
    response = client.get(image.path)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/news/images/{image.key}.jpg").status_code == 404
    post = make_post(actor=staff, body=f"Look:\n\n{image.markdown}")
    page = client.get(reverse("news:post-detail", args=[post.slug])).content.decode()
    assert f'<img alt="Chart draft" src="/news/images/{image.key}.png">' in page


def test_image_page_is_for_secas(client, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    client.force_login(make_party_user())
    assert client.get(reverse("news:image-upload")).status_code == 404
    client.force_login(make_staff())
    response = client.post(reverse("news:image-upload"), {"alt_text": "x", "file": upload("x.png", b"GIF89a")})
    assert response.status_code == 400 and b"not a PNG or JPEG" in response.content


# --- Thumbnails are drawn by a task, within limits ----------------------------------------------------------


def test_the_upload_request_only_queues_the_thumbnail_and_the_page_says_it_is_being_prepared(
    client, settings, django_capture_on_commit_callbacks
):
    """A hostile PDF (a page that draws a 20,000 x 20,000 image forty times: seconds of drawing)
    is accepted at once: the request stores it and queues the task; nothing draws it."""
    settings.SECPORTAL_REQUIRE_MFA = False
    staff = make_staff()
    event = make_event(actor=staff)
    client.force_login(staff)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("news:slide-upload", args=[event.slug]),
            {"title": "Heavy slides", "classification": "white", "file": upload("heavy.pdf", hostile_pdf())},
        )
    elapsed = time.monotonic() - started
    assert response.status_code == 302
    assert elapsed < 1.0, f"the upload took {elapsed:.1f} s"
    pack = SlidePack.objects.get(event=event)
    queued = [c for c in callbacks if isinstance(c, partial) and c.func == tasks.slide_thumbnail_make.delay]
    assert [c.args for c in queued] == [(pack.pk,)]
    # Nothing was drawn: no thumbnail, not even an attempt; the page says one is on its way.
    assert pack.thumbnail_status == SlidePack.Thumbnail.PENDING and not pack.thumbnail
    assert pack.thumbnail_attempts == 0
    page = client.get(reverse("news:event-detail", args=[event.slug])).content.decode()
    assert "Preview being prepared" in page and "First slide of" not in page
    assert client.get(reverse("news:slide-thumbnail", args=[pack.pk])).status_code == 404


def test_the_task_gives_up_cleanly_on_a_hostile_pdf_and_the_page_shows_a_generic_icon(client, settings):
    settings.SECPORTAL_THUMBNAIL_SECONDS = 1
    event = make_event()
    started = time.monotonic()
    pack = publish(event, "heavy.pdf", hostile_pdf(), title="Heavy slides")
    elapsed = time.monotonic() - started
    assert elapsed < 1 * 3 + 2, f"the task took {elapsed:.1f} s"
    assert pack.thumbnail_status == SlidePack.Thumbnail.FAILED and not pack.thumbnail
    page = client.get(reverse("news:event-detail", args=[event.slug])).content.decode()
    assert (
        "Preview being prepared" not in page and '<span class="slide-thumb-placeholder" aria-hidden="true">PDF' in page
    )
    assert "Download “Heavy slides”" in page  # the slides themselves are there
    assert client.get(reverse("news:slide-thumbnail", args=[pack.pk])).status_code == 404
    # Run again (a redelivered task), it does not try again.
    assert tasks.slide_thumbnail_make(pack.pk) == SlidePack.Thumbnail.FAILED


def test_a_page_whose_declared_size_is_absurd_is_refused_without_drawing():
    started = time.monotonic()
    pack = publish(make_event(), "huge.pdf", pdf_page_of(20_000, 20_000))
    assert pack.thumbnail_status == SlidePack.Thumbnail.FAILED
    assert time.monotonic() - started < 3
    with pytest.raises(thumbnails.ThumbnailFailed, match="impossible size"):
        thumbnails.make_thumbnail(pdf_page_of(20_000, 100), seconds=5, memory_mb=512)


@pytest.mark.parametrize(("width", "height"), [(960, 540), (540, 960), (14_000, 200), (200, 14_000), (1, 1)])
def test_the_thumbnail_is_bounded_whatever_the_page_declares(width, height):
    from PIL import Image

    image = Image.open(io.BytesIO(thumbnails.make_thumbnail(pdf_page_of(width, height), seconds=5, memory_mb=512)))
    assert image.width <= thumbnails.THUMBNAIL_WIDTH and image.height <= thumbnails.MAX_HEIGHT
    assert max(image.size) in (thumbnails.THUMBNAIL_WIDTH, thumbnails.MAX_HEIGHT)


def test_the_renderer_runs_under_its_memory_limit():
    """The child process cannot take more memory than it is given: with 8 MB it cannot even start."""
    assert thumbnails.make_thumbnail(pdf_bytes(), seconds=5, memory_mb=512).startswith(PNG_MAGIC)
    with pytest.raises(thumbnails.ThumbnailFailed, match="more memory"):
        thumbnails.make_thumbnail(pdf_bytes(), seconds=5, memory_mb=8)


def test_a_second_run_keeps_one_thumbnail_and_beat_draws_what_a_lost_task_left(settings, tmp_path):
    staff, event = make_staff(), make_event()
    pack = services.slide_pack_upload(
        actor=staff, event=event, title="Slides", upload=upload("a.pdf", pdf_bytes()), classification="white"
    )
    # The task was lost (the broker was down): beat draws it once it has waited ten minutes.
    assert services.slide_thumbnails_due() == 0
    later = timezone.now() + datetime.timedelta(minutes=11)
    assert services.slide_thumbnails_due(now=later) == 1
    pack.refresh_from_db()
    assert pack.thumbnail_status == SlidePack.Thumbnail.READY and pack.thumbnail_attempts == 1
    first = pack.thumbnail.name
    assert tasks.slide_thumbnail_make(pack.pk) == SlidePack.Thumbnail.READY  # again: nothing new
    pack.refresh_from_db()
    assert pack.thumbnail.name == first and len(list((tmp_path / "events" / "thumbnails").rglob("*.png"))) == 1
    # One a worker died on three times is given up, not tried for ever.
    stuck = services.slide_pack_upload(
        actor=staff, event=event, title="Stuck", upload=upload("b.pdf", pdf_bytes()), classification="white"
    )
    SlidePack.objects.filter(pk=stuck.pk).update(thumbnail_attempts=services.MAX_THUMBNAIL_ATTEMPTS)
    assert services.slide_thumbnails_due(now=later) == 1
    stuck.refresh_from_db()
    assert stuck.thumbnail_status == SlidePack.Thumbnail.FAILED
