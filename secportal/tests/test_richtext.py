"""Rich text: Markdown that cannot inject script, point images elsewhere, or break accessibility."""

import pytest

from secportal.richtext import HTML_GROWTH, MAX_NESTING, render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<img src=x onerror=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '<div onclick="alert(1)">x</div>',
    "![t](//evil.example/p.png)",
    "![t](https://evil.example/p.png)",
    "![t](/modifications/documents/1/download/)",
    "![t](/news/images/../../modifications/documents/1/download/)",
    "![t](/news/images/.%2e/.%2e/accounts/logout/)",
    '<svg onload="alert(1)"></svg>',
    "<style>body{display:none}</style>",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_is_neutralised(text):
    html = render_markdown(text).lower()
    for bad in (
        "<script",
        "javascript:",
        "onerror",
        "onclick",
        "onload",
        "<iframe",
        "<style",
        "<svg",
        "evil.example",
        "/download/",
        "data:text",
    ):
        assert bad not in html, (text, html)


def test_our_own_images_links_tables_and_headings_stay():
    html = render_markdown(
        "## Heading\n\n![Chart](/news/images/0b6e6900-1111-4222-8333-0b2545abcdef.png) [SEC](https://smartenergycodecompany.example)\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<h2>Heading</h2>" in html
    assert '<img alt="Chart" src="/news/images/0b6e6900-1111-4222-8333-0b2545abcdef.png">' in html
    assert 'href="https://smartenergycodecompany.example"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "<table>" in html and "<td>1</td>" in html


def test_every_kept_image_has_alt_text():
    assert 'alt=""' in render_markdown('<img src="/news/images/0b6e6900-1111-4222-8333-0b2545abcdef.png">')


def test_headings_start_below_the_pages_own_h1():
    html = render_markdown("# Background\n\n### Detail\n\nText")
    assert "<h2>Background</h2>" in html and "<h3>Detail</h3>" in html and "<h1>" not in html


# Hostile input of 20,000 characters and more, each of which kept Python-Markdown busy for seconds
# to about a minute (quadratic). A smoke test of bounded size: it finishes fast because the parser
# is linear; the nesting is bounded too.
HOSTILE_LONG = {
    "brackets": "[" * 20_000,
    "stars": "*" * 20_000,
    "underscores": "_" * 20_000,
    "nested quotes": "> " * 10_000,
    "quote marks": ">" * 20_000,
    "quotes in lists": "> - " * 5_000,
    "nested lists": "1. " * 6_667,
    "angle brackets": "<" * 20_000,
    "unclosed links": "[a](" * 5_000,
    "link chain": "[a](b)" * 3_334,
    "images": "![" * 10_000,
    "backticks": "`" * 20_000,
    "tags": "<a " * 6_667,
}


@pytest.mark.parametrize("text", HOSTILE_LONG.values(), ids=HOSTILE_LONG.keys())
def test_hostile_input_of_20000_characters_renders_and_stays_bounded(text):
    assert len(text) >= 20_000
    html = render_markdown(text)
    assert len(html) <= HTML_GROWTH * len(text)
    for tag in ("<blockquote>", "<ul>", "<ol>", "<li>"):
        assert html.count(tag) <= MAX_NESTING, tag


def test_setext_headings_start_below_the_pages_own_h1_too():
    assert render_markdown("Background\n==========\n\nText").startswith("<h2>Background</h2>")
