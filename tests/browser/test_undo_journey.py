"""A Party administrator removes a colleague (after a page that says what will happen), whose open
session ends at once, then reinstates them; the colleague is told by email and signs in again. A
Party user cancels their place at an event, and undoes it. Every page on the way is checked with
axe-core and at 320 CSS pixels."""

import re

import pytest
from django.core import mail

from news import services
from news.models import Registration
from news.tests.factories import make_event
from parties import roles
from parties.models import Party, PartyEvent, User
from parties.tests.factories import PASSWORD, make_party, make_user
from tests.browser.journey import check_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_removes_a_colleague_and_reinstates_them(page, axe, browser, live_server):
    party = make_party(
        name="Northwind Energy Supply Ltd",
        category=Party.Category.LARGE_SUPPLIER,
        status=Party.Status.ACCEDED,
        party_signifier="NWES",
    )
    make_user(
        email="alice@northwind.example",
        full_name="Alice Turner",
        party=party,
        role_names={roles.PARTY_USER, roles.PARTY_ADMINISTRATOR},
    )
    make_user(email="james@northwind.example", full_name="James Okafor", party=party)

    # James is signed in elsewhere.
    elsewhere = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="Europe/London")
    james = elsewhere.new_page()
    sign_in(james, "james@northwind.example")

    sign_in(page, "alice@northwind.example")
    page.goto("/parties/northwind-energy-supply-ltd/")
    page.get_by_role("link", name="Manage people").click()
    page.wait_for_url("**/people/")
    assert page.get_by_role("heading", name="Removed people").is_visible()
    assert page.get_by_text("No one has been removed.").is_visible()
    check_page(page, axe)

    # The confirmation says what will happen, and whether it can be undone.
    page.get_by_role("link", name="Remove James Okafor").click()
    page.wait_for_url("**/people/*/remove/")
    assert page.get_by_role("heading", name="Remove James Okafor from Northwind Energy Supply Ltd?").is_visible()
    assert page.get_by_text("any session they have open ends now").is_visible()
    assert page.get_by_role("heading", name="Can it be undone?").is_visible()
    check_page(page, axe)
    page.get_by_role("button", name="Remove James Okafor").click()
    page.wait_for_url("**/people/")
    assert page.get_by_text("James Okafor has been removed and can no longer sign in.").is_visible()
    assert page.get_by_role("button", name="Undo: reinstate James Okafor").is_visible()
    removed = page.get_by_role("table", name="People removed from Northwind Energy Supply Ltd")
    assert removed.get_by_role("cell", name=re.compile("^James Okafor")).is_visible()
    check_page(page, axe)
    assert not User.objects.get(email="james@northwind.example").is_active

    # His open session has ended.
    james.goto("/dashboard/")
    james.wait_for_url("**/accounts/login/**")

    # Alice changes her mind and reinstates him from the list.
    page.get_by_role("button", name="Reinstate James Okafor", exact=True).click()
    page.wait_for_url("**/people/")
    assert page.get_by_text("James Okafor has been reinstated and can sign in again.").is_visible()
    assert page.get_by_text("No one has been removed.").is_visible()
    users = page.get_by_role("table", name="Users of Northwind Energy Supply Ltd")
    assert users.get_by_role("cell", name=re.compile("^James Okafor")).is_visible()
    check_page(page, axe)
    page.goto("/parties/northwind-energy-supply-ltd/")
    assert page.get_by_text("James Okafor (james@northwind.example) reinstated").is_visible()
    check_page(page, axe)
    assert PartyEvent.objects.filter(kind=PartyEvent.Kind.USER_REINSTATED).count() == 1

    # He is told, once, and signs in with his own password.
    [email] = [m for m in mail.outbox if m.to == ["james@northwind.example"]]
    assert "Northwind Energy Supply Ltd" in email.subject and "/accounts/login/" in email.body
    sign_in(james, "james@northwind.example", PASSWORD)
    check_page(james, axe)
    elsewhere.close()


def test_a_party_user_cancels_their_place_and_undoes_it(page, axe):
    staff = make_user(email="sam@secas.example", full_name="Sam Patel", role_names={roles.SECAS_STAFF})
    party = make_party(name="Fenland Community Power Ltd", status=Party.Status.ACCEDED, party_signifier="FCPL")
    priya = make_user(email="priya@fenland.example", full_name="Priya Shah", party=party)
    event = make_event(actor=staff, title="Spotlight on the SEC", capacity=20)
    services.registration_create(actor=priya, event=event)

    sign_in(page, "priya@fenland.example")
    page.goto(f"/events/{event.slug}/")
    check_page(page, axe)
    page.get_by_role("link", name="Cancel my place").click()
    page.wait_for_url("**/cancel/")
    assert page.get_by_role("heading", name="Cancel your place at “Spotlight on the SEC”?").is_visible()
    assert page.get_by_role("heading", name="Can it be undone?").is_visible()
    check_page(page, axe)
    page.get_by_role("button", name="Cancel my place").click()
    page.wait_for_url(f"**/events/{event.slug}/")
    assert page.get_by_text("Your place is cancelled.").is_visible()
    check_page(page, axe)
    page.get_by_role("button", name="Undo: restore your registration for Spotlight on the SEC").click()
    page.wait_for_url(f"**/events/{event.slug}/")
    assert page.get_by_text("Your place is back.").is_visible()
    assert page.get_by_text("Your place is confirmed.").is_visible()
    check_page(page, axe)
    assert Registration.objects.get(user=priya, event=event).status == Registration.Status.CONFIRMED
