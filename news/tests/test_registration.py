"""Registration: places, places per Party, the waitlist, the window, and capacity under concurrency."""

import dataclasses
import datetime
import threading

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.urls import reverse
from django.utils import timezone

from news import services
from news.models import Event, Registration
from news.tests.factories import confirmed, make_event, make_party_user, make_staff
from parties.models import Party
from parties.tests.factories import make_party, make_user
from secportal.exceptions import ApplicationError
from secportal.models import OutboxMessage

pytestmark = pytest.mark.django_db


def register(user, event, **kwargs) -> Registration:
    return services.registration_create(actor=user, event=event, **kwargs)


def test_register_confirms_a_place_and_emails(django_capture_on_commit_callbacks):
    event = make_event(capacity=10)
    user = make_party_user()
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(user, event, notes="Step-free access")
    assert registration.status == Registration.Status.CONFIRMED and registration.party_id == user.party_id
    assert Event.objects.get(pk=event.pk).confirmed_count == 1
    message = OutboxMessage.objects.get(recipient=user.email)
    assert message.kind == "news.registration_confirmed" and event.title in message.subject
    assert f"/events/{event.slug}/" in message.body_text and "UK time" in message.body_text


def test_full_event_waitlists_and_a_freed_place_goes_to_the_first_waiting():
    event = make_event(capacity=2)
    a, b, c, d = (make_party_user() for _ in range(4))
    ra, _ = register(a, event), register(b, event)
    rc, rd = register(c, event), register(d, event)
    assert (rc.status, rd.status) == ("waitlisted", "waitlisted")
    services.registration_cancel(actor=a, registration=ra)
    rc.refresh_from_db()
    rd.refresh_from_db()
    assert rc.status == Registration.Status.CONFIRMED and rd.status == Registration.Status.WAITLISTED
    assert Event.objects.get(pk=event.pk).confirmed_count == 2
    promoted = OutboxMessage.objects.get(recipient=c.email, kind="news.waitlist_promoted")
    assert "A place is yours" in promoted.subject
    assert not OutboxMessage.objects.filter(recipient=d.email, kind="news.waitlist_promoted").exists()


def test_places_per_party():
    event = make_event(capacity=10, places_per_party=2)
    party = make_party(status=Party.Status.ACCEDED)
    one, two, three = (make_party_user(party) for _ in range(3))
    other = make_party_user()
    assert [register(u, event).status for u in (one, two, three)] == ["confirmed", "confirmed", "waitlisted"]
    assert register(other, event).status == "confirmed"  # another Party still has places


def test_a_freed_place_skips_a_waiting_person_whose_party_is_full():
    event = make_event(capacity=3, places_per_party=2)
    party = make_party(status=Party.Status.ACCEDED)
    p1, p2, p3 = (make_party_user(party) for _ in range(3))
    x1 = make_party_user()
    r1 = register(x1, event)
    register(p1, event)
    register(p2, event)  # the event is now full (3)
    w_party = register(p3, event)  # waiting first, but its Party already holds 2 places
    x2 = make_party_user(x1.party)
    w_other = register(x2, event)
    assert (w_party.status, w_other.status) == ("waitlisted", "waitlisted")
    services.registration_cancel(actor=x1, registration=r1)
    w_party.refresh_from_db()
    w_other.refresh_from_db()
    assert w_other.status == "confirmed" and w_party.status == "waitlisted"


def test_registration_window_and_state():
    now = timezone.now()
    user = make_party_user()
    not_yet = make_event(registration_opens_at=now + datetime.timedelta(days=1))
    closed = make_event(
        registration_closes_at=now - datetime.timedelta(minutes=1),
        registration_opens_at=now - datetime.timedelta(days=2),
    )
    started = make_event(starts_at=now - datetime.timedelta(minutes=5), ends_at=now + datetime.timedelta(hours=1))
    cancelled = make_event()
    services.event_cancel(actor=make_staff(), event=cancelled, reason="Speaker unwell.")
    for event, message in [
        (not_yet, "not opened yet"),
        (closed, "has closed"),
        (started, "already started"),
        (cancelled, "cancelled"),
    ]:
        with pytest.raises(ApplicationError, match=message):
            register(user, event)
    open_event = make_event(
        registration_opens_at=now - datetime.timedelta(days=1), registration_closes_at=now + datetime.timedelta(days=1)
    )
    assert register(user, open_event).status == "confirmed"


