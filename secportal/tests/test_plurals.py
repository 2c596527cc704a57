"""Words with numbers in them agree with the number: "1 minute", "1 byte", "1 day", "the one
modification in progress", never "1 minutes" or "All 1 modifications"."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from modifications.models import Stage
from modifications.tests.factories import make_modification
from secportal.notifications import time_until
from secportal.templatetags.portal import filesize

NOW = datetime.datetime(2027, 1, 4, 9, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("later", "words"),
    [
        (datetime.timedelta(seconds=40), "in 1 minute"),
        (datetime.timedelta(minutes=2), "in 2 minutes"),
        (datetime.timedelta(minutes=55), "in 1 hour"),
        (datetime.timedelta(hours=3), "in 3 hours"),
        (datetime.timedelta(hours=24), "tomorrow"),
        (datetime.timedelta(days=7), "in 7 days"),
    ],
)
def test_time_until(later, words):
    assert time_until(NOW + later, NOW) == words


def test_filesize():
    assert [filesize(n) for n in (1, 2, 2048)] == ["1 byte", "2 bytes", "2 KB"]


def test_an_invitation_for_one_day_says_one_day():
    invitation = type("Invitation", (), {"party": type("Party", (), {"name": "Northwind"})()})()
    for ext in ("txt", "html"):
        body = render_to_string(f"emails/parties/invitation_body.{ext}", {"invitation": invitation, "days": 1})
        assert "1 day" in body and "1 days" not in body


@pytest.mark.django_db
def test_one_modification_in_progress_is_not_all_1_modifications(client):
    make_modification(stage=Stage.DEVELOPMENT)
    html = client.get(reverse("home")).content.decode()
    assert "The one modification in progress" in html and "All 1 modifications" not in html
    make_modification(stage=Stage.DEVELOPMENT)
    assert "All 2 modifications in progress" in client.get(reverse("home")).content.decode()


def test_no_template_writes_partys():
    # The plural of Party is Parties; "Party's" (possessive) is right.
    found = [
        str(path.relative_to(settings.BASE_DIR))
        for path in (Path(settings.BASE_DIR) / "templates").rglob("*.*")
        if re.search(r"\bpartys\b", path.read_text(errors="ignore"), re.IGNORECASE)
    ]
    assert found == []
