"""The lifecycle as a state machine: every allowed and forbidden move, for each path."""

import datetime
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from modifications import services
from modifications.models import (
    SELF_GOVERNANCE,
    TRANSITIONS,
    ModificationEvent,
    ModificationProposal,
    Path,
    Route,
    Stage,
)
from modifications.tests.factories import PDF_BYTES, make_modification, make_release, make_report_phase_mp
from panel.tests.factories import make_place
from parties import roles
from parties.models import Party
from parties.tests.factories import make_party, make_user
from secportal.exceptions import ApplicationError
from secportal.models import NotificationSettings
from secportal.workingdays import add_working_days, local_today

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    user = make_user(email="staff@secas.example", role_names={roles.SECAS_STAFF})
    # Told by email at once on any day (the default waits for a Working Day; the real clock may be a weekend).
    NotificationSettings.objects.create(user=user, working_days_only=False)
    return user


def path_allows(path: str, route: str, start: str, to: str) -> bool:
    """The path rules, stated independently of the services."""
    if to == Stage.REFINEMENT and (route != Route.REFINEMENT or path == Path.FAST_TRACK):
        return False
    if start == Stage.DEVELOPMENT and to in (Stage.REFINEMENT, Stage.REPORT_PHASE):
        return False  # conversion (which sets the path) is the only way out of development into these
    if to == Stage.APPEAL_WINDOW and path not in SELF_GOVERNANCE:
        return False
    if Stage.WITH_AUTHORITY in (start, to) and path in SELF_GOVERNANCE:
        return False  # only Paths 1 and 2 go to, and are decided by, the Authority
    return not (start == Stage.CHANGE_BOARD and to == Stage.REJECTED and path not in SELF_GOVERNANCE)


CASES = [
    (path, route, start, to)
    for path, route in [
        (Path.PATH_1, Route.REFINEMENT),
        (Path.PATH_2, Route.REPORT_PHASE),
        (Path.PATH_3, Route.REFINEMENT),
        (Path.FAST_TRACK, Route.REPORT_PHASE),
    ]
    for start in Stage
    for to in Stage
]


@pytest.mark.parametrize(("path", "route", "start", "to"), CASES)
def test_every_move_for_every_path(staff, path, route, start, to):
    draft_stage = start in (Stage.DRAFT, Stage.DEVELOPMENT)
    modification = make_modification(stage=start, path="" if draft_stage else path, route="" if draft_stage else route)
    allowed = to in TRANSITIONS[start] and path_allows(modification.path, modification.route, start, to)
    if allowed:
        moved = services._move(modification, actor=staff, to=to, summary="moved")
        assert moved.stage == to
        event = moved.events.get()
        assert (event.from_stage, event.to_stage, event.actor) == (start, to, staff)
    else:
        with pytest.raises(ApplicationError):
            services._move(modification, actor=staff, to=to, summary="moved")
        modification.refresh_from_db()
        assert modification.stage == start
        assert not modification.events.exists()


def test_a_draft_proposal_is_raised_with_its_critical_friend_due_date(django_capture_on_commit_callbacks, staff):
    from django.core import mail

    party = make_party(status=Party.Status.ACCEDED)
    proposer = make_user(party=party)
    with django_capture_on_commit_callbacks(execute=True):
        draft = services.modification_raise(
            actor=proposer, title="A problem", issue="It hurts.", impacts={"small_supplier": "high"}
        )
    assert draft.reference == f"DP{draft.number:03d}" and draft.stage == Stage.DRAFT
    assert draft.proposer_party == party
    assert draft.next_milestone_date == add_working_days(local_today(), 5)
    assert draft.events.get().kind == ModificationEvent.Kind.RAISED
    # SECAS is told it is there to review; the proposer gets a receipt (modifications/tests/test_hearback.py).
    assert sorted(m.to for m in mail.outbox) == sorted([["staff@secas.example"], [proposer.email]])
    again = services.modification_raise(actor=proposer, title="Another", issue="Also.")
    assert again.number == draft.number + 1


def test_only_users_of_an_acceded_party_raise_drafts():
    applying = make_user(party=make_party(status=Party.Status.APPLIED))
    with pytest.raises(ApplicationError):
        services.modification_raise(actor=applying, title="x", issue="y")
    with pytest.raises(ApplicationError):
        services.modification_raise(actor=make_place(make_user(role_names=set())).user, title="x", issue="y")


