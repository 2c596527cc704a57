"""The Modification Report Consultation is one thing: opened in one action with the stage, closed by
beat (which moves the modification on), its close date the stage's, and every consulted Party told."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from modifications import services
from modifications.models import (
    MRC_QUESTIONS,
    Consultation,
    Follow,
    ModificationDocument,
    ModificationEvent,
    ModificationProposal,
    Response,
    Stage,
)
from modifications.tests.factories import make_document, make_modification, make_report_phase_mp
from parties import roles
from parties.models import Party
from parties.tests.factories import give_totp, make_party, make_user
from secportal import notifications
from secportal.exceptions import ApplicationError
from secportal.models import (
    Frequency,
    Happening,
    Notification,
    NotificationPreference,
    NotificationSettings,
    OutboxMessage,
)
from secportal.workingdays import LONDON, add_working_days, local_today

pytestmark = pytest.mark.django_db

OPEN_TO_PARTY = "modification.consultation_open_to_party"
CLOSED = "modification.consultation_closed"


@pytest.fixture
def staff():
    user = make_user(email="analyst@secas.example", role_names={roles.SECAS_STAFF})
    give_totp(user)
    return user


def any_day(user):
    """Email on any day: the services run on the real clock, which may be a weekend."""
    NotificationSettings.objects.update_or_create(user=user, defaults={"working_days_only": False})
    return user


def party_user(category, *, email="", status=Party.Status.ACCEDED, **fields):
    party = make_party(category=category, status=status)
    return any_day(make_user(party=party, **({"email": email} if email else {}), **fields))


def test_the_mrc_is_refused_until_a_modification_report_is_published(staff):
    mp = make_modification(stage=Stage.REPORT_PHASE)
    make_document(mp, kind=ModificationDocument.Kind.LEGAL_TEXT)  # another document is not the report
    with pytest.raises(ApplicationError, match=f"Publish the Modification Report on {mp.reference} first"):
        services.modification_open_mrc(actor=staff, modification=mp)
    with pytest.raises(ApplicationError, match="Publish the Modification Report"):
        services.consultation_create(
            actor=staff, title="MRC", kind=Consultation.Kind.MRC, modification=mp, questions=[("Agree?", "position")]
        )
    mp.refresh_from_db()
    assert mp.stage == Stage.REPORT_PHASE and not Consultation.objects.exists()
    assert not mp.events.filter(to_stage=Stage.MRC).exists()


def test_one_action_opens_the_consultation_and_moves_the_stage(staff):
    mp = make_report_phase_mp()
    closes_on = add_working_days(local_today(), 15)
    mp = services.modification_open_mrc(actor=staff, modification=mp)
    consultation = Consultation.objects.get(modification=mp)
    assert mp.stage == Stage.MRC and consultation.kind == Consultation.Kind.MRC and consultation.is_open()
    assert consultation.title == f"{mp.reference} Modification Report Consultation"
    assert consultation.excluded_categories == [Party.Category.DCC]
    assert [q.text for q in consultation.questions.order_by("order")] == [
        q.removeprefix("[text]").strip() for q in MRC_QUESTIONS
    ]
    closes = timezone.localtime(consultation.closes_at, LONDON)
    assert closes.date() == closes_on and (closes.hour, closes.minute) == (23, 59)
    assert (
        mp.events.get(to_stage=Stage.MRC).summary
        == f"Modification Report Consultation open until {closes_on:%-d %B %Y}"
    )
    # Opening it again (or from the consultations form) is refused: there is one MRC.
    with pytest.raises(ApplicationError, match="opens from the Report Phase"):
        services.modification_open_mrc(actor=staff, modification=mp)
    assert Consultation.objects.count() == 1


def test_the_stage_page_and_register_show_the_consultations_close(client, staff):
    mp = services.modification_open_mrc(actor=staff, modification=make_report_phase_mp(number=640))
    consultation = services.current_mrc(mp)
    first = add_working_days(local_today(), 15)
    later = add_working_days(local_today(), 25)

    def shown(day) -> bool:
        text = f"{day.day} {day:%B %Y}"
        detail = client.get(reverse("modifications:modification-detail", args=[mp.reference])).content.decode()
        register = client.get(reverse("modifications:modification-list")).content.decode()
        return text in detail.split("What comes next:")[1].split("</div>")[0] and text in register

    client.force_login(staff)
    assert shown(first)
    services.consultation_move_close(actor=staff, consultation=consultation, closes_on=later, note="More time asked")
    mp.refresh_from_db()
    consultation.refresh_from_db()
    assert timezone.localtime(consultation.closes_at, LONDON).date() == later
    assert mp.next_milestone_date == later == services.next_milestone(mp)[1]
    assert shown(later) and not shown(first)
    # The early-close guard reads the same date.
    with pytest.raises(ApplicationError, match=f"open until {later:%-d %B %Y}"):
        services.modification_send_to_change_board(actor=staff, modification=mp)


def test_beat_closes_the_mrc_and_moves_the_modification_once(staff):
    respondent = party_user(Party.Category.LARGE_SUPPLIER)
    mp = services.modification_open_mrc(actor=staff, modification=make_report_phase_mp())
    consultation = services.current_mrc(mp)
    Response.objects.create(
        consultation=consultation, party=respondent.party, status=Response.Status.SUBMITTED, submitted_at=timezone.now()
    )
    assert services.consultations_close_due() == 0  # still open: nothing happens
    after_close = consultation.closes_at + datetime.timedelta(minutes=1)
    assert services.consultations_close_due(now=after_close) == 1
    assert services.consultations_close_due(now=after_close) == 0  # beat runs twice: nothing more
    mp.refresh_from_db()
    assert mp.stage == Stage.CHANGE_BOARD
    assert mp.events.filter(to_stage=Stage.CHANGE_BOARD).count() == 1
    assert "1 response" in mp.events.get(to_stage=Stage.CHANGE_BOARD).summary
    assert Happening.objects.filter(kind=CLOSED).count() == 1
    notifications.happenings_tell_due()
    told = Notification.objects.get(kind=CLOSED)
    assert told.user == staff and "1 response" in told.title and "moved on to the Change Board" in told.body


def test_a_closed_mrc_already_moved_on_is_not_moved_again_but_secas_hears(staff):
    mp = services.modification_open_mrc(actor=staff, modification=make_report_phase_mp())
    consultation = services.current_mrc(mp)
    services.modification_send_to_change_board(actor=staff, modification=mp, early=True, note="All responded")
    services.modification_record_change_board_outcome(actor=staff, modification=mp, approve=True)
    assert services.consultations_close_due(now=consultation.closes_at + datetime.timedelta(seconds=1)) == 1
    mp.refresh_from_db()
    assert mp.stage == Stage.WITH_AUTHORITY and mp.events.filter(to_stage=Stage.CHANGE_BOARD).count() == 1
    notifications.happenings_tell_due()
    told = Notification.objects.get(kind=CLOSED, user=staff)
    assert "0 responses" in told.title and "Change Board" not in told.body


def test_every_consulted_party_user_is_told_and_the_dccs_are_not(staff):
    consulted = [party_user(c) for c in Party.Category.values if c != Party.Category.DCC]
    dcc = party_user(Party.Category.DCC)
    inactive = party_user(Party.Category.LARGE_SUPPLIER, is_active=False)
    not_acceded = party_user(Party.Category.SMALL_SUPPLIER, status=Party.Status.APPLIED)
    mp = services.modification_open_mrc(actor=staff, modification=make_report_phase_mp())
    # A DCC user who follows the modification still hears it opened, as a follower.
    Follow.objects.create(user=dcc, modification=mp)
    Follow.objects.create(user=consulted[0], modification=mp)
    notifications.happenings_tell_due()
    to_party = set(Notification.objects.filter(kind=OPEN_TO_PARTY).values_list("user_id", flat=True))
    assert to_party == {u.pk for u in consulted}
    assert not to_party & {dcc.pk, inactive.pk, not_acceded.pk}
    followers = set(
        Notification.objects.filter(kind="modification.consultation_opened").values_list("user_id", flat=True)
    )
    assert followers == {dcc.pk}  # a consulted follower is told once, as a Party user


def test_party_users_email_choices_are_respected(staff):
    emailed = party_user(Party.Category.LARGE_SUPPLIER, email="emailed@supplier.example")
    quiet = party_user(Party.Category.LARGE_SUPPLIER, email="quiet@supplier.example")
    NotificationPreference.objects.create(user=quiet, kind=OPEN_TO_PARTY, frequency=Frequency.NONE)
    services.modification_open_mrc(actor=staff, modification=make_report_phase_mp())
    notifications.happenings_tell_due()
    assert Notification.objects.filter(kind=OPEN_TO_PARTY, user__in=[emailed, quiet]).count() == 2  # in the portal
    assert OutboxMessage.objects.filter(recipient="emailed@supplier.example", kind=OPEN_TO_PARTY).count() == 1
    assert not OutboxMessage.objects.filter(recipient="quiet@supplier.example").exists()


def test_the_new_kind_is_on_by_default():
    from secportal.registry import notification_kinds

    assert notification_kinds.get(OPEN_TO_PARTY).default == Frequency.IMMEDIATE


def test_a_modification_set_at_the_mrc_without_a_consultation_shows_no_date():
    mp = make_modification(stage=Stage.MRC)
    assert services.next_milestone(ModificationProposal.objects.get(pk=mp.pk)) == (
        "Modification Report Consultation closes",
        None,
    )
    assert not ModificationEvent.objects.exists()


# --- Moving the close from the consultation's page -------------------------------------------------


def _next_weekend_day(after: datetime.date) -> datetime.date:
    day = after + datetime.timedelta(days=1)
    while day.weekday() < 5:
        day += datetime.timedelta(days=1)
    return day


def test_secas_moves_the_close_on_the_page_and_everyone_told_it_opened_hears_once(client, staff):
    consulted = party_user(Party.Category.LARGE_SUPPLIER)
    dcc_follower = party_user(Party.Category.DCC)
    mp = services.modification_open_mrc(actor=staff, modification=make_report_phase_mp(number=650))
    Follow.objects.create(user=dcc_follower, modification=mp)
    notifications.happenings_tell_due()
    consultation = services.current_mrc(mp)
    detail = reverse("modifications:consultation-detail", args=[consultation.pk])
    url = reverse("modifications:consultation-close", args=[consultation.pk])
    later = add_working_days(local_today(), 20)

    client.force_login(staff)
    assert url in client.get(detail).content.decode()  # the way there
    page = client.get(url)
    assert page.status_code == 200 and 'name="closes_on"' in page.content.decode()
    response = client.post(url, {"closes_on": later.isoformat(), "note": "Parties asked for more time"})
    assert response.status_code == 302 and response["Location"] == detail
    consultation.refresh_from_db()
    mp.refresh_from_db()
    assert timezone.localtime(consultation.closes_at, LONDON).date() == later == mp.next_milestone_date
    assert mp.events.filter(note="Parties asked for more time").exists()
    notice = f"now closes on {later:%-d %B %Y}"
    assert notice in client.get(detail).content.decode()  # the confirmation
    notifications.happenings_tell_due()
    notifications.happenings_tell_due()  # beat again: nobody is told twice
    moved = Notification.objects.filter(title__contains=notice)
    assert sorted(moved.values_list("user_id", "kind")) == sorted(
        [(consulted.pk, OPEN_TO_PARTY), (dcc_follower.pk, "modification.consultation_opened")]
    )
    assert OutboxMessage.objects.filter(recipient=consulted.email, subject__contains=notice).count() == 1
    # Moved again, then back to the day of the first move: each move is news, told once.
    for day in (add_working_days(later, 1), later):
        assert client.post(url, {"closes_on": day.isoformat()}).status_code == 302
        notifications.happenings_tell_due()
    told = Notification.objects.filter(user=consulted, title__contains="now closes on").order_by("pk")
    assert [n.title.rsplit(" on ", 1)[1] for n in told] == [
        f"{day:%-d %B %Y}" for day in (later, add_working_days(later, 1), later)
    ]


def test_a_close_that_cannot_be_is_refused_with_the_reason_and_nothing_changes(client, staff):
    mp = services.modification_open_mrc(actor=staff, modification=make_report_phase_mp(number=651))
    consultation = services.current_mrc(mp)
    before = consultation.closes_at
    url = reverse("modifications:consultation-close", args=[consultation.pk])
    client.force_login(staff)
    refusals = {
        _next_weekend_day(local_today() + datetime.timedelta(days=7)): "not a weekend or bank holiday",
        local_today(): "The consultation must close after today.",
        timezone.localtime(before, LONDON).date(): "It already closes on",
    }
    for day, reason in refusals.items():
        response = client.post(url, {"closes_on": day.isoformat()})
        assert response.status_code == 400 and reason in response.content.decode(), day
    assert client.post(url, {"closes_on": "31/02/2027"}).status_code == 400
    consultation.refresh_from_db()
    assert consultation.closes_at == before
    assert not Happening.objects.filter(title__contains="now closes on").exists()


def test_only_secas_may_move_the_close_and_not_once_it_has_closed(client, staff):
    mp = services.modification_open_mrc(actor=staff, modification=make_report_phase_mp(number=652))
    consultation = services.current_mrc(mp)
    url = reverse("modifications:consultation-close", args=[consultation.pk])
    later = add_working_days(local_today(), 20).isoformat()
    assert client.get(url).status_code == 302  # to sign in
    client.force_login(party_user(Party.Category.LARGE_SUPPLIER))
    assert client.get(url).status_code == 404
    assert client.post(url, {"closes_on": later}).status_code == 404
    assert url not in client.get(reverse("modifications:consultation-detail", args=[consultation.pk])).content.decode()
    Consultation.objects.filter(pk=consultation.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    client.force_login(staff)
    response = client.post(url, {"closes_on": later}, follow=True)
    assert "its close can no longer be moved" in response.content.decode()
    consultation.refresh_from_db()
    assert consultation.closes_at < timezone.now()


def test_a_consultation_still_to_open_cannot_be_set_to_close_before_it_opens(client, staff):
    opens_on = add_working_days(local_today(), 5)
    consultation = services.consultation_create(
        actor=staff,
        title="Charging methodology consultation",
        kind=Consultation.Kind.OTHER,
        modification=make_modification(stage=Stage.REFINEMENT),
        opens_at=datetime.datetime.combine(opens_on, datetime.time(), tzinfo=LONDON),
        days=10,
        questions=[("Do you agree?", "position")],
    )
    before = consultation.closes_at
    client.force_login(staff)
    url = reverse("modifications:consultation-close", args=[consultation.pk])
    response = client.post(url, {"closes_on": add_working_days(local_today(), 2).isoformat()})
    assert response.status_code == 400 and f"It opens on {opens_on:%-d %B %Y}" in response.content.decode()
    consultation.refresh_from_db()
    assert consultation.closes_at == before
    # A later close is accepted; nobody has been told it opened, so nobody is told it moved.
    assert client.post(url, {"closes_on": add_working_days(opens_on, 12).isoformat()}).status_code == 302
    assert not Happening.objects.filter(title__contains="now closes on").exists()


def test_a_moved_close_is_reminded_again_before_its_new_date_once(client, staff):
    from modifications import notifications as modification_notifications

    follower = party_user(Party.Category.LARGE_SUPPLIER)
    mp = services.modification_open_mrc(actor=staff, modification=make_report_phase_mp(number=653))
    Follow.objects.create(user=follower, modification=mp)
    consultation = services.current_mrc(mp)

    def reminders() -> list[str]:
        return list(
            Notification.objects.filter(user=follower, kind="modification.consultation_closing")
            .order_by("pk")
            .values_list("title", flat=True)
        )

    first_close = timezone.localtime(consultation.closes_at, LONDON)
    soon = consultation.closes_at - datetime.timedelta(days=1)
    assert modification_notifications.consultations_closing(now=soon) == 1
    assert modification_notifications.consultations_closing(now=soon) == 0  # a minute later: nothing more
    later = add_working_days(local_today(), 25)
    client.force_login(staff)
    url = reverse("modifications:consultation-close", args=[consultation.pk])
    assert client.post(url, {"closes_on": later.isoformat()}).status_code == 302
    assert modification_notifications.consultations_closing(now=soon) == 0  # the new close is not soon yet
    consultation.refresh_from_db()
    new_soon = consultation.closes_at - datetime.timedelta(days=1)
    assert modification_notifications.consultations_closing(now=new_soon) == 1
    assert modification_notifications.consultations_closing(now=new_soon) == 0
    # Moved back to the first close: they were reminded of that day already.
    assert client.post(url, {"closes_on": first_close.date().isoformat()}).status_code == 302
    assert modification_notifications.consultations_closing(now=soon) == 0
    assert reminders() == [
        f"{consultation.title} closes on {first_close:%A %-d %B}",
        f"{consultation.title} closes on {later:%A %-d %B}",
    ]


def test_a_reminder_sent_before_reminders_had_a_date_still_counts_for_an_unmoved_close(staff):
    """Reminders written before this change have no occurrence: a consultation reminded then, and
    never moved, is not reminded again."""
    from modifications import notifications as modification_notifications

    follower = party_user(Party.Category.LARGE_SUPPLIER)
    mp = services.modification_open_mrc(actor=staff, modification=make_report_phase_mp(number=654))
    Follow.objects.create(user=follower, modification=mp)
    consultation = services.current_mrc(mp)
    soon = consultation.closes_at - datetime.timedelta(days=1)
    assert modification_notifications.consultations_closing(now=soon) == 1
    Notification.objects.filter(kind="modification.consultation_closing").update(occurrence="")
    assert modification_notifications.consultations_closing(now=soon) == 0
