"""The register shows results first, on a desktop and on a phone: the filters and the chart are
folded away (the filters open while any is set), the first modification is on the first screen,
every filter's label and choices can be read whole, and on a phone each row is a card that still
shows its stage and is still a table to assistive technology."""

from collections import Counter

import pytest

from modifications.models import Path, Route, Stage
from modifications.tests.factories import make_modification, make_release
from parties import roles
from parties.models import Party
from parties.tests.factories import make_party, make_user
from tests.browser.journey import assert_reflows, check_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 320, "height": 640}
# The filter form's labels, as modifications.forms.ModificationFilterForm names them.
LABELS = ["Search", "Stage", "Path", "Impacts", "Target release", "Open or closed", "Sort by"]

FIRST_ROW = """() => {
    const row = document.querySelector('table.register tbody tr');
    const link = row.querySelector('a');
    return {row: row.getBoundingClientRect().top, link: link.getClientRects()[0].bottom,
            reference: link.querySelector('strong').textContent, height: window.innerHeight};
}"""

# For each label and select of the filters: its text, and whether it is shown whole. A select's
# options are measured in the select's own font against the room inside it (its width less its
# padding, where the arrow is drawn), as the browser would draw the chosen one.
FILTERS = """() => {
    const canvas = document.createElement('canvas').getContext('2d');
    const form = document.querySelector('form[role=search]');
    const labels = [...form.querySelectorAll('label')].map(l => {
        const style = getComputedStyle(l);
        return {text: l.textContent, fits: l.scrollWidth <= l.clientWidth && l.getClientRects().length > 0,
                ellipsis: style.textOverflow === 'ellipsis'};
    });
    const selects = [...form.querySelectorAll('select')].map(s => {
        const style = getComputedStyle(s);
        canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
        const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        const width = o => canvas.measureText(o.text).width;
        return {name: s.name, room: room, selected: s.options[s.selectedIndex].text,
                selectedFits: width(s.options[s.selectedIndex]) <= room,
                tooWide: [...s.options].filter(o => width(o) > room).map(o => o.text)};
    });
    return {labels, selects};
}"""


