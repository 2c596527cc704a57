"""The register's summary (its chart and its total) is kept in the cache between changes, and a
change shows on the very next page: a new modification, a stage move, a deletion. With no cache it
is counted on each page."""

import re

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from modifications.models import Stage
from modifications.services import modification_start_development
from modifications.tests.factories import make_modification
from parties import roles

pytestmark = pytest.mark.django_db

URL = reverse("modifications:modification-list")


def shown(client) -> tuple[int, dict[str, int]]:
    """The register's total and the chart's count for each stage, as the page shows them."""
    html = client.get(URL).content.decode()
    total = int(re.search(r'role="status">(\d+) modifications?', html)[1])
    chart = {
        stage: int(count)
        for stage, count in re.findall(
            r'href="\?stage=(\w+)">.*?<span class="pipeline-count">(\d+)<', html, flags=re.DOTALL
        )
    }
    return total, chart


def test_a_change_shows_on_the_next_page(client, user_factory):
    first = make_modification(stage=Stage.DRAFT)
    make_modification(stage=Stage.REFINEMENT)
    assert shown(client) == (2, {**dict.fromkeys(_stages(client), 0), "draft_proposal": 1, "refinement": 1})
    with CaptureQueriesContext(connection) as kept:
        assert shown(client)[0] == 2
    # Kept: the same figures without counting again (no count, no GROUP BY for the chart).
    assert not [q["sql"] for q in kept.captured_queries if "COUNT(" in q["sql"].upper()]

    third = make_modification(stage=Stage.DRAFT)
    total, chart = shown(client)
    assert (total, chart["draft_proposal"]) == (3, 2)

    secas = user_factory(role_names={roles.SECAS_STAFF})
    modification_start_development(actor=secas, modification=first)
    total, chart = shown(client)
    assert (total, chart["draft_proposal"], chart["development"]) == (3, 1, 1)

    third.delete()
    total, chart = shown(client)
    assert (total, chart["draft_proposal"]) == (2, 0)


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}})
def test_with_no_cache_the_register_is_counted_on_each_page(client):
    make_modification(stage=Stage.DRAFT)
    assert shown(client)[0] == 1
    make_modification(stage=Stage.DRAFT)
    assert shown(client) == (2, {**dict.fromkeys(_stages(client), 0), "draft_proposal": 2})


def _stages(client) -> list[str]:
    return re.findall(r'href="\?stage=(\w+)">', client.get(URL).content.decode())


@pytest.mark.django_db(transaction=True)
def test_a_count_made_before_a_change_commits_is_not_kept_after_it(client):
    """Another process may count the register between a change's save and its commit, and keep
    what it counted under the version the save moved. The commit moves the version again, so the
    next page counts afresh."""
    from django.core.cache import cache
    from django.db import transaction

    from modifications import selectors

    make_modification(stage=Stage.DRAFT)
    assert shown(client)[0] == 1
    with transaction.atomic():
        make_modification(stage=Stage.DRAFT)
        version = cache.get(selectors.REGISTER_VERSION_KEY)
        stale = {**selectors.register_summary(), "total": 1}  # as counted by a process that did not see it
        cache.set(f"modifications:register-summary:{version}", stale, selectors.REGISTER_SUMMARY_SECONDS)
    assert shown(client)[0] == 2
