"""Writing, revising, scheduling, publishing and withdrawing posts; the list, the page and the feed."""

import datetime
import importlib
import re
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from modifications.tests.factories import make_modification
from news import services
from news.forms import PostForm
from news.models import NewsPost, NewsPostEvent, NewsPostRevision
from news.tasks import news_publish_due
from news.tests.factories import make_party_user, make_post, make_staff
from secportal.exceptions import ApplicationError

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def staff():
    return make_staff()


def write(staff, **fields) -> NewsPost:
    return services.news_create(
        actor=staff,
        title=fields.pop("title", "Panel elections 2027"),
        summary=fields.pop("summary", "Nominations are open."),
        body=fields.pop("body", "## Seats\n\nTwo seats."),
        kind=fields.pop("kind", NewsPost.Kind.ELECTION),
        tags=fields.pop("tags", ["Elections", "SEC Panel"]),
        **fields,
    )


# --- Writing and revisions ---------------------------------------------------------------------------------


def test_a_new_post_is_a_draft_with_its_first_revision(staff):
    mp = make_modification(number=611, title="Something related")
    post = write(staff, related_modifications=[mp])
    assert post.status == NewsPost.Status.DRAFT and post.slug == "panel-elections-2027"
    assert post.revisions.count() == 1 and post.events.get().to_status == NewsPost.Status.DRAFT
    assert sorted(post.tags.values_list("name", flat=True)) == ["Elections", "SEC Panel"]
    assert list(post.related_modifications.all()) == [mp]


def test_only_secas_staff_write_posts():
    with pytest.raises(ApplicationError, match="Only SECAS staff"):
        write(make_party_user())


def test_editing_keeps_revisions_and_the_slug(staff):
    post = write(staff)
    services.news_update(
        actor=staff,
        post=post,
        title="Panel elections 2027: nominations extended",
        summary="More time.",
        body="Now closes in February.",
        kind=NewsPost.Kind.ELECTION,
        tags=["Elections"],
    )
    post.refresh_from_db()
    assert post.slug == "panel-elections-2027"
    assert post.title == "Panel elections 2027: nominations extended"
    assert [r.number for r in post.revisions.all()] == [2, 1]
    first = post.revisions.get(number=1)
    assert first.title == "Panel elections 2027" and first.body == "## Seats\n\nTwo seats."
    # Saving without a change adds no revision.
    services.news_update(
        actor=staff,
        post=post,
        title=post.title,
        summary=post.summary,
        body=post.body,
        kind=post.kind,
        tags=["Elections"],
    )
    assert post.revisions.count() == 2


def test_slugs_are_unique_and_never_a_reserved_path(staff):
    assert write(staff).slug == "panel-elections-2027"
    assert write(staff).slug == "panel-elections-2027-2"
    assert write(staff, title="Feed").slug == "feed-1"


# --- Publishing, scheduling, withdrawal --------------------------------------------------------------------


def test_publish_now(staff):
    post = services.news_publish(actor=staff, post=write(staff), now=NOW)
    assert post.status == NewsPost.Status.PUBLISHED and post.published_at == NOW
    assert post.events.first().to_status == NewsPost.Status.PUBLISHED


def test_a_scheduled_post_is_published_once_when_due(staff):
    post = write(staff)
    at = NOW + datetime.timedelta(hours=2)
    services.news_schedule(actor=staff, post=post, publish_at=at, now=NOW)
    assert services.news_publish_due(now=at - datetime.timedelta(seconds=1)) == []
    assert services.news_publish_due(now=at) == [post.pk]
    assert services.news_publish_due(now=at + datetime.timedelta(minutes=1)) == []  # a second beat: nothing
    post.refresh_from_db()
    assert post.status == NewsPost.Status.PUBLISHED and post.published_at == at and post.publish_at is None
    assert NewsPostEvent.objects.filter(post=post, to_status=NewsPost.Status.PUBLISHED).count() == 1


def test_a_post_missed_while_the_worker_was_down_goes_out_on_the_next_run(staff):
    post = write(staff)
    at = NOW + datetime.timedelta(minutes=5)
    services.news_schedule(actor=staff, post=post, publish_at=at, now=NOW)
    # No run at `at`: the worker was down for three hours. The next run publishes it, dated as scheduled.
    assert services.news_publish_due(now=at + datetime.timedelta(hours=3)) == [post.pk]
    post.refresh_from_db()
    assert post.status == NewsPost.Status.PUBLISHED and post.published_at == at


