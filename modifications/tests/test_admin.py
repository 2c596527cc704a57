"""The admin is no way round the lifecycle and document services: a document's classification and
files change only on the modification's page; a modification's stage, proposer and timeline only
through the lifecycle."""

import pytest
from django.urls import reverse

from modifications.models import DocumentDownload, ModificationDocument, Stage
from modifications.services import document_download_record
from modifications.tests.factories import make_document, make_modification
from parties.tests.factories import make_party
from secportal.classification import Classification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("without_mfa")]


def test_a_documents_classification_is_not_changed_in_the_admin(client, secas_staff):
    modification = make_modification()
    document = make_document(modification, classification=Classification.AMBER)
    download = document_download_record(user=secas_staff, document=document)
    client.force_login(secas_staff)
    url = reverse("admin:modifications_modificationdocument_change", args=[document.pk])
    assert (
        reverse("modifications:modification-detail", args=[modification.reference]) in client.get(url).content.decode()
    )
    data = {"modification": modification.pk, "kind": document.kind, "title": document.title, "classification": "white"}
    assert client.post(url, data).status_code == 403
    assert ModificationDocument.objects.get(pk=document.pk).classification == Classification.AMBER
    url = reverse("admin:modifications_modificationdocument_delete", args=[document.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    # The download log is kept as written.
    url = reverse("admin:modifications_documentdownload_delete", args=[download.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert DocumentDownload.objects.filter(pk=download.pk).exists()


def test_wording_is_corrected_in_the_admin_but_not_the_stage_or_the_proposer(client, secas_staff):
    proposer_party, other_party = make_party(), make_party()
    modification = make_modification(stage=Stage.REFINEMENT, proposer_party=proposer_party)
    client.force_login(secas_staff)
    url = reverse("admin:modifications_modificationproposal_change", args=[modification.pk])
    page = client.get(url).content.decode()
    for field in ("stage", "proposer_party", "proposer", "alternative_of", "latest_update"):
        assert f'name="{field}"' not in page, field
    data = {
        "title": "Corrected title",
        "issue": modification.issue,
        "solution": modification.solution,
        "impacts": "{}",
        "raised_on": "01/01/2026",
        "stage": Stage.APPROVED,
        "proposer_party": other_party.pk,
        "latest_update": "Approved!",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }
    assert client.post(url, data).status_code == 302
    modification.refresh_from_db()
    assert modification.title == "Corrected title"
    assert modification.stage == Stage.REFINEMENT
    assert modification.proposer_party == proposer_party and modification.latest_update == ""
