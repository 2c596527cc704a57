"""Bad input never gives a 500: redirects to `next`, NUL characters and broken unicode, body sizes,
and the admin's forms. (tests/test_fuzz_urls.py walks every page with hostile values; these pin
each fix on its own.)"""

import datetime
import io
import time

import pytest
from django.apps import apps
from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from modifications.models import FilterFollow
from modifications.tests.factories import make_modification
from news.tests.factories import make_staff
from panel import services as panel_services
from panel.models import Committee
from parties import roles
from parties.tests.factories import make_user
from secportal.admin_mixins import BoundedInline
from secportal.redirects import safe_next_url
from tests.test_fuzz_urls import encode_multipart

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


# --- Sending people back to `next` ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/news/", "/news/"),
        ("/modifications/?stage=draft&page=2", "/modifications/?stage=draft&page=2"),
        ("abc", "/fallback/"),  # a plain word: redirect() took it for a URL name (NoReverseMatch, a 500)
        ("news/", "/fallback/"),
        ("", "/fallback/"),
        ("https://evil.example/", "/fallback/"),
        ("//evil.example/x", "/fallback/"),
        ("/\\evil.example/x", "/fallback/"),
        ("javascript:alert(1)", "/fallback/"),
        ("/" + "a" * 3000, "/fallback/"),
    ],
)
def test_safe_next_url_takes_only_this_portals_paths(given, expected):
    request = RequestFactory().post("/", {"next": given})
    assert safe_next_url(request, "/fallback/") == expected


@pytest.mark.parametrize("given", ["abc", "0", "-1", "2026-02-30", "news"])
def test_dismissing_the_cookie_notice_with_a_plain_word_goes_home(client, given):
    response = client.post(reverse("cookies-dismiss"), {"next": given})
    assert response.status_code == 302 and response.url == "/"


def test_unfollowing_a_view_with_a_plain_word_goes_to_the_dashboard(client):
    user = make_user()
    follow = FilterFollow.objects.create(user=user, query="stage=draft", label="Drafts")
    client.force_login(user)
    response = client.post(reverse("modifications:filter-unfollow", args=[follow.pk]), {"next": "abc"})
    assert response.status_code == 302 and response.url == reverse("dashboard")


