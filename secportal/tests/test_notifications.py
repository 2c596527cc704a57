"""Notifications: who hears what, when and how; reminders driven by a fixed clock; preferences,
digests, unsubscribe links, access checked at every step, and the pages that show them."""

import datetime
import email
import email.policy
import threading

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from modifications import services as modification_services
from modifications.models import Consultation, Follow, Response, Stage
from modifications.tests.factories import make_document, make_modification
from news import services as news_services
from news.tests.factories import make_event, make_party_user, make_staff
from panel import services as panel_services
from panel.models import Committee, Meeting, Membership
from parties.tests.factories import make_party, make_user
from secportal import notifications
from secportal.classification import Classification
from secportal.models import (
    Frequency,
    Happening,
    Notification,
    NotificationPreference,
    NotificationSettings,
    OutboxMessage,
    ReminderSchedule,
)
from secportal.services import outbox_deliver_due
from secportal.workingdays import LONDON

pytestmark = pytest.mark.django_db

# Fixed clocks, in the past so that the outbox (which sends what is due by the real clock) sends.
SATURDAY = datetime.datetime(2026, 10, 31, 10, 0, tzinfo=LONDON)
MONDAY = datetime.datetime(2026, 11, 2, 10, 0, tzinfo=LONDON)
TUESDAY_7AM = datetime.datetime(2026, 11, 3, 7, 0, tzinfo=LONDON)
STAGE = "modification.stage_changed"
DOCUMENT = "modification.document_published"


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.SECPORTAL_REQUIRE_MFA = False


@pytest.fixture
def threads_safe_for_celery():
    """Eager tasks in several threads at once race on Celery's process-wide "inside a task" flag
    and can leave it set, which later makes result.get() refuse in the test process. Celery's
    public allow_join_result() puts back, when it is left, the value the flag had before."""
    from celery.result import allow_join_result

    with allow_join_result():
        yield


def any_day(user, **fields):
    """Email on any day: tests through services run on the real clock, which may be a weekend."""
    NotificationSettings.objects.update_or_create(user=user, defaults={"working_days_only": False, **fields})
    return user


def prefer(user, kind: str, frequency: str) -> None:
    NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"frequency": frequency})


def sent_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


@pytest.fixture
def staff():
    return make_staff(totp=False)


@pytest.fixture
def follower():
    return any_day(make_party_user(email="follower@supplier.example", full_name="Fola Follower"))


def follow(user, modification):
    Follow.objects.create(user=user, modification=modification)


def told() -> int:
    """What the Celery task queued on commit does (a test's transaction never commits): tell the
    people who hear about the changes made so far."""
    return notifications.happenings_tell_due()


# --- Modification notifications ---------------------------------------------------------------------------


def test_a_stage_change_tells_followers_once_in_the_portal_and_by_email(staff, follower):
    modification = make_modification(stage=Stage.DRAFT)
    follow(follower, modification)
    bystander = any_day(make_party_user(email="bystander@supplier.example"))
    modification_services.modification_start_development(actor=staff, modification=modification, note="Agreed")
    assert told() == 1
    assert outbox_deliver_due() == 1
    [message] = sent_to("follower@supplier.example")
    assert modification.reference in message.subject and "Development" in message.subject
    assert f"/modifications/{modification.reference}/" in message.body
    html = message.alternatives[0][0]
    assert "Stop these emails" in html and message.alternatives[0][1] == "text/html"
    # One-click unsubscribe headers (RFC 8058), scoped to this kind of notification.
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/notifications/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    # As sent over SMTP, the header is the plain URL a mail client can use (not folded into encoded words).
    raw = message.message(policy=email.policy.SMTP).as_bytes()
    assert b"List-Unsubscribe: <http://" in raw and b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    notification = Notification.objects.get(user=follower)
    assert notification.kind == STAGE and notification.read_at is None
    assert not Notification.objects.filter(user=bystander).exists()
    assert sent_to("bystander@supplier.example") == []
    # Telling again about the same change writes nothing (the database's unique key).
    event = modification.events.latest("pk")
    from modifications import notifications as modification_notifications

    modification_notifications.stage_changed(event=event)
    assert Notification.objects.filter(user=follower).count() == 1
    assert OutboxMessage.objects.filter(recipient="follower@supplier.example").count() == 1


def test_told_happenings_go_after_their_retention_and_what_they_told_stays(staff, follower, settings):
    from secportal.tasks import happenings_prune

    settings.SECPORTAL_HAPPENING_RETENTION_DAYS = 90
    modification = make_modification(stage=Stage.DRAFT)
    follow(follower, modification)
    modification_services.modification_start_development(actor=staff, modification=modification)
    assert told() == 1
    now = timezone.now()
    long_told = Happening.objects.get()
    Happening.objects.filter(pk=long_told.pk).update(told_at=now - datetime.timedelta(days=91))
    recently_told, never_told = (
        Happening.objects.create(
            kind=STAGE,
            audience="modifications.followers",
            subject_type="modifications.modificationproposal",
            subject_id=str(modification.pk),
            occurrence=name,
            title=name,
            url="/",
            created_at=now - datetime.timedelta(days=200),
            told_at=told_at,
            attempts=attempts,
        )
        for name, told_at, attempts in (
            ("recent", now - datetime.timedelta(days=89), 1),
            ("failed", None, notifications.MAX_TELL_ATTEMPTS),  # left for a person to look at
        )
    )
    assert happenings_prune.apply().get() == 1
    assert set(Happening.objects.values_list("pk", flat=True)) == {recently_told.pk, never_told.pk}
    assert Notification.objects.filter(user=follower, kind=STAGE).count() == 1
    assert OutboxMessage.objects.filter(recipient="follower@supplier.example").count() == 1
    assert happenings_prune.apply().get() == 0
    entry = settings.CELERY_BEAT_SCHEDULE["prune-told-happenings"]
    assert entry["task"] == happenings_prune.name


