"""The pages SECAS edits without a developer: the welcome to the SEC on the home page, the privacy
notice and the accessibility statement; and the footer that links them on every page."""

import re

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.urls import reverse

from news.tests.factories import make_party_user, make_staff
from secportal.exceptions import ApplicationError
from secportal.models import PAGE_TEXT_LIMIT, PageText, PageTextRevision
from secportal.pages import can_edit_pages, page_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(without_mfa):
    return make_staff(totp=False)


def test_the_migration_wrote_each_page_about_the_sec():
    pages = {p.slug: p for p in PageText.objects.all()}
    assert set(pages) == {"home", "privacy", "accessibility"}
    home = pages["home"].body_html
    assert "multi-party contract for the end-to-end management of smart metering in Great Britain" in home
    for who in (
        "energy suppliers",
        "network operators",
        "(DCC)",
        "SEC Panel",
        "SECAS",
        "SEC Administrator and Secretariat",
    ):
        assert who in home
    accessibility = pages["accessibility"].body_html
    for words in ("WCAG) 2.2 at level AA", "How we test", "axe-core", "How to report a problem", "mailto:"):
        assert words in accessibility
    assert "Your rights" in pages["privacy"].body_html and "/cookies/" in pages["privacy"].body_html
    assert all(p.revisions.count() == 1 for p in pages.values())


def test_the_home_page_welcomes_to_the_sec_before_it_explains_the_portal(client):
    html = client.get(reverse("home")).content.decode()
    welcome = html.index("Welcome to the Smart Energy Code")
    assert welcome < html.index("multi-party contract") < html.index("The SEC Portal is where SEC Parties")
    assert "Edit this welcome" not in html


def test_the_privacy_notice_and_accessibility_statement_are_public_at_stable_addresses(client):
    for url, title in (("/privacy/", "Privacy notice"), ("/accessibility/", "Accessibility statement")):
        response = client.get(url)
        assert response.status_code == 200
        assert f'<h1 id="page-title" class="h2">{title}</h1>' in response.content.decode()
        assert "Edit this page" not in response.content.decode()


def test_secas_edits_the_home_text_and_it_is_sanitised_and_kept(client, staff):
    client.force_login(staff)
    url = reverse("page-edit", args=["home"])
    form = client.get(url)
    assert form.status_code == 200 and "Welcome to the Smart Energy Code" in form.content.decode()
    body = (
        "The **SEC** binds every Party.\n\n<script>alert(1)</script>\n\n"
        '[a link](javascript:alert(2)) <img src="https://elsewhere.example/x.png" onerror="alert(3)">'
    )
    response = client.post(url, {"title": "About the SEC", "body": body})
    assert response.status_code == 302 and response.url == reverse("home")
    page = PageText.objects.get(slug="home")
    assert page.title == "About the SEC" and page.updated_by == staff
    assert "<strong>SEC</strong>" in page.body_html
    for hostile in ("<script", "javascript:", "onerror", "elsewhere.example"):
        assert hostile not in page.body_html
    home = client.get(reverse("home")).content.decode()
    assert "About the SEC" in home and "<strong>SEC</strong> binds every Party." in home
    assert "alert(" not in home and "Edit this welcome" in home
    [latest, first] = page_revisions = list(page.revisions.order_by("-number"))
    assert (latest.number, latest.editor, latest.title) == (2, staff, "About the SEC")
    assert first.editor is None and len(page_revisions) == 2
    history = client.get(reverse("page-history", args=["home"])).content.decode()
    assert "Version 2" in history and str(staff) in history and "the portal's first text" in history


def test_saving_unchanged_text_writes_no_version(client, staff):
    page = PageText.objects.get(slug="privacy")
    client.force_login(staff)
    # A browser sends a text box's lines back with CRLF endings: still the same text.
    body = page.body.replace("\n", "\r\n")
    response = client.post(reverse("page-edit", args=["privacy"]), {"title": page.title, "body": body}, follow=True)
    assert "Nothing changed, so nothing was saved." in response.content.decode()
    assert page.revisions.count() == 1


