"""Two users of one Party draft a consultation response together and send it; a Change Board member
votes. axe-core checks every page on the way."""

import datetime

import pytest

from modifications import services as modification_services
from modifications.models import Answer, Path, Response, Route, Stage
from modifications.tests.factories import make_modification, make_report_phase_mp
from panel import services as panel_services
from panel.models import Committee, Membership, Seat, Vote
from parties import roles
from parties.models import Party
from parties.tests.factories import make_party, make_user
from tests.browser.journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page, axe):
    violations = axe(page)
    assert violations == [], f"axe-core found violations on {page.url}: {violations}"


def test_colleagues_respond_together_and_a_member_votes(page, axe, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    staff = make_user(role_names={roles.SECAS_STAFF})
    party = make_party(name="Fenland Community Power Ltd", status=Party.Status.ACCEDED)
    make_user(email="priya@fenland.example", full_name="Priya Shah", party=party)
    make_user(email="ewan@fenland.example", full_name="Ewan Fraser", party=party)
    mp = make_report_phase_mp(number=210, title="Installation reporting")
    consultation = modification_services.consultation_create(
        actor=staff,
        title="MP210 Modification Report Consultation",
        kind="mrc",
        modification=mp,
        questions=[("Do you support the change?", "position"), ("Any other comments?", "text")],
    )

    # Priya starts the response; the page saves as she types.
    sign_in(page, "priya@fenland.example")
    page.get_by_role("link", name="MP210 Modification Report Consultation", exact=True).click()
    page.wait_for_url(f"**/modifications/consultations/{consultation.pk}/")
    check(page, axe)
    page.get_by_label("Yes").check()
    page.get_by_label("Rationale").fill("It makes installation data consistent.")
    page.get_by_text("Draft saved at").wait_for()
    page.get_by_role("button", name="Sign out").click()

    # Ewan continues the same draft and sends it.
    sign_in(page, "ewan@fenland.example")
    page.goto(f"/modifications/consultations/{consultation.pk}/")
    assert page.get_by_label("Rationale").input_value() == "It makes installation data consistent."
    page.get_by_label("Your answer").fill("No further comments.")
    page.get_by_role("button", name="Send Fenland Community Power Ltd's response").click()
    page.get_by_text("Your Party's response has been sent").wait_for()
    check(page, axe)
    response = Response.objects.get(consultation=consultation, party=party)
    assert response.status == Response.Status.SUBMITTED and response.version == 1
    assert Answer.objects.filter(response=response).count() == 2
    page.get_by_role("button", name="Sign out").click()

    # A Change Board member votes.
    board = Committee.objects.create(
        name="Change Board", slug="change-board", kind=Committee.Kind.CHANGE_BOARD, purpose="Votes on changes."
    )
    seat = Seat.objects.create(committee=board, label="Large Supplier", constituency="large_supplier")
    member = make_user(email="gareth@brightwater.example", full_name="Gareth Owen")
    panel_services.membership_add(actor=staff, committee=board, user=member, role=Membership.Role.MEMBER, seat=seat)
    voted_on = make_modification(
        stage=Stage.CHANGE_BOARD, path=Path.PATH_3, route=Route.REFINEMENT, number=213, title="Accession fees"
    )
    vote_round = panel_services.vote_round_open(actor=staff, modification=voted_on)
    sign_in(page, "gareth@brightwater.example")
    page.goto(f"/panel/votes/{vote_round.pk}/")
    check(page, axe)
    page.get_by_label("Approve").check()
    page.get_by_label("(g) Efficient and transparent administration and implementation of the SEC").check()
    page.get_by_label("Rationale against the SEC Objectives").fill("Clearer fees better facilitate Objective (g).")
    page.get_by_role("button", name="Record my vote").click()
    page.get_by_text("Your vote is recorded").wait_for()
    check(page, axe)
    vote = Vote.objects.get(round=vote_round)
    assert vote.choice == "approve" and vote.objectives == ["g"]


def test_secas_opens_a_consultation_for_later_from_the_form(page, axe, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    make_user(email="staff@secas.example", role_names={roles.SECAS_STAFF})
    make_modification(stage=Stage.REFINEMENT, number=330, title="Smart meter firmware updates")
    sign_in(page, "staff@secas.example")
    page.goto("/modifications/consultations/new/")
    check(page, axe)
    page.get_by_label("Title").fill("MP330 Refinement Consultation")
    page.get_by_label("Kind").select_option("refinement")
    page.get_by_label("Modification reference (e.g. MP212)").fill("MP330")
    from secportal.workingdays import local_today

    opens = local_today() + datetime.timedelta(days=30)
    page.get_by_label("Opens on (optional)").fill(opens.isoformat())
    page.get_by_label("DCC").check()
    page.get_by_label("Questions").fill("Do you agree with the solution?")
    page.get_by_role("button", name="Open the consultation").click()
    page.get_by_text(f"opens on {opens.day} {opens:%B %Y}").wait_for()
    check(page, axe)