def test_followers_of_a_view_of_the_register_hear_about_matching_modifications(staff):
    watcher = any_day(make_party_user(email="watcher@supplier.example"))
    other = any_day(make_party_user(email="other@supplier.example"))
    modification_services.filter_follow_add(user=watcher, query="stage=development", label="at Development")
    modification_services.filter_follow_add(user=other, query="stage=report_phase", label="at Report Phase")
    modification = make_modification(stage=Stage.DRAFT)
    modification_services.modification_start_development(actor=staff, modification=modification)
    told()
    assert Notification.objects.filter(user=watcher, kind=STAGE).count() == 1
    assert not Notification.objects.filter(user=other).exists()


def test_a_published_document_is_told_only_to_followers_who_may_see_it(staff, follower):
    modification = make_modification(stage=Stage.DEVELOPMENT)
    follow(follower, modification)
    owner = any_day(make_party_user(email="owner@supplier.example"))
    follow(owner, modification)
    from django.core.files.uploadedfile import SimpleUploadedFile

    from modifications.tests.factories import PDF_BYTES

    modification_services.document_upload(
        actor=staff,
        modification=modification,
        kind="legal_text",
        title="Owner's analysis",
        upload=SimpleUploadedFile("a.pdf", PDF_BYTES),
        classification=Classification.AMBER,
        owner_party=owner.party,
    )
    told()
    assert Notification.objects.filter(kind=DOCUMENT, user=owner).exists()
    assert not Notification.objects.filter(kind=DOCUMENT, user=follower).exists()
    assert follower.party_id != owner.party_id  # AMBER stays with its owner's Party


def test_access_lost_before_sending_withholds_the_email(staff):
    modification = make_modification(stage=Stage.DEVELOPMENT)
    owner = any_day(make_party_user(email="leaver@supplier.example"))
    follow(owner, modification)
    document = make_document(modification, classification=Classification.AMBER, owner_party=owner.party)
    from modifications import notifications as modification_notifications

    modification_notifications.document_published(document=document, label="Analysis")
    told()
    message = OutboxMessage.objects.get(recipient="leaver@supplier.example")
    # The person moves to another Party before the email goes: AMBER of the old Party is no longer theirs.
    owner.party = make_party()
    owner.save(update_fields=["party"])
    assert outbox_deliver_due() == 0
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.WITHHELD and "no longer" in message.last_error
    assert mail.outbox == []
    # Nor is it listed in the portal.
    assert notifications.visible_notifications(user=owner, notifications=list(owner.notifications.all())) == []


def test_consultation_opening_and_closing_soon_for_parties_that_have_not_responded(staff):
    modification = make_modification(stage=Stage.REFINEMENT)
    quiet = any_day(make_party_user(email="quiet@supplier.example"))
    done = any_day(make_party_user(email="done@supplier.example"))
    for user in (quiet, done):
        follow(user, modification)
    opens = timezone.now() - datetime.timedelta(days=1)
    consultation = modification_services.consultation_create(
        actor=staff,
        title="Refinement Consultation",
        kind=Consultation.Kind.REFINEMENT,
        questions=[("Do you agree?", "yes_no")],
        modification=modification,
        opens_at=opens,
        closes_at=timezone.now() + datetime.timedelta(days=30),
    )
    told()
    # They may respond: they hear as users of a consulted Party (once), not again as followers.
    assert (
        Notification.objects.filter(kind="modification.consultation_open_to_party", user__in=[quiet, done]).count() == 2
    )
    assert not Notification.objects.filter(kind="modification.consultation_opened").exists()
    Response.objects.create(
        consultation=consultation, party=done.party, status=Response.Status.SUBMITTED, submitted_at=opens
    )
    # Long before the close: nothing. Three Working Days before it: only the Party that has not responded.
    closing = "modification.consultation_closing"
    notifications.run_sources(now=timezone.now())
    assert not Notification.objects.filter(kind=closing).exists()
    Consultation.objects.filter(pk=consultation.pk).update(closes_at=timezone.now() + datetime.timedelta(days=2))
    notifications.run_sources(now=timezone.now())
    assert list(Notification.objects.filter(kind=closing).values_list("user__email", flat=True)) == [
        "quiet@supplier.example"
    ]
    notifications.run_sources(now=timezone.now())  # the next minute's run adds nothing
    assert Notification.objects.filter(kind=closing).count() == 1


# --- Preferences, Working Days and digests ----------------------------------------------------------------


def notify_stage(user, modification, n: int, now):
    return notifications.notify(
        users=[user],
        kind=STAGE,
        subject_obj=modification,
        occurrence=f"event-{n}",
        title=f"{modification.reference} change {n}",
        url=f"/modifications/{modification.reference}/",
        group=f"{modification.reference}: {modification.title}",
        now=now,
    )


def test_non_urgent_email_on_a_non_working_day_waits_for_the_next_working_day():
    user = make_party_user(email="weekday@supplier.example")
    modification = make_modification()
    notify_stage(user, modification, 1, SATURDAY)
    message = OutboxMessage.objects.get()
    assert message.due_at == datetime.datetime(2026, 11, 2, 8, 0, tzinfo=LONDON)
    # Someone who takes email any day gets it at once; urgent kinds (reminders) never wait.
    any_day(user)
    notify_stage(user, modification, 2, SATURDAY)
    assert OutboxMessage.objects.get(occurrence="event-2").due_at == SATURDAY
    assert notifications.email_due_at(urgent=True, working_days_only=True, now=SATURDAY) == SATURDAY
    # Christmas: Friday 25 and Monday 28 December 2026 (Boxing Day's substitute) are bank holidays.
    christmas = datetime.datetime(2026, 12, 25, 12, tzinfo=LONDON)
    expected = datetime.datetime(2026, 12, 29, 8, tzinfo=LONDON)
    assert notifications.email_due_at(urgent=False, working_days_only=True, now=christmas) == expected


def test_preferences_none_keeps_it_in_the_portal_only():
    user = any_day(make_party_user())
    prefer(user, STAGE, Frequency.NONE)
    [notification] = notify_stage(user, make_modification(), 1, MONDAY)
    assert notification.delivery == Notification.Delivery.PORTAL_ONLY
    assert not OutboxMessage.objects.exists()


