"""A Party user raises a Draft Proposal (and follows it from then on); SECAS staff take it to the
Report Phase; the Party user sees the timeline, stops following it and follows it again.
axe-core checks every page on the way."""

import pytest

from modifications.models import Follow, ModificationProposal, Stage
from modifications.tests.factories import make_modification
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


def test_draft_to_report_phase_and_followed(page, axe, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    party = make_party(name="Fenland Community Power Ltd", status=Party.Status.ACCEDED, party_signifier="FCPL")
    make_user(email="priya@fenland.example", full_name="Priya Shah", party=party)
    make_user(email="sam@secas.example", full_name="Sam Patel", role_names={roles.SECAS_STAFF})
    make_modification(stage=Stage.MRC, number=150, title="An earlier change")  # the register is not empty

    sign_in(page, "priya@fenland.example")
    page.get_by_role("link", name="Modifications", exact=True).click()
    page.wait_for_url("**/modifications/")
    check(page, axe)
    page.get_by_role("link", name="Raise a Draft Proposal").click()
    check(page, axe)
    page.get_by_label("Title").fill("Prepayment top-up retries")
    page.get_by_label("What is the issue?").fill("Top-ups fail when the meter is **offline**.")
    page.get_by_label("Impact on Small Suppliers").select_option("high")
    page.get_by_role("button", name="Raise the Draft Proposal").click()
    page.wait_for_url("**/modifications/DP151/")
    assert page.get_by_text("SECAS will review it as critical friend by").is_visible()
    check(page, axe)
    sign_out(page)

    sign_in(page, "sam@secas.example")
    page.goto("/modifications/DP151/")
    page.get_by_role("link", name="Critical-friend review done: start development").click()
    check(page, axe)
    page.get_by_label("Note for the timeline (optional)").fill("Problem statement is clear.")
    page.get_by_role("button", name="Critical-friend review done: start development").click()
    page.wait_for_url("**/modifications/DP151/")
    page.get_by_role("link", name="Convert to a Modification Proposal").click()
    page.get_by_label("Path").select_option("path_3")
    page.get_by_label("Straight to the Report Phase").check()
    check(page, axe)
    page.get_by_role("button", name="Convert to a Modification Proposal").click()
    page.wait_for_url("**/modifications/MP151/")
    assert page.get_by_text("Report Phase", exact=True).first.is_visible()
    sign_out(page)

    sign_in(page, "priya@fenland.example")
    page.goto("/modifications/DP151/")  # the old reference still works
    page.wait_for_url("**/modifications/MP151/")
    timeline = page.locator(".timeline")
    assert timeline.get_by_text("DP151 converted to MP151").is_visible()
    assert timeline.get_by_text("Draft Proposal raised by Fenland Community Power Ltd").is_visible()
    # She has followed it since she raised it; she may stop, and follow it again.
    page.get_by_role("button", name="Following · stop following").click()
    assert page.get_by_text("You no longer follow MP151.").is_visible()
    page.get_by_role("button", name="Follow MP151").click()
    assert page.get_by_text("You are following MP151.").is_visible()
    check(page, axe)
    page.goto("/dashboard/")
    assert page.get_by_role("link", name="MP151 Prepayment top-up retries").is_visible()
    check(page, axe)
    mp = ModificationProposal.objects.get(reference="MP151")
    assert mp.stage == Stage.REPORT_PHASE and Follow.objects.filter(modification=mp).count() == 1