def test_conversion_keeps_the_number_and_the_old_reference_redirects(client, staff):
    draft = make_modification(stage=Stage.DEVELOPMENT, number=84)
    assert draft.reference == "DP084"
    mp = services.modification_convert(actor=staff, modification=draft, path=Path.PATH_3, route=Route.REFINEMENT)
    assert (mp.reference, mp.stage, mp.path) == ("MP084", Stage.REFINEMENT, Path.PATH_3)
    response = client.get("/modifications/DP084/")
    assert response.status_code == 301 and response.url == "/modifications/MP084/"
    straight = services.modification_convert(
        actor=staff, modification=make_modification(stage=Stage.DEVELOPMENT), path=Path.PATH_2, route=Route.REPORT_PHASE
    )
    assert straight.stage == Stage.REPORT_PHASE


def test_conversion_cannot_pick_fast_track_or_skip_development(staff):
    with pytest.raises(ApplicationError):
        services.modification_convert(
            actor=staff,
            modification=make_modification(stage=Stage.DEVELOPMENT),
            path=Path.FAST_TRACK,
            route=Route.REPORT_PHASE,
        )
    with pytest.raises(ApplicationError):
        services.modification_convert(
            actor=staff, modification=make_modification(stage=Stage.DRAFT), path=Path.PATH_2, route=Route.REPORT_PHASE
        )


def test_the_mrc_closes_after_fifteen_working_days(staff, settings):
    mp = make_report_phase_mp()
    mp = services.modification_open_mrc(actor=staff, modification=mp)
    assert mp.stage == Stage.MRC and mp.next_milestone_date == add_working_days(local_today(), 15)
    settings.SECPORTAL_MRC_DAYS = 20
    other = services.modification_open_mrc(actor=staff, modification=make_report_phase_mp())
    assert other.next_milestone_date == add_working_days(local_today(), 20)
    with pytest.raises(ApplicationError, match="after today"):
        services.modification_open_mrc(actor=staff, modification=make_report_phase_mp(), closes_on=local_today())


@pytest.mark.parametrize(
    ("path", "approve", "expected"),
    [
        (Path.PATH_3, True, Stage.APPEAL_WINDOW),
        (Path.PATH_3, False, Stage.REJECTED),
        (Path.FAST_TRACK, True, Stage.APPEAL_WINDOW),
        (Path.PATH_2, True, Stage.WITH_AUTHORITY),
        (Path.PATH_2, False, Stage.WITH_AUTHORITY),
        (Path.PATH_1, True, Stage.WITH_AUTHORITY),
    ],
)
def test_change_board_outcome_by_path(staff, path, approve, expected):
    mp = make_modification(stage=Stage.CHANGE_BOARD, path=path, route=Route.REPORT_PHASE)
    mp = services.modification_record_change_board_outcome(actor=staff, modification=mp, approve=approve)
    assert mp.stage == expected
    if expected == Stage.APPEAL_WINDOW:
        assert mp.appeal_window_ends == add_working_days(local_today(), 15)
        assert mp.next_milestone == "Appeal window closes" and mp.next_milestone_date == mp.appeal_window_ends


@pytest.mark.parametrize(
    ("decision", "expected"),
    [("approved", Stage.APPROVED), ("rejected", Stage.REJECTED), ("sent_back", Stage.REPORT_PHASE)],
)
def test_authority_decisions(staff, decision, expected):
    mp = make_modification(stage=Stage.WITH_AUTHORITY, path=Path.PATH_2, route=Route.REFINEMENT)
    letter = SimpleUploadedFile("letter.pdf", PDF_BYTES)  # a send-back comes with the Authority's letter
    assert (
        services.modification_record_authority_decision(
            actor=staff, modification=mp, decision=decision, letter=letter
        ).stage
        == expected
    )


def test_appeal_window_closes_to_approved_or_rejected(staff):
    mp = make_modification(stage=Stage.APPEAL_WINDOW, path=Path.PATH_3, route=Route.REFINEMENT)
    assert services.modification_close_appeal_window(actor=staff, modification=mp).stage == Stage.APPROVED
    mp = make_modification(stage=Stage.APPEAL_WINDOW, path=Path.PATH_3, route=Route.REFINEMENT)
    assert (
        services.modification_close_appeal_window(actor=staff, modification=mp, appeal_upheld=True).stage
        == Stage.REJECTED
    )


