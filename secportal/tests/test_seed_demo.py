"""`seed_demo` makes sense on any day: every date comes from the day it runs, coherently.

The command runs with the clock set to a few different days (a Monday morning before nine, a
Friday before a bank holiday, Christmas Eve) and every seeded row is checked against the rules it
must keep that day: nothing published, decided or voted in the future; papers out on paper day and
before their meeting; votes open at their meeting; consultations open or closed as their
modification's stage says; agendas numbered 1, 2, 3; a Questions Hour on the next Working Day with
its agenda; and a second run the same day adds nothing.
"""

import datetime
import io

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from modifications import demo as modifications_demo
from modifications.models import (
    Consultation,
    Follow,
    ModificationDocument,
    ModificationEvent,
    ModificationProposal,
    Release,
    Response,
    Stage,
)
from news.models import AgendaItem as EventAgendaItem
from news.models import Event, EventKind, NewsPost, NewsPostEvent, Registration, SlidePack
from panel.models import Action, AgendaItem, Attendance, Meeting, Membership, Minutes, Paper, Vote, VoteRound
from parties.models import Party
from secportal.workingdays import (
    LONDON,
    add_working_days,
    is_working_day,
    local_today,
    next_working_day,
    working_day_deadline,
)

DAYS = {
    # A Monday before nine: today's paper day and 09:00 publications have not come yet.
    "a Monday morning": datetime.datetime(2027, 3, 8, 8, 15, tzinfo=LONDON),
    # The Friday before the Summer bank holiday (Monday 30 August 2027): "tomorrow" is Tuesday.
    "a Friday before a bank holiday": datetime.datetime(2027, 8, 27, 17, 30, tzinfo=LONDON),
    # Christmas Eve 2027 is a Friday; Christmas and Boxing Day fall on the weekend, so Monday 27 and
    # Tuesday 28 December are bank holidays: the next Working Day is Wednesday 29 December.
    "Christmas Eve": datetime.datetime(2027, 12, 24, 12, 0, tzinfo=LONDON),
}
NEXT_WORKING_DAY = {
    "a Monday morning": datetime.date(2027, 3, 9),
    "a Friday before a bank holiday": datetime.date(2027, 8, 31),
    "Christmas Eve": datetime.date(2027, 12, 29),
}


def _seed() -> None:
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=io.StringIO())


def _local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment, LONDON)


