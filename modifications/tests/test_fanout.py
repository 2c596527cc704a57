"""Fan-out: a change in a request writes one row and queues one task, whatever its audience; the
task works out who hears (followers, saved views) and tells them in batches, once."""

from functools import partial

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from modifications import notifications as modification_notifications
from modifications import services
from modifications.models import FilterFollow, Follow, ModificationEvent, ModificationProposal, Stage
from modifications.tests.factories import PDF_BYTES, make_document, make_modification
from parties import roles
from parties.models import Party, User
from parties.tests.factories import make_party, make_user
from secportal import notifications
from secportal.classification import Classification
from secportal.models import Happening, Notification, OutboxMessage
from secportal.services import render_email
from secportal.tasks import happening_tell

pytestmark = pytest.mark.django_db
STAGE = modification_notifications.STAGE_CHANGED


@pytest.fixture
def staff():
    return make_user(email="staff@secas.example", role_names={roles.SECAS_STAFF})


def crowd(n: int, *, label: str, party: Party | None = None) -> list[User]:
    """n approved Party users, made in three queries (the factory's way costs a dozen each)."""
    party = party or make_party(status=Party.Status.ACCEDED)
    people = User.objects.bulk_create(
        User(email=f"{label}{i}@crowd.example", full_name=f"{label.title()} {i}", party=party) for i in range(n)
    )
    group = Group.objects.get(name=roles.PARTY_USER)
    User.groups.through.objects.bulk_create(User.groups.through(user_id=p.pk, group_id=group.pk) for p in people)
    return people


def followed_by(modification: ModificationProposal, people: list[User]) -> None:
    Follow.objects.bulk_create(Follow(user=p, modification=modification) for p in people)


def saved_views(people: list[User], queries: list[str]) -> None:
    FilterFollow.objects.bulk_create(
        FilterFollow(user=people[i % len(people)], query=q, label=q) for i, q in enumerate(queries)
    )


# Fifty saved views, six of which match a modification at Development (spelt in several ways).
MATCHING = ["stage=development", "sort=reference&stage=development", "state=open", "q=Modification", "path=", "x=1"]
VIEWS = MATCHING + [f"q=nothing{i}" for i in range(30)] + [f"stage=report_phase&q=z{i}" for i in range(14)]


def captured(queries) -> str:
    return "\n".join(q["sql"] for q in queries)


def announced(callbacks) -> list:
    """The callbacks that queue the telling task."""
    return [c for c in callbacks if isinstance(c, partial) and c.func == happening_tell.apply_async]


def move(staff, modification, django_capture_on_commit_callbacks, *, execute=False):
    with (
        django_capture_on_commit_callbacks(execute=execute) as callbacks,
        CaptureQueriesContext(connection) as queries,
    ):
        services.modification_start_development(actor=staff, modification=modification, note="Agreed")
    return queries, callbacks


def test_a_stage_move_costs_the_same_queries_with_no_followers_or_with_200_and_50_saved_views(
    staff, django_capture_on_commit_callbacks
):
    move(staff, make_modification(stage=Stage.DRAFT), django_capture_on_commit_callbacks)  # warm caches
    alone, alone_callbacks = move(staff, make_modification(stage=Stage.DRAFT), django_capture_on_commit_callbacks)
    crowded = make_modification(stage=Stage.DRAFT)
    people = crowd(200, label="follower")
    followed_by(crowded, people)
    saved_views(crowd(25, label="watcher"), VIEWS)
    before = Happening.objects.count()
    busy, busy_callbacks = move(staff, crowded, django_capture_on_commit_callbacks)
    assert len(busy) == len(alone), captured(busy)
    assert not [q for q in busy if "modifications_follow" in q["sql"] or "secportal_notification" in q["sql"]]
    # One row says what happened, and one task is queued on commit.
    assert Happening.objects.count() == before + 1
    assert len(announced(busy_callbacks)) == len(announced(alone_callbacks)) == 1
    assert not Notification.objects.filter(user__in=people).exists()  # nobody is told in the request


