"""Reminders end to end on real parts: beat's task in a real Celery worker on a real Redis writes
the reminders due now (by the real clock), the worker delivers them to a real SMTP server with
their calendar files, and running the task again sends nothing more."""

import datetime
import email

import pytest
from django.utils import timezone

from news import services as news_services
from news.models import Registration
from news.tests.factories import make_event, make_party_user, make_staff
from panel.models import Committee, Meeting, Membership
from parties.tests.factories import make_user
from secportal.tasks import notifications_run_due, ping

from .conftest import wait_for

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("postgresql"),
]


def reminders(inbox) -> list[email.message.Message]:
    parsed = [email.message_from_bytes(content) for _, content in inbox.messages]
    return [m for m in parsed if "Reminder:" in m["Subject"]]


def test_a_worker_sends_each_due_reminder_once_with_its_calendar_file(private_broker, smtp_server, celery_processes):
    soon = timezone.now().replace(microsecond=0) + datetime.timedelta(minutes=30)
    event = make_event(
        actor=make_staff(totp=False), title="Questions Hour", starts_at=soon, online_link="https://meet.example.org/qh"
    )
    attendee = make_party_user(email="attendee@supplier.example")
    news_services.registration_create(actor=attendee, event=event)
    Registration.objects.update(confirmed_at=soon - datetime.timedelta(days=10))  # registered long before
    committee = Committee.objects.create(
        name="Operations Group", slug="opsg", kind=Committee.Kind.SUB_COMMITTEE, purpose="Operations."
    )
    member = make_user(email="member@opsg.example", role_names=set())
    Membership.objects.create(committee=committee, user=member, starts_on=timezone.localdate())
    Meeting.objects.create(
        committee=committee,
        title="Monthly meeting",
        starts_at=soon,
        ends_at=soon + datetime.timedelta(hours=1),
        online_link="https://meet.example.org/opsg",
    )

    celery_processes.worker(redis_url=private_broker.url, smtp_port=smtp_server.port)
    notifications_run_due.apply_async()
    wait_for(lambda: len(reminders(smtp_server.inbox)) == 2, timeout=45, what="the two 1-hour reminders")
    # Beat's next runs (and a second beat's) find nothing new to send.
    notifications_run_due.apply_async()
    notifications_run_due.apply_async()
    assert ping.apply_async(args=["after"]).get(timeout=30, disable_sync_subtasks=False) == "pong:after"
    sent = reminders(smtp_server.inbox)
    assert sorted(m["To"] for m in sent) == ["attendee@supplier.example", "member@opsg.example"]
    for message in sent:
        assert "in 30 minutes" in message["Subject"] or "in 29 minutes" in message["Subject"]
        types = {part.get_content_type() for part in message.walk()}
        assert {"text/plain", "text/html", "text/calendar"} <= types
        assert message["List-Unsubscribe"].startswith("<http")
