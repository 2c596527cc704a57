"""SECAS staff submit each of their forms as the browser shows it: every field that has a default is
left as it is, and only the required fields with no default are filled. Each must succeed: a
default the browser cannot send back (a date picker that shows a date it will not submit, say)
would come back as "This field is required". Every form page is checked with axe-core and at 320
CSS pixels, and its buttons must show their words (no blue text on a blue button)."""

import datetime
import io
from dataclasses import dataclass, field

import pytest
from django.utils import timezone
from PIL import Image

from modifications import services as modification_services
from modifications.models import Stage
from modifications.tests.factories import PDF_BYTES, make_modification, make_release, make_report_phase_mp
from news import services as news_services
from news.models import EventKind
from news.tests.factories import make_event, make_post, pptx_bytes
from panel.models import Committee, Meeting
from panel.tests.factories import make_committee
from parties import roles
from parties.models import Party
from parties.tests.factories import make_party, make_user
from secportal.workingdays import add_working_days
from tests.browser.journey import check_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (11, 37, 69)).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class StaffForm:
    name: str
    url: str
    button: str
    success: str  # words the page shows once the form is accepted
    fill: dict[str, str] = field(default_factory=dict)  # a required-when field (by label) the browser cannot know
    file: tuple[str, str, bytes] = ("paper.pdf", "application/pdf", PDF_BYTES)


def the_forms(world) -> list[StaffForm]:
    return [
        StaffForm("write a post", "/news/new/", "Save draft", "Draft saved."),
        StaffForm(
            "create an event",
            "/events/new/",
            "Create the event",
            "Event created.",
            {"Online link": "https://meet.example.org/e"},
        ),
        StaffForm(
            "create a monthly series",
            "/events/series/new/",
            "Create the series",
            "Series created with",
            {"Online link": "https://meet.example.org/qh"},
        ),
        StaffForm(
            "add months to a series",
            f"/events/series/{world['series'].slug}/extend/",
            "Add the months",
            "Added 6 occurrences",
        ),
        StaffForm(
            "publish a slide pack",
            f"/events/{world['event'].slug}/slides/new/",
            "Publish the slide pack",
            "Slide pack published.",
            file=(
                "slides.pptx",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                pptx_bytes(),
            ),
        ),
        StaffForm(
            "attach a file to a post", f"/news/{world['post'].slug}/attachments/new/", "Attach the file", "Attached:"
        ),
        StaffForm(
            "upload an image",
            "/news/images/",
            "Upload the image",
            "Uploaded. Paste this into the post",
            file=("map.png", "image/png", png_bytes()),
        ),
        StaffForm(
            "raise a Fast-track modification",
            "/modifications/fast-track/",
            "Raise the Fast-track modification",
            "raised as Fast-track",
        ),
        StaffForm(
            "open a consultation",
            "/modifications/consultations/new/",
            "Open the consultation",
            "is open until",
            {"Modification reference (e.g. MP212)": world["report_phase"].reference},
        ),
        StaffForm(
            "move a consultation's close",
            f"/modifications/consultations/{world['consultation'].pk}/close/",
            "Move the close",
            "now closes on",
            {"Closes on*": add_working_days(timezone.localdate(), 20).isoformat()},  # its default is today's close
        ),
        StaffForm(
            "publish a modification document",
            f"/modifications/{world['modification'].reference}/documents/new/",
            "Publish the document",
            "Published:",
        ),
        StaffForm(
            "publish a release's implementation document",
            f"/modifications/releases/{world['release'].slug}/",
            "Publish the implementation document",
            "implementation document is published",
        ),
        StaffForm("record a Party", "/parties/new/", "Save the Party", "recorded as applied to accede."),
        StaffForm(
            "record an accession step",
            f"/parties/{world['party'].slug}/status/",
            "Record this step",
            "accession step recorded.",
        ),
        StaffForm(
            "appoint a committee member", f"/panel/{world['committee'].slug}/members/new/", "Appoint", "appointed"
        ),
        StaffForm(
            "publish a meeting paper",
            f"/panel/meetings/{world['meeting'].pk}/papers/new/",
            "Publish the paper",
            "Published ",
        ),
        StaffForm(
            "add an action", f"/panel/meetings/{world['meeting'].pk}/actions/new/", "Add the action", "Action recorded."
        ),
        StaffForm(
            "edit the home page welcome", "/pages/home/edit/", "Save the page", "Nothing changed, so nothing was saved."
        ),
    ]


