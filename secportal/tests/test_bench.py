"""The benchmark cannot rot: seed_bench at a small size and every page it measures answer 200."""

import pytest
from django.core.management import call_command
from django.test.utils import override_settings

from parties.bench import BENCH_USER
from parties.models import User

pytestmark = pytest.mark.django_db


def test_seed_bench_and_the_measured_pages(client, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    sizes = ["--modifications", "12", "--parties", "8", "--users", "10", "--news", "6", "--events", "4"]
    call_command("seed_bench", "--force", *sizes, stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_bench", "--force", *sizes, stdout=open("/dev/null", "w"))  # noqa: SIM115 (idempotent)
    assert User.objects.filter(email__endswith="@bench.example").count() == 10
    from modifications.models import Follow, ModificationProposal
    from panel.models import Meeting

    assert ModificationProposal.objects.filter(number__gte=10000).count() == 12
    meeting = Meeting.objects.get(title="Benchmark meeting")
    client.force_login(User.objects.get(email=BENCH_USER))
    assert Follow.objects.filter(user__email=BENCH_USER).count() == 12
    for path in (
        "/modifications/",
        "/modifications/?q=firmware+security&state=open",
        "/modifications/MP9000/",
        "/news/",
        "/events/",
        f"/panel/meetings/{meeting.pk}/",
        "/dashboard/",
    ):
        assert client.get(path).status_code == 200, path


def test_the_floor_page_exists_only_for_the_benchmark(client, db):
    assert client.get("/bench/floor/").status_code == 404
    with override_settings(ROOT_URLCONF="bench.urls"):
        response = client.get("/bench/floor/")
    assert response.status_code == 200 and b"Floor" in response.content