def test_a_daily_digest_groups_by_modification_and_never_repeats_an_item():
    user = any_day(make_party_user(email="daily@supplier.example"))
    prefer(user, STAGE, Frequency.DAILY)
    first, second = make_modification(title="Alpha"), make_modification(title="Beta")
    notify_stage(user, first, 1, MONDAY)
    notify_stage(user, second, 2, MONDAY)
    notify_stage(user, first, 3, MONDAY)
    assert not OutboxMessage.objects.exists()  # nothing until the digest
    tuesday_7am = TUESDAY_7AM
    tuesday_6am = tuesday_7am - datetime.timedelta(hours=1)
    assert notifications.digests_send_due(now=tuesday_6am) == 0  # digests go out from 07:00
    assert notifications.digests_send_due(now=tuesday_7am) == 1
    assert notifications.digests_send_due(now=tuesday_7am) == 0  # a second beat: nothing more
    outbox_deliver_due()
    [digest] = sent_to("daily@supplier.example")
    assert "3 updates" in digest.subject
    body = digest.body
    # Grouped: both of Alpha's items under its heading, before Beta's.
    alpha, beta = body.index(f"{first.reference}: Alpha"), body.index(f"{second.reference}: Beta")
    assert alpha < body.index("change 1") < body.index("change 3") < beta < body.index("change 2")
    assert "List-Unsubscribe" in digest.extra_headers
    # Something new after the digest waits for the next day's; what was sent never comes again.
    notify_stage(user, second, 4, tuesday_7am + datetime.timedelta(hours=1))
    assert notifications.digests_send_due(now=tuesday_7am + datetime.timedelta(hours=2)) == 0
    wednesday = tuesday_7am + datetime.timedelta(days=1, minutes=5)
    assert notifications.digests_send_due(now=wednesday) == 1
    outbox_deliver_due()
    second_digest = sent_to("daily@supplier.example")[1]
    assert "change 4" in second_digest.body and "change 1" not in second_digest.body
    assert not Notification.objects.filter(delivery=Notification.Delivery.DIGEST).exists()


def test_the_weekly_digest_comes_on_the_chosen_day_and_waits_on_holidays():
    user = make_party_user(email="weekly@supplier.example")
    NotificationSettings.objects.create(user=user, weekly_day=NotificationSettings.Weekday.WEDNESDAY)
    prefer(user, STAGE, Frequency.WEEKLY)
    notify_stage(user, make_modification(), 1, MONDAY)
    tuesday = TUESDAY_7AM + datetime.timedelta(hours=2)
    wednesday = tuesday + datetime.timedelta(days=1)
    assert notifications.digests_send_due(now=tuesday) == 0
    assert notifications.digests_send_due(now=wednesday) == 1
    assert OutboxMessage.objects.get().occurrence == "weekly:2026-11-04"
    # A chosen Monday that is a bank holiday (28 December 2026) moves to Tuesday.
    assert notifications.weekly_due(datetime.date(2026, 12, 28), weekly_day=0, working_days_only=True) is None
    assert (
        notifications.weekly_due(datetime.date(2026, 12, 29), weekly_day=0, working_days_only=True)[0]
        == "weekly:2026-12-28"
    )


def test_a_digest_leaves_out_what_the_person_can_no_longer_see():
    user = any_day(make_party_user(email="digest-access@supplier.example"))
    prefer(user, DOCUMENT, Frequency.DAILY)
    modification = make_modification()
    amber = make_document(modification, classification=Classification.AMBER, owner_party=user.party)
    white = make_document(modification, classification=Classification.WHITE, title="Public text")
    for document in (amber, white):
        notifications.notify(
            users=[user],
            kind=DOCUMENT,
            subject_obj=document,
            title=f"{document.title} published",
            url="/modifications/",
            group=modification.reference,
            now=MONDAY,
        )
    user.party = make_party()
    user.save(update_fields=["party"])
    assert notifications.digests_send_due(now=MONDAY + datetime.timedelta(days=1)) == 1
    outbox_deliver_due()
    [digest] = sent_to("digest-access@supplier.example")
    assert "Public text" in digest.body and "Legal text" not in digest.body
    assert Notification.objects.get(subject_id=amber.pk).delivery == Notification.Delivery.WITHHELD


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two writers at once: SQLite locks the table")
@pytest.mark.django_db(transaction=True)
def test_two_digest_runs_at_once_build_one_digest(threads_safe_for_celery):
    users = [any_day(make_party_user(email=f"race{i}@supplier.example")) for i in range(6)]
    for user in users:
        prefer(user, STAGE, Frequency.DAILY)
        for n in range(3):
            notify_stage(user, make_modification(), n, MONDAY)
    barrier, results, errors = threading.Barrier(3), [], []

    def run():
        try:
            barrier.wait()
            results.append(notifications.digests_send_due(now=TUESDAY_7AM))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sum(results) == 6
    assert OutboxMessage.objects.filter(kind="digest.daily").count() == 6
    assert Notification.objects.filter(delivery=Notification.Delivery.DIGESTED).count() == 18


def test_a_digest_holds_what_was_waiting_at_its_hour_and_never_goes_out_later_in_the_day():
    user = any_day(make_party_user(email="cutoff@supplier.example"))
    NotificationSettings.objects.filter(user=user).update(weekly_day=0)
    prefer(user, STAGE, Frequency.DAILY)
    prefer(user, DOCUMENT, Frequency.WEEKLY)
    # Nothing waiting at 07:00 on Tuesday; something arrives at 15:00: it waits for Wednesday's digest.
    assert notifications.digests_send_due(now=TUESDAY_7AM) == 0
    afternoon = TUESDAY_7AM + datetime.timedelta(hours=8)
    notify_stage(user, make_modification(), 1, afternoon)
    assert notifications.digests_send_due(now=afternoon + datetime.timedelta(minutes=1)) == 0
    assert notifications.digests_send_due(now=TUESDAY_7AM + datetime.timedelta(days=1)) == 1
    # A weekly (Monday) digest: an item written on Tuesday waits for next Monday, not Tuesday 10:01.
    modification = make_modification()
    document = make_document(modification)
    notifications.notify(
        users=[user], kind=DOCUMENT, subject_obj=document, title="Weekly item", url="/modifications/", now=afternoon
    )
    assert notifications.digests_send_due(now=afternoon + datetime.timedelta(hours=1)) == 0
    next_monday = datetime.datetime(2026, 11, 9, 7, 0, tzinfo=LONDON)
    assert notifications.digests_send_due(now=next_monday - datetime.timedelta(minutes=1)) == 0
    assert notifications.digests_send_due(now=next_monday) == 1
    assert OutboxMessage.objects.filter(kind="digest.weekly", occurrence="weekly:2026-11-09").exists()


