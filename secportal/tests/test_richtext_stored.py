"""Rich text is rendered once, when it is saved, and every page shows it from storage: a page view
never parses Markdown, whatever was typed (issue #14: 20,000 "[" kept each view busy for a minute)."""

import datetime
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.db import connection, models
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from modifications import services as modification_services
from modifications.models import Consultation, ModificationProposal
from modifications.tests.factories import make_modification
from news.models import NewsPost
from news.tests.factories import make_event, make_party_user, make_post, make_staff
from panel import services as panel_services
from panel.models import Committee, Meeting, Minutes
from secportal import richtext
from secportal.exceptions import ApplicationError
from secportal.richtext import RichText, SanitisedHTMLField, render_markdown

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mfa_is_tested_elsewhere(settings):
    settings.SECPORTAL_REQUIRE_MFA = False


def forbid_parsing(monkeypatch) -> None:
    """From here on, our renderer refuses to run: a page that parsed Markdown would fail."""

    def refuse(text):
        raise AssertionError("Markdown was parsed while a page was being served")

    monkeypatch.setattr(richtext, "render_markdown", refuse)


# The inputs of issue #14, each at the length a Draft Proposal's issue may have (20,000).
HOSTILE = {
    "brackets": "[" * 20_000,
    "stars": "*" * 20_000,
    "nested quotes": "> " * 10_000,
    "quote marks": ">" * 20_000,
    "angle brackets": "<" * 20_000,
    "link chain": "[a](b)" * 3_333,
    "unclosed links": "[a](" * 5_000,
}


