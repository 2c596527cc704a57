"""Proposers and respondents hear back: a Draft Proposal's receipt and follow, a consultation
response's receipt, stage-change notices that name the stage, what comes next and when, SECAS's
digest of responses as they arrive, and the feed dated by the timeline."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from modifications import demo, services
from modifications import notifications as modification_notifications
from modifications.models import Follow, ModificationEvent, Path, Route, Stage
from modifications.tests.factories import make_modification, make_report_phase_mp
from parties import roles
from parties.models import Party
from parties.tests.factories import make_party, make_user
from secportal import notifications
from secportal.models import Happening, Notification, NotificationSettings, OutboxMessage
from secportal.workingdays import LONDON, add_working_days, local_today

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
QUESTIONS = [("Do you support the proposed solution?", "position"), ("What would it cost you?", "text")]


@pytest.fixture
def staff():
    user = make_user(email="staff@secas.example", role_names={roles.SECAS_STAFF})
    NotificationSettings.objects.create(user=user, working_days_only=False)
    return user


@pytest.fixture
def party():
    return make_party(name="Northern Supply Ltd", status=Party.Status.ACCEDED)


def party_user(party, email: str, name: str):
    user = make_user(party=party, email=email, full_name=name)
    NotificationSettings.objects.create(user=user, working_days_only=False)  # the real clock may be a weekend
    return user


def sent_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


def html_of(message) -> str:
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    return html


# --- A Draft Proposal: followed by its proposer, with a receipt -------------------------------------------------


def test_the_proposer_follows_their_draft_and_gets_a_receipt_with_the_review_date(
    django_capture_on_commit_callbacks, staff, party
):
    proposer = party_user(party, "pat@northern.example", "Pat Proposer")
    with django_capture_on_commit_callbacks(execute=True):
        draft = services.modification_raise(actor=proposer, title="Smart meter top-up retries", issue="It fails.")
    assert Follow.objects.filter(user=proposer, modification=draft).exists()
    due = add_working_days(local_today(), 5)
    [receipt] = sent_to("pat@northern.example")
    assert receipt.subject.endswith(f"Received: {draft.reference} Smart meter top-up retries")
    for body in (receipt.body, html_of(receipt)):
        assert "Its reference is" in body and draft.reference in body
        assert "within 5 Working Days: by" in body and f"{due:%A} {due.day} {due:%B %Y}" in body
        assert f"/modifications/{draft.reference}/" in body and "stop following" in body
    assert len(sent_to("staff@secas.example")) == 1  # SECAS is still told it is there to review


def test_secas_staff_are_told_of_a_new_draft_for_the_same_queries_however_many_they_are(
    django_capture_on_commit_callbacks, staff, party
):
    """The request writes one happening; a Celery task after commit tells each member of SECAS staff
    (in the portal, and by email as they chose)."""
    proposer = party_user(party, "pat@northern.example", "Pat Proposer")
    services.modification_raise(actor=proposer, title="Warm-up", issue="It fails.")  # first-use lookups

    def raise_draft(title: str):
        with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
            draft = services.modification_raise(actor=proposer, title=title, issue="It fails.")
        return draft, len(queries)

    first, with_one = raise_draft("Smart meter top-up retries")
    more = [make_user(email=f"staff{i}@secas.example", role_names={roles.SECAS_STAFF}) for i in range(19)]
    NotificationSettings.objects.bulk_create(NotificationSettings(user=u, working_days_only=False) for u in more)
    second, with_twenty = raise_draft("Prepayment meters lose credit")
    assert with_twenty == with_one
    for draft, staff_count in ((first, 1), (second, 20)):
        about = {"kind": modification_notifications.DRAFT_RAISED, "subject_id": str(draft.pk)}
        assert Notification.objects.filter(**about).count() == staff_count
        assert OutboxMessage.objects.filter(**about, status=OutboxMessage.Status.SENT).count() == staff_count
    [email] = [m for m in sent_to("staff7@secas.example") if second.reference in m.subject]
    assert email.subject.endswith(f"] New Draft Proposal to review: {second.reference} Prepayment meters lose credit")
    due = second.next_milestone_date
    assert f"Pat Proposer (Northern Supply Ltd) raised {second.reference}" in email.body
    assert f"The critical-friend review is due by {due.day} {due:%B %Y}." in email.body
    assert f"/modifications/{second.reference}/" in email.body


def test_the_proposer_hears_when_their_draft_moves_to_development_and_can_stop(
    django_capture_on_commit_callbacks, staff, party
):
    """DP234 moved to Development and its proposer heard nothing: now they follow it from the start."""
    proposer = party_user(party, "pat@northern.example", "Pat Proposer")
    draft = services.modification_raise(actor=proposer, title="Smart meter top-up retries", issue="It fails.")
    with django_capture_on_commit_callbacks(execute=True):
        services.modification_start_development(actor=staff, modification=draft, note="Agreed with the proposer.")
    notices = [m for m in sent_to("pat@northern.example") if "is now at" in m.subject]
    assert [m.subject.split("] ")[-1] for m in notices] == [
        f"{draft.reference} “Smart meter top-up retries” is now at Development"
    ]
    assert "What comes next: Change Sub-Committee review of the problem (no date set yet)." in notices[0].body
    # The existing unfollow stops it: the next move tells them nothing.
    services.follow_set(user=proposer, modification=draft, following=False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.modification_close(actor=staff, modification=draft)
    assert sent_to("pat@northern.example") == []


# --- Stage-change notices: title, stage, what comes next and when ---------------------------------------------------


def test_a_stage_change_names_the_title_the_new_stage_and_what_comes_next(
    django_capture_on_commit_callbacks, staff, party
):
    follower = party_user(party, "fola@northern.example", "Fola Follower")
    mp = make_report_phase_mp(title="Prepayment retries")
    Follow.objects.create(user=follower, modification=mp)
    with django_capture_on_commit_callbacks(execute=True):
        services.modification_open_mrc(actor=staff, modification=mp)
    mp.refresh_from_db()
    closes = mp.next_milestone_date
    [notice] = [m for m in sent_to("fola@northern.example") if "is now at" in m.subject]
    assert notice.subject.endswith(f"{mp.reference} “Prepayment retries” is now at Modification Report Consultation")
    expected = f"What comes next: Modification Report Consultation closes on {closes.day} {closes:%B %Y}."
    assert expected in notice.body and expected in html_of(notice)
    stored = Notification.objects.get(user=follower, kind=modification_notifications.STAGE_CHANGED)
    assert "Prepayment retries" in stored.title and expected in stored.body


def test_an_ended_modification_says_nothing_more_comes_next(django_capture_on_commit_callbacks, staff, party):
    follower = party_user(party, "fola@northern.example", "Fola Follower")
    draft = make_modification(stage=Stage.DEVELOPMENT, title="No longer needed")
    Follow.objects.create(user=follower, modification=draft)
    with django_capture_on_commit_callbacks(execute=True):
        services.modification_close(actor=staff, modification=draft)
    [notice] = sent_to("fola@northern.example")
    assert "is now at Closed" in notice.subject and "nothing more comes next" in notice.body


def test_the_title_and_the_body_come_from_the_same_move(staff, party):
    """Seen: "MP233 is now at Refinement Process" with the body "Moved to Development". The demo told
    followers of an MP at Refinement about its latest "stage" line, the move to Development (its
    conversion into Refinement is a line of another kind), while the title read the current stage."""
    follower = party_user(party, "user@smallsupplier.example", "Sam Small")
    mp = make_modification(stage=Stage.REFINEMENT, path=Path.PATH_2, route=Route.REFINEMENT, title="Retries")
    ModificationEvent.objects.create(
        modification=mp,
        kind=ModificationEvent.Kind.STAGE,
        from_stage=Stage.DRAFT,
        to_stage=Stage.DEVELOPMENT,
        summary="Moved to Development",
        occurred_on=local_today() - datetime.timedelta(days=20),
    )
    ModificationEvent.objects.create(
        modification=mp,
        kind=ModificationEvent.Kind.CONVERTED,
        from_stage=Stage.DEVELOPMENT,
        to_stage=Stage.REFINEMENT,
        summary=f"DP{mp.number} converted to {mp.reference}",
        occurred_on=local_today() - datetime.timedelta(days=10),
    )
    demo.seed_follows()
    notice = Notification.objects.get(user=follower, kind=modification_notifications.STAGE_CHANGED)
    assert notice.title == f"{mp.reference} “Retries” is now at Refinement Process"
    assert "Development" not in notice.body
    assert notice.body.startswith(f"DP{mp.number} converted to {mp.reference}")
    assert "What comes next: Refinement by the Working Group" in notice.body


def test_an_old_move_names_its_own_stage_and_no_longer_what_comes_next(staff):
    """Told about a move the modification has since moved on from, the notice still names that move's
    stage, and says nothing of what comes next (which belongs to the stage it is at now)."""
    mp = make_modification(stage=Stage.REPORT_PHASE, title="Retries")
    event = ModificationEvent.objects.create(
        modification=mp, kind=ModificationEvent.Kind.STAGE, to_stage=Stage.REFINEMENT, summary="Into refinement"
    )
    happening = modification_notifications.stage_changed(event=event)
    assert happening.title.endswith("is now at Refinement Process")
    assert happening.body == "Into refinement."


# --- A consultation response: a receipt with the text as sent --------------------------------------------------------


@pytest.fixture
def mrc(staff):
    mp = make_report_phase_mp(title="Prepayment retries")
    services.modification_open_mrc(actor=staff, modification=mp, questions=QUESTIONS)
    return services.current_mrc(mp)


def test_a_response_receipt_goes_to_the_sender_and_the_colleagues_who_wrote_it(
    django_capture_on_commit_callbacks, mrc, party
):
    alice = party_user(party, "alice@northern.example", "Alice Able")
    bob = party_user(party, "bob@northern.example", "Bob Baker")
    party_user(party, "carol@northern.example", "Carol Idle")  # saved nothing: not copied
    outsider = party_user(make_party(status=Party.Status.ACCEDED), "olly@other.example", "Olly Other")
    q1, q2 = mrc.questions.order_by("order")
    services.response_save_draft(actor=bob, consultation=mrc, changes={str(q2.pk): {"text": "About £40k & 6 months"}})
    services.response_save_draft(actor=outsider, consultation=mrc, changes={str(q2.pk): {"text": "Ours"}})
    with django_capture_on_commit_callbacks(execute=True):
        services.response_submit(
            actor=alice,
            consultation=mrc,
            changes={str(q1.pk): {"position": "yes", "text": "It helps <prepayment> customers."}},
            confidential=True,
        )
    assert sorted(m.to[0] for m in mail.outbox if "response to" in m.subject) == [
        "alice@northern.example",
        "bob@northern.example",
    ]
    [to_alice], [to_bob] = sent_to("alice@northern.example"), sent_to("bob@northern.example")
    assert to_alice.subject.endswith(f"Northern Supply Ltd's response to {mrc.title} was sent")
    assert to_bob.subject.endswith(f"Copy: Northern Supply Ltd's response to {mrc.title} was sent")
    assert "Alice Able sent Northern Supply Ltd's response" in to_bob.body and "your answers are in it" in to_bob.body
    for message in (to_alice, to_bob):
        text = message.body
        assert "1. Do you support the proposed solution?\nAnswer: Yes\nIt helps <prepayment> customers." in text
        assert "2. What would it cost you?\nAbout £40k & 6 months" in text
        assert "Marked confidential" in text and "Ours" not in text
        html = html_of(message)
        assert "It helps &lt;prepayment&gt; customers." in html and "About £40k &amp; 6 months" in html
        assert "Marked confidential" in html
    # A revision is version 2, with its own receipt showing the new text and flag.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.response_submit(
            actor=bob, consultation=mrc, changes={str(q2.pk): {"text": "About £50k"}}, confidential=False
        )
    [to_bob], [to_alice] = sent_to("bob@northern.example"), sent_to("alice@northern.example")
    assert "(version 2)" in to_bob.subject and "About £50k" in to_bob.body and "£40k" not in to_bob.body
    assert "Not marked confidential" in to_alice.body and "Bob Baker sent" in to_alice.body


def test_a_refused_response_sends_no_receipt(django_capture_on_commit_callbacks, mrc, party):
    alice = party_user(party, "alice@northern.example", "Alice Able")
    q1, _ = mrc.questions.order_by("order")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception, match="Answer every question"):
        services.response_submit(actor=alice, consultation=mrc, changes={str(q1.pk): {"position": "no"}})
    assert not OutboxMessage.objects.filter(kind="modification.response_receipt").exists()
    assert not Happening.objects.filter(kind=modification_notifications.RESPONSE_RECEIVED).exists()


# --- SECAS hears of responses as they arrive, in a digest ------------------------------------------------------------


def test_secas_hears_of_each_response_in_the_daily_digest(django_capture_on_commit_callbacks, staff, mrc, party):
    alice = party_user(party, "alice@northern.example", "Alice Able")
    q1, q2 = mrc.questions.order_by("order")
    changes = {str(q1.pk): {"position": "no", "text": "Costly."}, str(q2.pk): {"text": "A lot."}}
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.response_submit(actor=alice, consultation=mrc, changes=changes, confidential=True)
    told = Notification.objects.filter(kind=modification_notifications.RESPONSE_RECEIVED)
    [notice] = told.all()
    assert notice.user == staff and notice.delivery == Notification.Delivery.DIGEST and notice.digest == "daily"
    assert notice.title == f"Northern Supply Ltd responded to {mrc.title}"
    assert "Alice Able" in notice.body and "marked confidential" in notice.body
    assert notice.group.startswith(mrc.modification.reference)
    assert sent_to("staff@secas.example") == []  # no email now: it waits for the digest
    # The next morning's digest carries it, under the modification.
    tomorrow = timezone.localtime(notice.created_at, LONDON).date() + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.digests_send_due(now=datetime.datetime.combine(tomorrow, datetime.time(8), LONDON)) == 1
    [digest] = sent_to("staff@secas.example")
    assert f"Northern Supply Ltd responded to {mrc.title}" in digest.body and mrc.modification.reference in digest.body
    # A revision is told too, as a revision; nobody but SECAS hears of responses.
    with django_capture_on_commit_callbacks(execute=True):
        services.response_submit(actor=alice, consultation=mrc, changes={str(q2.pk): {"text": "Less."}})
    assert told.count() == 2 and told.filter(title__endswith="(revised: version 2)").exists()
    assert set(told.values_list("user_id", flat=True)) == {staff.pk}


# --- The Atom feed: dated by the timeline -------------------------------------------------------------------------


def test_the_feed_dates_each_entry_by_its_timeline_date(client):
    mp = make_modification(stage=Stage.REFINEMENT, title="Retries")
    long_ago = datetime.date(2026, 3, 3)
    ModificationEvent.objects.create(
        modification=mp, kind=ModificationEvent.Kind.UPDATE, summary="Working Group 1 held", occurred_on=long_ago
    )  # written now (as demo data, or a line recorded late), dated when it happened
    ModificationEvent.objects.create(
        modification=mp,
        kind=ModificationEvent.Kind.UPDATE,
        summary="Working Group 2 held",
        occurred_on=datetime.date(2026, 4, 7),
        created_at=timezone.now() - datetime.timedelta(days=1),
    )
    today = services.modification_post_update(
        actor=make_user(role_names={roles.SECAS_STAFF}), modification=mp, text="Legal text v2 next"
    )
    root = ET.fromstring(client.get(reverse("modifications:modification-feed")).content)
    entries = {e.find(f"{ATOM}title").text: e for e in root.findall(f"{ATOM}entry")}
    assert list(entries) == [
        f"{mp.reference}: Legal text v2 next",
        f"{mp.reference}: Working Group 2 held",
        f"{mp.reference}: Working Group 1 held",
    ]  # newest on the timeline first

    def dated(title: str, field: str = "updated") -> datetime.datetime:
        return datetime.datetime.fromisoformat(entries[f"{mp.reference}: {title}"].find(f"{ATOM}{field}").text)

    def start_of(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(), LONDON)

    assert dated("Working Group 1 held") == dated("Working Group 1 held", "published") == start_of(long_ago)
    assert dated("Working Group 2 held") == start_of(datetime.date(2026, 4, 7))  # in summer time too
    # Recorded on its own day, it keeps the time it was recorded.
    event = today.events.get(summary="Legal text v2 next")
    assert dated("Legal text v2 next") == event.created_at
    assert datetime.datetime.fromisoformat(root.find(f"{ATOM}updated").text) == event.created_at