def test_release_going_live_implements_its_approved_modifications(staff):
    release = make_release(go_live=local_today() + datetime.timedelta(days=30))
    approved = make_modification(stage=Stage.APPROVED, target_release=release)
    waiting = make_modification(stage=Stage.WITH_AUTHORITY, target_release=release)
    services.modification_target_release(actor=staff, modification=approved, release=release)
    approved.refresh_from_db()
    assert approved.next_milestone_date == release.go_live
    with pytest.raises(ApplicationError, match="mark it live on or after that day"):
        services.release_go_live(actor=staff, release=release)
    release.go_live = local_today()
    release.save()
    services.release_go_live(actor=staff, release=release, sec_version="v1.25")
    approved.refresh_from_db()
    waiting.refresh_from_db()
    assert approved.stage == Stage.IMPLEMENTED and approved.implementation_date == local_today()
    # Not approved in time: taken off the release, with a line on its timeline, to be retargeted.
    assert waiting.stage == Stage.WITH_AUTHORITY and waiting.target_release is None
    assert "Not ready for the" in waiting.events.get().summary
    with pytest.raises(ApplicationError, match="already live"):
        services.release_go_live(actor=staff, release=release)
    with pytest.raises(ApplicationError, match="already live"):
        services.modification_target_release(actor=staff, modification=waiting, release=release)


def test_withdrawal_by_the_proposer_before_a_decision_only(staff):
    party = make_party(status=Party.Status.ACCEDED)
    proposer, colleague = make_user(party=party), make_user(party=party)
    mp = make_modification(stage=Stage.MRC, proposer=proposer, proposer_party=party)
    with pytest.raises(ApplicationError, match="Only the proposer"):
        services.modification_withdraw(actor=colleague, modification=mp)
    assert services.modification_withdraw(actor=proposer, modification=mp).stage == Stage.WITHDRAWN
    decided = make_modification(stage=Stage.WITH_AUTHORITY, proposer=proposer)
    with pytest.raises(ApplicationError, match="before a decision"):
        services.modification_withdraw(actor=proposer, modification=decided)


def test_only_secas_staff_move_modifications():
    party_user = make_user()
    mp = make_report_phase_mp()
    for call in (
        lambda: services.modification_open_mrc(actor=party_user, modification=mp),
        lambda: services.modification_post_update(actor=party_user, modification=mp, text="hi"),
        lambda: services.release_go_live(actor=party_user, release=make_release()),
    ):
        with pytest.raises(ApplicationError, match="Only SECAS staff"):
            call()
    mp.refresh_from_db()
    assert mp.stage == Stage.REPORT_PHASE


def test_the_stage_is_not_an_editable_field():
    assert not ModificationProposal._meta.get_field("stage").editable


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_moves_cannot_both_succeed():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    staff = make_user(email="staff2@secas.example", role_names={roles.SECAS_STAFF})
    mp = make_report_phase_mp()
    barrier = threading.Barrier(2)
    outcomes = []

    def open_mrc():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            services.modification_open_mrc(actor=staff, modification=mp)
            outcomes.append("moved")
        except ApplicationError:
            outcomes.append("refused")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=open_mrc) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["moved", "refused"]
    assert ModificationEvent.objects.filter(modification=mp, to_stage=Stage.MRC).count() == 1


def test_deadlines_are_kept(staff):
    mrc = services.modification_open_mrc(actor=staff, modification=make_report_phase_mp())
    with pytest.raises(ApplicationError, match="closes before the Change Board"):
        services.modification_send_to_change_board(actor=staff, modification=mrc)
    early = services.modification_send_to_change_board(actor=staff, modification=mrc, early=True, note="All responded")
    assert early.stage == Stage.CHANGE_BOARD
    window = make_modification(stage=Stage.CHANGE_BOARD, path=Path.PATH_3, route=Route.REFINEMENT)
    window = services.modification_record_change_board_outcome(actor=staff, modification=window, approve=True)
    with pytest.raises(ApplicationError, match="appeal window is open"):
        services.modification_close_appeal_window(actor=staff, modification=window)
    saturday = local_today() + datetime.timedelta(days=(5 - local_today().weekday()) % 7 or 7)
    with pytest.raises(ApplicationError, match="Working Day"):
        services.modification_open_mrc(actor=staff, modification=make_report_phase_mp(), closes_on=saturday)
    with pytest.raises(ApplicationError, match="at most"):
        services.modification_open_mrc(
            actor=staff,
            modification=make_report_phase_mp(),
            closes_on=add_working_days(local_today(), 61),
        )