def test_after_the_task_each_follower_and_matching_view_has_one_notification_and_one_email(
    staff, django_capture_on_commit_callbacks
):
    modification = make_modification(stage=Stage.DRAFT, title="Modification of the fan-out")
    followers = crowd(200, label="follower")
    followed_by(modification, followers)
    watchers = crowd(50, label="watcher")
    saved_views(watchers, VIEWS)  # watcher i saves view i: the first six match
    strangers = crowd(5, label="stranger")
    move(staff, modification, django_capture_on_commit_callbacks, execute=True)  # runs the task (eager)
    told = Notification.objects.filter(kind=STAGE, subject_id=str(modification.pk))
    expected = {p.pk for p in followers} | {watchers[i].pk for i in range(len(MATCHING))}
    assert sorted(told.values_list("user_id", flat=True)) == sorted(expected)
    emails = OutboxMessage.objects.filter(kind=STAGE, subject_id=str(modification.pk))
    assert emails.count() == len(expected)
    assert set(told.values_list("email_id", flat=True)) == set(emails.values_list("pk", flat=True))
    assert not Notification.objects.filter(user__in=strangers).exists()
    happening = Happening.objects.get(subject_id=str(modification.pk), kind=STAGE)
    assert happening.told_at is not None and happening.told == len(expected)
    # The task run again (a redelivered message), even on a happening not marked told, adds nothing.
    assert happening_tell(happening.pk) == 0
    Happening.objects.filter(pk=happening.pk).update(told_at=None)
    assert happening_tell(happening.pk) == 0
    assert told.count() == len(expected) and emails.count() == len(expected)


def tell_queries(modification, n: int, *, label: str) -> int:
    people = crowd(n, label=label)
    followed_by(modification, people)
    event = ModificationEvent.objects.create(
        modification=modification, kind=ModificationEvent.Kind.STAGE, to_stage=modification.stage, summary="Moved"
    )
    happening = modification_notifications.stage_changed(event=event)
    with CaptureQueriesContext(connection) as queries:
        assert notifications.happening_tell(happening_id=happening.pk) == n + len(MATCHING)
    return len(queries)


def test_the_task_costs_a_fixed_number_of_queries_per_batch_not_per_follower(monkeypatch):
    saved_views(crowd(25, label="watcher"), VIEWS)
    few = tell_queries(make_modification(stage=Stage.DEVELOPMENT), 20, label="few")
    many = tell_queries(make_modification(stage=Stage.DEVELOPMENT), 300, label="many")
    assert many == few  # one batch either way
    monkeypatch.setattr(notifications, "BATCH_SIZE", 100)
    one_batch = tell_queries(make_modification(stage=Stage.DEVELOPMENT), 100, label="one")
    two_batches = tell_queries(make_modification(stage=Stage.DEVELOPMENT), 200, label="two")
    four_batches = tell_queries(make_modification(stage=Stage.DEVELOPMENT), 400, label="four")
    per_batch = two_batches - one_batch
    assert 0 < per_batch <= 10
    assert four_batches == one_batch + 3 * per_batch


def test_saved_views_are_evaluated_once_per_distinct_filter_in_few_queries():
    modification = make_modification(stage=Stage.DEVELOPMENT, title="Smart meter firmware")
    people = crowd(300, label="saver")
    # 1,500 saved views: 300 people, five each, only 21 distinct filters (spelt in two ways each).
    distinct = ["stage=development", "q=firmware", "q=nothing"] + [f"q=other{i}" for i in range(18)]
    rows = []
    for i, person in enumerate(people):
        for j in range(5):
            query = distinct[(i + j) % len(distinct)]
            rows.append(FilterFollow(user=person, query=query if j % 2 else f"{query}&sort=reference", label=query))
    FilterFollow.objects.bulk_create(rows)
    with CaptureQueriesContext(connection) as queries:
        found = modification_notifications.follower_ids(modification.pk)
    assert len(queries) <= 4, captured(queries)
    matching = {"stage=development", "q=firmware"}
    expected = {r.user_id for r in rows if r.label in matching}
    assert found == expected
    # Many distinct views: one statement per hundred.
    saved_views(people, [f"q=word{i}" for i in range(250)])
    with CaptureQueriesContext(connection) as queries:
        modification_notifications.follower_ids(modification.pk)
    assert len(queries) == 2 + 3 + 1, captured(queries)  # follows, views, 3 evaluations, their people


def test_a_published_document_is_told_from_the_task_and_only_to_those_who_may_open_it(
    staff, django_capture_on_commit_callbacks
):
    modification = make_modification(stage=Stage.DEVELOPMENT)
    owners = crowd(30, label="owner")
    others = crowd(30, label="other")
    named = make_user(email="named@supplier.example")
    followed_by(modification, [*owners, *others, named])

    def publish(classification, **fields):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            document = services.document_upload(
                actor=staff,
                modification=modification,
                kind="legal_text",
                title=f"{classification} text",
                upload=SimpleUploadedFile("a.pdf", PDF_BYTES),
                classification=classification,
                **fields,
            )
        assert len(announced(callbacks)) == 1
        return set(
            Notification.objects.filter(
                subject_id=str(document.pk), kind=modification_notifications.DOCUMENT_PUBLISHED
            ).values_list("user_id", flat=True)
        )

    assert publish(Classification.GREEN) == {p.pk for p in [*owners, *others, named]}
    assert publish(Classification.AMBER, owner_party=owners[0].party) == {p.pk for p in owners}
    assert publish(Classification.RED, red_recipients=[named, staff]) == {named.pk}