@pytest.mark.parametrize("issue", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_draft_proposal_is_rendered_at_save_and_its_public_page_served_from_storage(
    client, monkeypatch, issue
):
    modification = modification_services.modification_raise(actor=make_party_user(), title="Hostile", issue=issue)
    stored = ModificationProposal.objects.get(pk=modification.pk).issue_html
    assert stored == render_markdown(issue)
    forbid_parsing(monkeypatch)
    page = client.get(reverse("modifications:modification-detail", args=[modification.reference]))
    assert page.status_code == 200
    assert stored in page.content.decode()


def test_every_page_shows_the_stored_html_and_parses_nothing(client, monkeypatch):
    staff = make_staff()
    modification = make_modification(issue="Issue text.", solution="Solution text.")
    consultation = modification_services.consultation_create(
        actor=staff,
        title="A consultation",
        kind=Consultation.Kind.OTHER,
        questions=[("Agree?", "position")],
        introduction="Introduction text.",
    )
    post = make_post(actor=staff, body="Body text.")
    event = make_event(actor=staff, description="Description text.")
    committee = Committee.objects.create(
        name="Panel", slug="panel", kind=Committee.Kind.PANEL, purpose="Purpose.", terms_of_reference="Terms."
    )
    starts = timezone.now() - datetime.timedelta(days=3)
    meeting = Meeting.objects.create(
        committee=committee,
        title="Meeting",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        headlines="Headlines.",
    )
    panel_services.minutes_save_draft(actor=staff, meeting=meeting, text="Minutes.")
    # What the pages must show is what is stored, not what the source would render to now.
    stored = {
        ModificationProposal.objects.filter(pk=modification.pk): ["issue_html", "solution_html"],
        Consultation.objects.filter(pk=consultation.pk): ["introduction_html"],
        NewsPost.objects.filter(pk=post.pk): ["body_html"],
        post.revisions.all(): ["body_html"],
        type(event).objects.filter(pk=event.pk): ["description_html"],
        Committee.objects.filter(pk=committee.pk): ["purpose_html", "terms_of_reference_html"],
        Meeting.objects.filter(pk=meeting.pk): ["headlines_html"],
        Minutes.objects.filter(meeting=meeting): ["text_html"],
    }
    for rows, fields in stored.items():
        rows.update(**{field: f"<p>stored {rows.model.__name__} {field}</p>" for field in fields})
    forbid_parsing(monkeypatch)
    client.force_login(staff)
    pages = [
        reverse("modifications:modification-detail", args=[modification.reference]),
        reverse("modifications:consultation-detail", args=[consultation.pk]),
        reverse("news:post-detail", args=[post.slug]),
        reverse("news:post-history", args=[post.slug]),
        reverse("news:event-detail", args=[event.slug]),
        reverse("panel:committee-detail", args=[committee.slug]),
        reverse("panel:meeting-detail", args=[meeting.pk]),
    ]
    shown = ""
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        shown += response.content.decode()
    for rows, fields in stored.items():
        for field in fields:
            assert f"<p>stored {rows.model.__name__} {field}</p>" in shown, (rows.model, field)
    feed = client.get(reverse("news:post-feed")).content.decode()
    assert "stored NewsPost body_html" in feed


XSS = (
    "Hello <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)> "
    "<a href=javascript:alert(4)>y</a>"
)


def test_script_javascript_links_and_handlers_are_stripped_before_they_are_stored(client):
    modification = modification_services.modification_raise(actor=make_party_user(), title="XSS", issue=XSS)
    stored = ModificationProposal.objects.get(pk=modification.pk).issue_html.lower()
    page = client.get(reverse("modifications:modification-detail", args=[modification.reference])).content.decode()
    issue = page.split('class="rich-text"', 1)[1].split("</div>", 1)[0].lower()
    for html in (stored, issue):
        assert "hello" in html
        for needle in ("<script", "alert(", "javascript:", "onerror", "<img"):
            assert needle not in html, (needle, html)


# --- Limits ------------------------------------------------------------------------------------------------


def test_the_service_refuses_text_over_the_limit_with_a_clear_message_and_saves_nothing():
    with pytest.raises(ApplicationError) as refused:
        modification_services.modification_raise(actor=make_party_user(), title="Long", issue="x" * 20_001)
    assert refused.value.message.startswith(
        "“What is the issue” is 20,001 characters long; the most it may be is 20,000."
    )
    assert not ModificationProposal.objects.exists()


def test_a_reference_link_repeated_thousands_of_times_is_refused_before_it_becomes_megabytes():
    issue = "[a][b]" * 3_000 + "\n\n[b]: https://example.org/" + "x" * 1_000
    with pytest.raises(ApplicationError, match="once formatted; the most it may be is 200,000"):
        modification_services.modification_raise(actor=make_party_user(), title="Long", issue=issue)
    assert not ModificationProposal.objects.exists()


def test_the_form_says_what_the_limit_is(client):
    client.force_login(make_party_user())
    page = client.post(reverse("modifications:modification-raise"), {"title": "Long", "issue": "x" * 20_001})
    assert page.status_code == 200
    assert "This is 20001 characters long; the most it may be is 20,000." in page.content.decode()
    assert not ModificationProposal.objects.exists()


def test_the_minutes_form_has_a_limit_too(client):
    staff = make_staff()
    committee = Committee.objects.create(name="Panel", slug="panel", kind=Committee.Kind.PANEL, purpose="Purpose.")
    starts = timezone.now() - datetime.timedelta(days=3)
    meeting = Meeting.objects.create(
        committee=committee, title="Meeting", starts_at=starts, ends_at=starts + datetime.timedelta(hours=2)
    )
    client.force_login(staff)
    page = client.post(reverse("panel:minutes-edit", args=[meeting.pk]), {"text": "x" * 50_001})
    assert page.status_code == 200
    assert "the most it may be is 50,000." in page.content.decode()
    assert not Minutes.objects.exists()


def _is_markdown(field) -> bool:
    return isinstance(field, models.TextField) and "markdown" in str(field.help_text).lower()


def test_every_markdown_field_is_rendered_at_save_into_a_companion_and_has_a_limit():
    found = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if _is_markdown(field):
                assert issubclass(model, RichText) and field.name in model.rich_text_fields, (model, field.name)
        if issubclass(model, RichText):
            for name in model.rich_text_fields:
                field = model._meta.get_field(name)
                assert 1_000 <= field.max_length <= 50_000, (model, name)
                assert field.formfield().max_length == field.max_length  # the admin's form checks it
                assert isinstance(model._meta.get_field(f"{name}_html"), SanitisedHTMLField)
                found.add(f"{model._meta.label}.{name}")
    assert found == {
        "modifications.ModificationProposal.issue",
        "modifications.ModificationProposal.solution",
        "modifications.Consultation.introduction",
        "news.NewsPost.body",
        "news.NewsPostRevision.body",
        "news.EventSeries.description",
        "news.Event.description",
        "panel.Committee.purpose",
        "panel.Committee.terms_of_reference",
        "panel.Meeting.headlines",
        "panel.Minutes.text",
        "secportal.PageText.body",
        "secportal.PageTextRevision.body",
    }


def test_a_save_that_does_not_write_the_text_does_not_render_it(monkeypatch):
    modification = make_modification(issue="**Bold**")
    forbid_parsing(monkeypatch)
    modification.latest_update = "An update."
    modification.save(update_fields=["latest_update"])
    assert ModificationProposal.objects.get(pk=modification.pk).issue_html == "<p><strong>Bold</strong></p>\n"


# --- The admin ---------------------------------------------------------------------------------------------


class _ChangeForm(HTMLParser):
    """What a browser sends from the admin's change form: its inputs, text areas and selections."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._in_form = False
        self._textarea = self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "form":
            self._in_form = str(a.get("id", "")).endswith("_form")
        elif not self._in_form or (not name and tag != "option"):
            return
        elif tag == "input" and a.get("type", "text") not in {"submit", "button", "file", "image"}:
            if a.get("type") not in {"checkbox", "radio"} or "checked" in a:
                self.data.setdefault(name, []).append(a.get("value") or ("on" if a.get("type") == "checkbox" else ""))
        elif tag == "textarea":
            self._textarea = name
            self.data[name] = [""]
        elif tag == "select":
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        self._textarea = None if tag == "textarea" else self._textarea
        self._select = None if tag == "select" else self._select

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data


def admin_edit(client, obj, **changes):
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = _ChangeForm()
    form.feed(page.content.decode())
    data = {name: values for name, values in form.data.items() if values}
    for name, values in data.items():  # a browser drops the newline that opens a text area
        data[name] = [v.removeprefix("\n") for v in values]
    return client.post(url, {**data, **changes, "_save": "Save"})


def test_admin_edits_render_the_text_again(client):
    staff = make_staff()
    client.force_login(staff)
    modification = make_modification(issue="Old issue.")
    committee = Committee.objects.create(name="Panel", slug="panel", kind=Committee.Kind.PANEL, purpose="Old.")
    starts = timezone.now() + datetime.timedelta(days=7)
    meeting = Meeting.objects.create(
        committee=committee, title="Meeting", starts_at=starts, ends_at=starts + datetime.timedelta(hours=2)
    )
    # (News posts are edited on the portal only, through news_update: news/tests/test_admin.py.)
    for obj, field in [(modification, "issue"), (committee, "purpose"), (meeting, "headlines")]:
        response = admin_edit(client, obj, **{field: f"**New {field}** <script>alert(1)</script>"})
        assert response.status_code == 302, response.content.decode()[:3000]
        obj.refresh_from_db()
        assert getattr(obj, f"{field}_html") == f"<p><strong>New {field}</strong> </p>\n"


def test_the_admin_says_when_the_text_is_too_long_or_grows_too_long(client):
    client.force_login(make_staff())
    modification = make_modification(issue="Issue.")
    too_long = admin_edit(client, modification, issue="x" * 20_001)
    grows = admin_edit(client, modification, issue="[a][b]" * 3_000 + "\n\n[b]: https://example.org/" + "x" * 1_000)
    assert too_long.status_code == grows.status_code == 200
    assert "at most 20000 characters" in too_long.content.decode()
    assert "once formatted; the most it may be is 200,000" in grows.content.decode()
    assert ModificationProposal.objects.get(pk=modification.pk).issue == "Issue."


# --- Rows saved before -------------------------------------------------------------------------------------

BEFORE = [("modifications", "0005_rich_text_html"), ("news", "0002_rich_text_html"), ("panel", "0004_rich_text_html")]


@pytest.mark.django_db(transaction=True)
def test_the_data_migrations_render_the_rows_saved_before():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        old.get_model("modifications", "ModificationProposal").objects.create(
            number=1, reference="DP001", title="Before", issue="**Issue**", solution="# Solution"
        )
        old.get_model("news", "NewsPost").objects.create(title="Before", slug="before", summary="S.", body="*Body*")
        old.get_model("panel", "Committee").objects.create(name="Panel", slug="panel", kind="panel", purpose="`P`")
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    modification = ModificationProposal.objects.get(reference="DP001")
    assert modification.issue_html == "<p><strong>Issue</strong></p>\n"
    assert modification.solution_html == "<h2>Solution</h2>\n"
    assert NewsPost.objects.get(slug="before").body_html == "<p><em>Body</em></p>\n"
    assert Committee.objects.get(slug="panel").purpose_html == "<p><code>P</code></p>\n"
