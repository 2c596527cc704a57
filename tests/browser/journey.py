"""Steps every journey takes: signing in, and checking a page with axe-core."""

from parties.tests.factories import PASSWORD


def assert_accessible(page, axe) -> None:
    violations = axe(page)
    assert violations == [], f"axe-core found violations on {page.url}: {violations}"


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/")


def assert_reflows(page, width: int = 320) -> None:
    """WCAG 1.4.10: at `width` CSS pixels the page needs no horizontal scrolling. A wide table may
    scroll inside its own labelled region; the document itself must not be wider than the window.
    The window size is restored afterwards, so a journey can check any page it visits."""
    before = page.viewport_size
    page.set_viewport_size({"width": width, "height": 800})
    try:
        widths = page.evaluate(
            "() => ({document: document.documentElement.scrollWidth, window: window.innerWidth,"
            " wide: [...document.querySelectorAll('body *')].filter(e => {"
            "   const r = e.getBoundingClientRect(); return r.right > window.innerWidth + 1 && r.width > 0"
            "     && !e.closest('[data-scroll-region]'); }).slice(0, 5)"
            "   .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +"
            "     (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : ''))})"
        )
    finally:
        if before:
            page.set_viewport_size(before)
    assert widths["document"] <= widths["window"], (
        f"{page.url} is {widths['document']} px wide at {width} px; wider than the window: {widths['wide']}"
    )


def check_page(page, axe) -> None:
    """What every journey checks on every page it visits: axe finds nothing, and it reflows at 320 px."""
    assert_accessible(page, axe)
    assert_reflows(page)
