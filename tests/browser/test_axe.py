"""The accessibility check itself: the axe fixture must report what is wrong, or every journey's
"axe finds nothing" would prove nothing."""

import pytest

pytestmark = pytest.mark.browser


def test_axe_reports_an_image_without_a_text_alternative_and_a_console_error(browser, axe):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
        page.set_content(
            '<!doctype html><html lang="en"><head><title>Check</title></head><body><main><h1>Check</h1>'
            '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
            "<script>console.error('broken')</script></main></body></html>"
        )
        ids = [violation["id"] for violation in axe(page)]
    finally:
        context.close()
    assert "image-alt" in ids
    assert "browser-console-error" in ids