def test_a_digest_sent_late_leaves_out_what_became_hidden_meanwhile():
    user = any_day(make_party_user(email="late@supplier.example"))
    prefer(user, DOCUMENT, Frequency.DAILY)
    modification = make_modification()
    amber = make_document(
        modification, classification=Classification.AMBER, owner_party=user.party, title="Owner analysis"
    )
    white = make_document(modification, title="Public text")
    for document in (amber, white):
        notifications.notify(
            users=[user],
            kind=DOCUMENT,
            subject_obj=document,
            title=f"{document.title} out",
            url="/modifications/",
            group=modification.reference,
            now=MONDAY,
        )
    assert notifications.digests_send_due(now=TUESDAY_7AM) == 1
    assert "Owner analysis" in OutboxMessage.objects.get().body_text
    # SMTP was down; meanwhile the person moved to another Party.
    user.party = make_party()
    user.save(update_fields=["party"])
    outbox_deliver_due()
    [digest] = sent_to("late@supplier.example")
    assert "Public text" in digest.body and "Owner analysis" not in digest.body and "1 update" in digest.subject
    assert Notification.objects.get(subject_id=amber.pk).delivery == Notification.Delivery.WITHHELD


def test_saving_preferences_moves_what_is_waiting():
    user = any_day(make_party_user())
    prefer(user, STAGE, Frequency.WEEKLY)
    notify_stage(user, make_modification(), 1, MONDAY)
    notifications.preferences_save(user=user, choices={STAGE: Frequency.DAILY}, working_days_only=True, weekly_day=2)
    assert Notification.objects.get().digest == Frequency.DAILY
    notifications.preferences_save(user=user, choices={STAGE: Frequency.NONE}, working_days_only=True, weekly_day=2)
    assert Notification.objects.get().delivery == Notification.Delivery.PORTAL_ONLY
    # Reminders cannot wait for a digest: asking for one keeps them immediate.
    notifications.preferences_save(
        user=user, choices={"news.event_reminder": Frequency.DAILY}, working_days_only=True, weekly_day=2
    )
    assert notifications.preferences_for(user)["news.event_reminder"] == Frequency.IMMEDIATE


# --- Unsubscribe ------------------------------------------------------------------------------------------


def test_the_unsubscribe_link_works_without_signing_in_and_only_for_its_kind(client):
    user = any_day(make_party_user())
    url = notifications.unsubscribe_url(user, STAGE).removeprefix("http://testserver")
    path = reverse("notifications:unsubscribe", args=[notifications.unsubscribe_token(user, STAGE)])
    page = client.get(path)
    assert page.status_code == 200 and b"A modification changes stage" in page.content
    assert not NotificationPreference.objects.exists()  # a visit (a mail scanner, say) changes nothing
    done = client.post(path)
    assert done.status_code == 200 and b"You will no longer get emails" in done.content
    prefs = notifications.preferences_for(user)
    assert prefs[STAGE] == Frequency.NONE and prefs[DOCUMENT] == Frequency.IMMEDIATE
    assert url.endswith(path)
    # A one-click POST from a mail client (no CSRF token, no session) works too, and twice is harmless.
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    tampered = path.replace(path.split("/")[-2], path.split("/")[-2][:-2] + "xx")
    assert client.get(tampered).status_code == 400
    assert client.post(tampered).status_code == 400


def test_unsubscribing_from_a_digest_stops_every_kind_in_it(client):
    user = any_day(make_party_user())
    prefer(user, STAGE, Frequency.DAILY)
    prefer(user, DOCUMENT, Frequency.DAILY)
    notify_stage(user, make_modification(), 1, MONDAY)
    client.post(reverse("notifications:unsubscribe", args=[notifications.unsubscribe_token(user, "digest.daily")]))
    prefs = notifications.preferences_for(user)
    assert prefs[STAGE] == prefs[DOCUMENT] == Frequency.NONE
    assert Notification.objects.get().delivery == Notification.Delivery.PORTAL_ONLY


# --- Event and meeting reminders --------------------------------------------------------------------------


@pytest.fixture
def webinar(staff):
    event = make_event(actor=staff, title="Smart metering webinar", online_link="https://meet.example.org/w")
    starts = MONDAY + datetime.timedelta(days=14)
    event.__class__.objects.filter(pk=event.pk).update(starts_at=starts, ends_at=starts + datetime.timedelta(hours=1))
    event.refresh_from_db()
    return event


def register(event, user, now):
    return news_services.registration_create(actor=user, event=event, now=now)


def test_event_reminders_arrive_once_each_at_7_days_1_day_and_1_hour(webinar):
    attendee = make_party_user(email="attendee@supplier.example")
    register(webinar, attendee, MONDAY)
    starts = webinar.starts_at
    kind = "news.event_reminder"

    def run(at):
        notifications.run_sources(now=at)
        return list(Notification.objects.filter(kind=kind).order_by("pk").values_list("occurrence", flat=True))

    assert run(starts - datetime.timedelta(days=8)) == []
    assert len(run(starts - datetime.timedelta(days=7))) == 1
    assert len(run(starts - datetime.timedelta(days=6))) == 1  # every minute after: nothing new
    assert len(run(starts - datetime.timedelta(hours=23))) == 2
    assert len(run(starts - datetime.timedelta(minutes=59))) == 3
    assert len(run(starts - datetime.timedelta(minutes=30))) == 3
    assert run(starts + datetime.timedelta(minutes=5))[-1].startswith("reminder-1h@")
    outbox_deliver_due()
    reminders = [m for m in sent_to("attendee@supplier.example") if "Reminder:" in m.subject]
    assert [m.subject.split(", ")[-1] for m in reminders] == ["in 7 days", "tomorrow", "in 1 hour"]
    first = reminders[0]
    when = timezone.localtime(starts, LONDON)
    assert f"{when:%H:%M}" in first.body and "GMT" in first.body and "https://meet.example.org/w" in first.body
    [(name, content, mimetype)] = first.attachments
    assert name.endswith(".ics") and mimetype.startswith("text/calendar") and "BEGIN:VEVENT" in content
    # The email as sent has both parts and the calendar file.
    parsed = email.message_from_bytes(first.message().as_bytes())
    assert {p.get_content_type() for p in parsed.walk()} >= {"text/plain", "text/html", "text/calendar"}