def test_one_registration_per_person_and_only_party_users():
    event = make_event()
    user = make_party_user()
    register(user, event)
    with pytest.raises(ApplicationError, match="already registered"):
        register(user, event)
    with pytest.raises(ApplicationError, match="SEC Party"):
        register(make_staff(), event)
    with pytest.raises(ApplicationError, match="SEC Party"):
        register(make_user(role_names=set()), event)


def test_cancel_then_register_again():
    event = make_event(capacity=1)
    user = make_party_user()
    services.registration_cancel(actor=user, registration=register(user, event))
    assert register(user, event).status == "confirmed"
    assert Event.objects.get(pk=event.pk).confirmed_count == 1


def test_only_the_person_or_secas_cancels():
    registration = register(make_party_user(), make_event())
    with pytest.raises(ApplicationError, match="only your own"):
        services.registration_cancel(actor=make_party_user(), registration=registration)
    services.registration_cancel(actor=make_staff(), registration=registration)
    with pytest.raises(ApplicationError, match="already cancelled"):
        services.registration_cancel(actor=registration.user, registration=registration)


def test_capacity_changes():
    staff = make_staff()
    event = make_event(actor=staff, capacity=2)
    users = [make_party_user() for _ in range(3)]
    regs = [register(u, event) for u in users]
    details = services.EventDetails(
        title=event.title,
        kind=event.kind,
        summary=event.summary,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        online_link=event.online_link,
        capacity=1,
    )
    with pytest.raises(ApplicationError, match="already hold places"):
        services.event_update(actor=staff, event=event, details=details)
    services.event_update(actor=staff, event=event, details=dataclasses.replace(details, capacity=3))
    regs[2].refresh_from_db()
    assert regs[2].status == "confirmed" and Event.objects.get(pk=event.pk).confirmed_count == 3


def test_cancelling_an_event_tells_everyone_registered(django_capture_on_commit_callbacks):
    event = make_event(capacity=1)
    a, b = make_party_user(), make_party_user()
    register(a, event)
    register(b, event)
    with django_capture_on_commit_callbacks(execute=True):  # the notice is told by a task after commit
        services.event_cancel(actor=make_staff(), event=event, reason="The venue is closed.")
    assert set(OutboxMessage.objects.filter(kind="news.event_cancelled").values_list("recipient", flat=True)) == {
        a.email,
        b.email,
    }