def test_the_beat_task_publishes_what_is_due(staff):
    post = write(staff)
    services.news_schedule(actor=staff, post=post, publish_at=timezone.now() + datetime.timedelta(seconds=1))
    NewsPost.objects.filter(pk=post.pk).update(publish_at=timezone.now() - datetime.timedelta(seconds=1))
    assert news_publish_due.delay().get() == 1
    assert news_publish_due.delay().get() == 0
    assert NewsPost.objects.get(pk=post.pk).status == NewsPost.Status.PUBLISHED


def test_scheduling_needs_a_future_time_and_can_be_undone(staff):
    post = write(staff)
    with pytest.raises(ApplicationError, match="in the future"):
        services.news_schedule(actor=staff, post=post, publish_at=NOW - datetime.timedelta(minutes=1), now=NOW)
    services.news_schedule(actor=staff, post=post, publish_at=NOW + datetime.timedelta(days=1), now=NOW)
    services.news_unschedule(actor=staff, post=post)
    post.refresh_from_db()
    assert post.status == NewsPost.Status.DRAFT and post.publish_at is None
    assert services.news_publish_due(now=NOW + datetime.timedelta(days=2)) == []


def test_withdrawal_keeps_the_address_and_says_why(client, staff):
    post = services.news_publish(actor=staff, post=write(staff), now=NOW)
    with pytest.raises(ApplicationError, match="Say why"):
        services.news_withdraw(actor=staff, post=post, reason=" ")
    services.news_withdraw(actor=staff, post=post, reason="Published in error: the dates were wrong.")
    response = client.get(reverse("news:post-detail", args=[post.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "This post was withdrawn on" in html and "Published in error: the dates were wrong." in html
    assert "Two seats" not in html  # the body is no longer shown
    assert post.title not in client.get(reverse("news:post-list")).content.decode()
    assert post.title not in client.get(reverse("news:post-feed")).content.decode()


def test_republishing_a_withdrawn_post_keeps_its_first_date(staff):
    post = services.news_publish(actor=staff, post=write(staff), now=NOW)
    services.news_withdraw(actor=staff, post=post, reason="Checking a figure.")
    post = services.news_publish(actor=staff, post=post, now=NOW + datetime.timedelta(days=3))
    assert post.published_at == NOW and post.withdrawal_reason == ""


@pytest.mark.parametrize(
    ("status", "move"),
    [
        (NewsPost.Status.DRAFT, "withdraw"),
        (NewsPost.Status.PUBLISHED, "publish"),
        (NewsPost.Status.PUBLISHED, "schedule"),
        (NewsPost.Status.WITHDRAWN, "withdraw"),
        (NewsPost.Status.DRAFT, "unschedule"),
    ],
)
def test_forbidden_moves(staff, status, move):
    post = make_post(actor=staff, status=status)
    calls = {
        "withdraw": lambda: services.news_withdraw(actor=staff, post=post, reason="x"),
        "publish": lambda: services.news_publish(actor=staff, post=post),
        "schedule": lambda: services.news_schedule(
            actor=staff, post=post, publish_at=timezone.now() + datetime.timedelta(days=1)
        ),
        "unschedule": lambda: services.news_unschedule(actor=staff, post=post),
    }
    with pytest.raises(ApplicationError, match="it cannot become"):
        calls[move]()
    assert NewsPost.objects.get(pk=post.pk).status == status


def test_party_users_cannot_publish(staff):
    post = write(staff)
    with pytest.raises(ApplicationError):
        services.news_publish(actor=make_party_user(), post=post)


# --- Pages ------------------------------------------------------------------------------------------------


def test_drafts_are_hidden_from_readers_and_previewed_by_staff(client, staff):
    post = write(staff)
    assert client.get(reverse("news:post-detail", args=[post.slug])).status_code == 404
    client.force_login(make_party_user())
    assert client.get(reverse("news:post-detail", args=[post.slug])).status_code == 404
    assert client.get(reverse("news:post-preview", args=[post.slug])).status_code == 404
    client.force_login(staff)
    response = client.get(reverse("news:post-preview", args=[post.slug]))
    assert response.status_code == 200 and b"this is how the post will look" in response.content
    assert b"<h2>Seats</h2>" in response.content


def test_staff_write_preview_schedule_and_publish_through_the_pages(client, staff, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    client.force_login(staff)
    response = client.post(
        reverse("news:post-create"),
        {
            "title": "SEC newsletter: January",
            "kind": "newsletter",
            "summary": "The month ahead.",
            "body": "## Dates\n\n- 4 January",
            "tags": "Newsletter",
            "related_modifications": "",
            "preview": "1",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/news/sec-newsletter-january/preview/"
    bad = client.post(
        reverse("news:post-schedule", args=["sec-newsletter-january"]), {"publish_at": "2020-01-01T10:00"}
    )
    assert bad.status_code == 400 and b"Choose a time in the future" in bad.content
    later = (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    client.post(reverse("news:post-schedule", args=["sec-newsletter-january"]), {"publish_at": later})
    assert NewsPost.objects.get(slug="sec-newsletter-january").status == NewsPost.Status.SCHEDULED
    client.post(reverse("news:post-publish", args=["sec-newsletter-january"]))
    post = NewsPost.objects.get(slug="sec-newsletter-january")
    assert post.status == NewsPost.Status.PUBLISHED
    unknown = client.post(
        reverse("news:post-edit", args=[post.slug]),
        {
            "title": post.title,
            "kind": post.kind,
            "summary": post.summary,
            "body": post.body,
            "related_modifications": "MP999",
        },
    )
    assert unknown.status_code == 400 and b"No modification has the reference MP999" in unknown.content


def test_list_filters_and_search(client, staff):
    make_post(actor=staff, title="Release live", kind=NewsPost.Kind.SEC_RELEASE, tags=["SEC releases"])
    make_post(actor=staff, title="Ofgem decision on MP218", kind=NewsPost.Kind.OFGEM, body="The Authority approved.")
    make_post(actor=staff, title="Unpublished", status=NewsPost.Status.DRAFT)
    url = reverse("news:post-list")

    def titles(**query):
        return [p.title for p in client.get(url, query).context["page"].object_list]

    assert sorted(titles()) == ["Ofgem decision on MP218", "Release live"]
    assert titles(kind="sec_release") == ["Release live"]
    assert titles(tag="sec-releases") == ["Release live"]
    assert titles(q="authority") == ["Ofgem decision on MP218"]
    assert client.get(url, {"kind": "nonsense", "page": "x"}).status_code == 200


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_post_list_and_feed_query_counts_do_not_grow_with_rows(client, staff):
    for n in range(3):
        make_post(actor=staff, tags=["A", f"T{n}"])
    list_three = count_queries(client, reverse("news:post-list"))
    feed_three = count_queries(client, reverse("news:post-feed"))
    for n in range(27):
        make_post(actor=staff, tags=["A", f"U{n}"])
    assert count_queries(client, reverse("news:post-list")) == list_three
    assert count_queries(client, reverse("news:post-feed")) == feed_three
    print(f"post list: {list_three} queries; feed: {feed_three} queries (3 and 30 posts)")


def test_atom_feed_parses(client, staff):
    first = make_post(actor=staff, title="First & foremost", body="**Bold** <script>x()</script>", tags=["Tag A"])
    make_post(actor=staff, title="Second", kind=NewsPost.Kind.OFGEM)
    make_post(actor=staff, title="Not yet", status=NewsPost.Status.DRAFT)
    response = client.get(reverse("news:post-feed"))
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}title").text == "SEC Portal: news"
    assert root.find(f"{ATOM}updated") is not None and root.find(f"{ATOM}id").text
    assert root.find(f"{ATOM}author/{ATOM}name").text == "SECAS"
    entries = root.findall(f"{ATOM}entry")
    assert sorted(e.find(f"{ATOM}title").text for e in entries) == ["First & foremost", "Second"]
    entry = next(e for e in entries if e.find(f"{ATOM}title").text == "First & foremost")
    assert entry.find(f"{ATOM}link").get("href").endswith(f"/news/{first.slug}/")
    assert entry.find(f"{ATOM}id").text == f"tag:secportal,2026:news-{first.pk}"
    assert entry.find(f"{ATOM}summary").text == first.summary
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html" and "<strong>Bold</strong>" in content.text and "script" not in content.text
    assert {c.get("term") for c in entry.findall(f"{ATOM}category")} == {"News", "Tag A"}
    assert client.get(reverse("news:post-feed"), {"kind": "ofgem"}).content.count(b"<entry>") == 1


def test_history_page_shows_revisions(client, staff, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    post = write(staff)
    services.news_update(actor=staff, post=post, title="Renamed", summary="s", body="b", kind="news")
    client.force_login(staff)
    response = client.get(reverse("news:post-history", args=[post.slug]))
    assert response.status_code == 200 and b"Revision 2" in response.content and b"Revision 1" in response.content
    assert NewsPostRevision.objects.filter(post=post).count() == 2


# --- Government publications: who published them -------------------------------------------------------


def test_a_government_publication_says_who_published_it(staff):
    with pytest.raises(ApplicationError, match="DESNZ or Ofgem"):
        write(staff, kind=NewsPost.Kind.GOVERNMENT)
    post = write(staff, kind=NewsPost.Kind.GOVERNMENT, publisher=NewsPost.Publisher.DESNZ)
    assert post.publisher == "desnz" and post.publisher_short == "DESNZ"
    assert post.revisions.get().publisher == "desnz"
    # An Ofgem decision is Ofgem's whatever is asked; another kind of post has no publisher.
    decision = write(staff, kind=NewsPost.Kind.OFGEM, publisher=NewsPost.Publisher.DESNZ)
    assert decision.publisher == "ofgem" and decision.publisher_short == "Ofgem"
    services.news_update(
        actor=staff, post=post, title=post.title, summary=post.summary, body=post.body, kind=NewsPost.Kind.NEWS
    )
    post.refresh_from_db()
    assert post.publisher == "" and post.revisions.count() == 2


def test_changing_only_the_publisher_is_a_revision(staff):
    post = write(staff, kind=NewsPost.Kind.GOVERNMENT, publisher=NewsPost.Publisher.DESNZ)
    fields = {"title": post.title, "summary": post.summary, "body": post.body, "kind": post.kind}
    services.news_update(actor=staff, post=post, publisher=NewsPost.Publisher.OFGEM, **fields)
    assert [r.publisher for r in post.revisions.order_by("number")] == ["desnz", "ofgem"]


def post_form(**fields) -> dict:
    return {"title": "A post", "kind": "news", "publisher": "", "summary": "Summary.", "body": "Body.", **fields}


def test_the_form_asks_who_published_a_government_publication(client, staff, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    client.force_login(staff)
    response = client.post(reverse("news:post-create"), post_form(kind="government"))
    assert response.status_code == 400 and "Say who published it: DESNZ or Ofgem." in response.content.decode()
    assert not NewsPost.objects.exists()
    response = client.post(reverse("news:post-create"), post_form(kind="government", publisher="desnz"))
    assert response.status_code == 302
    post = NewsPost.objects.get()
    assert post.publisher == "desnz"
    services.news_publish(actor=staff, post=post)
    page = client.get(reverse("news:post-detail", args=[post.slug])).content.decode()
    assert "from Department for Energy Security and Net Zero (DESNZ, formerly BEIS)" in page


def test_save_and_preview_is_an_outlined_button_not_blue_on_blue(client, staff, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    client.force_login(staff)
    html = client.get(reverse("news:post-create")).content.decode()
    buttons = {
        re.search(r'value="([^"]+)"', tag)[1]: re.search(r'class="([^"]+)"', tag)[1].split()
        for tag in re.findall(r'<input type="submit"[^>]*>', html)
    }
    # One colour class each: two (btn-primary and btn-outline-primary) drew blue text on blue.
    assert buttons == {"Save draft": ["btn", "btn-primary"], "Save and preview": ["btn", "btn-outline-primary"]}


def test_the_migration_infers_publishers_of_posts_written_before(staff):
    migration = importlib.import_module("news.migrations.0006_series_kind_and_publisher")
    desnz = write(staff, kind=NewsPost.Kind.GOVERNMENT, publisher="desnz", title="BEIS smart metering update")
    ofgem = write(
        staff, kind=NewsPost.Kind.GOVERNMENT, publisher="desnz", title="Decision letter", summary="Ofgem's view."
    )
    unknown = write(staff, kind=NewsPost.Kind.GOVERNMENT, publisher="desnz", title="A letter")
    decision = write(staff, kind=NewsPost.Kind.OFGEM)
    NewsPost.objects.update(publisher="")  # as they were before the field existed
    migration.infer_publishers(django_apps, SimpleNamespace(connection=connection))
    found = dict(NewsPost.objects.values_list("pk", "publisher"))
    assert found == {desnz.pk: "desnz", ofgem.pk: "ofgem", unknown.pk: "", decision.pk: "ofgem"}


def test_an_edit_sent_back_untouched_by_a_browser_writes_no_revision(client, staff, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    post = write(staff, body="## Seats\n\nTwo seats.\n\n- Large\n- Small", summary="Nominations\nare open.")
    client.force_login(staff)
    data = {**PostForm.initial_for(post), "body": post.body.replace("\n", "\r\n")}
    data["summary"] = post.summary.replace("\n", "\r\n")
    assert client.post(reverse("news:post-edit", args=[post.slug]), data).status_code == 302
    assert post.revisions.count() == 1
