"""SECAS staff write, preview and publish a post, create an event and upload its slide pack; a Party
user registers and downloads the calendar file. axe-core checks every page on the way."""

import datetime

import icalendar
import pytest
from django.utils import timezone

from news.models import Event, NewsPost, Registration
from news.tests.factories import pdf_bytes
from parties import roles
from parties.models import Party
from parties.tests.factories import make_party, make_user
from tests.browser.journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page, axe):
    violations = axe(page)
    assert violations == [], f"axe-core found violations on {page.url}: {violations}"


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/")


def test_publish_news_run_an_event_and_register(page, axe, settings, tmp_path):
    settings.SECPORTAL_REQUIRE_MFA = False
    settings.MEDIA_ROOT = tmp_path
    party = make_party(name="Fenland Community Power Ltd", status=Party.Status.ACCEDED, party_signifier="FCPL")
    make_user(email="priya@fenland.example", full_name="Priya Shah", party=party)
    make_user(email="sam@secas.example", full_name="Sam Patel", role_names={roles.SECAS_STAFF})
    day = timezone.localdate() + datetime.timedelta(days=30)

    # SECAS staff write, preview and publish a post.
    sign_in(page, "sam@secas.example")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="News").click()
    page.wait_for_url("**/news/")
    check(page, axe)
    page.get_by_role("link", name="Write a post").click()
    check(page, axe)
    page.get_by_label("Title").fill("Spotlight on the SEC: DCC services")
    page.get_by_label("Kind").select_option("news")
    page.get_by_label("Summary").fill("Join SECAS and the DCC for a webinar on DCC services.")
    page.get_by_label("Body").fill(
        "## What we will cover\n\n- Service requests\n- **Testing**\n\n<script>alert(1)</script>"
    )
    page.get_by_label("Tags").fill("Events, DCC")
    page.get_by_role("button", name="Save and preview").click()
    page.wait_for_url("**/news/spotlight-on-the-sec-dcc-services/preview/")
    assert page.get_by_role("heading", name="Preview: this is how the post will look").is_visible()
    assert page.get_by_role("heading", name="What we will cover").is_visible()
    check(page, axe)  # the hostile script in the body would be a console error or a violation
    page.get_by_role("button", name="Publish now").click()
    page.wait_for_url("**/news/spotlight-on-the-sec-dcc-services/")
    assert page.get_by_text("Published. The post is on the news page").is_visible()
    check(page, axe)
    assert NewsPost.objects.get(slug="spotlight-on-the-sec-dcc-services").status == NewsPost.Status.PUBLISHED

    # ... create an event and upload its slide pack.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Events").click()
    page.get_by_role("link", name="Create an event").click()
    check(page, axe)
    page.get_by_label("Title").fill("Spotlight on the SEC: DCC services")
    page.get_by_label("Kind").select_option("spotlight")
    page.get_by_label("Summary").fill("How the DCC's services work, with time for questions.")
    page.get_by_label("Starts").fill(f"{day:%Y-%m-%d}T10:00")
    page.get_by_label("Ends").fill(f"{day:%Y-%m-%d}T12:00")
    page.get_by_label("Online link").fill("https://meet.example.org/spotlight")
    page.get_by_label("Capacity").fill("40")
    page.get_by_label("Places per Party").fill("2")
    page.get_by_label("Agenda").fill("10:00 Welcome | SECAS\n10:15 DCC services | DCC\n11:30 Questions")
    page.get_by_role("button", name="Create the event").click()
    page.wait_for_url("**/events/spotlight-on-the-sec-dcc-services-*/")
    event = Event.objects.get(title="Spotlight on the SEC: DCC services")
    assert page.get_by_role("cell", name="DCC services").is_visible()
    check(page, axe)
    page.get_by_role("link", name="Upload a slide pack").first.click()
    check(page, axe)
    page.get_by_label("Slide pack").set_input_files(
        files=[{"name": "dcc-services.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("DCC services")}]
    )
    page.get_by_label("Recording link").fill("https://video.example.org/dcc")
    page.get_by_role("button", name="Publish the slide pack").click()
    page.wait_for_url(f"**/events/{event.slug}/")
    thumbnail = page.get_by_role("img", name="First slide of Slides")
    thumbnail.wait_for()
    assert page.evaluate("img => img.naturalWidth", thumbnail.element_handle()) == 480  # rendered, not broken
    check(page, axe)
    sign_out(page)

    # A Party user registers and downloads the calendar file.
    sign_in(page, "priya@fenland.example")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Events").click()
    check(page, axe)
    page.get_by_role("link", name="Spotlight on the SEC: DCC services").click()
    page.wait_for_url(f"**/events/{event.slug}/")
    check(page, axe)
    page.get_by_label("Accessibility or dietary needs (optional)").fill("Captions, please.")
    page.get_by_role("button", name="Register").click()
    assert page.get_by_text("Your place is confirmed.", exact=True).is_visible()
    check(page, axe)
    registration = Registration.objects.get(event=event, user__email="priya@fenland.example")
    assert registration.status == Registration.Status.CONFIRMED and registration.notes == "Captions, please."
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the calendar file (.ics)").click()
    download = download_info.value
    assert download.suggested_filename == f"{event.slug}.ics"
    calendar = icalendar.Calendar.from_ical(download.path().read_bytes())
    [vevent] = calendar.walk("VEVENT")
    assert vevent["SUMMARY"] == "Spotlight on the SEC: DCC services"
    assert vevent["UID"] == f"event-{event.uid}@secportal"
    assert vevent.decoded("DTSTART").astimezone(datetime.UTC) == event.starts_at
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    assert page.get_by_role("link", name="Spotlight on the SEC: DCC services").is_visible()
    check(page, axe)
    page.get_by_role("link", name="Subscribe to your events in your calendar app").click()
    page.get_by_role("button", name="Get my private calendar address").click()
    assert page.get_by_role("link", name="Subscribe in your calendar app").get_attribute("href").startswith("webcal://")
    check(page, axe)


def test_the_other_news_and_event_pages_pass_axe(page, axe, settings, tmp_path):
    """The pages the journey does not reach: SECAS's publishing and event pages, withdrawn posts,
    past events, the waitlist, the private calendar page, the home page and the dashboard."""
    from news import services
    from news.tests.factories import make_event, make_party_user, make_post, make_staff

    settings.SECPORTAL_REQUIRE_MFA = False
    settings.MEDIA_ROOT = tmp_path
    staff = make_staff(email="sam@secas.example", totp=False)  # signs in with a password only
    party = make_party(name="Fenland Community Power Ltd", status=Party.Status.ACCEDED)
    priya = make_user(email="priya@fenland.example", full_name="Priya Shah", party=party)
    post = make_post(actor=staff, title="SEC newsletter", body="## In this issue\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    withdrawn = make_post(actor=staff, title="Withdrawn timetable")
    services.news_withdraw(actor=staff, post=withdrawn, reason="Superseded.")
    draft = make_post(actor=staff, title="A draft", status=NewsPost.Status.DRAFT)
    series = services.series_create(
        actor=staff,
        title="SEC Modifications Questions Hour",
        summary="Questions.",
        first_month=timezone.localdate(),
        months=3,
        online_link="https://meet.example.org/qh",
    )
    full = make_event(
        actor=staff,
        title="Introduction to the SEC seminar",
        capacity=1,
        places_per_party=1,
        venue="1 Example Street, London",
        online_link="",
    )
    services.registration_create(actor=make_party_user(), event=full)
    services.registration_create(actor=priya, event=full, notes="Step-free access")
    past = make_event(
        actor=staff, title="Spotlight on the SEC", kind="spotlight", starts_in=datetime.timedelta(days=-20)
    )
    occurrence = series.occurrences.order_by("starts_at").last()

    for path in [f"/news/{withdrawn.slug}/", "/events/?when=past", f"/events/{past.slug}/", "/"]:
        page.goto(path)
        check(page, axe)
    sign_in(page, "priya@fenland.example")
    for path in [f"/events/{full.slug}/", f"/events/{occurrence.slug}/", "/events/my-calendar/", "/dashboard/"]:
        page.goto(path)
        check(page, axe)
    assert page.get_by_text("on the waitlist").first.is_visible()
    sign_out(page)
    sign_in(page, "sam@secas.example")
    for path in [
        "/news/drafts/",
        "/news/images/",
        f"/news/{draft.slug}/preview/",
        f"/news/{post.slug}/",
        f"/news/{post.slug}/edit/",
        f"/news/{post.slug}/history/",
        f"/news/{post.slug}/withdraw/",
        f"/news/{post.slug}/attachments/new/",
        "/events/series/new/",
        f"/events/{occurrence.slug}/edit/",
        f"/events/{occurrence.slug}/cancel/",
        f"/events/{full.slug}/attendees/",
        f"/events/{past.slug}/slides/new/",
    ]:
        page.goto(path)
        check(page, axe)
    # A form with errors is accessible too.
    page.goto(f"/news/{post.slug}/withdraw/")
    page.get_by_role("button", name="Withdraw the post").click()
    assert page.get_by_text("This field is required.").is_visible()
    # The form answers 400 on purpose, which the browser logs; that is the only console message.
    assert [m for m in page.console_errors if "status of 400" not in m] == []
    page.console_errors.clear()
    check(page, axe)