def _counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    """The demo's files kept out of the project."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield


@pytest.fixture(scope="module", params=list(DAYS), ids=list(DAYS))
def seeded(request, demo_files, django_db_setup, django_db_blocker):
    """The demo loaded once per day of DAYS, with the clock stopped there, in a transaction rolled
    back after that day's tests (each test's own writes are undone by its savepoint)."""
    with (
        time_machine.travel(DAYS[request.param], tick=False),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        _seed()
        yield request.param
        transaction.set_rollback(True)


@pytest.fixture
def demo_day(seeded, db):
    return seeded


def test_the_clock_is_where_the_test_says(demo_day):
    assert timezone.now() == DAYS[demo_day]
    assert next_working_day(local_today() + datetime.timedelta(days=1)) == NEXT_WORKING_DAY[demo_day]


def test_nothing_is_published_in_the_future(demo_day):
    now, today = timezone.now(), local_today()
    for post in NewsPost.objects.all():
        if post.status == NewsPost.Status.SCHEDULED:
            assert post.published_at is None and post.publish_at > now, post
        else:
            assert post.published_at is not None and post.published_at <= now, post
            assert post.created_at <= post.published_at, post
        if post.status == NewsPost.Status.WITHDRAWN:
            assert post.published_at < post.withdrawn_at <= now, post
    assert not NewsPostEvent.objects.filter(created_at__gt=now).exists()
    # "No January papers published in December": a newsletter comes out in the month it is named after.
    newsletters = NewsPost.objects.filter(kind=NewsPost.Kind.NEWSLETTER)
    assert newsletters.filter(status=NewsPost.Status.PUBLISHED).exists()
    for post in newsletters:
        when = _local(post.published_at or post.publish_at)
        assert post.title.endswith(f"{when:%B %Y}"), (post.title, when)
        assert is_working_day(when.date())
    assert not ModificationDocument.objects.filter(published_at__gt=now).exists()
    assert not Paper.objects.filter(published_at__gt=now).exists()
    assert not SlidePack.objects.filter(uploaded_at__gt=now).exists()
    assert not Consultation.objects.filter(published_at__gt=now).exists()
    assert not Consultation.objects.filter(opens_at__gt=now).exists()
    assert not Response.objects.filter(submitted_at__gt=now).exists()
    assert not ModificationEvent.objects.filter(occurred_on__gt=today).exists()
    assert not ModificationProposal.objects.filter(raised_on__gt=today).exists()
    assert not ModificationProposal.objects.filter(updated_at__gt=now).exists()
    assert not ModificationProposal.objects.filter(decided_on__gt=today).exists()
    assert not VoteRound.objects.filter(opened_at__gt=now).exists()
    assert not Vote.objects.filter(cast_at__gt=now).exists()
    assert not Minutes.objects.filter(approved_on__gt=today).exists()
    assert not Membership.objects.filter(starts_on__gt=today).exists()


def test_releases_are_live_once_their_day_has_come(demo_day):
    today = local_today()
    releases = list(Release.objects.all())
    assert {r.kind for r in releases} == set(Release.Kind.values)
    for release in releases:
        assert is_working_day(release.go_live), release
        if release.status == Release.Status.LIVE:
            assert release.go_live < today and release.sec_version, release
            assert _local(release.went_live_at).date() == release.go_live
        else:
            assert release.go_live >= today and release.went_live_at is None, release
    assert Release.objects.filter(status=Release.Status.LIVE).count() == 4
    assert Release.objects.filter(status=Release.Status.PLANNED).count() == 4
    for modification in ModificationProposal.objects.filter(stage=Stage.IMPLEMENTED):
        release = modification.target_release
        assert release.status == Release.Status.LIVE and modification.implementation_date == release.go_live
    for modification in ModificationProposal.objects.filter(stage__in=[Stage.APPROVED, Stage.APPEAL_WINDOW]):
        if modification.target_release:
            assert modification.target_release.status == Release.Status.PLANNED, modification


def test_each_modification_moved_forward_in_time(demo_day):
    today = local_today()
    numbered = list(ModificationProposal.objects.filter(suffix="").order_by("number"))
    # Numbers are given in the order modifications were raised.
    assert [m.raised_on for m in numbered] == sorted(m.raised_on for m in numbered)
    for modification in ModificationProposal.objects.all():
        moves = list(
            modification.events.filter(
                kind__in=[ModificationEvent.Kind.RAISED, ModificationEvent.Kind.STAGE, ModificationEvent.Kind.CONVERTED]
            ).order_by("pk")
        )
        assert moves[0].kind == ModificationEvent.Kind.RAISED and moves[0].occurred_on == modification.raised_on
        assert [e.occurred_on for e in moves] == sorted(e.occurred_on for e in moves), modification
        assert moves[-1].to_stage == modification.stage, modification
        assert all(e.occurred_on >= modification.raised_on for e in modification.events.all()), modification
        for document in modification.documents.all():
            published = _local(document.published_at).date()
            assert modification.raised_on <= published <= today, (modification, document)
            assert document.events.get().occurred_on == published
        if modification.stage == Stage.DRAFT:  # SECAS's critical-friend review is not yet overdue
            assert modification.next_milestone_date == add_working_days(modification.raised_on, 5)
            assert modification.next_milestone_date >= today
        if modification.stage == Stage.APPEAL_WINDOW:
            assert modification.decided_on < today <= modification.appeal_window_ends
            assert modification.appeal_window_ends == add_working_days(modification.decided_on, 15)
        if modification.stage in (Stage.APPROVED, Stage.MRC, Stage.APPEAL_WINDOW):
            assert modification.next_milestone_date >= today, modification
        if modification.stage in (Stage.APPROVED, Stage.IMPLEMENTED, Stage.REJECTED, Stage.APPEAL_WINDOW):
            assert modification.decided_on is not None, modification
    assert ModificationProposal.objects.filter(stage=Stage.DRAFT).exists()


def test_consultation_windows_agree_with_the_stage(demo_day):
    now = timezone.now()
    for modification in ModificationProposal.objects.filter(consultations__isnull=False).distinct():
        consultation = modification.consultations.get()
        opened = modification.events.get(to_stage=Stage.MRC).occurred_on
        assert _local(consultation.opens_at).date() == opened
        assert consultation.created_at <= consultation.opens_at
        assert consultation.closes_at == working_day_deadline(opened, 15)
        submitted = consultation.responses.exclude(submitted_at=None)
        assert submitted.exists()
        for response in submitted:
            assert consultation.opens_at <= response.submitted_at <= min(consultation.closes_at, now)
        if modification.stage == Stage.MRC:
            assert consultation.is_open(now) and consultation.close_handled_at is None
            assert consultation.published_at is None
            assert modification.next_milestone_date == _local(consultation.closes_at).date()
        else:
            assert modification.stage == Stage.CHANGE_BOARD
            assert consultation.closes_at < consultation.close_handled_at <= now
            assert consultation.closes_at < consultation.published_at <= now
            # Beat moved it to the Change Board when it acted on the close.
            moved = modification.events.get(to_stage=Stage.CHANGE_BOARD)
            assert moved.occurred_on == _local(consultation.close_handled_at).date()
            assert f"({submitted.count()} responses)" in moved.summary
    open_stages = set(
        ModificationProposal.objects.filter(consultations__closes_at__gt=now).values_list("stage", flat=True)
    )
    assert open_stages == {Stage.MRC}
    assert ModificationProposal.objects.filter(stage=Stage.MRC).count() == len(modifications_demo.MRC_OPENED)


def test_meetings_papers_and_minutes_keep_their_order(demo_day):
    now, today = timezone.now(), local_today()
    meetings = list(Meeting.objects.select_related("committee"))
    assert meetings
    for meeting in meetings:
        day = _local(meeting.starts_at).date()
        assert is_working_day(day), meeting
        assert meeting.starts_at > now or meeting.ends_at <= now, f"{meeting} is in progress"
        papers = list(meeting.papers.all())
        for paper in papers:
            assert meeting.paper_day <= _local(paper.published_at).date(), paper
            assert paper.published_at < meeting.starts_at, paper
        items = list(meeting.items.order_by("order"))
        assert [item.order for item in items] == list(range(1, len(items) + 1)), meeting
        if meeting.is_past:
            assert meeting.status in (Meeting.Status.HELD, Meeting.Status.MINUTES_APPROVED), meeting
            assert papers and meeting.minutes and meeting.attendance.exists(), meeting
            for item in items:
                if item.outcome:
                    assert meeting.ends_at <= item.outcome_recorded_at <= now
        else:
            # A meeting to come has papers only once its paper day has come.
            assert not papers or meeting.paper_day <= today, meeting
            assert meeting.status == (Meeting.Status.PAPERS_PUBLISHED if papers else Meeting.Status.PLANNED), meeting
            assert not Minutes.objects.filter(meeting=meeting).exists()
            assert not Attendance.objects.filter(meeting=meeting).exists()
            assert not any(item.outcome for item in items)
    for minutes in Minutes.objects.select_related("meeting", "approved_at"):
        if minutes.status == Minutes.Status.APPROVED:
            later = minutes.approved_at
            assert later.committee_id == minutes.meeting.committee_id and later.starts_at > minutes.meeting.starts_at
            assert later.is_past and minutes.approved_on == _local(later.starts_at).date()
            assert minutes.meeting.status == Meeting.Status.MINUTES_APPROVED
    for action in Action.objects.select_related("meeting"):
        assert action.due_on > _local(action.meeting.starts_at).date()
        assert action.meeting.is_past and action.updated_at <= now
        assert (action.status == Action.Status.DONE) == (action.due_on < today)


def test_votes_open_at_their_meeting(demo_day):
    now = timezone.now()
    # Each vote opened at its meeting (which has happened), on an item of that meeting's agenda.
    rounds = list(VoteRound.objects.select_related("meeting"))
    assert len(rounds) == 1
    for vote_round in rounds:
        assert vote_round.meeting.starts_at <= vote_round.opened_at <= vote_round.meeting.ends_at
        assert vote_round.meeting.items.filter(modification=vote_round.modification_id).exists()
        if vote_round.closed_at:
            assert vote_round.opened_at < vote_round.closed_at <= now
        for vote in vote_round.votes.all():
            assert vote_round.opened_at <= vote.cast_at <= now
        # It reached the Change Board before that meeting's paper day, with its paper.
        reached = vote_round.modification.events.get(to_stage=Stage.CHANGE_BOARD).occurred_on
        assert reached <= vote_round.meeting.paper_day
        assert vote_round.meeting.papers.filter(item__modification=vote_round.modification_id).exists()
    # The modifications that reached the Change Board after its last paper day wait for the next meeting.
    for modification in ModificationProposal.objects.filter(stage=Stage.CHANGE_BOARD, vote_rounds=None):
        (item,) = AgendaItem.objects.filter(modification=modification)
        assert item.meeting.starts_at > now


def test_events_fall_on_working_days_with_ordered_agendas(demo_day):
    now = timezone.now()
    events = list(Event.objects.all())
    for event in events:
        start = _local(event.starts_at)
        assert is_working_day(start.date()), event
        assert event.created_at <= now
        if event.registration_closes_at:
            assert event.registration_closes_at <= event.starts_at
        lines = list(event.agenda_items.order_by("position"))
        assert [line.position for line in lines] == list(range(1, len(lines) + 1)), event
        assert [line.starts_at for line in lines] == sorted(line.starts_at for line in lines)
        for line in lines:
            assert start.time() <= line.starts_at < _local(event.ends_at).time(), (event, line)
    # Slides only for events that have happened, uploaded after them.
    for pack in SlidePack.objects.select_related("event"):
        assert pack.event.ends_at <= pack.uploaded_at <= now
    assert SlidePack.objects.exists()
    # Places only at events to come.
    for registration in Registration.objects.select_related("event"):
        assert registration.event.starts_at > now and registration.created_at <= now
    assert Event.objects.upcoming(now).exists() and Event.objects.past(now).exists()


def test_tomorrows_questions_hour_has_its_agenda(demo_day):
    tomorrow = NEXT_WORKING_DAY[demo_day]
    (event,) = [
        e for e in Event.objects.filter(kind=EventKind.QUESTIONS_HOUR) if _local(e.starts_at).date() == tomorrow
    ]
    titles = list(EventAgendaItem.objects.filter(event=event).order_by("position").values_list("title", flat=True))
    assert len(titles) >= 3 and titles[-1] == "Your questions"
    # It covers the consultations open now.
    for modification in ModificationProposal.objects.filter(stage=Stage.MRC):
        assert any(title.startswith(modification.reference) for title in titles), modification


def test_parties_joined_in_order(demo_day):
    today = local_today()
    for party in Party.objects.all():
        steps = [party.applied_on, party.agreement_sent_on, party.acceded_on, party.withdrawn_on]
        taken = [day for day in steps if day is not None]
        assert taken == sorted(taken) and taken[-1] <= today, party
    acceding = Party.objects.filter(status__in=[Party.Status.APPLIED, Party.Status.AGREEMENT_SENT])
    post = NewsPost.objects.get(slug="organisations-acceding-to-the-sec")
    published = _local(post.published_at).date()
    for party in acceding:
        assert party.name in post.body and (party.agreement_sent_on or party.applied_on) < published


def test_news_reports_what_happened_on_its_day(demo_day):
    for release in Release.objects.filter(status=Release.Status.LIVE):
        post = NewsPost.objects.filter(slug=f"{release.slug}-is-live").first()
        if post is not None:
            assert _local(post.published_at).date() == add_working_days(release.go_live, 1)
            for modification in release.modifications.all():
                assert modification.reference in post.body
    approval = NewsPost.objects.get(kind=NewsPost.Kind.OFGEM)
    (approved,) = approval.related_modifications.all()
    event = approved.events.get(to_stage=Stage.APPROVED)
    assert event.from_stage == Stage.WITH_AUTHORITY and _local(approval.published_at).date() == event.occurred_on
    (consulted,) = NewsPost.objects.get(kind=NewsPost.Kind.CONSULTATION).related_modifications.all()
    assert consulted.stage == Stage.MRC
    # Each government publication says who published it.
    government = NewsPost.objects.filter(kind__in=NewsPost.GOVERNMENT_KINDS)
    assert {(p.kind, p.publisher) for p in government} == {
        (NewsPost.Kind.GOVERNMENT, NewsPost.Publisher.DESNZ),
        (NewsPost.Kind.OFGEM, NewsPost.Publisher.OFGEM),
    }
    for post in NewsPost.objects.exclude(status=NewsPost.Status.SCHEDULED):
        for modification in post.related_modifications.all():
            assert modification.raised_on <= _local(post.published_at).date(), (post, modification)


def test_proposers_follow_what_they_raised(demo_day):
    raised = ModificationProposal.objects.filter(proposer__isnull=False)
    assert raised.exists()
    followed = set(Follow.objects.values_list("user_id", "modification_id"))
    assert {(m.proposer_id, m.pk) for m in raised} <= followed


def test_a_second_run_the_same_day_changes_nothing(demo_day):
    before = _counts()
    _seed()
    assert _counts() == before


@pytest.mark.parametrize("later", [1, 40])
def test_a_later_run_adds_no_second_copy(db, demo_files, later):
    """`make run` loads the demo each time it starts: a run on a later day keeps what is there."""
    with time_machine.travel(DAYS["a Monday morning"], tick=False):
        _seed()
    before = _counts()
    with time_machine.travel(DAYS["a Monday morning"] + datetime.timedelta(days=later), tick=False):
        _seed()
    after = _counts()
    for label in ("modifications.ModificationProposal", "panel.Meeting", "panel.VoteRound", "parties.User"):
        assert after[label] == before[label], label
