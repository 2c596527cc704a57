"""Change Board votes: who may vote, one vote per seat, secrecy until close, the counting rule, and the move."""

import pytest
from django.urls import reverse

from modifications.models import Path, Route, Stage
from modifications.tests.factories import make_modification
from panel import services
from panel.models import Committee, Membership, Seat, Vote, VoteRound
from panel.voting import majority_in_each_constituency
from parties import roles
from parties.tests.factories import make_user
from secportal.exceptions import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.SECPORTAL_REQUIRE_MFA = False  # MFA for committee members is tested in parties/tests


@pytest.fixture
def staff():
    return make_user(role_names={roles.SECAS_STAFF})


@pytest.fixture
def board(staff):
    committee = Committee.objects.create(
        name="Change Board", slug="change-board", kind=Committee.Kind.CHANGE_BOARD, purpose="Votes."
    )
    people = {}
    for n, constituency in enumerate(["large_supplier", "small_supplier", "electricity_network", "dcc"]):
        seat = Seat.objects.create(
            committee=committee, label=constituency, constituency=constituency, voting=constituency != "dcc", order=n
        )
        user = make_user(full_name=f"Member {constituency}")
        people[constituency] = services.membership_add(
            actor=staff, committee=committee, user=user, role=Membership.Role.MEMBER, seat=seat
        )
    return committee, people


def open_vote(staff, path=Path.PATH_3):
    mp = make_modification(stage=Stage.CHANGE_BOARD, path=path, route=Route.REFINEMENT)
    return mp, services.vote_round_open(actor=staff, modification=mp)


def test_the_default_rule_needs_a_majority_in_every_voting_constituency():
    assert (
        majority_in_each_constituency([("ls", "approve"), ("ss", "approve"), ("ss", "reject"), ("ss", "approve")])[0]
        == "approve"
    )
    assert majority_in_each_constituency([("ls", "approve"), ("ss", "reject")])[0] == "reject"
    assert majority_in_each_constituency([("ls", "approve"), ("ss", "approve"), ("ss", "reject")])[0] == "reject"  # tie
    assert (
        majority_in_each_constituency([("ls", "approve"), ("ss", "abstain")])[0] == "approve"
    )  # abstainers don't count
    assert majority_in_each_constituency([("ls", "abstain")])[0] == "no_votes"
    assert majority_in_each_constituency([])[0] == "no_votes"


def test_only_voting_members_or_their_alternates_vote(staff, board):
    committee, people = board
    _, vote_round = open_vote(staff)
    observer = make_user()
    services.membership_add(actor=staff, committee=committee, user=observer, role=Membership.Role.OBSERVER)
    for outsider in (make_user(), observer, people["dcc"].user):
        with pytest.raises(ApplicationError, match="Only voting members"):
            services.vote_cast(actor=outsider, vote_round=vote_round, choice="approve", rationale="x")
    alternate = make_user()
    services.membership_add(
        actor=staff,
        committee=committee,
        user=alternate,
        role=Membership.Role.ALTERNATE,
        alternate_for=people["large_supplier"],
    )
    services.vote_cast(actor=alternate, vote_round=vote_round, choice="approve", rationale="Objective (a).")
    # The member and their alternate never both vote: the seat has one vote.
    with pytest.raises(ApplicationError, match="has already voted"):
        services.vote_cast(actor=people["large_supplier"].user, vote_round=vote_round, choice="reject", rationale="x")
    assert Vote.objects.filter(round=vote_round).count() == 1


def test_a_vote_needs_a_rationale_and_can_change_until_the_close(staff, board):
    _, people = board
    _, vote_round = open_vote(staff)
    member = people["small_supplier"].user
    with pytest.raises(ApplicationError, match="rationale"):
        services.vote_cast(actor=member, vote_round=vote_round, choice="approve", rationale=" ")
    services.vote_cast(actor=member, vote_round=vote_round, choice="approve", rationale="Good", objectives=["a"])
    services.vote_cast(actor=member, vote_round=vote_round, choice="reject", rationale="Changed my mind")
    assert Vote.objects.get().choice == "reject"
    services.vote_round_close(actor=staff, vote_round=vote_round, without_quorum=True)
    with pytest.raises(ApplicationError, match="closed"):
        services.vote_cast(actor=member, vote_round=vote_round, choice="approve", rationale="Too late")


