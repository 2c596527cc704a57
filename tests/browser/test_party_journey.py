"""A Party administrator invites a colleague; the colleague accepts and signs in."""

import re

import pytest
from django.core import mail

from parties import roles
from parties.models import Party, User
from parties.tests.factories import PASSWORD, make_party, make_user
from tests.browser.journey import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_administrator_invites_a_colleague_who_accepts_and_signs_in(page, axe):
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

    page.goto("/parties/")
    assert_accessible(page, axe)
    page.get_by_label("Search by name or Party Signifier").fill("northwind")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name="Northwind Energy Supply Ltd").click()
    page.wait_for_url("**/parties/northwind-energy-supply-ltd/")
    assert_accessible(page, axe)

    sign_in(page, "alice@northwind.example", PASSWORD)
    page.goto("/parties/northwind-energy-supply-ltd/")
    page.get_by_role("link", name="Manage people").click()
    page.wait_for_url("**/people/")
    assert_accessible(page, axe)
    page.get_by_label("Colleague's work email address").fill("rosa@northwind.example")
    page.get_by_role("button", name="Send the invitation").click()
    assert page.get_by_text("Invitation sent to rosa@northwind.example").is_visible()
    assert page.get_by_role("cell", name=re.compile("Open until")).is_visible()
    assert_accessible(page, axe)
    page.get_by_role("button", name="Sign out").click()

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+(/parties/invitations/\S+/)", mail.outbox[0].body).group(1)
    page.goto(link)
    assert page.get_by_role("heading", name="Join Northwind Energy Supply Ltd on the SEC Portal").is_visible()
    assert_accessible(page, axe)
    page.get_by_label("Full name").fill("Rosa Diaz")
    page.get_by_label("Job title").fill("Settlements Analyst")
    page.get_by_label("Choose a password").fill("rosas-own-pass-2026")
    page.get_by_label("Type the password again").fill("rosas-own-pass-2026")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url("**/dashboard/")
    assert page.get_by_role("heading", name="Welcome, Rosa").is_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "rosa@northwind.example", "rosas-own-pass-2026")
    assert User.objects.get(email="rosa@northwind.example").party == party
    page.goto("/accounts/profile/")
    assert page.get_by_role("link", name="Northwind Energy Supply Ltd").is_visible()
    assert_accessible(page, axe)
