"""Every file a download view serves is logged, whatever asked for it (a navigation, an <img>,
fetch() or curl: Sec-Fetch-Dest is the client's to set), and nothing is logged for a refusal."""

import ast
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from modifications.models import DocumentDownload
from modifications.tests.factories import make_document, make_modification
from news import services as news_services
from news.models import AttachmentDownload, SlidePackDownload
from news.tasks import slide_thumbnail_make
from news.tests.factories import make_event, make_post, make_staff, pdf_bytes
from panel.models import Committee, Membership, PaperDownload
from panel.tests.test_panel import make_meeting, make_paper
from parties.tests.factories import make_party, make_user
from secportal.classification import Classification

pytestmark = pytest.mark.django_db
DESTINATIONS = ("document", "empty", "image", "iframe", None)


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SECPORTAL_REQUIRE_MFA = False


def _upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/octet-stream")


@pytest.fixture
def files():
    """One AMBER file of each kind the portal serves through a download view, the person who may
    have them all, and a stranger who may have none."""
    staff = make_staff()
    party = make_party(name="Owner Party")
    board = Committee.objects.create(name="Change Board", slug="change-board", kind=Committee.Kind.CHANGE_BOARD)
    person = make_user(party=party)
    Membership.objects.create(committee=board, user=person)
    amber = {"classification": Classification.AMBER, "owner_party": party, "owner_committee": "change-board"}
    document = make_document(make_modification(), **amber)
    paper = make_paper(make_meeting(board), classification=Classification.AMBER)
    pack = news_services.slide_pack_upload(
        actor=staff, event=make_event(actor=staff), title="Slides", upload=_upload("deck.pdf"), **amber
    )
    attachment = news_services.attachment_upload(
        actor=staff, post=make_post(actor=staff), title="Timetable", upload=_upload("t.pdf"), **amber
    )
    slide_thumbnail_make(pack.pk)  # as the task queued on commit would (a test's transaction never commits)
    pack.refresh_from_db()
    assert pack.thumbnail
    served = [
        ("modifications:document-download", document.pk, DocumentDownload.objects.filter(document=document)),
        ("panel:paper-download", paper.pk, PaperDownload.objects.filter(paper=paper)),
        ("news:slide-download", pack.pk, SlidePackDownload.objects.filter(pack=pack, thumbnail=False)),
        ("news:slide-thumbnail", pack.pk, SlidePackDownload.objects.filter(pack=pack, thumbnail=True)),
        ("news:attachment-download", attachment.pk, AttachmentDownload.objects.filter(attachment=attachment)),
    ]
    return person, [(reverse(name, args=[pk]), log) for name, pk, log in served]


def test_every_download_view_logs_every_file_it_serves(client, files):
    person, served = files
    client.force_login(person)
    for url, log in served:
        for dest in DESTINATIONS:
            response = client.get(url, headers={"Sec-Fetch-Dest": dest} if dest else {})
            assert response.status_code == 200, (url, dest)
            assert response["Cache-Control"] == "private, no-store"
            b"".join(response.streaming_content)
        assert list(log.values_list("user", flat=True)) == [person.pk] * len(DESTINATIONS), url


def test_a_refused_download_is_not_logged(client, files):
    _, served = files
    client.force_login(make_user())  # another Party, no committee: AMBER is not theirs
    for url, log in served:
        assert client.get(url, headers={"Sec-Fetch-Dest": "empty"}).status_code == 404, url
        assert not log.exists(), url


def test_files_are_served_only_through_the_logged_helper():
    """A new download view cannot forget the log: outside secportal/downloads.py, the only
    FileResponse is the public, immutable images of news posts (news.views.image_serve)."""
    base = Path(django_settings.BASE_DIR)
    found = set()
    for path in base.glob("*/*.py"):
        if any(part in {".venv", "node_modules", "tests", "migrations"} for part in path.parts):
            continue
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "FileResponse":
                    found.add(f"{path.relative_to(base)}:{function.name}")
    assert found == {"secportal/downloads.py:serve_file", "news/views.py:image_serve"}


def test_secas_reads_the_logs_in_the_admin_and_cannot_change_them(client, files):
    person, served = files
    client.force_login(person)
    for url, _ in served:
        b"".join(client.get(url).streaming_content)
    client.force_login(make_user(is_superuser=True, is_staff=True))
    for model in (
        "modifications/documentdownload",
        "panel/paperdownload",
        "news/slidepackdownload",
        "news/attachmentdownload",
    ):
        page = client.get(f"/admin/{model}/")
        assert page.status_code == 200 and str(person) in page.content.decode(), model
        assert client.get(f"/admin/{model}/add/").status_code == 403
