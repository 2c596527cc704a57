"""One journey per role: sign in, land on the dashboard, follow the first thing it offers and do it.
Every page on the way is checked with axe-core and for reflow at 320 CSS pixels (check_page)."""

import datetime

import pytest
from django.utils import timezone

from modifications import services as modification_services
from modifications.models import ModificationProposal, Path, Response, Route, Stage
from modifications.tests.factories import make_modification
from panel import services as panel_services
from panel.models import Committee, Meeting, Membership, Minutes, Seat, Vote
from parties import roles
from parties import services as party_services
from parties.models import AccountRequest, Invitation, Party
from parties.tests.factories import make_party, make_user
from secportal.workingdays import local_today
from tests.browser.journey import check_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_second_factor(without_mfa):
    """Privileged roles must set up an authenticator app first; the sign-in journeys cover that."""


def first_offer(page):
    """The first item of the first work queue on the dashboard (the most urgent thing it offers)."""
    return page.locator(".dashboard-queues .queue-item").first


def board_with_seats(staff) -> tuple[Committee, list[Seat]]:
    board = Committee.objects.create(
        name="Change Board", slug="change-board", kind=Committee.Kind.CHANGE_BOARD, purpose="Votes on changes."
    )
    seats = [
        Seat.objects.create(committee=board, label=label, constituency=constituency)
        for label, constituency in (
            ("Large Supplier 1", "large_supplier"),
            ("Large Supplier 2", "large_supplier"),
            ("Small Supplier", "small_supplier"),
            ("Network Party", "electricity_network"),
        )
    ]
    return board, seats


def test_secas_reviews_the_oldest_draft_proposal(page, axe):
    staff = make_user(email="staff@secas.example", full_name="Sam Staff", role_names={roles.SECAS_STAFF})
    party = make_party(name="Fenland Community Power Ltd", status=Party.Status.ACCEDED)
    today = local_today()
    make_modification(number=341, title="Newer problem", proposer_party=party, raised_on=today)
    oldest = make_modification(
        number=337,
        title="Meter read retries",
        proposer_party=party,
        raised_on=today - datetime.timedelta(days=3),
    )
    AccountRequest.objects.create(full_name="Rosa Diaz", email="rosa@fen.example", party=party, job_title="Analyst")

    sign_in(page, staff.email)
    check_page(page, axe)
    assert page.get_by_role("heading", name="Draft Proposals awaiting critical-friend review 2 waiting").is_visible()
    offer = first_offer(page)
    assert "DP337: Meter read retries" in offer.inner_text()
    assert "Critical-friend review due" in offer.inner_text()
    offer.get_by_role("link", name="DP337: Meter read retries").click()
    page.wait_for_url(f"**/modifications/{oldest.reference}/")
    check_page(page, axe)

    # What SECAS does next is above the fold, before the issue and the facts.
    step = page.get_by_role("link", name="Critical-friend review done: start development")
    box = step.bounding_box()
    assert box is not None and box["y"] + box["height"] <= page.viewport_size["height"], box
    step.click()
    page.wait_for_url(f"**/modifications/{oldest.reference}/actions/start-development/")
    check_page(page, axe)
    page.get_by_label("Note for the timeline (optional)").fill("Clear problem statement; ready for the CSC.")
    page.get_by_role("button", name="Critical-friend review done: start development").click()
    page.get_by_text(f"Done: {oldest.reference} is at Development").wait_for()
    check_page(page, axe)
    assert ModificationProposal.objects.get(pk=oldest.pk).stage == Stage.DEVELOPMENT

    page.goto("/dashboard/")
    check_page(page, axe)
    assert "Newer problem" in first_offer(page).inner_text()
    assert page.get_by_role("heading", name="Draft Proposals awaiting critical-friend review 1 waiting").is_visible()


def test_a_member_casts_the_vote_waiting_for_them(page, axe):
    staff = make_user(role_names={roles.SECAS_STAFF})
    board, seats = board_with_seats(staff)
    member = make_user(email="gareth@brightwater.example", full_name="Gareth Owen", role_names=set())
    panel_services.membership_add(actor=staff, committee=board, user=member, role=Membership.Role.MEMBER, seat=seats[0])
    starts = timezone.now() + datetime.timedelta(days=4)
    meeting = Meeting.objects.create(
        committee=board, title="January Change Board", starts_at=starts, ends_at=starts + datetime.timedelta(hours=2)
    )
    voted_on = make_modification(
        stage=Stage.CHANGE_BOARD, path=Path.PATH_3, route=Route.REFINEMENT, number=213, title="Accession fees"
    )
    vote_round = panel_services.vote_round_open(actor=staff, modification=voted_on, meeting=meeting)

    sign_in(page, member.email)
    check_page(page, axe)
    offer = first_offer(page)
    assert "Vote by the meeting of" in offer.inner_text() and "January Change Board" in offer.inner_text()
    offer.get_by_role("link", name="Vote on MP213: Accession fees").click()
    page.wait_for_url(f"**/panel/votes/{vote_round.pk}/")
    check_page(page, axe)
    page.get_by_label("Approve").check()
    page.get_by_label("(g) Efficient and transparent administration and implementation of the SEC").check()
    page.get_by_label("Rationale against the SEC Objectives").fill("Clearer fees better facilitate Objective (g).")
    page.get_by_role("button", name="Record my vote").click()
    page.get_by_text("Your vote is recorded").wait_for()
    check_page(page, axe)
    assert Vote.objects.get(round=vote_round).choice == "approve"

    page.goto("/dashboard/")
    check_page(page, axe)
    assert page.get_by_text("No Change Board vote is waiting for your seat's vote.").is_visible()