def test_reminder_times_are_set_per_kind_of_event_by_secas(webinar):
    ReminderSchedule.objects.create(event_kind=webinar.kind, offsets="2d", online_offsets="")
    register(webinar, make_party_user(), MONDAY)
    notifications.run_sources(now=webinar.starts_at - datetime.timedelta(days=7))
    assert not Notification.objects.exists()
    notifications.run_sources(now=webinar.starts_at - datetime.timedelta(days=2))
    notifications.run_sources(now=webinar.starts_at - datetime.timedelta(minutes=30))
    assert list(Notification.objects.values_list("occurrence", flat=True)) == [
        notifications.reminder_occurrence(datetime.timedelta(days=2), webinar.starts_at)
    ]


def test_a_moved_event_sends_a_notice_instead_of_a_stale_reminder(staff, webinar):
    attendee = make_party_user(email="moved@supplier.example")
    register(webinar, attendee, MONDAY)
    old_start = webinar.starts_at
    # The 7-day reminder is queued (the SMTP server is down, say) when the event moves a week later.
    notifications.run_sources(now=old_start - datetime.timedelta(days=7))
    stale = OutboxMessage.objects.get(kind="news.event_reminder")
    details = news_services.EventDetails(
        title=webinar.title,
        kind=webinar.kind,
        summary=webinar.summary,
        starts_at=old_start + datetime.timedelta(days=7),
        ends_at=webinar.ends_at + datetime.timedelta(days=7),
        online_link=webinar.online_link,
        venue="",
        capacity=None,
        places_per_party=None,
        registration_opens_at=None,
        registration_closes_at=None,
        agenda=(),
    )
    event = news_services.event_update(actor=staff, event=webinar, details=details, now=MONDAY)
    told()
    stale.refresh_from_db()
    assert stale.status == OutboxMessage.Status.WITHHELD
    notice = OutboxMessage.objects.get(kind="news.event_changed")
    assert "Moved" in notice.subject and notice.attachments[0]["name"].endswith(".ics")
    # Reminders now follow the new time.
    notifications.run_sources(now=event.starts_at - datetime.timedelta(days=7))
    assert OutboxMessage.objects.filter(kind="news.event_reminder", status="queued").count() == 1
    # Cancelled: a notice, and no reminder after it.
    news_services.event_cancel(actor=staff, event=event, reason="The speaker is ill.", now=MONDAY)
    told()
    assert OutboxMessage.objects.filter(kind="news.event_reminder", status="queued").count() == 0
    cancelled = OutboxMessage.objects.get(kind="news.event_cancelled")
    assert "The speaker is ill." in cancelled.body_text
    notifications.run_sources(now=event.starts_at - datetime.timedelta(hours=1))
    assert OutboxMessage.objects.filter(kind="news.event_reminder").count() == 2  # no new one


def test_a_cancelled_registration_gets_no_reminder(webinar):
    attendee = make_party_user(email="gone@supplier.example")
    registration = register(webinar, attendee, MONDAY)
    notifications.run_sources(now=webinar.starts_at - datetime.timedelta(days=7))
    news_services.registration_cancel(actor=attendee, registration=registration, now=MONDAY)
    outbox_deliver_due()
    assert [m for m in sent_to("gone@supplier.example") if "Reminder:" in m.subject] == []
    assert OutboxMessage.objects.get(kind="news.event_reminder").status == OutboxMessage.Status.WITHHELD


@pytest.fixture
def committee():
    return Committee.objects.create(
        name="Technical Architecture and Business Architecture Sub-Committee",
        slug="tabasc",
        kind=Committee.Kind.SUB_COMMITTEE,
        purpose="Architecture.",
    )


def test_meeting_reminders_and_papers_published_go_to_members_only(staff, committee):
    member = make_user(email="member@tabasc.example", role_names=set())
    alternate = make_user(email="alternate@tabasc.example", role_names=set())
    former = make_user(email="former@tabasc.example", role_names=set())
    today = timezone.localdate()
    place = Membership.objects.create(committee=committee, user=member, starts_on=today - datetime.timedelta(days=400))
    # An alternate counts while the member they stand in for is current (panel.permissions).
    Membership.objects.create(
        committee=committee,
        user=alternate,
        role=Membership.Role.ALTERNATE,
        alternate_for=place,
        starts_on=today - datetime.timedelta(days=400),
    )
    Membership.objects.create(
        committee=committee,
        user=former,
        starts_on=today - datetime.timedelta(days=800),
        ended_on=today - datetime.timedelta(days=30),
    )
    starts = MONDAY + datetime.timedelta(days=10)
    meeting = Meeting.objects.create(
        committee=committee,
        title="November meeting",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        venue="SECAS offices",
    )
    now = starts - datetime.timedelta(days=7)
    notifications.run_sources(now=now)
    recipients = set(Notification.objects.filter(kind="panel.meeting_reminder").values_list("user__email", flat=True))
    assert recipients == {"member@tabasc.example", "alternate@tabasc.example"}
    # No online link: no 1-hour reminder.
    notifications.run_sources(now=starts - datetime.timedelta(minutes=30))
    assert Notification.objects.filter(kind="panel.meeting_reminder").count() == 4
    from panel.tests.test_panel import make_paper

    make_paper(meeting, classification=Classification.AMBER, published_at=now - datetime.timedelta(days=1))
    paper_day = datetime.datetime.combine(meeting.paper_day, datetime.time(9, 30), tzinfo=LONDON)
    notifications.run_sources(now=paper_day - datetime.timedelta(days=1))
    assert not Notification.objects.filter(kind="panel.papers_published").exists()
    notifications.run_sources(now=paper_day)
    notifications.run_sources(now=paper_day + datetime.timedelta(minutes=1))
    assert Notification.objects.filter(kind="panel.papers_published").count() == 2
    # A member who leaves before the email goes hears nothing more about the committee's meeting.
    Membership.objects.filter(user=alternate).update(ended_on=today - datetime.timedelta(days=1))
    outbox_deliver_due()
    assert sent_to("alternate@tabasc.example") == []
    assert len(sent_to("member@tabasc.example")) == 3