def test_marking_an_action_done_with_a_plain_word_goes_to_the_meeting(client, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    staff = make_user(role_names={roles.SECAS_STAFF})
    committee = Committee.objects.create(name="Change Board", slug="change-board", kind=Committee.Kind.CHANGE_BOARD)
    starts = timezone.now() - datetime.timedelta(days=2)
    meeting = committee.meetings.create(title="June", starts_at=starts, ends_at=starts + datetime.timedelta(hours=2))
    owner = make_user()
    action = panel_services.action_add(
        actor=staff, meeting=meeting, title="Write it", owner=owner, due_on=datetime.date(2026, 12, 20)
    )
    client.force_login(owner)
    response = client.post(reverse("panel:action-status", args=[action.pk]), {"status": "done", "next": "abc"})
    assert response.status_code == 302 and response.url == f"/panel/meetings/{meeting.pk}/"


# --- NUL characters and broken unicode: 400 before any view ---------------------------------------


def assert_bad_request_page(response) -> None:
    assert response.status_code == 400
    content = response.content.decode()
    assert "Something in that request was not right" in content and 'id="main-content"' in content


@pytest.mark.parametrize(
    "url",
    [
        "/modifications/%00/",  # each was a 500 on PostgreSQL: a NUL reached a query
        "/modifications/MP212%00/",
        "/modifications/MP212%00/follow/",
        "/modifications/?q=%00",
        "/modifications/?q=%ED%A0%80",
        "/modifications/?stage=%ff",
        "/events/?when=past&kind=a%00b",
    ],
)
def test_nul_and_broken_unicode_in_the_address_are_refused(client, url):
    assert_bad_request_page(client.get(url))


@pytest.mark.parametrize(
    "url", ["/news/%ff/", "/parties/%ED%A0%80/", "/news/caf%C3%A9/", "/modifications/?q=caf%C3%A9"]
)
def test_other_addresses_go_to_their_views(client, url):
    # Django writes bytes in the path that are not UTF-8 back as "%FF" (a lone surrogate is such
    # bytes); real unicode passes.
    assert client.get(url).status_code in (200, 404)


def test_a_nul_in_the_outbox_search_is_refused(client, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    client.force_login(make_user(role_names={roles.SECAS_STAFF}))
    assert_bad_request_page(client.get("/notifications/outbox/?q=%00"))
    assert client.get("/notifications/outbox/?q=smith").status_code == 200


def test_a_nul_in_the_session_cookie_is_refused(client):
    # Django unquotes "\000" in a quoted cookie value: the session key would hold a NUL.
    client.cookies["sessionid"] = "\x00abcdefghijklmnop"
    assert_bad_request_page(client.get("/"))


@pytest.mark.parametrize(
    "body",
    [b"next=%2F%00", b"next=%2F%ED%A0%80", b"next=%2F%FF", b"n%00ext=%2F"],
    ids=["NUL", "lone surrogate", "undecodable byte", "NUL in a name"],
)
def test_nul_and_broken_unicode_in_a_posted_form_are_refused(client, body):
    response = client.generic("POST", reverse("cookies-dismiss"), body, "application/x-www-form-urlencoded")
    assert_bad_request_page(response)


def test_a_nul_in_a_multipart_field_is_refused(client, settings, tmp_path):
    settings.SECPORTAL_REQUIRE_MFA = False
    settings.MEDIA_ROOT = tmp_path
    client.force_login(make_staff())
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    url = reverse("news:image-upload")
    body, content_type = encode_multipart({"alt_text": b"A\x00chart"}, {"file": (b"chart.png", png)})
    assert_bad_request_page(client.generic("POST", url, body, content_type))
    body, content_type = encode_multipart({"a\x00lt_text": b"A chart"}, {"file": (b"chart.png", png)})
    assert_bad_request_page(client.generic("POST", url, body, content_type))
    # NULs inside a file are its own; Django drops unprintable characters from its name.
    body, content_type = encode_multipart({"alt_text": b"A chart"}, {"file": (b"ch\x00art.png", png)})
    assert client.generic("POST", url, body, content_type).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/modifications/?page=-1",
        "/modifications/?page=99999999999999999999999",
        "/modifications/?page=1e309",
        "/news/?page=-99999999999999999999",
        "/events/?page=0",
        "/parties/?page=99999999999999999999999",
        "/panel/meetings/99999999999999999999999/",
        "/modifications/documents/99999999999999999999999/download/",
    ],
)
def test_negative_and_huge_numbers_are_not_errors(client, url):
    assert client.get(url).status_code in (200, 404)


# --- Body sizes: 413 before reading ---------------------------------------------------------------


