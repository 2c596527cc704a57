"""A Panel member opens the next meeting, reads an AMBER paper and the linked modification; a Party
user cannot reach that paper. axe-core checks every page on the way."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from modifications.models import Path, Route, Stage
from modifications.tests.factories import PDF_BYTES, make_modification
from panel import services
from panel.models import AgendaItem, Committee, Meeting, Membership, Paper
from parties import roles
from parties.tests.factories import PASSWORD, give_totp, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page, axe):
    violations = axe(page)
    assert violations == [], f"axe-core found violations on {page.url}: {violations}"


def test_member_reads_an_amber_paper_and_a_party_user_cannot(page, axe, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    staff = make_user(role_names={roles.SECAS_STAFF})
    give_totp(staff)
    panel = Committee.objects.create(
        name="SEC Panel",
        slug="sec-panel",
        kind=Committee.Kind.PANEL,
        purpose="Oversees the Smart Energy Code.",
        meets="Monthly",
    )
    member = make_user(email="gareth@brightwater.example", full_name="Gareth Owen")
    services.membership_add(actor=staff, committee=panel, user=member, role=Membership.Role.MEMBER)
    make_user(email="priya@fenland.example", full_name="Priya Shah")
    mp = make_modification(
        stage=Stage.CHANGE_BOARD,
        path=Path.PATH_2,
        route=Route.REFINEMENT,
        number=212,
        title="Security controls for User Systems in the cloud",
    )
    starts = timezone.now() + datetime.timedelta(days=10)
    meeting = Meeting.objects.create(
        committee=panel,
        title="December 2026 meeting",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=3),
        online_link="https://meet.example/p",
    )
    item = AgendaItem.objects.create(meeting=meeting, order=1, title="MP212 progress", modification=mp)
    paper = Paper(
        meeting=meeting,
        item=item,
        title="Risk register extract",
        content_type="application/pdf",
        size=len(PDF_BYTES),
        sha256="0" * 64,
        classification="amber",
        owner_committee="sec-panel",
    )
    paper.file.save("risk.pdf", ContentFile(PDF_BYTES), save=False)
    paper.save()

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("gareth@brightwater.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/")
    check(page, axe)
    page.get_by_role("link", name="SEC Panel: December 2026 meeting", exact=True).click()  # under "Coming up"
    page.wait_for_url(f"**/panel/meetings/{meeting.pk}/")
    check(page, axe)
    with page.expect_download() as download:
        page.get_by_role("link", name="Risk register extract").click()
    assert download.value.suggested_filename.endswith(".pdf")
    page.get_by_role("link", name="MP212: Security controls for User Systems in the cloud").click()
    page.wait_for_url("**/modifications/MP212/")
    check(page, axe)
    page.goto("/panel/sec-panel/")
    check(page, axe)
    page.get_by_role("button", name="Sign out").click()

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("priya@fenland.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/")
    page.goto(f"/panel/meetings/{meeting.pk}/")
    assert page.get_by_role("link", name="Risk register extract").count() == 0
    check(page, axe)
    response = page.request.get(f"/panel/papers/{paper.pk}/download/")
    assert response.status == 404