def test_the_chair_approves_the_minutes_waiting_for_them(page, axe):
    staff = make_user(role_names={roles.SECAS_STAFF})
    panel = Committee.objects.create(name="SEC Panel", slug="sec-panel", kind=Committee.Kind.PANEL, purpose="x")
    chair_seat = Seat.objects.create(committee=panel, label="Independent Chair", constituency="chair", voting=False)
    chair = make_user(email="chair@panel.example", full_name="Claire Hughes", role_names=set())
    panel_services.membership_add(actor=staff, committee=panel, user=chair, role=Membership.Role.CHAIR, seat=chair_seat)
    board, seats = board_with_seats(staff)
    member = make_user(role_names=set())
    panel_services.membership_add(actor=staff, committee=board, user=member, role=Membership.Role.MEMBER, seat=seats[0])
    vote_round = panel_services.vote_round_open(
        actor=staff,
        modification=make_modification(stage=Stage.CHANGE_BOARD, path=Path.PATH_3, route=Route.REFINEMENT, number=220),
    )
    panel_services.vote_cast(actor=member, vote_round=vote_round, choice="approve", rationale="Better.")
    now = timezone.now()
    minuted, held = (
        Meeting.objects.create(
            committee=panel, title=title, starts_at=now - ago, ends_at=now - ago + datetime.timedelta(hours=3)
        )
        for title, ago in (
            ("October Panel", datetime.timedelta(days=35)),
            ("November Panel", datetime.timedelta(days=5)),
        )
    )
    panel_services.minutes_save_draft(actor=staff, meeting=minuted, text="The Panel agreed the plan.")

    sign_in(page, chair.email)
    check_page(page, axe)
    assert page.get_by_text("None (SECAS)").count() == 0
    # The Change Board's progress, in numbers only.
    assert page.get_by_text("1 of 4 voting seats has voted; the quorum is 2.").is_visible()
    offer = first_offer(page)
    assert "To approve at the meeting of" in offer.inner_text()
    offer.get_by_role("link", name="Minutes of the SEC Panel: October Panel").click()
    page.wait_for_url(f"**/panel/meetings/{minuted.pk}/#minutes-title")
    check_page(page, axe)
    assert page.get_by_label("Approved at").input_value() == str(held.pk)
    page.get_by_role("button", name="Approve and lock the minutes").click()
    page.get_by_text("Minutes approved and locked.").wait_for()
    check_page(page, axe)
    minutes = Minutes.objects.get(meeting=minuted)
    assert minutes.status == Minutes.Status.APPROVED and minutes.approved_by == chair and minutes.approved_at == held

    page.goto("/dashboard/")
    check_page(page, axe)
    assert page.get_by_text("No draft minutes of a committee you chair await approval.").is_visible()


def test_a_party_user_answers_the_consultation_waiting_for_their_party(page, axe):
    staff = make_user(role_names={roles.SECAS_STAFF})
    party = make_party(name="Fenland Community Power Ltd", status=Party.Status.ACCEDED)
    make_user(email="priya@fenland.example", full_name="Priya Shah", party=party)
    consultation = modification_services.consultation_create(
        actor=staff,
        title="Smart meter firmware consultation",
        kind="other",
        questions=[("Do you support the change?", "position")],
    )

    sign_in(page, "priya@fenland.example")
    check_page(page, axe)
    offer = first_offer(page)
    assert "Not started" in offer.inner_text() and "Working Days left" in offer.inner_text()
    offer.get_by_role("link", name="Smart meter firmware consultation").click()
    page.wait_for_url(f"**/modifications/consultations/{consultation.pk}/")
    check_page(page, axe)
    page.get_by_label("Yes").check()
    page.get_by_label("Rationale").fill("Firmware updates need a clear window.")
    page.get_by_role("button", name="Send Fenland Community Power Ltd's response").click()
    page.get_by_text("Your Party's response has been sent").wait_for()
    check_page(page, axe)
    assert Response.objects.get(consultation=consultation, party=party).version == 1

    page.goto("/dashboard/")
    check_page(page, axe)
    assert "Sent" in first_offer(page).inner_text() and "Version 1 sent" in first_offer(page).inner_text()


def test_a_party_admin_invites_again_a_colleague_whose_invitation_expired(page, axe):
    party = make_party(name="Northwind Energy Supply Ltd", status=Party.Status.ACCEDED)
    admin = make_user(
        email="alice@northwind.example",
        full_name="Alice Turner",
        party=party,
        role_names={roles.PARTY_USER, roles.PARTY_ADMINISTRATOR},
    )
    expired = party_services.invitation_create(actor=admin, party=party, email="rosa@northwind.example")
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - datetime.timedelta(hours=2))
    AccountRequest.objects.create(
        full_name="Tom Baker", email="tom@northwind.example", party=party, job_title="Analyst"
    )

    sign_in(page, admin.email)
    check_page(page, axe)
    assert page.get_by_text("Tom Baker asked for an account").is_visible()
    offer = first_offer(page)
    assert "Invitation to rosa@northwind.example" in offer.inner_text() and "Expired" in offer.inner_text()
    offer.get_by_role("button", name="Send a new invitation to rosa@northwind.example").click()
    page.wait_for_url("**/parties/northwind-energy-supply-ltd/people/")
    page.get_by_text("Invitation sent to rosa@northwind.example").wait_for()
    check_page(page, axe)
    assert Invitation.objects.filter(email="rosa@northwind.example", revoked_at__isnull=True).get().state() == "open"

    page.goto("/dashboard/")
    check_page(page, axe)
    offer = first_offer(page)
    assert "Invitation to rosa@northwind.example" in offer.inner_text() and "Expires" in offer.inner_text()