class Unreadable(io.RawIOBase):
    """A request body that fails the test if anyone reads it."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        raise AssertionError("the body was read")


def test_a_50_mb_body_is_refused_with_413_before_it_is_read(client):
    response = client.generic(
        "POST",
        reverse("cookies-dismiss"),
        CONTENT_TYPE="multipart/form-data; boundary=b0undary",
        CONTENT_LENGTH=str(50 * MB),
        **{"wsgi.input": Unreadable()},
    )
    assert response.status_code == 413
    content = response.content.decode()
    assert "The file or form you sent is too large; the limit is 1.0\xa0MB." in content
    assert 'id="main-content"' in content


def test_the_cap_is_a_setting(client, settings):
    settings.SECPORTAL_REQUEST_MAX_BYTES = 100
    assert client.post(reverse("cookies-dismiss"), {"next": "/" + "a" * 100}).status_code == 413
    assert client.post(reverse("cookies-dismiss"), {"next": "/news/"}).status_code == 302


def test_a_body_without_a_length_is_not_read(client):
    # Chunked, with no Content-Length: Django under WSGI reads none of it, so `next` is not seen.
    body = io.BytesIO(b"next=%2Fnews%2F" + b"&x=" + b"a" * (5 * MB))
    response = client.generic(
        "POST", reverse("cookies-dismiss"), CONTENT_TYPE="application/x-www-form-urlencoded", **{"wsgi.input": body}
    )
    assert response.status_code == 302 and response.url == "/"
    assert body.tell() == 0


@pytest.fixture
def image_upload(client, settings, tmp_path):
    """Staff signed in, posting PNGs of a given size to the image upload (limit 200 kB; forms 64 kB)."""
    settings.SECPORTAL_REQUIRE_MFA = False
    settings.MEDIA_ROOT = tmp_path
    settings.SECPORTAL_UPLOAD_MAX_BYTES = 200_000
    settings.SECPORTAL_REQUEST_MAX_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    client.force_login(make_staff())

    def post(size: int, alt_text: bytes = b"A chart"):
        png = b"\x89PNG\r\n\x1a\n" + b"\x01" * (size - 8)
        body, content_type = encode_multipart({"alt_text": alt_text}, {"file": (b"chart.png", png)})
        return client.generic("POST", reverse("news:image-upload"), body, content_type)

    return post


def test_an_upload_view_takes_a_file_up_to_its_limit(image_upload):
    from news.models import NewsImage

    response = image_upload(200_000)
    assert response.status_code == 200 and not response.context["form"].errors
    assert NewsImage.objects.get().size == 200_000


def test_an_upload_view_refuses_a_file_over_its_limit(image_upload):
    from news.models import NewsImage

    response = image_upload(200_001)  # over the upload limit, within the body cap: the form says so
    assert response.status_code == 400
    assert "This file is larger than the 0.2 MB limit." in response.content.decode()
    response = image_upload(200_000 + 64 * 1024)  # over the body cap: refused unread
    assert response.status_code == 413
    assert f"the limit is {filesizeformat(200_000 + 64 * 1024)}." in response.content.decode()
    assert not NewsImage.objects.exists()


def test_form_fields_over_the_limit_in_an_upload_are_refused_with_413(image_upload):
    response = image_upload(1000, alt_text=b"a" * (65 * 1024))  # Django's own count of the fields
    assert response.status_code == 413 and f"the limit is {filesizeformat(64 * 1024)}." in response.content.decode()


def test_a_view_that_takes_no_files_keeps_the_small_cap(client, settings):
    settings.SECPORTAL_UPLOAD_MAX_BYTES = 200_000
    settings.SECPORTAL_REQUEST_MAX_BYTES = 64 * 1024
    body, content_type = encode_multipart({"next": b"/"}, {"file": (b"chart.png", b"\x01" * 100_000)})
    assert client.generic("POST", reverse("cookies-dismiss"), body, content_type).status_code == 413


# --- The admin's forms ----------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    client.force_login(make_user(role_names={roles.SECAS_STAFF}, is_staff=True, is_superuser=True))
    return client


def test_every_admin_inline_builds_a_bounded_number_of_forms():
    registered = [admin.site.get_model_admin(model) for model in apps.get_models() if admin.site.is_registered(model)]
    unbounded = [
        f"{model_admin}: {inline.__name__}"
        for model_admin in registered
        for inline in model_admin.inlines
        if not issubclass(inline, BoundedInline)
    ]
    assert registered and not unbounded


def test_a_post_asking_for_thousands_of_inline_forms_is_refused_quickly(admin_client):
    data = {
        "name": "Working Group",
        "slug": "working-group",
        "kind": "working_group",
        "order": "100",
        "seats-TOTAL_FORMS": "99999999999999999999999",
        "seats-INITIAL_FORMS": "0",
        "seats-MIN_NUM_FORMS": "0",
        "seats-MAX_NUM_FORMS": "1000",
    }
    started = time.perf_counter()
    response = admin_client.post("/admin/panel/committee/add/", data)
    took = time.perf_counter() - started
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.total_form_count() == BoundedInline.max_new  # was 2,000 (about 17 s to render)
    assert "Please submit at most 50 forms." in response.content.decode()
    assert took < 5, took
    assert not Committee.objects.filter(slug="working-group").exists()


@pytest.mark.parametrize("related", ["abc", "1.5", "2026-02-30"])
def test_the_admin_autocomplete_shows_a_non_number_as_a_form_error(admin_client, related):
    modification = make_modification()
    url = f"/admin/modifications/modificationproposal/{modification.pk}/change/"
    response = admin_client.post(url, {"title": modification.title, "related": related})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["related"]
