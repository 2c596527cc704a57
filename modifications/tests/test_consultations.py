"""Consultations: eligibility, drafting together, deadlines to the second, confidentiality, publication."""

import csv
import datetime
import io
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from modifications import services
from modifications.models import Answer, Consultation, ModificationProposal, Response, ResponseVersion, Stage
from modifications.tests.factories import make_modification, make_report_phase_mp
from panel.tests.factories import make_place
from parties import roles
from parties.models import Party
from parties.tests.factories import give_totp, make_party, make_user
from secportal.exceptions import ApplicationError
from secportal.workingdays import add_working_days, local_today

pytestmark = pytest.mark.django_db

QUESTIONS = [("Do you support the proposed solution?", "position"), ("Any other comments?", "text")]


@pytest.fixture
def staff():
    user = make_user(role_names={roles.SECAS_STAFF})
    give_totp(user)
    return user


@pytest.fixture
def mrc(staff):
    mp = make_report_phase_mp(number=310, title="Prepayment retries")
    return services.consultation_create(
        actor=staff,
        title="MP310 Modification Report Consultation",
        kind=Consultation.Kind.MRC,
        modification=mp,
        questions=QUESTIONS,
    )


def answers(consultation, position="yes", text="Because.", comments="None."):
    q1, q2 = consultation.questions.order_by("order")
    return {str(q1.pk): {"position": position, "text": text}, str(q2.pk): {"text": comments}}


def test_an_mrc_closes_after_15_working_days_at_midnight_and_moves_the_modification(mrc):
    closes = timezone.localtime(mrc.closes_at)
    assert closes.date() == add_working_days(local_today(), 15)
    assert (closes.hour, closes.minute) == (23, 59)
    assert mrc.excluded_categories == ["dcc"]
    mp = ModificationProposal.objects.get(pk=mrc.modification_id)
    assert mp.stage == Stage.MRC and mp.next_milestone_date == closes.date()


def test_the_dcc_may_not_respond_to_an_mrc(client, mrc):
    dcc_user = make_user(party=make_party(category=Party.Category.DCC, status=Party.Status.ACCEDED))
    with pytest.raises(ApplicationError, match="not consulted"):
        services.response_save_draft(actor=dcc_user, consultation=mrc, changes=answers(mrc))
    client.force_login(dcc_user)
    page = client.get(reverse("modifications:consultation-detail", args=[mrc.pk])).content.decode()
    assert "The DCC is not consulted on this" in page and "Send" not in page


def test_one_unanswered_question_is_named_in_the_singular(mrc):
    user = make_user(party=make_party(status=Party.Status.ACCEDED))
    q1, q2 = mrc.questions.order_by("order")
    services.response_save_draft(
        actor=user, consultation=mrc, changes={str(q1.pk): {"position": "yes", "text": "Yes."}}
    )
    with pytest.raises(ApplicationError, match=f"question {q2.order} still needs an answer"):
        services.response_submit(actor=user, consultation=mrc, changes={})


def test_a_draft_is_shared_by_the_party_and_sent_once(client, mrc):
    party = make_party(status=Party.Status.ACCEDED)
    alice, bob = make_user(party=party), make_user(party=party)
    q1, q2 = mrc.questions.order_by("order")
    services.response_save_draft(
        actor=alice, consultation=mrc, changes={str(q1.pk): {"position": "yes", "text": "Alice"}}
    )
    # Bob continues the same draft: the page shows Alice's answer.
    client.force_login(bob)
    page = client.get(reverse("modifications:consultation-detail", args=[mrc.pk])).content.decode()
    assert "Alice" in page
    with pytest.raises(ApplicationError, match="question 2"):
        services.response_submit(actor=bob, consultation=mrc, changes={})
    assert Response.objects.get().status == Response.Status.DRAFT
    services.response_submit(actor=bob, consultation=mrc, changes={str(q2.pk): {"text": "Bob's comment"}})
    response = Response.objects.get()
    assert (response.status, response.version, response.submitted_by) == ("submitted", 1, bob)
    # Revised before the close: a second version, the first kept.
    services.response_submit(actor=alice, consultation=mrc, changes={str(q1.pk): {"position": "no"}})
    assert list(ResponseVersion.objects.values_list("version", flat=True)) == [1, 2]
    assert ResponseVersion.objects.get(version=1).answers[str(q1.pk)]["position"] == "yes"