def test_a_party_user_cannot_edit_or_read_the_history_of_a_page(client):
    user = make_party_user()
    assert not can_edit_pages(user) and not can_edit_pages(None)
    page = PageText.objects.get(slug="home")
    with pytest.raises(ApplicationError, match="Only SECAS staff"):
        page_update(actor=user, page=page, title="Mine", body="Mine.")
    client.force_login(user)
    for name in ("page-edit", "page-history"):
        assert client.get(reverse(name, args=["home"])).status_code == 404
    assert client.post(reverse("page-edit", args=["home"]), {"title": "Mine", "body": "Mine."}).status_code == 404
    client.logout()
    assert client.get(reverse("page-edit", args=["home"])).status_code == 302  # sign in first
    page.refresh_from_db()
    assert page.title == "Welcome to the Smart Energy Code" and PageTextRevision.objects.filter(page=page).count() == 1


def test_too_long_or_empty_text_is_refused_and_nothing_is_saved(client, staff):
    client.force_login(staff)
    url = reverse("page-edit", args=["accessibility"])
    response = client.post(url, {"title": "Accessibility", "body": "x" * (PAGE_TEXT_LIMIT + 1)})
    assert response.status_code == 400 and f"the most it may be is {PAGE_TEXT_LIMIT:,}" in response.content.decode()
    assert client.post(url, {"title": "Accessibility", "body": "   "}).status_code == 400
    page = PageText.objects.get(slug="accessibility")
    assert page.title == "Accessibility statement" and page.revisions.count() == 1
    # A reference link repeated thousands of times grows past what the page may hold: refused too.
    swollen = "[a][b]" * 3000 + "\n\n[b]: https://example.org/" + "x" * 200
    response = client.post(url, {"title": "Accessibility", "body": swollen[:PAGE_TEXT_LIMIT]})
    assert response.status_code == 400 and "once formatted" in response.content.decode()
    assert PageText.objects.get(slug="accessibility").revisions.count() == 1


def test_an_unknown_page_is_not_found(client, staff):
    client.force_login(staff)
    assert client.get("/pages/cookies/edit/").status_code == 404
    assert client.get("/pages/anything/history/").status_code == 404


def footer(html: str) -> str:
    return html[html.index('<footer class="site-footer') : html.index("</footer>")]


@pytest.mark.parametrize("url", ["/", "/news/", "/privacy/", "/no-such-page/"])
def test_every_page_has_the_footer_with_contact_and_the_links(client, settings, url):
    settings.SECPORTAL_CONTACT_EMAIL = "help@secas.example"
    part = footer(client.get(url).content.decode())
    assert '<nav class="col-md-3" aria-label="Footer">' in part
    assert '<a href="mailto:help@secas.example">help@secas.example</a>' in part
    assert "9:00 to 17:00 on Working Days" in part
    links = {text: href for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', part)}
    assert links["Privacy notice"] == reverse("privacy")
    assert links["Accessibility statement"] == reverse("accessibility")
    assert links["Cookies"] == reverse("cookies")
    for text in ("Privacy notice", "Accessibility statement", "Cookies"):
        assert client.get(links[text]).status_code == 200


def test_a_missing_page_is_written_again_after_migrate_or_flush_and_an_edited_one_is_left(staff):
    home = PageText.objects.get(slug="home")
    page_update(actor=staff, page=home, title="SECAS's own title", body="SECAS's own words.")
    PageText.objects.filter(slug="privacy").delete()
    emit_post_migrate_signal(0, False, "default")  # what `migrate` and `flush` send
    assert PageText.objects.get(slug="privacy").body_html.startswith("<p>SECAS runs the SEC Portal")
    home.refresh_from_db()
    assert (home.title, home.body, home.revisions.count()) == ("SECAS's own title", "SECAS's own words.", 2)