def make_world() -> dict:
    staff = make_user(email="sam@secas.example", full_name="Sam Patel", role_names={roles.SECAS_STAFF})
    make_user(email="priya@fenland.example", full_name="Priya Shah")
    series = news_services.series_create(
        actor=staff,
        title="SEC Modifications Questions Hour",
        kind=EventKind.QUESTIONS_HOUR,
        summary="Progress, then questions.",
        first_month=timezone.localdate() + datetime.timedelta(days=40),
        months=1,
        online_link="https://meet.example.org/qh",
    )
    committee = make_committee(Committee.Kind.PANEL)
    starts = timezone.now() + datetime.timedelta(days=10)
    meeting = Meeting.objects.create(
        committee=committee,
        title="Next meeting",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        online_link="https://meet.example.org/panel",
    )
    return {
        "series": series,
        "event": make_event(actor=staff, title="Spotlight on the SEC"),
        "post": make_post(actor=staff, title="SEC newsletter"),
        "modification": make_modification(stage=Stage.DEVELOPMENT, title="A clearer rule"),
        "report_phase": make_report_phase_mp(title="Ready for its consultation"),
        "consultation": modification_services.current_mrc(
            modification_services.modification_open_mrc(
                actor=staff, modification=make_report_phase_mp(title="In its consultation")
            )
        ),
        "release": make_release(name="June 2027 SEC Release"),
        "party": make_party(name="Fenland Community Power Ltd", status=Party.Status.APPLIED),
        "committee": committee,
        "meeting": meeting,
    }


# Values for the required fields that have no default, by the kind of input.
def blank_value(kind: str, name: str) -> str:
    today = timezone.localdate()
    return {
        "email": "browser-test@example.org",
        "url": "https://example.org/browser-test",
        "date": today.isoformat(),
        "datetime-local": f"{today + datetime.timedelta(days=20)}T{'11:00' if name.endswith('ends_at') else '10:00'}",
        "number": "1",
        "time": "10:00",
    }.get(kind, f"Browser test {name.replace('_', ' ')}")


FIELDS_OF_FORM = """form => [...form.elements].filter(e => e.required && e.name).map(e => ({
    name: e.name, tag: e.tagName.toLowerCase(), type: (e.type || '').toLowerCase(),
    empty: e.type === 'file' ? e.files.length === 0 : (e.value || '').trim() === '',
    id: e.id}))"""

# A button whose text is the colour of its background cannot be read (two colour classes did that).
UNREADABLE_BUTTONS = """() => [...document.querySelectorAll('main button, main input[type=submit], main a.btn')]
    .filter(b => { const s = getComputedStyle(b); return s.color === s.backgroundColor; })
    .map(b => b.value || b.textContent.trim())"""


def submit_untouched(page, form: StaffForm) -> list[str]:
    """Fill only the required fields the form left empty; returns the names of those with a default."""
    button = page.locator("main").get_by_role("button", name=form.button, exact=True)
    element = button.locator("xpath=ancestor::form")
    for label, value in form.fill.items():
        element.get_by_label(label, exact=True).fill(value)
    defaulted = []
    for spec in element.evaluate(FIELDS_OF_FORM):
        if not spec["empty"]:
            defaulted.append(spec["name"])
            continue
        target = element.locator(f"#{spec['id']}") if spec["id"] else element.locator(f"[name={spec['name']}]").first
        if spec["type"] == "file":
            name, mime, content = form.file
            target.set_input_files({"name": name, "mimeType": mime, "buffer": content})
        elif spec["tag"] == "select":
            options = [v for v in target.locator("option").evaluate_all("os => os.map(o => o.value)") if v]
            target.select_option(options[0])
        elif spec["tag"] == "textarea":
            target.fill(f"Written by the browser test: {spec['name']}.")
        else:
            target.fill(blank_value(spec["type"], spec["name"]))
    button.click()
    page.wait_for_load_state()
    return defaulted


def test_every_staff_form_is_accepted_with_its_defaults(page, axe, settings, tmp_path):
    settings.SECPORTAL_REQUIRE_MFA = False
    settings.MEDIA_ROOT = tmp_path
    world = make_world()
    sign_in(page, "sam@secas.example")
    defaulted_anywhere = set()
    for form in the_forms(world):
        response = page.goto(form.url)
        assert response.status == 200, f"{form.name}: {form.url} answered {response.status}"
        check_page(page, axe)
        assert page.evaluate(UNREADABLE_BUTTONS) == [], f"{form.name}: a button's words are the colour of the button"
        defaulted_anywhere |= set(submit_untouched(page, form))
        text = page.locator("main").inner_text()
        assert "This field is required" not in text, f"{form.name}: a field came back empty\n{text[:1500]}"
        assert page.locator("main .is-invalid, main .invalid-feedback").count() == 0, f"{form.name}: {text[:1500]}"
        assert form.success in text, f"{form.name}: no “{form.success}” after submitting\n{text[:1500]}"
    # The defaults the forms showed and sent back: dates, times, numbers and texts among them (a
    # select's first choice is its default too, though Django marks no such select `required`).
    expected = {"first_month", "months", "local_start", "duration_minutes", "days", "title", "body"}
    assert expected <= defaulted_anywhere
    page.goto("/pages/home/history/")  # what the page edit leads to
    assert page.get_by_text("Version 1").is_visible()
    check_page(page, axe)


def test_table_captions_are_above_their_tables(page, axe):
    page.goto("/cookies/")
    caption = page.get_by_text("Cookies the portal sets").bounding_box()
    header = page.get_by_role("columnheader", name="Name").bounding_box()
    assert caption["y"] + caption["height"] <= header["y"]
    check_page(page, axe)