def test_withdrawal_says_who_and_leaves_the_release(staff):
    release = make_release()
    mp = make_modification(stage=Stage.REFINEMENT, target_release=release)
    mp = services.modification_withdraw(actor=staff, modification=mp)
    assert mp.target_release is None and mp.events.get().summary == "Withdrawn by SECAS for the proposer"


def test_an_alternative_is_raised_with_its_own_timeline(staff):
    original = make_modification(stage=Stage.REFINEMENT, number=102)
    alternative = services.modification_raise_alternative(
        actor=staff, original=original, title="Other way", solution="Do it differently."
    )
    assert alternative.reference == "MP102A" and alternative.alternative_of == original
    assert alternative.events.get().summary.startswith("Raised as an alternative to MP102")
    assert (
        services.modification_raise_alternative(actor=staff, original=original, title="Third", solution="x").reference
        == "MP102B"
    )
    done = make_modification(stage=Stage.IMPLEMENTED, number=103)
    with pytest.raises(ApplicationError, match="still being refined"):
        services.modification_raise_alternative(actor=staff, original=done, title="Late", solution="x")


@pytest.mark.django_db(transaction=True)
def test_two_drafts_raised_at_the_same_moment_get_different_numbers():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    party = make_party(status=Party.Status.ACCEDED)
    users = [make_user(party=party), make_user(party=party)]
    barrier = threading.Barrier(2)
    results = []

    def raise_one(user):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results.append(services.modification_raise(actor=user, title="Same moment", issue="x").reference)
        except Exception as exc:  # noqa: BLE001
            results.append(repr(exc))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=raise_one, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 2 and all(r.startswith("DP") for r in results), results


def test_staff_raise_an_alternative_from_the_modification_page(client, settings):
    from django.urls import reverse

    settings.SECPORTAL_REQUIRE_MFA = False
    staff = make_user(role_names={roles.SECAS_STAFF})
    original = make_modification(stage=Stage.REFINEMENT, number=640, title="Meter read frequency")
    client.force_login(staff)
    page = client.get(reverse("modifications:modification-detail", args=[original.reference])).content.decode()
    assert "Raise an alternative solution" in page
    url = reverse("modifications:modification-action", args=[original.reference, "raise-alternative"])
    assert client.post(url, {"title": "", "solution": ""}).status_code == 400  # a clear error, nothing saved
    response = client.post(url, {"title": "Monthly reads instead", "solution": "Read monthly, not daily."})
    alternative = ModificationProposal.objects.get(alternative_of=original)
    assert alternative.reference == "MP640A" and alternative.stage == Stage.REFINEMENT
    assert response["Location"] == reverse("modifications:modification-detail", args=["MP640A"])
    # An alternative does not offer alternatives of its own.
    page = client.get(reverse("modifications:modification-detail", args=["MP640A"])).content.decode()
    assert "Raise an alternative solution" not in page


def test_staff_raise_a_fast_track_modification_from_the_register(client, settings):
    from django.urls import reverse

    settings.SECPORTAL_REQUIRE_MFA = False
    url = reverse("modifications:modification-fast-track")
    client.force_login(make_user())
    assert client.get(url).status_code == 404  # a Party user may not
    client.force_login(make_user(role_names={roles.SECAS_STAFF}))
    assert "Raise a Fast-track modification" in client.get(reverse("modifications:modification-list")).content.decode()
    assert client.post(url, {"title": "Fix a typo"}).status_code == 400
    response = client.post(
        url, {"title": "Fix a cross-reference", "issue": "Section H14 cites H13.", "solution": "Cite H15."}
    )
    modification = ModificationProposal.objects.get(title="Fix a cross-reference")
    assert modification.path == "fast_track" and modification.stage == Stage.REPORT_PHASE
    assert response["Location"] == reverse("modifications:modification-detail", args=[modification.reference])
