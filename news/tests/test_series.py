"""The Questions Hour series: first Monday of each month at 11:00 UK time; a bank holiday moves
it to the next Working Day. Cases are real England and Wales bank holidays."""

import datetime
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from news import recurrence, services
from news.models import Event, EventKind, EventSeries
from news.tests.factories import make_party_user, make_staff
from secportal.exceptions import ApplicationError
from secportal.workingdays import LONDON

D = datetime.date


@pytest.mark.parametrize(
    ("year", "month", "expected", "why"),
    [
        (2026, 5, D(2026, 5, 5), "Mon 4 May 2026 is the early May bank holiday: Tuesday 5 May"),
        (2026, 4, D(2026, 4, 7), "Mon 6 April 2026 is Easter Monday: Tuesday 7 April"),
        (2027, 5, D(2027, 5, 4), "Mon 3 May 2027 is the early May bank holiday: Tuesday 4 May"),
        (2029, 1, D(2029, 1, 2), "Mon 1 January 2029 is New Year's Day: Tuesday 2 January"),
        (2027, 3, D(2027, 3, 1), "Mon 1 March 2027 is an ordinary Monday (Easter Monday is 29 March)"),
        (2026, 8, D(2026, 8, 3), "Mon 31 August 2026 is the summer bank holiday but not a first Monday"),
        (2026, 6, D(2026, 6, 1), "the spring bank holiday (25 May) is the last Monday of May"),
        (2026, 12, D(2026, 12, 7), "Mon 28 December 2026 (Boxing Day observed) is not a first Monday"),
        (2027, 2, D(2027, 2, 1), "a month that starts on a Monday"),
        (2026, 11, D(2026, 11, 2), "a month that starts on a Sunday"),
    ],
)
def test_occurrence_day(year, month, expected, why):
    assert recurrence.occurrence_day(year, month) == expected, why


def test_scotland_moves_the_august_occurrence(settings):
    # The first Monday of August is the summer bank holiday in Scotland, not in England and Wales.
    assert recurrence.occurrence_day(2026, 8) == D(2026, 8, 3)
    settings.SECPORTAL_WORKING_DAYS_REGION = "SCT"
    assert recurrence.occurrence_day(2026, 8) == D(2026, 8, 4)


def test_eleven_oclock_is_uk_time_in_winter_and_summer():
    duration = datetime.timedelta(hours=1)
    winter, _ = recurrence.occurrence_times(2027, 1, local_start=datetime.time(11), duration=duration)
    summer, end = recurrence.occurrence_times(2027, 5, local_start=datetime.time(11), duration=duration)
    assert winter.astimezone(datetime.UTC).time() == datetime.time(11)  # GMT
    assert summer.astimezone(datetime.UTC).time() == datetime.time(10)  # BST
    assert summer.astimezone(LONDON).date() == D(2027, 5, 4) and end - summer == duration


@pytest.fixture
def staff(db):
    return make_staff()


JANUARY_2027 = D(2027, 1, 1)


def make_series(staff, *, first_month=JANUARY_2027, months=6):
    return services.series_create(
        actor=staff,
        title="SEC Modifications Questions Hour",
        summary="Progress, then questions.",
        first_month=first_month,
        months=months,
        online_link="https://meet.example.org/qh",
        capacity=50,
    )


@pytest.mark.django_db
def test_series_creates_one_event_a_month(staff):
    series = make_series(staff)
    occurrences = list(series.occurrences.order_by("starts_at"))
    assert [e.starts_at.astimezone(LONDON).date() for e in occurrences] == [
        D(2027, 1, 4),
        D(2027, 2, 1),
        D(2027, 3, 1),
        D(2027, 4, 5),
        D(2027, 5, 4),
        D(2027, 6, 7),
    ]
    assert {e.starts_at.astimezone(LONDON).time() for e in occurrences} == {datetime.time(11)}
    assert {e.kind for e in occurrences} == {EventKind.QUESTIONS_HOUR}
    assert len({e.slug for e in occurrences}) == 6 and len({e.uid for e in occurrences}) == 6
    assert occurrences[4].slug == "sec-modifications-questions-hour-2027-05-04"


