"""A meeting's agenda marks the items that need a decision until their outcome is recorded."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from modifications.models import Stage
from modifications.tests.factories import make_modification
from panel import services
from panel.models import AgendaItem, Committee, Meeting
from parties import roles
from parties.tests.factories import make_user

pytestmark = pytest.mark.django_db

BADGE = '<span class="badge text-bg-warning">Decision needed</span>'


@pytest.fixture(autouse=True)
def _mfa_is_tested_elsewhere(settings):
    settings.SECPORTAL_REQUIRE_MFA = False


def test_no_decision_needed_badge_once_the_outcome_is_recorded(client):
    staff = make_user(email="staff@secas.example", role_names={roles.SECAS_STAFF})
    panel = Committee.objects.create(name="SEC Panel", slug="sec-panel", kind=Committee.Kind.PANEL, purpose="x")
    starts = timezone.now() - datetime.timedelta(days=2)
    meeting = Meeting.objects.create(
        committee=panel, title="December Panel", starts_at=starts, ends_at=starts + datetime.timedelta(hours=2)
    )
    mp = make_modification(stage=Stage.REFINEMENT)
    decided = AgendaItem.objects.create(
        meeting=meeting, order=1, title="Timetable", modification=mp, decision_needed=True
    )
    AgendaItem.objects.create(meeting=meeting, order=2, title="Budget", decision_needed=True)
    url = reverse("panel:meeting-detail", args=[meeting.pk])
    client.force_login(staff)
    assert client.get(url).content.decode().count(BADGE) == 2
    services.item_record_outcome(actor=staff, item=decided, decision="note", reasons="Extended by a month.")
    html = client.get(url).content.decode()
    assert html.count(BADGE) == 1  # only the item still waiting for its decision
    assert "<strong>Outcome:</strong> Noted: Extended by a month." in html