def test_autosave_and_resume(client, mrc):
    user = make_user(party=make_party(status=Party.Status.ACCEDED))
    client.force_login(user)
    q1, _ = mrc.questions.order_by("order")
    url = reverse("modifications:consultation-autosave", args=[mrc.pk])
    result = client.post(url, {f"q{q1.pk}_text": "Half a thought", f"orig_q{q1.pk}_text": ""}).json()
    assert result["saved"] is True
    # The browser closes; the person signs in again and finds it.
    client.logout()
    client.force_login(user)
    page = client.get(reverse("modifications:consultation-detail", args=[mrc.pk])).content.decode()
    assert "Half a thought" in page
    # A late autosave is refused with a reason, not a 500.
    Consultation.objects.filter(pk=mrc.pk).update(closes_at=timezone.now() - datetime.timedelta(seconds=1))
    late = client.post(url, {f"q{q1.pk}_text": "Too late", f"orig_q{q1.pk}_text": "Half a thought"})
    assert late.status_code == 400 and "closed" in late.json()["error"]


def test_only_changed_answers_are_saved_so_colleagues_lose_nothing(client, mrc):
    party = make_party(status=Party.Status.ACCEDED)
    alice, bob = make_user(party=party), make_user(party=party)
    q1, q2 = mrc.questions.order_by("order")
    url = reverse("modifications:consultation-respond", args=[mrc.pk])
    # Both load the empty form; Alice answers Q1, Bob answers Q2, each posting the whole form.
    client.force_login(alice)
    client.post(
        url,
        {
            "action": "save",
            f"q{q1.pk}_position": "yes",
            f"orig_q{q1.pk}_position": "",
            f"q{q1.pk}_text": "Alice's reason",
            f"orig_q{q1.pk}_text": "",
            f"q{q2.pk}_text": "",
            f"orig_q{q2.pk}_text": "",
        },
    )
    client.force_login(bob)
    client.post(
        url,
        {
            "action": "save",
            f"orig_q{q1.pk}_position": "",
            f"q{q1.pk}_text": "",
            f"orig_q{q1.pk}_text": "",
            f"q{q2.pk}_text": "Bob's comment",
            f"orig_q{q2.pk}_text": "",
        },
    )
    saved = {a.question_id: a for a in Answer.objects.all()}
    assert saved[q1.pk].text == "Alice's reason" and saved[q1.pk].position == "yes"
    assert saved[q2.pk].text == "Bob's comment"


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_from_one_party_make_one_response():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    staff = make_user(role_names={roles.SECAS_STAFF})
    mp = make_report_phase_mp()
    consultation = services.consultation_create(
        actor=staff, title="C", kind="mrc", modification=mp, questions=QUESTIONS
    )
    party = make_party(status=Party.Status.ACCEDED)
    users = [make_user(party=party), make_user(party=party)]
    q1, q2 = consultation.questions.order_by("order")
    changes = [{str(q1.pk): {"position": "yes", "text": "From A"}}, {str(q2.pk): {"text": "From B"}}]
    barrier = threading.Barrier(2)
    errors = []

    def save(user, change):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            services.response_save_draft(actor=user, consultation=consultation, changes=change)
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=save, args=(u, c)) for u, c in zip(users, changes, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Response.objects.filter(consultation=consultation).count() == 1
    texts = dict(Answer.objects.values_list("question_id", "text"))
    assert texts == {q1.pk: "From A", q2.pk: "From B"}


def test_the_deadline_is_exact_to_the_second(mrc):
    user = make_user(party=make_party(status=Party.Status.ACCEDED))
    close = mrc.closes_at
    services.response_submit(
        actor=user, consultation=mrc, changes=answers(mrc), now=close - datetime.timedelta(seconds=1)
    )
    with pytest.raises(ApplicationError, match="closed at"):
        services.response_submit(
            actor=user, consultation=mrc, changes=answers(mrc, position="no"), now=close + datetime.timedelta(seconds=1)
        )
    assert Response.objects.get().version == 1


def test_a_late_attempt_keeps_the_typed_text(client, mrc):
    user = make_user(party=make_party(status=Party.Status.ACCEDED))
    client.force_login(user)
    Consultation.objects.filter(pk=mrc.pk).update(closes_at=timezone.now() - datetime.timedelta(seconds=1))
    q1, q2 = mrc.questions.order_by("order")
    response = client.post(
        reverse("modifications:consultation-respond", args=[mrc.pk]),
        {
            "action": "submit",
            f"q{q1.pk}_position": "yes",
            f"q{q1.pk}_text": "My carefully written rationale",
            f"q{q2.pk}_text": "More words",
        },
    )
    content = response.content.decode()
    assert response.status_code == 400
    assert "responses can no longer be sent" in content and "My carefully written rationale" in content


def test_confidential_responses_never_reach_another_party(client, staff, mrc):
    open_party = make_party(name="Open Energy", status=Party.Status.ACCEDED)
    secret_party = make_party(name="Secret Energy", status=Party.Status.ACCEDED)
    services.response_submit(
        actor=make_user(party=open_party), consultation=mrc, changes=answers(mrc, text="Public reason")
    )
    services.response_submit(
        actor=make_user(party=secret_party),
        consultation=mrc,
        changes=answers(mrc, text="Commercially sensitive"),
        confidential=True,
    )
    Consultation.objects.filter(pk=mrc.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    services.consultation_publish(actor=staff, consultation=Consultation.objects.get(pk=mrc.pk))
    outsider = make_user(party=make_party(name="Outsider", status=Party.Status.ACCEDED))
    panel_member = make_user(role_names=set())
    make_place(panel_member)
    give_totp(panel_member)
    for viewer, sees_secret in ((None, False), (outsider, False), (panel_member, True), (staff, True)):
        client.logout()
        if viewer:
            client.force_login(viewer)
        page = client.get(reverse("modifications:consultation-detail", args=[mrc.pk])).content.decode()
        rows = list(
            csv.reader(
                io.StringIO(client.get(reverse("modifications:consultation-csv", args=[mrc.pk])).content.decode())
            )
        )
        assert "Public reason" in page and any("Public reason" in cell for row in rows for cell in row)
        assert ("Commercially sensitive" in page) is sees_secret, viewer
        assert any("Commercially sensitive" in cell for row in rows for cell in row) is sees_secret, viewer
        assert ("Secret Energy" in page) is sees_secret


def test_responses_are_published_only_after_the_close(client, staff, mrc):
    services.response_submit(
        actor=make_user(party=make_party(status=Party.Status.ACCEDED)),
        consultation=mrc,
        changes=answers(mrc, text="Early view"),
    )
    with pytest.raises(ApplicationError, match="after the consultation closes"):
        services.consultation_publish(actor=staff, consultation=mrc)
    assert "Early view" not in client.get(reverse("modifications:consultation-detail", args=[mrc.pk])).content.decode()
    assert client.get(reverse("modifications:consultation-csv", args=[mrc.pk])).status_code == 404


def test_summary_table_counts_answers_per_category(client, staff, mrc):
    for category, position in (("large_supplier", "yes"), ("small_supplier", "yes"), ("small_supplier", "no")):
        user = make_user(party=make_party(category=category, status=Party.Status.ACCEDED))
        services.response_submit(actor=user, consultation=mrc, changes=answers(mrc, position=position))
    Consultation.objects.filter(pk=mrc.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    services.consultation_publish(actor=staff, consultation=Consultation.objects.get(pk=mrc.pk))
    summary = client.get(reverse("modifications:consultation-detail", args=[mrc.pk])).context["summary"][0]
    assert summary["totals"] == {"yes": 2, "no": 1, "neutral": 0}
    assert dict(summary["by_category"])["Small Supplier"] == {"yes": 1, "no": 1, "neutral": 0}


def test_the_dashboard_shows_what_my_party_has_to_answer(client, mrc):
    party = make_party(status=Party.Status.ACCEDED)
    user = make_user(party=party)
    client.force_login(user)
    content = client.get(reverse("dashboard")).content.decode()
    assert mrc.title in content and "Not started" in content and "15 Working Days left" in content
    assert "Consultations open to your Party <span" in content and "1 waiting" in content
    services.response_submit(actor=user, consultation=mrc, changes=answers(mrc))
    content = client.get(reverse("dashboard")).content.decode()
    assert mrc.title in content and "Version 1 sent" in content and "Not started" not in content
    assert "1 waiting" not in content


def test_staff_open_a_consultation_from_the_form(client, staff):
    make_report_phase_mp(number=320)
    client.force_login(staff)
    response = client.post(
        reverse("modifications:consultation-create"),
        {
            "title": "MP320 MRC",
            "kind": "mrc",
            "modification": "mp320",
            "days": "15",
            "questions": "Do you agree?\n[text] Anything else?",
        },
    )
    consultation = Consultation.objects.get()
    assert response.status_code == 302
    assert [q.kind for q in consultation.questions.all()] == ["position", "text"]
    client.force_login(make_user())
    assert client.get(reverse("modifications:consultation-create")).status_code == 404


def test_a_response_sent_as_confidential_stays_so_whatever_the_draft_says_later(client, staff, mrc):
    party = make_party(name="Secret Energy", status=Party.Status.ACCEDED)
    alice, bob = make_user(party=party), make_user(party=party)
    services.response_submit(
        actor=alice, consultation=mrc, changes=answers(mrc, text="Commercially sensitive"), confidential=True
    )
    # Bob's page was loaded before the box was ticked; he saves the draft with it unticked.
    client.force_login(bob)
    q1, _ = mrc.questions.order_by("order")
    client.post(
        reverse("modifications:consultation-respond", args=[mrc.pk]),
        {
            "action": "save",
            "orig_confidential": "",
            f"q{q1.pk}_text": "Commercially sensitive",
            f"orig_q{q1.pk}_text": "Commercially sensitive",
        },
    )
    assert Response.objects.get().confidential is True  # an unchanged box changes nothing
    services.response_save_draft(actor=bob, consultation=mrc, changes={}, confidential=False)
    Consultation.objects.filter(pk=mrc.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    services.consultation_publish(actor=staff, consultation=Consultation.objects.get(pk=mrc.pk))
    client.logout()
    page = client.get(reverse("modifications:consultation-detail", args=[mrc.pk])).content.decode()
    assert "Commercially sensitive" not in page  # published as it was sent: confidential
    csv_text = client.get(reverse("modifications:consultation-csv", args=[mrc.pk])).content.decode()
    assert "Commercially sensitive" not in csv_text


def test_a_colleagues_newer_answer_is_not_overwritten(mrc):
    party = make_party(status=Party.Status.ACCEDED)
    alice, bob = make_user(party=party), make_user(party=party)
    q1, _ = mrc.questions.order_by("order")
    services.response_save_draft(actor=alice, consultation=mrc, changes={str(q1.pk): {"text": "Alice's answer"}})
    # Bob started from the empty answer and saves his own, unaware of Alice's.
    draft = services.response_save_draft(
        actor=bob, consultation=mrc, changes={str(q1.pk): {"text": "Bob's answer", "orig_text": ""}}
    )
    assert draft.conflicts == [1]
    assert Answer.objects.get(question=q1).text == "Alice's answer"
    with pytest.raises(ApplicationError, match="A colleague changed question 1"):
        services.response_submit(actor=bob, consultation=mrc, changes={str(q1.pk): {"text": "Bob's", "orig_text": ""}})


@pytest.mark.parametrize("status", [Party.Status.WITHDRAWN, Party.Status.APPLIED])
def test_only_acceded_parties_respond(mrc, status):
    user = make_user(party=make_party(status=status))
    with pytest.raises(ApplicationError, match="acceded"):
        services.response_save_draft(actor=user, consultation=mrc, changes=answers(mrc))


def test_odd_input_is_refused_cleanly(client, mrc):
    user = make_user(party=make_party(status=Party.Status.ACCEDED))
    client.force_login(user)
    q1, _ = mrc.questions.order_by("order")
    url = reverse("modifications:consultation-autosave", args=[mrc.pk])
    # A NUL is refused before any view (secportal.middleware.RequestLimitsMiddleware): nothing saved.
    assert client.post(url, {"q²_text": "x", f"q{q1.pk}_text": "a\x00b"}).status_code == 400
    assert not Answer.objects.filter(question=q1).exists()
    assert client.post(url, {"q²_text": "x", f"q{q1.pk}_text": "ab"}).status_code == 200
    assert Answer.objects.get(question=q1).text == "ab"
    response = client.post(url, {f"q{q1.pk}_text": "x" * 20001, f"orig_q{q1.pk}_text": "ab"})
    assert response.status_code == 400 and "at most" in response.json()["error"]


def test_staff_can_open_a_consultation_later_and_choose_who_may_respond(client, staff):
    from secportal.workingdays import local_today

    make_modification(stage=Stage.REFINEMENT, number=321)
    client.force_login(staff)
    later = local_today() + datetime.timedelta(days=10)
    data = {
        "title": "MP321 Refinement Consultation",
        "kind": "refinement",
        "modification": "MP321",
        "days": "10",
        "questions": "Do you agree?",
        "opens_on": later.isoformat(),
        "excluded_categories": ["dcc", "other"],
    }
    response = client.post(reverse("modifications:consultation-create"), data)
    assert response.status_code == 302
    consultation = Consultation.objects.get()
    assert timezone.localtime(consultation.opens_at).date() == later and not consultation.is_open()
    assert consultation.excluded_categories == ["dcc", "other"]
    # An MRC cannot be set to open later, and no consultation opens in the past: a clear message, nothing saved.
    for bad in (
        {**data, "kind": "mrc", "title": "MRC"},
        {**data, "opens_on": (local_today() - datetime.timedelta(days=1)).isoformat(), "title": "Past"},
    ):
        page = client.post(reverse("modifications:consultation-create"), bad)
        assert page.status_code == 400 and b"invalid-feedback" in page.content
    assert Consultation.objects.count() == 1
