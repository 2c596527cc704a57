"""Date fields use the browser's date picker with ISO values, so a form's default date is shown and an
untouched form submits it (in Django's default format the picker shows nothing and the form fails)."""

import ast
import datetime
from pathlib import Path

from django import forms

from secportal.forms import DateInput

BASE_DIR = Path(__file__).resolve().parents[2]


class _Form(forms.Form):
    day = forms.DateField(widget=DateInput(), initial=datetime.date(2026, 12, 7))


def test_a_default_date_is_rendered_as_the_picker_reads_it():
    html = str(_Form()["day"])
    assert 'type="date"' in html and 'value="2026-12-07"' in html


def test_the_picker_submits_what_it_shows():
    form = _Form({"day": "2026-12-07"})
    assert form.is_valid() and form.cleaned_data["day"] == datetime.date(2026, 12, 7)


def test_no_form_builds_a_date_picker_of_its_own():
    """Every date picker is secportal.forms.DateInput: a plain DateInput with type=date loses its value."""
    offences = []
    for app in ("secportal", "parties", "modifications", "news", "panel"):
        for path in (BASE_DIR / app).rglob("*.py"):
            if "tests" in path.parts or (path.name == "forms.py" and app == "secportal"):
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Attribute) and node.attr == "DateInput":
                    offences.append(f"{path.relative_to(BASE_DIR)}:{node.lineno}")
    assert not offences, offences
