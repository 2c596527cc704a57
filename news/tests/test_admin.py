"""The admin is no way round the news and event services: posts, events, registrations, attachments
and slide packs are shown there and changed only on the portal's pages."""

import pytest
from django.urls import reverse

from news.models import Event, Registration
from news.services import registration_create
from news.tests.factories import make_event, make_party_user, make_post

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("without_mfa")]


def test_a_post_is_edited_on_the_portal_which_keeps_its_revisions(client, secas_staff):
    post = make_post(actor=secas_staff, body="As published.")
    client.force_login(secas_staff)
    url = reverse("admin:news_newspost_change", args=[post.pk])
    assert reverse("news:post-edit", args=[post.slug]) in client.get(url).content.decode()
    data = {"title": post.title, "summary": post.summary, "body": "Quietly rewritten.", "kind": post.kind}
    assert client.post(url, data).status_code == 403
    post.refresh_from_db()
    assert post.body == "As published." and post.revisions.count() == 1
    assert client.get(reverse("admin:news_newspost_add")).status_code == 403


def test_an_event_is_moved_on_the_portal_which_tells_the_people_registered(client, secas_staff):
    event = make_event(actor=secas_staff, title="Spotlight on the SEC")
    registration = registration_create(actor=make_party_user(), event=event)
    client.force_login(secas_staff)
    url = reverse("admin:news_event_change", args=[event.pk])
    assert reverse("news:event-edit", args=[event.slug]) in client.get(url).content.decode()
    assert client.post(url, {"title": "Renamed", "kind": event.kind, "summary": event.summary}).status_code == 403
    assert Event.objects.get(pk=event.pk).title == "Spotlight on the SEC"
    assert client.post(reverse("admin:news_event_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    # A place is given up through registration_cancel (which moves the waitlist on), not deleted.
    url = reverse("admin:news_registration_delete", args=[registration.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Registration.objects.filter(pk=registration.pk).exists()
