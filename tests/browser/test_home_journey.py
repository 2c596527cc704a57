"""A visitor reads the welcome to the SEC, the featured news (the latest slide pack, government
publications, the next Questions Hour) and follows the footer to the privacy notice and the
accessibility statement. axe-core and the 320 px reflow check every page."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from news import services
from news.models import EventKind, NewsPost
from news.tests.factories import make_event, make_post, make_staff, pptx_bytes
from tests.browser.journey import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_reads_the_home_page_and_the_footer_pages(page, axe, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    staff = make_staff(totp=False)
    spotlight = make_event(
        actor=staff, title="Spotlight on the SEC", kind=EventKind.SPOTLIGHT, starts_in=datetime.timedelta(days=-3)
    )
    services.slide_pack_upload(
        actor=staff,
        event=spotlight,
        title="Slide pack",
        upload=SimpleUploadedFile("deck.pptx", pptx_bytes()),
        classification="white",
    )
    make_post(
        actor=staff, title="Ofgem approves MP218: Change of Supplier certificate updates", kind=NewsPost.Kind.OFGEM
    )
    make_event(actor=staff, title="SEC Operations Questions Hour", kind=EventKind.OPERATIONS_QUESTIONS_HOUR)

    page.goto("/")
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome to the Smart Energy Code"
    assert page.get_by_text("multi-party contract for the end-to-end management of smart metering").is_visible()
    assert page.get_by_role("link", name="Spotlight on the SEC").first.is_visible()
    assert page.get_by_role("link", name="Ofgem approves MP218: Change of Supplier certificate updates").is_visible()
    assert page.get_by_role("link", name="SEC Operations Questions Hour").first.is_visible()
    check_page(page, axe)

    footer = page.get_by_role("navigation", name="Footer")
    footer.get_by_role("link", name="Accessibility statement").click()
    page.wait_for_url("**/accessibility/")
    assert page.get_by_role("heading", name="How to report a problem").is_visible()
    check_page(page, axe)
    page.get_by_role("navigation", name="Footer").get_by_role("link", name="Privacy notice").click()
    page.wait_for_url("**/privacy/")
    assert page.get_by_role("heading", name="Your rights").is_visible()
    check_page(page, axe)
    page.get_by_role("navigation", name="Footer").get_by_role("link", name="Cookies").click()
    page.wait_for_url("**/cookies/")
    check_page(page, axe)