def test_results_are_secret_until_the_close(client, staff, board):
    _, people = board
    _, vote_round = open_vote(staff)
    services.vote_cast(
        actor=people["large_supplier"].user, vote_round=vote_round, choice="reject", rationale="A secret rationale"
    )
    url = reverse("panel:vote-detail", args=[vote_round.pk])
    client.force_login(people["small_supplier"].user)
    assert "A secret rationale" not in client.get(url).content.decode()
    client.force_login(staff)
    page = client.get(url).content.decode()
    assert "A secret rationale" not in page and "✓ Voted" in page  # SECAS sees who has voted, not how
    services.vote_round_close(actor=staff, vote_round=vote_round, without_quorum=True)
    client.logout()
    assert "A secret rationale" in client.get(url).content.decode()


@pytest.mark.parametrize(
    ("path", "choices", "stage"),
    [
        (Path.PATH_3, ["approve", "approve", "approve"], Stage.APPEAL_WINDOW),
        (Path.PATH_3, ["approve", "reject", "approve"], Stage.REJECTED),
        (Path.PATH_2, ["approve", "approve", "approve"], Stage.WITH_AUTHORITY),
        (Path.PATH_2, ["reject", "reject", "abstain"], Stage.WITH_AUTHORITY),
    ],
)
def test_closing_the_vote_moves_the_modification(client, staff, board, path, choices, stage):  # noqa: PLR0917
    _, people = board
    mp, vote_round = open_vote(staff, path=path)
    for constituency, choice in zip(["large_supplier", "small_supplier", "electricity_network"], choices, strict=True):
        client.force_login(people[constituency].user)
        client.post(reverse("panel:vote-cast", args=[vote_round.pk]), {"choice": choice, "rationale": "Because."})
    client.force_login(staff)
    client.post(reverse("panel:vote-close", args=[vote_round.pk]))
    vote_round.refresh_from_db()
    mp.refresh_from_db()
    assert vote_round.status == VoteRound.Status.CLOSED and mp.stage == stage
    assert "Change Board vote" in mp.events.get(to_stage=stage).note


def test_a_vote_opens_only_at_the_change_board_stage_and_once(staff, board):
    with pytest.raises(ApplicationError, match="not with the Change Board"):
        services.vote_round_open(actor=staff, modification=make_modification(stage=Stage.MRC))
    mp, _ = open_vote(staff)
    with pytest.raises(ApplicationError, match="already open"):
        services.vote_round_open(actor=staff, modification=mp)
    with pytest.raises(ApplicationError):
        services.vote_round_open(actor=make_user(), modification=mp)


def test_a_vote_without_quorum_closes_only_when_secas_confirms_it(client, staff, board):
    _, people = board
    _, vote_round = open_vote(staff)
    services.vote_cast(actor=people["large_supplier"].user, vote_round=vote_round, choice="approve", rationale="(a)")
    url = reverse("panel:vote-detail", args=[vote_round.pk])
    client.force_login(staff)
    page = client.get(url).content.decode()
    assert "1 of 3 voting seats has voted; the quorum is 2." in page and "not quorate" in page
    response = client.post(reverse("panel:vote-close", args=[vote_round.pk]), follow=True)
    assert "the quorum is 2" in response.content.decode()
    vote_round.refresh_from_db()
    assert vote_round.status == VoteRound.Status.OPEN  # nothing recorded
    services.vote_cast(actor=people["small_supplier"].user, vote_round=vote_round, choice="approve", rationale="(a)")
    assert "not quorate" not in client.get(url).content.decode()
    client.post(reverse("panel:vote-close", args=[vote_round.pk]))
    vote_round.refresh_from_db()
    assert vote_round.status == VoteRound.Status.CLOSED


def test_secas_may_close_a_vote_without_quorum_by_saying_so(client, staff, board):
    _, vote_round = open_vote(staff)
    client.force_login(staff)
    client.post(reverse("panel:vote-close", args=[vote_round.pk]), {"without_quorum": "1"})
    vote_round.refresh_from_db()
    assert vote_round.status == VoteRound.Status.CLOSED and vote_round.outcome == "no_votes"
