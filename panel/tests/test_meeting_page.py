"""A meeting's page costs the same number of queries whatever the length of its agenda."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from modifications.models import Stage
from modifications.tests.factories import make_document, make_modification
from panel import services
from panel.models import Committee, Membership
from panel.tests.test_panel import make_meeting, make_paper
from parties import roles
from parties.tests.factories import make_user
from secportal.classification import Classification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mfa_is_tested_elsewhere(settings):
    settings.SECPORTAL_REQUIRE_MFA = False


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def add_items(meeting, start: int, count: int) -> None:
    for n in range(start, start + count):
        modification = make_modification(stage=Stage.CHANGE_BOARD, number=700 + n)
        make_document(modification, classification=Classification.GREEN)
        item = meeting.items.create(order=n + 1, title=f"Item {n + 1}", modification=modification)
        make_paper(meeting, item=item, classification=Classification.AMBER, title=f"Paper {n + 1}")


@pytest.mark.parametrize("who", ["member", "staff", "anonymous"])
def test_meeting_page_query_count_is_fixed_with_3_or_30_items(client, who):
    staff = make_user(role_names={roles.SECAS_STAFF})
    board = Committee.objects.create(
        name="Change Board", slug="change-board", kind=Committee.Kind.CHANGE_BOARD, purpose="Votes on changes."
    )
    member = make_user()
    services.membership_add(actor=staff, committee=board, user=member, role=Membership.Role.MEMBER)
    meeting = make_meeting(board)
    add_items(meeting, 0, 3)
    if who != "anonymous":
        client.force_login({"member": member, "staff": staff}[who])
    url = reverse("panel:meeting-detail", args=[meeting.pk])
    three = count_queries(client, url)
    add_items(meeting, 3, 27)
    assert count_queries(client, url) == three
    assert count_queries(client, url) == three  # and again, nothing kept between requests
