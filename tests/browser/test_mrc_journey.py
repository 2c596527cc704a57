"""The whole Modification Report Consultation as SECAS, two colleagues of a Party and a Panel member
live it: SECAS publishes the Modification Report and opens the MRC in one action; the Party's users
are emailed; two colleagues draft and send one response; a Panel member cannot read it before the
close; beat closes the consultation and moves the modification to the Change Board; the Panel
member then reads every response. axe-core checks every page on the way."""

import pytest
from django.utils import timezone

from modifications import services as modification_services
from modifications.models import Consultation, ModificationProposal, Response, Stage
from modifications.tests.factories import PDF_BYTES, make_modification
from panel.models import Committee, Membership
from panel.tests.factories import make_place
from parties import roles
from parties.models import Party
from parties.tests.factories import make_party, make_user
from secportal.models import OutboxMessage
from tests.browser.journey import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RATIONALE = "It makes installation data consistent across suppliers."


def test_the_whole_mrc_from_report_to_change_board(page, axe, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    make_user(email="staff@secas.example", full_name="Sam Analyst", role_names={roles.SECAS_STAFF})
    fenland = make_party(name="Fenland Community Power Ltd", status=Party.Status.ACCEDED)
    make_user(email="priya@fenland.example", full_name="Priya Shah", party=fenland)
    make_user(email="ewan@fenland.example", full_name="Ewan Fraser", party=fenland)
    brightwater = make_party(name="Brightwater Energy", status=Party.Status.ACCEDED)
    member = make_user(email="gareth@brightwater.example", full_name="Gareth Owen", party=brightwater)
    make_place(member, kind=Committee.Kind.PANEL, role=Membership.Role.MEMBER)
    mp = make_modification(stage=Stage.REPORT_PHASE, number=210, title="Installation reporting")

    # SECAS publishes the Modification Report, then opens the MRC in one action.
    sign_in(page, "staff@secas.example")
    page.goto(f"/modifications/{mp.reference}/documents/new/")
    assert_accessible(page, axe)
    page.get_by_label("Kind").select_option(label="Modification Report")
    page.get_by_label("Title").fill("MP210 Modification Report")
    page.get_by_label("File").set_input_files(
        {"name": "report.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
    )
    page.get_by_role("button", name="Publish the document").click()
    page.wait_for_url(f"**/modifications/{mp.reference}/")
    page.get_by_role("link", name="Open the Modification Report Consultation").click()
    assert_accessible(page, axe)
    assert (
        "better facilitates the SEC Objectives" in page.get_by_label("Questions").input_value()
    )  # the standard questions, to edit
    page.get_by_role("button", name="Open the Modification Report Consultation").click()
    page.wait_for_url(f"**/modifications/{mp.reference}/")
    assert_accessible(page, axe)
    consultation = Consultation.objects.get(modification=mp)
    assert ModificationProposal.objects.get(pk=mp.pk).stage == Stage.MRC
    page.get_by_role("link", name=consultation.title, exact=True).wait_for()
    page.get_by_role("button", name="Sign out").click()

    # Every user of a Party that may respond is emailed that it is open.
    told = set(OutboxMessage.objects.filter(subject__contains="MP210").values_list("recipient", flat=True))
    assert {"priya@fenland.example", "ewan@fenland.example", "gareth@brightwater.example"} <= told

    # Priya starts the response; Ewan finishes and sends it.
    sign_in(page, "priya@fenland.example")
    page.goto(f"/modifications/consultations/{consultation.pk}/")
    assert_accessible(page, axe)
    page.get_by_label("Yes").first.check()
    page.get_by_label("Rationale").first.fill(RATIONALE)
    page.get_by_text("Draft saved at").wait_for()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "ewan@fenland.example")
    page.goto(f"/modifications/consultations/{consultation.pk}/")
    assert page.get_by_label("Rationale").first.input_value() == RATIONALE
    for choice in page.get_by_label("Yes").all()[1:]:  # Ewan answers the questions Priya left
        choice.check()
    for box in page.get_by_label("Rationale").all()[1:]:
        box.fill("Agreed after review.")
    for box in page.get_by_label("Your answer").all():
        box.fill("No further comments.")
    page.get_by_role("button", name="Send Fenland Community Power Ltd's response").click()
    page.get_by_text("Your Party's response has been sent").wait_for()
    assert_accessible(page, axe)
    assert Response.objects.get(consultation=consultation, party=fenland).status == Response.Status.SUBMITTED
    page.get_by_role("button", name="Sign out").click()

    # A Panel member cannot read another Party's response before the close.
    sign_in(page, "gareth@brightwater.example")
    page.goto(f"/modifications/consultations/{consultation.pk}/")
    assert_accessible(page, axe)
    assert RATIONALE not in page.content()

    # Beat closes it at its deadline and moves the modification to the Change Board.
    Consultation.objects.filter(pk=consultation.pk).update(closes_at=timezone.now() - timezone.timedelta(minutes=1))
    modification_services.consultations_close_due()
    assert ModificationProposal.objects.get(pk=mp.pk).stage == Stage.CHANGE_BOARD

    # Now the Panel member reads every response.
    page.reload()
    page.get_by_text(RATIONALE).wait_for()
    assert_accessible(page, axe)
    page.get_by_role("button", name="Sign out").click()

    # SECAS sees the modification at the Change Board.
    sign_in(page, "staff@secas.example")
    page.goto(f"/modifications/{mp.reference}/")
    page.get_by_text("Change Board").first.wait_for()
    assert_accessible(page, axe)