@pytest.mark.django_db
def test_editing_one_occurrence_leaves_the_others(staff):
    series = make_series(staff)
    may = series.occurrences.get(occurrence_key="2027-05")
    details = services.EventDetails(
        title="Questions Hour: release special",
        kind=EventKind.QUESTIONS_HOUR,
        summary="The June release.",
        starts_at=may.starts_at + datetime.timedelta(hours=3),
        ends_at=may.ends_at + datetime.timedelta(hours=3),
        online_link=may.online_link,
        capacity=80,
    )
    services.event_update(actor=staff, event=may, details=details)
    may.refresh_from_db()
    assert may.detached and may.sequence == 1 and may.title == "Questions Hour: release special"
    others = series.occurrences.exclude(pk=may.pk)
    assert {e.title for e in others} == {"SEC Modifications Questions Hour"}
    assert {e.capacity for e in others} == {50} and not any(e.detached for e in others)


@pytest.mark.django_db
def test_cancelling_one_occurrence_leaves_the_others_and_extending_skips_it(staff):
    series = make_series(staff, months=3)
    february = series.occurrences.get(occurrence_key="2027-02")
    services.event_cancel(actor=staff, event=february, reason="Moved to the Party Engagement Day.")
    assert series.occurrences.filter(status=Event.Status.CANCELLED).count() == 1
    # Extending over the same months adds only the new ones; the cancelled one stays cancelled.
    created = services.series_extend(actor=staff, series=series, first_month=D(2027, 1, 1), months=5)
    assert [e.occurrence_key for e in created] == ["2027-04", "2027-05"]
    february.refresh_from_db()
    assert february.is_cancelled and series.occurrences.count() == 5


@pytest.mark.django_db
def test_past_months_are_not_created(staff):
    series = make_series(staff, first_month=D(2020, 1, 1), months=3)
    assert series.occurrences.count() == 0


@pytest.mark.django_db
def test_series_checks(staff):
    with pytest.raises(ApplicationError, match="between 1 and 36"):
        make_series(staff, months=0)
    with pytest.raises(ApplicationError, match="Only SECAS staff"):
        services.series_create(
            actor=None, title="x", summary="x", first_month=D(2027, 1, 1), months=1, online_link="https://x.example"
        )


@pytest.mark.django_db
def test_staff_add_months_to_a_series_from_an_occurrence(client, settings):
    from django.urls import reverse

    from news.models import EventSeries

    settings.SECPORTAL_REQUIRE_MFA = False
    staff = make_staff(totp=False)
    series = services.series_create(
        actor=staff,
        title="SEC Modifications Questions Hour",
        summary="Questions.",
        description="",
        first_month=timezone.localdate(),
        months=2,
        local_start=datetime.time(11),
        duration_minutes=60,
        online_link="https://meet.example.org/qh",
        venue="",
        capacity=None,
        places_per_party=None,
    )
    before = series.occurrences.count()
    client.force_login(staff)
    first = series.occurrences.order_by("starts_at").first()
    assert "Add months to the series" in client.get(reverse("news:event-detail", args=[first.slug])).content.decode()
    url = reverse("news:series-extend", args=[series.slug])
    page = client.get(url)
    assert page.status_code == 200 and "The last occurrence is on" in page.content.decode()
    assert client.post(url, {"first_month": "", "months": "0"}).status_code == 400
    start = (timezone.localdate().replace(day=1) + datetime.timedelta(days=70)).replace(day=1)
    client.post(url, {"first_month": start.isoformat(), "months": "3"})
    assert EventSeries.objects.get().occurrences.count() == before + 3
    client.post(url, {"first_month": start.isoformat(), "months": "3"})  # again: nothing new
    assert EventSeries.objects.get().occurrences.count() == before + 3
    client.force_login(make_party_user())
    assert client.get(url).status_code == 404