def test_a_cancelled_meeting_tells_members_and_withholds_reminders(staff, committee):
    member = make_user(email="m2@tabasc.example", role_names=set())
    Membership.objects.create(committee=committee, user=member, starts_on=timezone.localdate())
    starts = timezone.now().replace(microsecond=0) + datetime.timedelta(days=3)
    meeting = Meeting.objects.create(
        committee=committee,
        title="Extra meeting",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
        online_link="https://meet.example.org/m",
    )
    notifications.run_sources(now=starts - datetime.timedelta(days=2))  # the 7-day reminder, late
    meeting.starts_at += datetime.timedelta(days=1)
    meeting.ends_at += datetime.timedelta(days=1)
    panel_services.meeting_save(actor=staff, meeting=meeting)
    told()
    assert OutboxMessage.objects.get(kind="panel.meeting_reminder").status == OutboxMessage.Status.WITHHELD
    assert OutboxMessage.objects.get(kind="panel.meeting_changed").attachments
    meeting.status = Meeting.Status.CANCELLED
    panel_services.meeting_save(actor=staff, meeting=meeting)
    told()
    assert OutboxMessage.objects.filter(kind="panel.meeting_cancelled").count() == 1
    assert meeting.sequence == 2
    notifications.run_sources(now=meeting.starts_at - datetime.timedelta(hours=1))
    assert OutboxMessage.objects.filter(kind="panel.meeting_reminder").count() == 1


def test_meetings_are_in_the_members_private_calendar(client, committee):
    member = make_party_user()
    Membership.objects.create(committee=committee, user=member, starts_on=timezone.localdate())
    starts = timezone.now() + datetime.timedelta(days=5)
    Meeting.objects.create(
        committee=committee,
        title="In the calendar",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
        venue="London",
    )
    token = news_services.calendar_token_get_or_create(user=member)
    import icalendar

    calendar = icalendar.Calendar.from_ical(client.get(reverse("news:private-calendar", args=[token.token])).content)
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == [f"{committee.name}: In the calendar"]


# --- Pages ------------------------------------------------------------------------------------------------


