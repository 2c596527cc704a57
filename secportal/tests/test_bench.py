"""The benchmark cannot rot: seed_bench at a small size, every address the mix draws from and
every page of its table answer, signed in and anonymous; its probes measure what they say."""

import os

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings

from bench import mix, probe
from modifications.bench import FOLLOWED, UNFOLLOWED
from modifications.models import Answer, Follow, ModificationProposal
from panel.models import Meeting
from parties.bench import BENCH_USER
from parties.models import User

pytestmark = pytest.mark.django_db
SIZES = ["--modifications", "40", "--parties", "40", "--users", "30", "--news", "6", "--events", "4"]


@pytest.fixture
def seeded(settings):
    with open(os.devnull, "w") as quiet:
        call_command("seed_bench", "--force", *SIZES, stdout=quiet)
        call_command("seed_bench", "--force", *SIZES, stdout=quiet)  # idempotent


def test_seed_bench_is_idempotent_and_seeds_what_the_bench_uses(seeded):
    assert User.objects.filter(email__endswith="@bench.example").count() == 30
    assert ModificationProposal.objects.filter(number__gte=10000).count() == 40
    assert Meeting.objects.filter(title="Benchmark meeting").exists()
    assert Follow.objects.filter(user__email=BENCH_USER).count() == 40  # "the first 50", of 40
    # Everybody else follows the stage move's modification (2,000 at full size); nobody its twin.
    assert Follow.objects.filter(modification__number=FOLLOWED).count() == 29
    assert not Follow.objects.filter(modification__number=UNFOLLOWED).exists()
    dashboard_user = mix.mix_users(2)[1]
    assert Follow.objects.filter(user=dashboard_user, modification__number__gte=10000).count() == 10


def _answers(client: Client, paths: list[str]) -> dict[str, int]:
    return {path: client.get(path).status_code for path in paths}


def test_every_address_of_the_mix_answers_signed_in_and_anonymous(seeded):
    kinds = mix.addresses()
    assert set(kinds) == set(mix.WEIGHTS)  # the data gives every kind of page at least one address
    anonymous_paths = [p for _, paths in mix.plan(signed_in=False) for p in paths]
    signed_in_paths = [p for _, paths in mix.plan(signed_in=True) for p in paths]
    assert "/dashboard/" in signed_in_paths and "/dashboard/" not in anonymous_paths
    # Signed in through a session made as the bench makes them (no login form, no force_login).
    user = mix.mix_users(3)[2]
    [key] = mix.sessions_create([user])
    signed_in = Client()
    signed_in.cookies[settings.SESSION_COOKIE_NAME] = key
    dashboard = signed_in.get("/dashboard/")
    assert dashboard.status_code == 200 and dashboard.wsgi_request.user == user
    failed = {p: s for p, s in _answers(signed_in, signed_in_paths).items() if s not in (200, 302)}
    assert not failed, failed
    failed = {p: s for p, s in _answers(Client(), anonymous_paths).items() if s not in (200, 302)}
    assert not failed, failed


def test_the_pages_of_the_table_answer_and_are_profiled(seeded):
    results = probe.profile_pages(repeats=1)
    assert set(results) == set(probe.table_pages())
    assert "anonymous" not in results["dashboard"]
    for name, row in results.items():
        for who in ("signed_in", "anonymous"):
            if who in row:
                measured = row[who]
                assert measured["status"] == 200, (name, who)
                assert measured["queries"] > 0 and 0 < measured["db_ms"] < measured["ms"], (name, who, measured)
                # Every page of the table renders a template; its share is a part of the whole.
                assert 0 < measured["template_share"] < 1, (name, who, measured)


def test_the_storm_check_finds_an_answer_that_was_lost(seeded, client):
    setup = probe.storm_setup(sessions=6, seconds=30, per_party=3)
    assert len(setup["clients"]) == 6 and len({c["question"] for c in setup["clients"]}) == 3
    sent = []
    for n, person in enumerate(setup["clients"]):
        client.cookies.load(person["cookie"])
        name = f"q{person['question']}_text"
        text = f"Answer {n}"
        response = client.post(setup["autosave"], {name: text, f"orig_{name}": ""})
        assert response.status_code == 200 and response.json()["saved"], response.content
        sent.append({**person, "acked": text, "unconfirmed": ""})
    assert probe.storm_check(consultation=setup["consultation"], clients=sent)["lost"] == 0
    # An answer the server confirmed but no longer holds is reported lost.
    Answer.objects.filter(text="Answer 0").update(text="Something else")
    check = probe.storm_check(consultation=setup["consultation"], clients=sent)
    assert check["lost"] == 1 and check["examples"][0]["have"] == "Something else"
    # A save that went unanswered may or may not have landed: either value is accepted.
    sent[0]["unconfirmed"] = "Something else"
    assert probe.storm_check(consultation=setup["consultation"], clients=sent)["lost"] == 0


@pytest.mark.django_db(transaction=True)  # what the move queues after commit runs (eagerly) at once
def test_the_stage_move_probe_moves_both_and_counts_every_follower(seeded):
    result = probe.stage_move(timeout=5)
    assert result["without_followers"]["moved"] and result["with_followers"]["moved"]
    assert result["without_followers"]["followers"] == 0 and result["with_followers"]["followers"] == 29
    assert result["notified"] == result["notified_people"] == result["expected"] == 29
    assert result["until_last_notified_s"] is not None


def test_the_floor_page_exists_only_for_the_benchmark(client, db):
    assert client.get("/bench/floor/").status_code == 404
    with override_settings(ROOT_URLCONF="bench.urls"):
        response = client.get("/bench/floor/")
    assert response.status_code == 200 and b"Floor" in response.content


def test_the_signed_in_floor_loads_the_person_and_refuses_a_visitor(client, db):
    """The ceiling of signed-in pages must really sign the person in: a floor that never touched
    the session would measure the anonymous floor twice."""
    user = User.objects.create_user(email="floor@example.com", password="pw-for-the-floor-1")
    with override_settings(ROOT_URLCONF="bench.urls"):
        assert client.get("/bench/floor/signed-in/").status_code == 403
        client.force_login(user)
        response = client.get("/bench/floor/signed-in/")
    assert response.status_code == 200 and response.wsgi_request.user == user
    assert client.get("/bench/floor/signed-in/").status_code == 404  # not in the portal's addresses
