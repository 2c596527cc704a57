"""The rest of the process as it runs: Ofgem sends back, implementation dates change, releases
(February, June, November, ad hoc) with their scope and implementation document."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from modifications import demo, services
from modifications.models import (
    TRANSITIONS,
    ModificationDocument,
    ModificationEvent,
    Path,
    Release,
    ReleaseDocumentDownload,
    Route,
    Stage,
)
from modifications.tests.factories import PDF_BYTES, make_modification, make_release, make_report_phase_mp
from parties import roles
from parties.tests.factories import give_totp, make_party, make_user
from secportal.exceptions import ApplicationError
from secportal.workingdays import local_today

pytestmark = pytest.mark.django_db

AUTHORITY_PATHS = (Path.PATH_1, Path.PATH_2)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def staff():
    user = make_user(email="staff@secas.example", role_names={roles.SECAS_STAFF})
    give_totp(user)
    return user


def letter(name="letter.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def at_authority(path=Path.PATH_1):
    return make_modification(stage=Stage.WITH_AUTHORITY, path=path, route=Route.REFINEMENT)


# --- Ofgem sends back -----------------------------------------------------------------------------------


def test_the_send_back_is_in_the_transitions():
    assert TRANSITIONS[Stage.WITH_AUTHORITY] == {Stage.APPROVED, Stage.REJECTED, Stage.REPORT_PHASE}


@pytest.mark.parametrize("path", AUTHORITY_PATHS)
def test_a_sent_back_mp_returns_to_the_report_phase_with_the_letter(staff, path):
    mp = at_authority(path)
    mp.decided_on = None
    mp = services.modification_record_authority_decision(
        actor=staff, modification=mp, decision="sent_back", note="Revise the cost section.", letter=letter()
    )
    assert mp.stage == Stage.REPORT_PHASE and mp.decided_on is None
    assert mp.next_milestone == "Modification Report Consultation opens"
    document = mp.documents.get()
    assert document.kind == ModificationDocument.Kind.AUTHORITY_LETTER
    assert document.get_kind_display() == "Authority decision letter" and document.classification == "white"
    move = mp.events.get(kind=ModificationEvent.Kind.STAGE)
    assert (move.from_stage, move.to_stage, move.actor, move.note) == (
        Stage.WITH_AUTHORITY,
        Stage.REPORT_PHASE,
        staff,
        "Revise the cost section.",
    )
    assert "Sent back by Ofgem to the Panel" in move.summary
    assert mp.events.filter(kind=ModificationEvent.Kind.DOCUMENT, document=document).exists()


def test_a_sent_back_mp_consults_again(staff):
    mp = make_report_phase_mp(path=Path.PATH_1, route=Route.REFINEMENT)
    mp.stage = Stage.WITH_AUTHORITY
    mp.save(update_fields=["stage"])
    mp = services.modification_record_authority_decision(
        actor=staff, modification=mp, decision="sent_back", letter=letter()
    )
    mp = services.modification_open_mrc(actor=staff, modification=mp)
    assert mp.stage == Stage.MRC


@pytest.mark.parametrize(("decision", "expected"), [("approved", Stage.APPROVED), ("rejected", Stage.REJECTED)])
@pytest.mark.parametrize("path", AUTHORITY_PATHS)
def test_approval_and_rejection_record_the_day_and_the_letter_if_given(staff, path, decision, expected):
    mp = services.modification_record_authority_decision(
        actor=staff, modification=at_authority(path), decision=decision, letter=letter()
    )
    assert mp.stage == expected and mp.decided_on == local_today()
    assert mp.documents.get().kind == ModificationDocument.Kind.AUTHORITY_LETTER
    mp = services.modification_record_authority_decision(
        actor=staff, modification=at_authority(path), decision=decision
    )
    assert mp.stage == expected and not mp.documents.exists()


def test_a_send_back_without_the_letter_is_refused(staff):
    mp = at_authority()
    with pytest.raises(ApplicationError, match="letter"):
        services.modification_record_authority_decision(actor=staff, modification=mp, decision="sent_back")
    mp.refresh_from_db()
    assert mp.stage == Stage.WITH_AUTHORITY and not mp.events.exists()


def test_a_letter_that_is_not_a_document_saves_nothing(staff):
    mp = at_authority()
    with pytest.raises(ApplicationError, match="not a"):
        services.modification_record_authority_decision(
            actor=staff, modification=mp, decision="sent_back", letter=letter(content=b"<html>hello</html>")
        )
    mp.refresh_from_db()
    assert mp.stage == Stage.WITH_AUTHORITY and not mp.events.exists() and not mp.documents.exists()


@pytest.mark.parametrize("decision", ["approved", "rejected", "sent_back"])
@pytest.mark.parametrize("stage", [s for s in Stage if s != Stage.WITH_AUTHORITY])
def test_the_authority_decides_only_what_is_with_it(staff, stage, decision):
    path = "" if stage in (Stage.DRAFT, Stage.DEVELOPMENT) else Path.PATH_1
    mp = make_modification(stage=stage, path=path, route=Route.REFINEMENT if path else "")
    with pytest.raises(ApplicationError, match="With the Authority"):
        services.modification_record_authority_decision(
            actor=staff, modification=mp, decision=decision, letter=letter()
        )
    mp.refresh_from_db()
    assert mp.stage == stage and not mp.events.exists() and not mp.documents.exists()


@pytest.mark.parametrize("path", [Path.PATH_3, Path.FAST_TRACK])
@pytest.mark.parametrize("decision", ["approved", "rejected", "sent_back"])
def test_the_authority_does_not_decide_self_governance(staff, path, decision):
    mp = make_modification(stage=Stage.WITH_AUTHORITY, path=path, route=Route.REPORT_PHASE)
    with pytest.raises(ApplicationError, match="Path 1 and Path 2"):
        services.modification_record_authority_decision(
            actor=staff, modification=mp, decision=decision, letter=letter()
        )
    mp.refresh_from_db()
    assert mp.stage == Stage.WITH_AUTHORITY and not mp.documents.exists()


def test_only_secas_record_the_authority_decision():
    party_user = make_user(email="p@supplier.example", party=make_party())
    with pytest.raises(ApplicationError):
        services.modification_record_authority_decision(
            actor=party_user, modification=at_authority(), decision="sent_back", letter=letter()
        )


def test_staff_send_back_from_the_modification_page(client, staff):
    mp = at_authority()
    client.force_login(staff)
    page = client.get(reverse("modifications:modification-detail", args=[mp.reference])).content.decode()
    url = reverse("modifications:modification-action", args=[mp.reference, "authority-decision"])
    assert url in page
    form = client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in form and "Sent back to the Panel" in form
    refused = client.post(url, {"decision": "sent_back", "note": ""})
    assert refused.status_code == 400 and "Attach the Authority" in refused.content.decode()
    mp.refresh_from_db()
    assert mp.stage == Stage.WITH_AUTHORITY
    response = client.post(url, {"decision": "sent_back", "note": "Revise the report.", "letter": letter()})
    assert response.status_code == 302
    mp.refresh_from_db()
    assert mp.stage == Stage.REPORT_PHASE
    document = mp.documents.get(kind=ModificationDocument.Kind.AUTHORITY_LETTER)
    page = client.get(reverse("modifications:modification-detail", args=[mp.reference])).content.decode()
    assert "Sent back by Ofgem to the Panel" in page
    assert reverse("modifications:document-download", args=[document.pk]) in page


# --- Implementation date changes ------------------------------------------------------------------------


def test_a_self_governance_change_of_date_needs_only_the_reason(staff):
    release = make_release(name="June 2027 SEC Release", go_live=datetime.date(2027, 6, 24))
    mp = make_modification(stage=Stage.APPROVED, path=Path.PATH_3, route=Route.REFINEMENT, target_release=release)
    later = make_release(name="November 2027 SEC Release", go_live=datetime.date(2027, 11, 4))
    mp = services.modification_change_implementation(
        actor=staff, modification=mp, implementation_date=None, release=later, reason="DCC build is late."
    )
    assert mp.target_release == later and mp.next_milestone_date == later.go_live
    event = mp.events.get(kind=ModificationEvent.Kind.RESCHEDULED)
    assert event.summary == "Implementation changed from the June 2027 SEC Release to the November 2027 SEC Release"
    assert (event.note, event.actor, event.document) == ("DCC build is late.", staff, None)


@pytest.mark.parametrize("path", AUTHORITY_PATHS)
def test_an_authority_mp_changes_date_only_with_the_authoritys_letter(staff, path):
    mp = make_modification(stage=Stage.APPROVED, path=path, route=Route.REFINEMENT)
    new_date = local_today() + datetime.timedelta(days=90)
    with pytest.raises(ApplicationError, match="Ofgem's letter"):
        services.modification_change_implementation(
            actor=staff, modification=mp, implementation_date=new_date, release=None, reason="Ofgem agreed."
        )
    mp.refresh_from_db()
    assert mp.implementation_date is None and not mp.events.exists()
    mp = services.modification_change_implementation(
        actor=staff,
        modification=mp,
        implementation_date=new_date,
        release=None,
        reason="Ofgem agreed.",
        letter=letter(),
    )
    assert mp.implementation_date == new_date
    event = mp.events.get(kind=ModificationEvent.Kind.RESCHEDULED)
    assert event.summary == f"Implementation changed from not set to {new_date:%-d %B %Y}"
    assert event.document.kind == ModificationDocument.Kind.AUTHORITY_LETTER


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"implementation_date": None, "release": None}, "Give the new"),
        ({"implementation_date": datetime.date(2020, 1, 1), "release": None}, "after today"),
        ({"implementation_date": None, "release": "live"}, "already live"),
        ({"implementation_date": None, "release": "same"}, "already has"),
        ({"implementation_date": None, "release": "other", "reason": "  "}, "Say why"),
    ],
)
def test_bad_implementation_changes_are_refused(staff, change, message):
    same = make_release()
    mp = make_modification(stage=Stage.APPROVED, path=Path.PATH_3, route=Route.REFINEMENT, target_release=same)
    releases = {"live": make_release(status=Release.Status.LIVE), "same": same, "other": make_release(), None: None}
    with pytest.raises(ApplicationError, match=message):
        services.modification_change_implementation(
            actor=staff,
            modification=mp,
            implementation_date=change["implementation_date"],
            release=releases[change["release"]],
            reason=change.get("reason", "Because."),
        )
    mp.refresh_from_db()
    assert mp.target_release == same and not mp.events.exists()


@pytest.mark.parametrize("stage", [Stage.IMPLEMENTED, Stage.REJECTED, Stage.WITHDRAWN])
def test_a_settled_modification_keeps_its_implementation(staff, stage):
    mp = make_modification(stage=stage, path=Path.PATH_3, route=Route.REFINEMENT)
    with pytest.raises(ApplicationError, match="settled"):
        services.modification_change_implementation(
            actor=staff, modification=mp, implementation_date=None, release=make_release(), reason="Because."
        )


def test_staff_change_the_implementation_from_the_modification_page(client, staff):
    mp = make_modification(stage=Stage.APPROVED, path=Path.PATH_2, route=Route.REFINEMENT)
    later = make_release(name="February 2028 SEC Release", kind=Release.Kind.FEBRUARY)
    client.force_login(staff)
    url = reverse("modifications:modification-action", args=[mp.reference, "change-implementation"])
    assert url in client.get(reverse("modifications:modification-detail", args=[mp.reference])).content.decode()
    refused = client.post(url, {"release": later.pk, "reason": "Ofgem agreed."})
    assert refused.status_code == 400 and "Required: this is an Authority modification" in refused.content.decode()
    response = client.post(url, {"release": later.pk, "reason": "Ofgem agreed.", "letter": letter()})
    assert response.status_code == 302
    page = client.get(reverse("modifications:modification-detail", args=[mp.reference])).content.decode()
    assert "Implementation changed from not set to the February 2028 SEC Release" in page
    assert "Ofgem agreed." in page and "the Authority's letter" in page


def test_party_users_cannot_change_the_implementation(client):
    mp = make_modification(stage=Stage.APPROVED, path=Path.PATH_3, route=Route.REFINEMENT)
    client.force_login(make_user(email="p@supplier.example", party=make_party()))
    url = reverse("modifications:modification-action", args=[mp.reference, "change-implementation"])
    assert client.post(url, {"release": make_release().pk, "reason": "x"}).status_code == 404


# --- Releases -------------------------------------------------------------------------------------------


def test_releases_come_in_february_june_november_and_ad_hoc():
    assert Release.Kind.values == ["february", "june", "november", "ad_hoc"]
    for today in (datetime.date(2027, 1, 15), datetime.date(2027, 6, 24), datetime.date(2027, 12, 24)):
        kinds = {release.kind for release in demo.releases(today)}
        assert kinds == set(Release.Kind.values)


def test_the_release_page_lists_its_scope_with_each_status(client):
    release = make_release(name="February 2027 SEC Release", kind=Release.Kind.FEBRUARY)
    approved = make_modification(stage=Stage.APPROVED, path=Path.PATH_3, route=Route.REFINEMENT, target_release=release)
    refining = make_modification(stage=Stage.REFINEMENT, target_release=release)
    page = client.get(reverse("modifications:release-detail", args=[release.slug])).content.decode()
    assert "February release" in page
    assert approved.reference in page and refining.reference in page
    assert Stage.APPROVED.label in page and Stage.REFINEMENT.label in page
    assert "not published yet" in page
    assert (
        reverse("modifications:release-detail", args=[release.slug])
        in client.get(reverse("modifications:release-list")).content.decode()
    )
    assert client.get(reverse("modifications:release-detail", args=["no-such-release"])).status_code == 404


@pytest.mark.parametrize("count", [3, 30])
def test_the_release_page_queries_do_not_grow_with_its_scope(client, django_assert_num_queries, count):
    release = make_release()
    for _ in range(count):
        make_modification(
            stage=Stage.APPROVED,
            path=Path.PATH_3,
            route=Route.REFINEMENT,
            target_release=release,
            proposer_party=make_party(),
        )
    with django_assert_num_queries(2):  # the release, its modifications with their Parties
        response = client.get(reverse("modifications:release-detail", args=[release.slug]))
    assert response.content.decode().count("<tr><td>") == count


def test_staff_publish_the_implementation_document_and_anyone_downloads_it(client, staff):
    release = make_release()
    url = reverse("modifications:release-document-download", args=[release.slug])
    assert client.get(url).status_code == 404
    client.force_login(staff)
    upload = reverse("modifications:release-document-upload", args=[release.slug])
    assert upload in client.get(reverse("modifications:release-detail", args=[release.slug])).content.decode()
    assert client.post(upload, {"document": letter("impl.pdf")}).status_code == 302
    release.refresh_from_db()
    assert release.document_content_type == "application/pdf" and release.document_size == len(PDF_BYTES)
    assert release.document.name.startswith("releases/") and "impl" not in release.document.name
    client.logout()
    assert url in client.get(reverse("modifications:release-detail", args=[release.slug])).content.decode()
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF_BYTES
    assert response["Cache-Control"] == "private, no-store"
    assert ReleaseDocumentDownload.objects.filter(release=release, user=None).count() == 1


def test_a_release_document_is_checked_by_content(client, staff):
    release = make_release()
    client.force_login(staff)
    upload = reverse("modifications:release-document-upload", args=[release.slug])
    response = client.post(upload, {"document": letter("impl.pdf", b"<html><script>x</script></html>")})
    assert response.status_code == 400 and "whatever its name says" in response.content.decode()
    release.refresh_from_db()
    assert not release.document


def test_only_staff_publish_a_release_document(client):
    release = make_release()
    client.force_login(make_user(email="p@supplier.example", party=make_party()))
    upload = reverse("modifications:release-document-upload", args=[release.slug])
    assert client.post(upload, {"document": letter()}).status_code == 404
    with pytest.raises(ApplicationError):
        services.release_attach_document(actor=make_user(email="q@x.example"), release=release, upload=letter())
    release.refresh_from_db()
    assert not release.document
