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
