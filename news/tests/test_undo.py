"""Cancelling a place, cancelling an event and withdrawing a post say what happens first; a
cancelled place and a withdrawn post can be undone; a past event offers no cancel and no calendar."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from news import services
from news.models import Event, NewsPost, Registration
from news.selectors import waitlist_position
from news.tests.factories import make_event, make_party_user, make_post, make_staff
from parties.models import Party
from parties.tests.factories import make_party
from secportal.exceptions import ApplicationError
from secportal.models import OutboxMessage

pytestmark = pytest.mark.django_db


def register(user, event) -> Registration:
    return services.registration_create(actor=user, event=event)


def cancel(registration, actor=None) -> Registration:
    return services.registration_cancel(actor=actor or registration.user, registration=registration)


def restore(registration, actor=None, **kwargs) -> services.Restored:
    return services.registration_restore(actor=actor or registration.user, registration=registration, **kwargs)


def state(registration) -> tuple[str, int]:
    registration.refresh_from_db()
    return registration.status, Event.objects.get(pk=registration.event_id).confirmed_count


def emails_to(user) -> list[str]:
    return list(OutboxMessage.objects.filter(recipient=user.email).values_list("kind", flat=True))


# --- Undoing a cancelled place ------------------------------------------------------------------------------


def test_undo_gives_the_place_back_when_it_is_still_free():
    event = make_event(capacity=2)
    person = make_party_user()
    registration = register(person, event)
    registration.notes = "Step-free access"
    registration.save(update_fields=["notes"])
    cancel(registration)
    assert state(registration) == ("cancelled", 0)
    restored = restore(registration)
    assert restored.registration.status == "confirmed" and not restored.went_to_waitlist and not restored.filled_up
    assert state(registration) == ("confirmed", 1)
    assert registration.notes == "Step-free access" and registration.cancelled_at is None
    assert emails_to(person) == ["news.registration_confirmed"]  # nothing more: they did it themselves


def test_a_place_that_went_to_the_waitlist_stays_there_and_the_undo_joins_the_waitlist():
    event = make_event(capacity=1)
    holder, waiting, later = make_party_user(), make_party_user(), make_party_user()
    registration = register(holder, event)
    promoted = register(waiting, event)
    cancel(registration)
    assert state(promoted) == ("confirmed", 1)
    queued = register(later, event)  # joins the waitlist after the cancellation
    restored = restore(registration)
    assert restored.went_to_waitlist and not restored.filled_up
    assert state(registration) == ("waitlisted", 1)
    assert state(promoted) == ("confirmed", 1)
    queued.refresh_from_db()
    assert registration.waitlisted_at > queued.waitlisted_at  # the end of the list: `later` came first
    assert registration.confirmed_at is None
    assert emails_to(waiting).count("news.waitlist_promoted") == 1
    assert "news.waitlist_promoted" not in emails_to(holder)


def test_a_place_taken_by_someone_who_registered_is_said_as_filled_up():
    event = make_event(capacity=1)
    holder, newcomer = make_party_user(), make_party_user()
    registration = register(holder, event)
    cancel(registration)
    register(newcomer, event)
    restored = restore(registration)
    assert restored.filled_up and not restored.went_to_waitlist
    assert state(registration) == ("waitlisted", 1)


def test_leaving_the_waitlist_is_undone_to_the_same_place_in_the_queue():
    event = make_event(capacity=1)
    register(make_party_user(), event)
    second, third, fourth = (register(make_party_user(), event) for _ in range(3))
    cancel(third)
    restored = restore(third)
    assert restored.registration.status == "waitlisted" and not restored.went_to_waitlist
    assert [waitlist_position(r) for r in (second, restored.registration, fourth)] == [1, 2, 3]


def test_undo_that_finds_a_free_place_for_a_waitlisted_person_follows_the_usual_rule():
    """Someone who left the waitlist and comes back while a place is free takes it, as the first waiting."""
    event = make_event(capacity=1)
    holder = register(make_party_user(), event)
    waiting = register(make_party_user(), event)
    cancel(waiting)
    cancel(holder)  # frees the place; nobody is waiting
    restored = restore(waiting)
    assert restored.registration.status == "confirmed"
    assert emails_to(waiting.user).count("news.waitlist_promoted") == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: Event.objects.filter(pk=e.pk).update(status=Event.Status.CANCELLED), "event is cancelled"),
        (
            lambda e: Event.objects.filter(pk=e.pk).update(registration_closes_at=timezone.now()),
            "Registration has closed",
        ),
    ],
)
def test_no_undo_once_the_event_stops_taking_registrations(change, message):
    event = make_event(capacity=3)
    registration = register(make_party_user(), event)
    cancel(registration)
    change(event)
    with pytest.raises(ApplicationError, match=message):
        restore(registration)
    assert state(registration) == ("cancelled", 0)


def test_no_undo_once_the_event_has_started():
    event = make_event(capacity=3)
    registration = register(make_party_user(), event)
    cancel(registration)
    with pytest.raises(ApplicationError, match="already started"):
        restore(registration, now=event.starts_at + datetime.timedelta(minutes=1))
    assert state(registration) == ("cancelled", 0)


def test_no_undo_of_what_is_not_cancelled_or_was_registered_again():
    event = make_event(capacity=3)
    person = make_party_user()
    registration = register(person, event)
    with pytest.raises(ApplicationError, match="nothing to undo"):
        restore(registration)
    cancel(registration)
    again = register(person, event)
    with pytest.raises(ApplicationError, match="registered for this event again since"):
        restore(registration)
    assert state(registration) == ("cancelled", 1) and state(again) == ("confirmed", 1)


def test_only_the_person_or_secas_may_undo():
    event = make_event(capacity=3)
    registration = register(make_party_user(), event)
    cancel(registration)
    with pytest.raises(ApplicationError, match="only your own"):
        restore(registration, actor=make_party_user())
    assert state(registration) == ("cancelled", 0)
    assert restore(registration, actor=make_staff()).registration.status == "confirmed"


def test_no_undo_for_someone_who_has_left_their_party():
    event = make_event(capacity=3)
    person = make_party_user()
    registration = register(person, event)
    cancel(registration)
    type(person).objects.filter(pk=person.pk).update(party=make_party(status=Party.Status.ACCEDED))
    with pytest.raises(ApplicationError, match="can no longer register for their Party"):
        restore(registration, actor=make_staff())
    assert state(registration) == ("cancelled", 0)


# --- Past events ----------------------------------------------------------------------------------------------


def test_a_place_cannot_be_cancelled_once_the_event_has_started():
    event = make_event(capacity=3)
    registration = register(make_party_user(), event)
    with pytest.raises(ApplicationError, match="already started, so its places can no longer be cancelled"):
        services.registration_cancel(
            actor=registration.user, registration=registration, now=event.starts_at + datetime.timedelta(minutes=5)
        )
    assert state(registration) == ("confirmed", 1)


def test_a_past_event_cannot_be_cancelled():
    event = make_event()
    with pytest.raises(ApplicationError, match="already taken place"):
        services.event_cancel(
            actor=make_staff(), event=event, reason="Too late.", now=event.ends_at + datetime.timedelta(minutes=1)
        )
    assert not Event.objects.get(pk=event.pk).is_cancelled


def test_a_past_event_offers_no_cancel_and_no_calendar(client):
    staff = make_staff()
    person = make_party_user()
    event = make_event(actor=staff, capacity=5)
    registration = register(person, event)
    upcoming = {}
    for who in (person, staff):
        client.force_login(who)
        upcoming[who.pk] = client.get(reverse("news:event-detail", args=[event.slug])).content.decode()
    assert "Cancel my place" in upcoming[person.pk] and "Add to your calendar" in upcoming[person.pk]
    assert "Cancel the event" in upcoming[staff.pk]
    starts = timezone.now() - datetime.timedelta(days=2)
    Event.objects.filter(pk=event.pk).update(starts_at=starts, ends_at=starts + datetime.timedelta(hours=1))
    client.force_login(person)
    page = client.get(reverse("news:event-detail", args=[event.slug])).content.decode()
    assert "Your place is confirmed." in page
    assert "Cancel my place" not in page and "Add to your calendar" not in page
    # Asked anyway: a clear word, not an error page, and nothing changes.
    url = reverse("news:registration-cancel", args=[registration.pk])
    for method in (client.get, client.post):
        response = method(url, follow=True)
        assert response.status_code == 200
        assert "already started, so its places can no longer be cancelled" in response.content.decode()
    assert state(registration) == ("confirmed", 1)
    client.force_login(staff)
    page = client.get(reverse("news:event-detail", args=[event.slug])).content.decode()
    assert "Cancel the event" not in page
    attendees = client.get(reverse("news:event-attendees", args=[event.slug])).content.decode()
    assert url not in attendees
    for method in (client.get, client.post):
        response = method(reverse("news:event-cancel", args=[event.slug]), {"reason": "Late."}, follow=True)
        assert "already taken place; it cannot be cancelled" in response.content.decode()
    assert not Event.objects.get(pk=event.pk).is_cancelled


# --- The pages: cancel a place, and undo ------------------------------------------------------------------------


def test_the_cancel_page_says_what_happens_and_is_only_for_the_person_or_secas(client):
    event = make_event(capacity=1, title="Spotlight on the SEC")
    person = make_party_user()
    registration = register(person, event)
    register(make_party_user(), event)  # waiting
    url = reverse("news:registration-cancel", args=[registration.pk])
    assert client.get(url).status_code == 302  # signed out: to the sign-in page
    client.force_login(make_party_user())
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    client.force_login(person)
    html = client.get(url).content.decode()
    assert "Cancel your place at “Spotlight on the SEC”?" in html
    assert "It goes straight to the first of the 1 person on the waitlist who can take it" in html
    assert "No one is emailed about the cancellation." in html and "Can it be undone?" in html
    client.force_login(make_staff())
    html = client.get(url).content.decode()
    assert f"Cancel {person.full_name}\u2019s place" in html and "tell them yourself" in html
    assert state(registration) == ("confirmed", 1)  # looking changes nothing


def test_cancel_then_undo_through_the_pages(client):
    event = make_event(capacity=3)
    person = make_party_user()
    registration = register(person, event)
    client.force_login(person)
    response = client.post(reverse("news:registration-cancel", args=[registration.pk]), follow=True)
    html = response.content.decode()
    restore_url = reverse("news:registration-restore", args=[registration.pk])
    assert "Your place is cancelled." in html and f'action="{restore_url}"' in html and ">Undo<" in html
    assert state(registration) == ("cancelled", 0)
    assert client.get(restore_url).status_code == 405
    html = client.post(restore_url, follow=True).content.decode()
    assert "Your place is back." in html and "Your place is confirmed." in html
    assert state(registration) == ("confirmed", 1)
    html = client.post(restore_url, follow=True).content.decode()
    assert "not cancelled: there is nothing to undo" in html
    client.force_login(make_party_user())
    assert client.post(restore_url).status_code == 404


def test_undo_that_lands_on_the_waitlist_says_so(client):
    event = make_event(capacity=1)
    person = make_party_user()
    registration = register(person, event)
    register(make_party_user(), event)
    client.force_login(person)
    client.post(reverse("news:registration-cancel", args=[registration.pk]))
    html = client.post(reverse("news:registration-restore", args=[registration.pk]), follow=True).content.decode()
    assert "The place had already gone to the next person on the waitlist, so you are on the waitlist now" in html
    assert "at number 1" in html


def test_secas_cancel_and_undo_from_the_attendee_list(client):
    event = make_event(capacity=3)
    person = make_party_user(full_name="Rosa Diaz")
    registration = register(person, event)
    client.force_login(make_staff())
    url = reverse("news:registration-cancel", args=[registration.pk])
    assert url in client.get(reverse("news:event-attendees", args=[event.slug])).content.decode()
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("news:event-attendees", args=[event.slug])
    assert "Rosa Diaz&#x27;s place is cancelled." in response.content.decode()
    html = client.post(reverse("news:registration-restore", args=[registration.pk]), follow=True).content.decode()
    assert "Rosa Diaz" in html and "place is back." in html
    assert state(registration) == ("confirmed", 1)


# --- Cancelling an event ------------------------------------------------------------------------------------------


def test_the_event_cancel_page_says_who_is_told_and_that_it_cannot_be_undone(client):
    event = make_event(capacity=2)
    for _ in range(3):
        register(make_party_user(), event)
    client.force_login(make_party_user())
    assert client.get(reverse("news:event-cancel", args=[event.slug])).status_code == 404
    client.force_login(make_staff())
    html = client.get(reverse("news:event-cancel", args=[event.slug])).content.decode()
    assert "<strong>3 people</strong> who registered are told at once" in html
    assert "2 with a place and 1 on the waitlist" in html
    assert "Can it be undone?" in html and "<p>No." in html
    empty = make_event()
    html = client.get(reverse("news:event-cancel", args=[empty.slug])).content.decode()
    assert "No one has registered, so no one is emailed." in html
    client.post(reverse("news:event-cancel", args=[empty.slug]), {"reason": "No speaker."})
    html = client.get(reverse("news:event-cancel", args=[empty.slug]), follow=True).content.decode()
    assert "This event is already cancelled." in html


# --- Withdrawing a post ------------------------------------------------------------------------------------------


def test_withdraw_says_what_happens_and_undo_publishes_it_again(client):
    staff = make_staff()
    post = make_post(actor=staff)
    first_published = post.published_at
    client.force_login(make_party_user())
    assert client.get(reverse("news:post-withdraw", args=[post.slug])).status_code == 404
    client.force_login(staff)
    html = client.get(reverse("news:post-withdraw", args=[post.slug])).content.decode()
    assert "No one is emailed." in html and "Can it be undone?" in html and "first publication date" in html
    response = client.post(
        reverse("news:post-withdraw", args=[post.slug]), {"reason": "A figure was wrong."}, follow=True
    )
    html = response.content.decode()
    publish = reverse("news:post-publish", args=[post.slug])
    assert "Withdrawn." in html and f'action="{publish}"' in html and ">Undo<" in html
    assert NewsPost.objects.get(pk=post.pk).status == NewsPost.Status.WITHDRAWN
    html = client.post(publish, follow=True).content.decode()
    assert "Published again." in html
    post.refresh_from_db()
    assert post.status == NewsPost.Status.PUBLISHED and post.published_at == first_published
    assert post.withdrawal_reason == ""
    # Pressed twice: the second is refused, with a word why.
    html = client.post(publish, follow=True).content.decode()
    assert "it cannot become published" in html