# --- The kind of a series -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_operations_series_is_badged_as_the_operations_questions_hour(client, staff, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    series = services.series_create(
        actor=staff,
        title="SEC Operations Questions Hour",
        kind=EventKind.OPERATIONS_QUESTIONS_HOUR,
        summary="Operational questions to SECAS and the DCC.",
        first_month=JANUARY_2027,
        months=2,
        online_link="https://meet.example.org/ops",
    )
    assert {e.kind for e in series.occurrences.all()} == {EventKind.OPERATIONS_QUESTIONS_HOUR}
    occurrence = series.occurrences.first()
    page = client.get(reverse("news:event-detail", args=[occurrence.slug])).content.decode()
    assert ">SEC Operations Questions Hour</span>" in page and "Modifications Questions Hour" not in page
    listed = client.get(reverse("news:event-list"), {"kind": "ops_questions_hour"}).content.decode()
    assert 'event-kind-ops_questions_hour">SEC Operations Questions Hour</span>' in listed
    client.force_login(staff)
    extend = client.get(reverse("news:series-extend", args=[series.slug])).content.decode()
    assert ">SEC Operations Questions Hour</span>" in extend


def series_post(**fields) -> dict:
    return {
        "title": "SEC Operations Questions Hour",
        "kind": "ops_questions_hour",
        "summary": "Operational questions.",
        "description": "",
        "first_month": "2027-04-15",
        "months": "2",
        "local_start": "11:00",
        "duration_minutes": "60",
        "online_link": "https://meet.example.org/ops",
        "venue": "",
        "capacity": "",
        "places_per_party": "",
        **fields,
    }


@pytest.mark.django_db
def test_the_series_form_sets_the_kind_and_refuses_a_title_naming_the_other_questions_hour(client, staff, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    client.force_login(staff)
    url = reverse("news:series-create")
    assert 'value="questions_hour" selected' in client.get(url).content.decode()  # the default kind
    refused = client.post(url, series_post(kind="questions_hour"))
    assert refused.status_code == 400
    assert "The title names the SEC Operations Questions Hour: choose that kind." in refused.content.decode()
    assert not Event.objects.exists()
    response = client.post(url, series_post())
    assert response.status_code == 302 and response.url.endswith("?kind=ops_questions_hour")
    assert set(Event.objects.values_list("kind", flat=True)) == {"ops_questions_hour"}


@pytest.mark.django_db
def test_an_unknown_kind_is_refused(staff):
    with pytest.raises(ApplicationError, match="what kind of event"):
        services.series_create(
            actor=staff,
            title="x",
            kind="party",
            summary="x",
            first_month=JANUARY_2027,
            months=1,
            online_link="https://x.example",
        )


@pytest.mark.django_db
def test_the_migration_gives_series_made_before_the_kind_their_titles_say(staff):
    migration = importlib.import_module("news.migrations.0006_series_kind_and_publisher")
    ops = make_series(staff, months=2)
    EventSeries.objects.filter(pk=ops.pk).update(title="SEC Operations Questions Hour")
    # One occurrence was edited on its own into another kind: it keeps it.
    edited = ops.occurrences.order_by("starts_at").last()
    Event.objects.filter(pk=edited.pk).update(kind=EventKind.WEBINAR)
    spotlight = services.series_create(
        actor=staff,
        title="Spotlight on the SEC",
        summary="x",
        first_month=JANUARY_2027,
        months=1,
        online_link="https://x.example",
    )  # made as a Questions Hour, the only kind a series could be
    modifications = make_series(staff, months=1)
    migration.infer_series_kinds(django_apps, SimpleNamespace(connection=connection))
    kinds = dict(EventSeries.objects.values_list("pk", "kind"))
    assert kinds == {
        ops.pk: "ops_questions_hour",
        spotlight.pk: "spotlight",
        modifications.pk: "questions_hour",
    }
    assert set(ops.occurrences.exclude(pk=edited.pk).values_list("kind", flat=True)) == {"ops_questions_hour"}
    assert Event.objects.get(pk=edited.pk).kind == EventKind.WEBINAR
    assert set(spotlight.occurrences.values_list("kind", flat=True)) == {"spotlight"}