def test_the_database_refuses_a_count_over_capacity():
    event = make_event(capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(confirmed_count=2)


def test_the_database_refuses_two_active_registrations_of_one_person():
    event = make_event()
    user = make_party_user()
    register(user, event)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(
            event=event, user=user, party=user.party, status="waitlisted", waitlisted_at=timezone.now()
        )


def test_register_and_cancel_through_the_pages(client):
    event = make_event(capacity=5, places_per_party=2)
    user = make_party_user()
    client.force_login(user)
    response = client.post(reverse("news:event-register", args=[event.slug]), {"notes": "Vegetarian"}, follow=True)
    assert b"your place is confirmed" in response.content
    registration = Registration.objects.get(user=user, event=event)
    assert registration.notes == "Vegetarian"
    page = client.get(reverse("news:event-detail", args=[event.slug])).content.decode()
    assert "Your place is confirmed." in page and "Cancel my place" in page
    other = make_party_user()
    client.force_login(other)
    assert client.post(reverse("news:registration-cancel", args=[registration.pk])).status_code == 404
    client.force_login(user)
    client.post(reverse("news:registration-cancel", args=[registration.pk]))
    assert Registration.objects.get(pk=registration.pk).status == "cancelled"


def registration_card(client, event) -> str:
    page = client.get(reverse("news:event-detail", args=[event.slug])).content.decode()
    return page[page.index('id="registration-title"') : page.index('id="calendar-title"')]


def test_a_full_event_offers_the_waitlist_and_a_confirmed_place_does_not(client):
    event = make_event(capacity=1)
    holder = make_party_user()
    client.force_login(holder)
    card = registration_card(client, event)
    assert "<strong>1</strong> of 1 place left." in card and ">Register</button>" in card
    register(holder, event)
    card = registration_card(client, event)
    assert "Your place is confirmed." in card and "<strong>Full</strong>." in card
    assert "join the waitlist" not in card.lower()
    client.force_login(make_party_user())
    card = registration_card(client, event)
    assert "<strong>Full</strong>: you can join the waitlist." in card and ">Join the waitlist</button>" in card
    assert ">Register</button>" not in card


def test_a_party_that_used_its_places_is_offered_the_waitlist(client):
    event = make_event(capacity=10, places_per_party=1)
    party = make_party(status=Party.Status.ACCEDED)
    register(make_party_user(party=party), event)
    client.force_login(make_party_user(party=party))
    card = registration_card(client, event)
    assert "Your Party has used its 1 place: you can join the waitlist." in card
    assert ">Join the waitlist</button>" in card and "Up to 1 place per Party" not in card
    assert "<strong>9</strong> of 10 places left, up to 1 per Party." in card


# --- Concurrency (PostgreSQL: real row locks between real connections) -------------------------------------


def _race(event: Event, users) -> list:
    """Everyone registers at the same moment, each from their own thread and connection."""
    barrier = threading.Barrier(len(users))
    results: list = []

    def attempt(user):
        try:
            barrier.wait(timeout=10)
            results.append(register(user, Event.objects.get(pk=event.pk)).status)
        except ApplicationError as exc:
            results.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    close_old_connections()
    return results


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row locks between threads need PostgreSQL (set DATABASE_URL)")


@pytest.mark.django_db(transaction=True)
def test_capacity_is_never_exceeded_under_concurrency(postgres):
    event = make_event(capacity=5)
    users = [make_party_user() for _ in range(20)]
    results = _race(event, users)
    assert sorted(results) == ["confirmed"] * 5 + ["waitlisted"] * 15
    event.refresh_from_db()
    assert event.confirmed_count == 5 == confirmed(event)


@pytest.mark.django_db(transaction=True)
def test_places_per_party_hold_under_concurrency(postgres):
    event = make_event(capacity=50, places_per_party=2)
    party = make_party(status=Party.Status.ACCEDED)
    users = [make_party_user(party) for _ in range(8)] + [make_party_user() for _ in range(4)]
    results = _race(event, users)
    assert results.count("confirmed") == 6 and results.count("waitlisted") == 6
    assert event.registrations.filter(party=party, status="confirmed").count() == 2


@pytest.mark.django_db(transaction=True)
def test_cancellations_and_registrations_racing_keep_the_count_right(postgres):
    event = make_event(capacity=3)
    holders = [make_party_user() for _ in range(3)]
    registrations = [register(u, event) for u in holders]
    newcomers = [make_party_user() for _ in range(6)]
    barrier = threading.Barrier(len(holders) + len(newcomers))

    def cancel(registration):
        barrier.wait(timeout=10)
        services.registration_cancel(actor=registration.user, registration=registration)
        connection.close()

    def join(user):
        barrier.wait(timeout=10)
        register(user, Event.objects.get(pk=event.pk))
        connection.close()

    threads = [threading.Thread(target=cancel, args=(r,)) for r in registrations]
    threads += [threading.Thread(target=join, args=(u,)) for u in newcomers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    close_old_connections()
    event.refresh_from_db()
    assert event.confirmed_count == confirmed(event) == 3
    assert event.registrations.filter(status="waitlisted").count() == 3
