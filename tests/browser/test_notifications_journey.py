"""A Party user follows a modification, hears that it moved on, reads it, changes how they hear
about such things, and unsubscribes from an email; SECAS looks at what was sent."""

import re

import pytest
from django.core import mail

from modifications import services as modification_services
from modifications.models import Stage
from modifications.tests.factories import make_modification
from news.tests.factories import make_party_user, make_staff
from secportal.models import NotificationSettings
from secportal.services import outbox_deliver_due
from tests.browser.journey import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_follower_hears_of_a_change_reads_it_and_chooses_how_to_hear(page, axe, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    staff = make_staff(email="staff@secas.example", totp=False)
    follower = make_party_user(email="fola@supplier.example", full_name="Fola Adeyemi")
    NotificationSettings.objects.create(user=follower, working_days_only=False)
    modification = make_modification(stage=Stage.DRAFT, title="Prepayment meter top-up messages")

    sign_in(page, "fola@supplier.example")
    assert page.get_by_text("Nothing unread").is_visible()
    assert_accessible(page, axe)
    page.goto(f"/modifications/{modification.reference}/")
    page.get_by_role("button", name=re.compile("^Follow")).click()
    modification_services.modification_start_development(actor=staff, modification=modification, note="Agreed")
    outbox_deliver_due()

    page.goto("/dashboard/")
    assert page.get_by_role("region", name="Notifications").get_by_text("1 unread").is_visible()
    assert page.get_by_role("link", name="Notifications 1 unread").is_visible()  # the navigation's count
    assert_accessible(page, axe)  # the count's contrast in the navigation too
    page.get_by_role("link", name="All notifications").click()
    page.wait_for_url("**/notifications/")
    assert_accessible(page, axe)
    page.get_by_role(
        "link", name=re.compile(f"{modification.reference} “{modification.title}” is now at Development")
    ).click()
    page.wait_for_url(f"**/modifications/{modification.reference}/")
    page.goto("/notifications/")
    assert page.get_by_text("You have read everything.").is_visible()
    assert page.get_by_role("link", name="Notifications", exact=True).is_visible()  # no count left

    page.get_by_role("link", name="Choose how you hear about things").click()
    page.wait_for_url("**/notifications/settings/")
    assert_accessible(page, axe)
    page.get_by_role("group", name="A document is published").get_by_label("In a weekly digest").check()
    page.get_by_label("Day of your weekly digest").select_option("Thursday")
    page.get_by_role("button", name="Save choices").click()
    assert page.get_by_text("Your email choices are saved.").is_visible()
    assert page.get_by_role("group", name="A document is published").get_by_label("In a weekly digest").is_checked()

    # The email's unsubscribe link works without signing in.
    page.get_by_role("button", name="Sign out").click()
    [email] = [m for m in mail.outbox if m.to == ["fola@supplier.example"]]
    link = re.search(r"https?://\S+(/notifications/unsubscribe/\S+/)", email.body).group(1)
    page.goto(link)
    assert_accessible(page, axe)
    page.get_by_role("button", name="Unsubscribe").click()
    assert page.get_by_text("You will no longer get emails for").is_visible()
    assert_accessible(page, axe)

    sign_in(page, "staff@secas.example")
    page.goto("/notifications/outbox/")
    assert page.get_by_role("cell", name="fola@supplier.example").first.is_visible()
    assert_accessible(page, axe)