def test_access_is_checked_for_many_people_at_once():
    modification = make_modification(stage=Stage.DEVELOPMENT)
    few, many = crowd(5, label="few"), crowd(100, label="many")
    for classification, extra in ((Classification.GREEN, {}), (Classification.AMBER, {"owner_party": many[0].party})):
        document = make_document(modification, classification=classification, title=classification, **extra)
        counts = []
        for people in (few, many):
            users = list(User.objects.filter(pk__in=[p.pk for p in people]))
            for user in users:
                user.role_names = frozenset({roles.PARTY_USER})  # as notify reads them, for all at once
            with CaptureQueriesContext(connection) as queries:
                allowed = notifications.notification_access.audience(
                    users, "modifications.modificationdocument", str(document.pk)
                )
            counts.append(len(queries))
        assert counts[0] == counts[1] == 1  # the document
        assert len(allowed) == 100


def test_one_letter_for_many_people_reads_as_if_written_for_each():
    """The email is rendered once per fan-out and each person's name and link are filled in: what
    each person gets is exactly what rendering the templates for them would give."""
    modification = make_modification(stage=Stage.DEVELOPMENT)
    people = [
        make_user(email="obrien@supplier.example", full_name='Siobhán O\'Brien <&> "Quoted"'),
        make_user(email="plain@supplier.example", full_name="Plain Person"),
    ]
    for person in people:
        Follow.objects.create(user=person, modification=modification)
    written = notifications.notify(
        users=people,
        kind=STAGE,
        subject_obj=modification,
        occurrence="letter",
        title="Title <b>& co</b>",
        body="A body with <tags> & 'quotes'\non two lines",
        url="/modifications/x/",
        group="Group",
    )
    assert len(written) == 2
    from secportal.registry import notification_kinds

    for notification in Notification.objects.filter(occurrence="letter").select_related("user", "email"):
        person = notification.user
        subject, body_text, body_html = render_email(
            "emails/notifications/notification",
            {
                "notification": notification,
                "kind": notification_kinds.get(STAGE),
                "recipient": person,
                "unsubscribe_url": notifications.unsubscribe_url(person, STAGE),
            },
        )
        message = notification.email
        assert message.subject.endswith(subject)
        assert message.body_text == body_text and message.body_html == body_html
        assert person.get_short_name() in message.body_text and "PERSONNAME" not in message.body_html


def test_a_happening_whose_telling_fails_is_retried_by_beat_and_then_left_with_its_error():
    modification = make_modification(stage=Stage.DEVELOPMENT)
    from secportal.registry import notification_audiences

    def broken(happening):
        raise RuntimeError("a bug in the audience")

    notification_audiences.register("test.broken", broken)
    happening = notifications.announce(
        audience="test.broken", kind=STAGE, subject_obj=modification, title="Broken", url="/"
    )
    with pytest.raises(RuntimeError):
        notifications.happening_tell(happening_id=happening.pk)
    for _ in range(notifications.MAX_TELL_ATTEMPTS + 2):
        notifications.happenings_tell_due()
    happening.refresh_from_db()
    assert happening.attempts == notifications.MAX_TELL_ATTEMPTS and happening.told_at is None
    assert "a bug in the audience" in happening.last_error


def test_closing_soon_reminders_from_beat_cost_the_same_queries_for_5_or_150_followers(staff):
    """Beat's sources write in the same batches: a consultation closing soon costs a fixed number
    of queries, whatever the number of followers whose Party has not responded."""
    import datetime

    from django.utils import timezone

    from modifications.models import Consultation

    def closing(n: int, label: str) -> int:
        modification = make_modification(stage=Stage.REFINEMENT)
        followed_by(modification, crowd(n, label=label))
        consultation = Consultation.objects.create(
            modification=modification,
            kind=Consultation.Kind.REFINEMENT,
            title=f"Closing {label}",
            opens_at=timezone.now() - datetime.timedelta(days=10),
            closes_at=timezone.now() + datetime.timedelta(days=1),
        )
        with CaptureQueriesContext(connection) as queries:
            assert modification_notifications.consultations_closing(now=timezone.now()) == n
        assert Notification.objects.filter(subject_id=str(consultation.pk)).count() == n
        return len(queries)

    assert closing(5, "few") == closing(150, "many")
