"""Documents: uploads checked by content, versions, and classification on every surface."""

import xml.etree.ElementTree as ET

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from modifications import services
from modifications.models import DocumentDownload, ModificationDocument, Stage
from modifications.tests.factories import PDF_BYTES, make_document, make_modification
from parties import roles
from parties.models import Party
from parties.tests.factories import give_totp, make_party, make_user
from secportal import classification
from secportal.classification import Classification
from secportal.exceptions import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return make_user(email="staff@secas.example", role_names={roles.SECAS_STAFF})


@pytest.fixture
def committee_lookup():
    """Members of the 'change-board' committee, whoever the test says (the panel app's lookup is restored after)."""
    members = set()
    saved = list(classification._committee_lookup)

    def access(user):
        amber = frozenset({"change-board"}) if user.pk in members else frozenset()
        return classification.NoCommitteeAccess(amber_committees=amber)

    classification.register_committee_lookup(
        classification.CommitteeLookup(access=access, has_place=lambda user: False)
    )
    yield members
    classification._committee_lookup[:] = saved


def pdf(name="report.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_staff_publish_documents_in_versions(client, staff):
    mp = make_modification(stage=Stage.REFINEMENT)
    client.force_login(staff)
    staff_mfa_free(staff)
    for _ in range(2):
        response = client.post(
            reverse("modifications:document-upload", args=[mp.reference]),
            {"kind": "legal_text", "title": "Legal text", "file": pdf(), "classification": "white"},
        )
        assert response.status_code == 302
    versions = list(mp.documents.order_by("version").values_list("version", "size", "content_type"))
    assert versions == [(1, len(PDF_BYTES), "application/pdf"), (2, len(PDF_BYTES), "application/pdf")]
    document = mp.documents.get(version=2)
    assert "report" not in document.file.name and document.file.name.endswith(".pdf")
    page = client.get(reverse("modifications:modification-detail", args=[mp.reference])).content.decode()
    assert "version 2" in page and "Earlier versions" in page


def staff_mfa_free(user):
    from parties.tests.factories import give_totp

    give_totp(user)


def test_an_html_file_named_pdf_is_refused_and_nothing_is_saved(client, staff):
    mp = make_modification(stage=Stage.REFINEMENT)
    client.force_login(staff)
    staff_mfa_free(staff)
    response = client.post(
        reverse("modifications:document-upload", args=[mp.reference]),
        {
            "kind": "legal_text",
            "title": "Legal text",
            "classification": "white",
            "file": pdf(content=b"<html><script>alert(1)</script></html>"),
        },
    )
    assert response.status_code == 400
    assert "whatever its name says" in response.content.decode()
    assert not ModificationDocument.objects.exists() and not mp.events.exists()


def test_an_oversize_file_is_refused(staff, settings):
    settings.SECPORTAL_UPLOAD_MAX_BYTES = 20
    with pytest.raises(ApplicationError, match="MB"):
        services.document_upload(
            actor=staff,
            modification=make_modification(),
            kind="other",
            title="Big",
            upload=pdf(),
            classification="white",
        )


def test_amber_and_red_need_their_owners(staff):
    mp = make_modification()
    with pytest.raises(ApplicationError, match="AMBER"):
        services.document_upload(
            actor=staff, modification=mp, kind="other", title="A", upload=pdf(), classification="amber"
        )
    with pytest.raises(ApplicationError, match="RED"):
        services.document_upload(
            actor=staff, modification=mp, kind="other", title="R", upload=pdf(), classification="red"
        )


def test_only_staff_publish(client):
    party_user = make_user()
    mp = make_modification()
    with pytest.raises(ApplicationError):
        services.document_upload(
            actor=party_user, modification=mp, kind="other", title="X", upload=pdf(), classification="white"
        )
    client.force_login(party_user)
    assert client.get(reverse("modifications:document-upload", args=[mp.reference])).status_code == 404


# --- The classification matrix: each role x each label x each surface --------------------------------------

ROLES = ["anonymous", "other_party_user", "owner_party_user", "committee_member", "red_recipient", "staff"]
CAN_SEE = {
    Classification.WHITE: set(ROLES),
    Classification.GREEN: set(ROLES) - {"anonymous"},
    Classification.AMBER: {"owner_party_user", "committee_member", "staff"},
    Classification.RED: {"red_recipient", "staff"},
}


@pytest.fixture
def world(committee_lookup):
    owner = make_party(name="Owner Party", status=Party.Status.ACCEDED)
    other = make_party(name="Other Party", status=Party.Status.ACCEDED)
    people = {
        "anonymous": None,
        "other_party_user": make_user(party=other),
        "owner_party_user": make_user(party=owner),
        "committee_member": make_user(role_names=set()),
        "red_recipient": make_user(party=other),
        "staff": make_user(role_names={roles.SECAS_STAFF}),
    }
    committee_lookup.add(people["committee_member"].pk)
    mp = make_modification(stage=Stage.REFINEMENT, number=777)
    documents = {
        label: make_document(
            mp,
            classification=label,
            title=f"{label.label} paper",
            owner_party=owner,
            owner_committee="change-board",
            red_recipients=[people["red_recipient"]] if label == Classification.RED else (),
        )
        for label in Classification
    }
    for document in documents.values():
        services_event(mp, document)
    return {"people": people, "documents": documents, "mp": mp}


def services_event(mp, document):
    from modifications.models import ModificationEvent

    ModificationEvent.objects.create(
        modification=mp, kind=ModificationEvent.Kind.DOCUMENT, document=document, summary=f"Published {document.title}"
    )


@pytest.mark.parametrize("role", ROLES)
def test_classification_on_every_surface(client, world, role, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    person = world["people"][role]
    if person is not None:
        client.force_login(person)
    mp = world["mp"]
    page = client.get(reverse("modifications:modification-detail", args=[mp.reference])).content.decode()
    feed = ET.fromstring(client.get(reverse("modifications:modification-feed")).content)
    feed_titles = " ".join(
        e.find("{http://www.w3.org/2005/Atom}title").text for e in feed.iter("{http://www.w3.org/2005/Atom}entry")
    )
    for label, document in world["documents"].items():
        visible = role in CAN_SEE[label]
        # The page's document list and timeline
        assert (document.title in page) is visible, (role, label, "page")
        # The download view (404, never 403, for what one may not see)
        response = client.get(reverse("modifications:document-download", args=[document.pk]))
        assert response.status_code == (200 if visible else 404), (role, label, "download")
        if visible:
            assert b"".join(response.streaming_content) == PDF_BYTES
        # The feed
        assert (document.title in feed_titles) is visible, (role, label, "feed")
        # The queryset every other surface uses
        assert (
            ModificationDocument.objects.visible_to(person or _anonymous()).filter(pk=document.pk).exists() is visible
        )
        assert classification.can_view(person or _anonymous(), document) is visible


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def test_downloads_are_logged(client, world):
    person = world["people"]["owner_party_user"]
    give_totp(person)  # their Party owns AMBER material: a second factor is required
    client.force_login(person)
    document = world["documents"][Classification.AMBER]
    response = client.get(reverse("modifications:document-download", args=[document.pk]))
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert "attachment" in response["Content-Disposition"]
    assert DocumentDownload.objects.filter(document=document, user=person).count() == 1
    client.get(reverse("modifications:document-download", args=[world["documents"][Classification.RED].pk]))
    assert DocumentDownload.objects.count() == 1  # a refused download is not a download


def test_removed_from_the_party_loses_amber_at_once(client, world):
    person = world["people"]["owner_party_user"]
    give_totp(person)  # their Party owns AMBER material: a second factor is required
    client.force_login(person)
    url = reverse("modifications:document-download", args=[world["documents"][Classification.AMBER].pk])
    assert client.get(url).status_code == 200
    person.party = make_party(name="Elsewhere Ltd")
    person.save()
    assert client.get(url).status_code == 404


def test_every_download_is_logged_whatever_asked_for_it(client, world):
    """Sec-Fetch-Dest is the client's to set: an <img>, fetch() or curl gets the file and is logged."""
    person = world["people"]["owner_party_user"]
    give_totp(person)  # their Party owns AMBER material: a second factor is required
    client.force_login(person)
    url = reverse("modifications:document-download", args=[world["documents"][Classification.AMBER].pk])
    for dest in ("image", "empty", "document", None):
        response = client.get(url, headers={"Sec-Fetch-Dest": dest} if dest else {})
        assert b"".join(response.streaming_content) == PDF_BYTES
    assert DocumentDownload.objects.filter(user=person).count() == 4


def test_feed_summaries_escape_peoples_text(client, db):
    staff = make_user(role_names={roles.SECAS_STAFF})
    mp = make_modification(stage=Stage.REFINEMENT, title="<b>Bold</b> title")
    services.modification_post_update(actor=staff, modification=mp, text="<img src=x onerror=alert(1)>")
    root = ET.fromstring(client.get(reverse("modifications:modification-feed")).content)
    entry = root.find("{http://www.w3.org/2005/Atom}entry")
    summary = entry.find("{http://www.w3.org/2005/Atom}summary").text
    assert "<img" not in summary and "&lt;img" in summary and "&lt;b&gt;" in summary
    assert entry.find("{http://www.w3.org/2005/Atom}id").text.startswith("tag:secportal,")
