"""A person signs in through the real form and reaches the dashboard; axe-core checks each page."""

import pytest

from parties import roles
from parties.tests.factories import PASSWORD
from tests.browser.journey import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_party_user_signs_in_and_reaches_the_dashboard(page, axe, user_factory, party_factory):
    party = party_factory(name="Fenland Community Power Ltd")
    user_factory(email="priya@fenland.example", full_name="Priya Shah", party=party)

    page.goto("/")
    assert_accessible(page, axe)
    page.get_by_role("link", name="Sign in").first.click()
    page.wait_for_url("**/accounts/login/")
    assert page.title() == "Sign in · SEC Portal"
    assert_accessible(page, axe)

    page.get_by_label("Email").fill("priya@fenland.example")
    page.get_by_label("Password").fill("not-my-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_text("not correct").is_visible()
    assert_accessible(page, axe)  # the page with the error message

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/")
    assert page.get_by_role("heading", name="Welcome, Priya").is_visible()
    assert page.get_by_text("Fenland Community Power Ltd").first.is_visible()
    assert page.get_by_role("link", name="Dashboard").get_attribute("aria-current") == "page"
    assert_accessible(page, axe)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/")
    assert page.get_by_role("link", name="Sign in").first.is_visible()


def test_staff_member_is_taken_to_set_up_two_factor_authentication(page, axe, user_factory, settings):
    settings.SECPORTAL_REQUIRE_MFA = True
    user_factory(email="sam@secas.example", full_name="Sam Patel", role_names={roles.SECAS_STAFF}, is_staff=True)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("sam@secas.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/2fa/totp/activate/**")
    assert page.get_by_text("Your role needs two-factor authentication").is_visible()
    assert page.locator("img[src^='data:image/svg+xml']").is_visible()  # the QR code
    assert_accessible(page, axe)


def test_request_an_account_form_is_accessible(page, axe, party_factory):
    party_factory(name="Northwind Energy Supply Ltd")
    page.goto("/accounts/request/")
    assert_accessible(page, axe)
    page.get_by_role("button", name="Request an account").click()
    assert page.get_by_text("This field is required").first.is_visible()
    assert_accessible(page, axe)