def test_the_notification_list_marks_read_and_keeps_its_query_count(client, follower, committee, staff):
    Membership.objects.create(committee=committee, user=follower, starts_on=timezone.localdate())

    def add(n):
        for i in range(n):
            modification = make_modification()
            notify_stage(follower, modification, i, MONDAY)
            document = make_document(modification, title=f"Doc {i}")
            notifications.notify(
                users=[follower],
                kind=DOCUMENT,
                subject_obj=document,
                title=f"Doc {i}",
                url="/modifications/",
                now=MONDAY,
            )
            meeting = Meeting.objects.create(
                committee=committee, title=f"M{i}", starts_at=MONDAY, ends_at=MONDAY + datetime.timedelta(hours=1)
            )
            notifications.notify(
                users=[follower],
                kind="panel.papers_published",
                subject_obj=meeting,
                title=f"Papers {i}",
                url="/panel/",
                now=MONDAY,
            )

    add(3)
    client.force_login(follower)
    with CaptureQueriesContext(connection) as few:
        page = client.get(reverse("notifications:list"))
    assert page.status_code == 200 and b"9 unread" in page.content
    add(10)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("notifications:list"))
    assert len(many) == len(few)
    first = Notification.objects.filter(user=follower).first()
    response = client.get(reverse("notifications:open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == first.url
    first.refresh_from_db()
    assert first.read_at is not None
    client.post(reverse("notifications:read"), {"all": "1"})
    assert not Notification.objects.filter(user=follower, read_at__isnull=True).exists()
    # Someone else's notification is not there to open.
    other = make_party_user()
    client.force_login(other)
    assert client.get(reverse("notifications:open", args=[first.pk])).status_code == 404


def test_the_dashboard_shows_the_latest_notifications_with_the_unread_count(client, follower):
    notify_stage(follower, make_modification(title="Dashboard modification"), 1, MONDAY)
    client.force_login(follower)
    page = client.get(reverse("dashboard")).content.decode()
    assert "1 unread" in page and "change 1" in page
    # A new notification, and reading them, show at once.
    notify_stage(follower, make_modification(), 2, MONDAY)
    page = client.get(reverse("dashboard")).content.decode()
    assert "2 unread" in page and "change 2" in page
    client.post(reverse("notifications:read"), {"all": "1"})
    assert "Nothing unread" in client.get(reverse("dashboard")).content.decode()  # with "marked as read"


def test_the_settings_page_saves_choices_and_refuses_nonsense(client, follower):
    client.force_login(follower)
    page = client.get(reverse("notifications:settings"))
    assert page.status_code == 200 and b"A consultation closes soon" in page.content
    data = {f"n-kind_{k}": v for k, v in notifications.preferences_for(follower).items()}
    data.update({f"n-kind_{STAGE}": "weekly", "n-weekly_day": "4", "n-working_days_only": "on"})
    assert client.post(reverse("notifications:settings"), data).status_code == 302
    assert notifications.preferences_for(follower)[STAGE] == Frequency.WEEKLY
    assert NotificationSettings.objects.get(user=follower).weekly_day == 4
    data[f"n-kind_{STAGE}"] = "hourly"
    data["n-kind_news.event_reminder"] = "weekly"  # not offered for reminders
    bad = client.post(reverse("notifications:settings"), data)
    assert bad.status_code == 200 and b"Select a valid choice" in bad.content
    assert notifications.preferences_for(follower)[STAGE] == Frequency.WEEKLY


def test_secas_sees_sent_queued_and_failed_emails_and_retries_a_failure(client, staff, follower):
    queued = notify_stage(follower, make_modification(), 1, MONDAY)[0].email
    failed = notify_stage(follower, make_modification(), 2, MONDAY)[0].email
    OutboxMessage.objects.filter(pk=failed.pk).update(status="failed", last_error="SMTPRecipientsRefused: 550")
    client.force_login(follower)
    assert client.get(reverse("notifications:outbox")).status_code == 404
    client.force_login(staff)
    page = client.get(reverse("notifications:outbox"), {"status": "failed"}).content.decode()
    assert "SMTPRecipientsRefused: 550" in page and failed.subject in page and queued.subject not in page
    response = client.post(reverse("notifications:outbox-retry"), {"id": [failed.pk, queued.pk]})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status in (OutboxMessage.Status.QUEUED, OutboxMessage.Status.SENT) and failed.last_error == ""
    assert client.get(reverse("notifications:outbox"), {"q": "follower@"}).status_code == 200


def test_concurrent_notify_calls_tell_each_person_once(transactional_db, threads_safe_for_celery):
    user = any_day(make_party_user())
    modification = make_modification()
    errors = []

    def tell():
        try:
            notify_stage(user, modification, 1, MONDAY)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=tell) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Notification.objects.count() == 1 and OutboxMessage.objects.count() == 1


def test_a_failing_source_does_not_hold_the_others_back(webinar):
    from secportal.registry import notification_sources

    register(webinar, make_party_user(), MONDAY)

    def broken(*, now):
        raise RuntimeError("a bug in one source")

    notification_sources.register("aaa.broken", broken)
    try:
        written = notifications.run_sources(now=webinar.starts_at - datetime.timedelta(days=7))
    finally:
        notification_sources._sources.pop("aaa.broken")
    assert written == 1 and Notification.objects.filter(kind="news.event_reminder").count() == 1


def test_waitlisted_people_are_told_of_a_cancellation_without_the_join_link(staff):
    event = make_event(actor=staff, capacity=1, online_link="https://meet.example.org/secret-room")
    holder, waiting = make_party_user(email="holder@supplier.example"), make_party_user(email="wait@supplier.example")
    news_services.registration_create(actor=holder, event=event)
    news_services.registration_create(actor=waiting, event=event)
    news_services.event_cancel(actor=staff, event=event, reason="Room unavailable.")
    told()
    held = OutboxMessage.objects.get(kind="news.event_cancelled", recipient="holder@supplier.example")
    waited = OutboxMessage.objects.get(kind="news.event_cancelled", recipient="wait@supplier.example")
    assert "secret-room" in held.attachments[0]["content"]
    assert "secret-room" not in waited.attachments[0]["content"] and "secret-room" not in waited.body_text


def test_a_closed_account_gets_no_notification_email(staff, follower):
    notify_stage(follower, make_modification(), 1, MONDAY)
    follower.is_active = False
    follower.save(update_fields=["is_active"])
    assert outbox_deliver_due() == 0
    message = OutboxMessage.objects.get()
    assert message.status == OutboxMessage.Status.WITHHELD and "closed" in message.last_error


def test_odd_ids_and_reminder_times_get_a_clear_answer_not_a_500(client, staff, follower):
    client.force_login(follower)
    assert client.post(reverse("notifications:read"), {"id": ["²", "12", "x"]}).status_code == 302
    client.force_login(staff)
    assert client.post(reverse("notifications:outbox-retry"), {"id": ["²"]}).status_code == 302
    from secportal.admin import ReminderScheduleForm

    form = ReminderScheduleForm({"event_kind": "webinar", "offsets": "99999999999999d", "online_offsets": ""})
    assert not form.is_valid() and "reminder time" in str(form.errors)
    form = ReminderScheduleForm({"event_kind": "webinar", "offsets": "3000d", "online_offsets": ""})
    assert not form.is_valid() and "at most 90 days" in str(form.errors)
    form = ReminderScheduleForm({"event_kind": "webinar", "offsets": " 1d,7d ", "online_offsets": "30m"})
    assert form.is_valid() and form.cleaned_data["offsets"] == "7d, 1d"


def test_the_migrations_match_the_models():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_a_daily_digest_waits_for_the_next_working_day_for_people_who_want_that():
    weekday_only = make_party_user(email="weekdays@supplier.example")  # Working Days only: the default
    any_time = any_day(make_party_user(email="anytime@supplier.example"))
    for user in (weekday_only, any_time):
        prefer(user, STAGE, Frequency.DAILY)
        notify_stage(user, make_modification(), 1, SATURDAY - datetime.timedelta(days=1))
    saturday_7am = SATURDAY.replace(hour=7)
    assert notifications.digests_send_due(now=saturday_7am) == 1  # only the one who takes email any day
    assert OutboxMessage.objects.get().recipient == "anytime@supplier.example"
    monday_7am = MONDAY.replace(hour=7)
    assert notifications.digests_send_due(now=monday_7am) == 1
    assert OutboxMessage.objects.get(recipient="weekdays@supplier.example").occurrence == "daily:2026-11-02"


def test_moving_a_meeting_in_the_admin_goes_through_the_service_and_tells_members(rf, staff, committee):
    from django.contrib.admin.sites import site

    member = make_user(email="admin-moved@tabasc.example", role_names=set())
    Membership.objects.create(committee=committee, user=member, starts_on=timezone.localdate())
    starts = timezone.now().replace(microsecond=0) + datetime.timedelta(days=20)
    meeting = Meeting.objects.create(
        committee=committee,
        title="Moved in the admin",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
        venue="London",
    )
    meeting.starts_at += datetime.timedelta(days=1)
    meeting.ends_at += datetime.timedelta(days=1)
    request = rf.post("/admin/")
    request.user = staff
    site._registry[Meeting].save_model(request, meeting, form=None, change=True)
    told()
    meeting.refresh_from_db()
    assert meeting.sequence == 1
    assert OutboxMessage.objects.get(kind="panel.meeting_changed").recipient == "admin-moved@tabasc.example"


def test_announced_consultations_are_not_worked_out_again_every_minute(staff):
    from modifications import notifications as modification_notifications

    modification = make_modification(stage=Stage.REFINEMENT)
    follow(any_day(make_party_user()), modification)
    consultation = modification_services.consultation_create(
        actor=staff,
        title="Closing soon",
        kind=Consultation.Kind.REFINEMENT,
        questions=[("Agree?", "yes_no")],
        modification=modification,
        closes_at=timezone.now() + datetime.timedelta(days=2),
    )
    told()  # the opening, announced by the change
    now = timezone.now()
    assert modification_notifications.consultations_closing(now=now) == 1
    with CaptureQueriesContext(connection) as minute_later:
        modification_notifications.consultations_opening(now=now)
        modification_notifications.consultations_closing(now=now)
    assert not [q for q in minute_later if "modifications_follow" in q["sql"]]  # followers not worked out again
    assert Notification.objects.filter(subject_id=str(consultation.pk)).count() == 2  # opened, closing soon


def test_a_meeting_restored_after_its_cancellation_is_announced_and_reminded_again(staff, committee):
    """Reminders withheld by the cancellation go out again, worded for the time left; one that went
    out before the cancellation is not sent twice."""
    member = make_user(email="m3@tabasc.example", role_names=set())
    Membership.objects.create(committee=committee, user=member, starts_on=timezone.localdate())
    now = timezone.now().replace(microsecond=0)
    starts = now + datetime.timedelta(days=6)
    meeting = Meeting.objects.create(
        committee=committee, title="Restored meeting", starts_at=starts, ends_at=starts + datetime.timedelta(hours=1)
    )
    notifications.run_sources(now=now)  # the 7-day reminder
    outbox_deliver_due()
    assert len(sent_to("m3@tabasc.example")) == 1
    notifications.run_sources(now=starts - datetime.timedelta(hours=23))  # the 1-day reminder, queued
    meeting.status = Meeting.Status.CANCELLED
    panel_services.meeting_save(actor=staff, meeting=meeting)
    one_day = OutboxMessage.objects.get(kind="panel.meeting_reminder", occurrence__startswith="reminder-1d")
    assert one_day.status == OutboxMessage.Status.WITHHELD
    meeting.status = Meeting.Status.PLANNED
    panel_services.meeting_save(actor=staff, meeting=meeting)
    told()
    back_on = Notification.objects.get(kind="panel.meeting_changed").title
    assert back_on.startswith("Back on: ") and "Restored meeting" in back_on
    one_day.refresh_from_db()
    assert one_day.status == OutboxMessage.Status.WITHHELD and one_day.occurrence.endswith("~restored-2")
    for _ in range(2):  # twice: nothing is written twice
        notifications.run_sources(now=starts - datetime.timedelta(hours=20))
    reminders = OutboxMessage.objects.filter(kind="panel.meeting_reminder")
    again = reminders.get(status=OutboxMessage.Status.QUEUED)
    assert again.occurrence.startswith("reminder-1d") and "~" not in again.occurrence
    assert reminders.filter(occurrence__startswith="reminder-7d").count() == 1  # not sent again
    outbox_deliver_due()  # what is due now: the cancellation and the "back on" notice
    assert len(sent_to("m3@tabasc.example")) == 3


def test_the_navigation_and_the_list_count_the_same_unread_when_some_became_hidden(client):
    """A notification about what the person may no longer see counts as read from the page that
    finds it: the navigation's count (read with the session) says the same as the page."""
    user = any_day(make_party_user(email="counted@supplier.example"))
    modification = make_modification()
    amber = make_document(modification, classification=Classification.AMBER, owner_party=user.party)
    white = make_document(modification, title="Public text")
    for document in (amber, white):
        notifications.notify(
            users=[user],
            kind=DOCUMENT,
            subject_obj=document,
            title=f"{document.title} out",
            url="/modifications/",
            group=modification.reference,
            now=MONDAY,
        )
    client.force_login(user)
    assert '2<span class="visually-hidden"> unread</span>' in client.get(reverse("cookies")).content.decode()
    user.party = make_party()  # the AMBER document is now out of their reach
    user.save(update_fields=["party"])
    page = client.get(reverse("notifications:list")).content.decode()
    assert "<strong>1 unread</strong>" in page
    assert '1<span class="visually-hidden"> unread</span>' in page  # the navigation agrees
    assert "2<span" not in page


def test_a_notice_costs_the_request_the_same_queries_however_many_people_hear_it(staff, committee):
    """Cancelling an event or moving a meeting writes its notices as happenings: the people are
    worked out and told by the task, so the request's cost does not grow with them."""

    def cancel(registrants: int) -> int:
        event = make_event(actor=staff, capacity=100)
        for _ in range(registrants):
            news_services.registration_create(actor=make_party_user(), event=event)
        with CaptureQueriesContext(connection) as queries:
            news_services.event_cancel(actor=staff, event=event, reason="Room unavailable.")
        assert told() == registrants
        return len(queries)

    def move(members: int) -> int:
        starts = timezone.now().replace(microsecond=0) + datetime.timedelta(days=20)
        meeting = Meeting.objects.create(
            committee=committee,
            title=f"Meeting of {members}",
            starts_at=starts,
            ends_at=starts + datetime.timedelta(hours=1),
            venue="London",
        )
        Membership.objects.filter(committee=committee).delete()
        for _ in range(members):
            Membership.objects.create(
                committee=committee, user=make_user(role_names=set()), starts_on=timezone.localdate()
            )
        meeting.starts_at += datetime.timedelta(days=1)
        meeting.ends_at += datetime.timedelta(days=1)
        with CaptureQueriesContext(connection) as queries:
            panel_services.meeting_save(actor=staff, meeting=meeting)
        assert told() == members
        return len(queries)

    cancel(1)  # warm caches
    assert cancel(1) == cancel(12)
    move(1)
    assert move(1) == move(10)