@pytest.fixture
def register(settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    fenland = make_party(name="Fenland Community Power Ltd", status=Party.Status.ACCEDED)
    make_user(email="priya@fenland.example", full_name="Priya Shah", party=fenland)
    make_user(email="sam@secas.example", full_name="Sam Analyst", role_names={roles.SECAS_STAFF})
    release = make_release(name="June 2027 SEC Release", slug="june-2027")
    make_modification(stage=Stage.REFINEMENT, path=Path.PATH_3, route=Route.REFINEMENT, number=210, title="Reporting")
    for n in range(30):
        make_modification(
            stage=[Stage.REFINEMENT, Stage.MRC, Stage.APPROVED][n % 3],
            path=Path.PATH_2,
            route=Route.REFINEMENT,
            number=300 + n,
            title=f"Smart meter change number {n} for Small Suppliers and Electricity Network Parties",
            proposer_party=fenland,
            target_release=release,
        )


def first_row(page) -> dict:
    return page.evaluate(FIRST_ROW)


@pytest.mark.parametrize("who", [None, "priya@fenland.example", "sam@secas.example"])
def test_the_first_result_is_on_the_first_screen_of_a_desktop_and_a_phone(page, axe, register, who):
    if who:
        sign_in(page, who)  # signed in, the page has buttons to raise modifications
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        page.goto("/modifications/")
        filters = page.locator("details", has=page.locator("summary", has_text="Search and filter"))
        chart = page.locator("details", has=page.locator("summary", has_text="In progress, by stage"))
        assert filters.get_attribute("open") is None and chart.get_attribute("open") is None
        assert not page.get_by_label("Stage").is_visible()  # folded away
        seen = first_row(page)
        assert seen["row"] < seen["height"], (viewport, seen)
        if who != "sam@secas.example" or viewport == DESKTOP:
            # Its reference and the first line of its title can be read without scrolling (SECAS
            # staff on a phone have two more buttons above: there the row's top is on screen).
            assert seen["link"] <= seen["height"], (viewport, seen)
        assert seen["reference"] == "MP329"
        check_page(page, axe)
    for width in (360, 768, 992, 1024):  # a tablet's width, where the rows are still cards, or just not
        assert_reflows(page, width)


def test_a_filter_opens_the_filters_and_the_chart_stays_folded(page, axe, register):
    page.set_viewport_size(DESKTOP)
    page.goto("/modifications/?stage=mrc")
    filters = page.locator("details", has=page.locator("summary", has_text="Search and filter"))
    assert filters.get_attribute("open") == ""
    assert page.get_by_label("Stage").input_value() == "mrc"
    assert "Modification Report Consultation" in page.locator("summary", has_text="Search and filter").inner_text()
    assert page.locator("details", has_text="In progress, by stage").get_attribute("open") is None
    check_page(page, axe)
    # The chart opens on request, and a stage in it is a filter.
    page.get_by_text("In progress, by stage").click()
    page.get_by_role("link", name="Approved: awaiting implementation").click()
    page.wait_for_url("**/modifications/?stage=approved")
    assert page.get_by_role("status").inner_text().startswith("10 modifications: Approved: awaiting implementation")


def test_searching_from_the_folded_filters_finds_a_reference_however_typed(page, register):
    page.set_viewport_size(PHONE)
    page.goto("/modifications/")
    page.get_by_text("Search and filter").click()
    for typed in ("MP 210", "mp210", "MP-210", "210"):
        page.get_by_label("Search", exact=True).fill(typed)
        with page.expect_navigation():
            page.get_by_role("button", name="Apply").click()
        assert first_row(page)["reference"] == "MP210", typed
        assert page.get_by_label("Search", exact=True).input_value() == typed  # open again, with the search


def test_every_filter_label_and_choice_is_shown_whole(page, register):
    page.set_viewport_size(DESKTOP)
    page.goto("/modifications/?state=open")  # a filter set: the form is open
    seen = page.evaluate(FILTERS)
    assert [label["text"] for label in seen["labels"]] == LABELS
    assert all(label["fits"] and not label["ellipsis"] for label in seen["labels"]), seen["labels"]
    # On a desktop every choice of every select fits, whichever is chosen.
    too_wide = {s["name"]: s["tooWide"] for s in seen["selects"]}
    assert too_wide == {name: [] for name in ("stage", "path", "category", "release", "state", "sort")}, seen

    page.set_viewport_size(PHONE)
    page.goto("/modifications/?state=open")
    seen = page.evaluate(FILTERS)
    assert [label["text"] for label in seen["labels"]] == LABELS
    assert all(label["fits"] and not label["ellipsis"] for label in seen["labels"]), seen["labels"]
    # On a phone what is shown is whole ("Any Party category", not "Any Party categ").
    assert all(s["selectedFits"] for s in seen["selects"]), seen["selects"]
    assert {s["selected"] for s in seen["selects"]} >= {"Any stage", "Any Party category", "In progress"}


def test_on_a_phone_each_row_is_a_card_that_shows_its_stage_and_is_still_a_table(page, axe, register):
    page.set_viewport_size(PHONE)
    page.goto("/modifications/")
    rows = page.locator("table.register tbody tr")
    assert rows.count() == 25
    for n in range(rows.count()):
        stage = rows.nth(n).locator(".badge.stage")
        box = stage.bounding_box()
        assert stage.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], n
        assert rows.nth(n).get_by_text("Target release:").is_visible()
    assert page.locator("table.register thead").bounding_box()["height"] <= 1  # headings are read, not shown
    # Chromium's accessibility tree still has the table: its rows, header cells and cells.
    cdp = page.context.new_cdp_session(page)
    tree = Counter(
        node["role"]["value"]
        for node in cdp.send("Accessibility.getFullAXTree")["nodes"]
        if not node.get("ignored") and "role" in node
    )
    assert tree["table"] == 1 and tree["columnheader"] == 5 and tree["row"] == 26 and tree["cell"] == 125, tree
    check_page(page, axe)
