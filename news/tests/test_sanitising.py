"""Markdown cannot inject script: a corpus of hostile Markdown and HTML, through the same
renderer the post page uses (and through the page itself)."""

import re

import pytest
from django.urls import reverse

from news.tests.factories import make_post
from secportal.richtext import render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    '<img src="/media/ok.png" onerror="alert(1)">',
    "<svg onload=alert(1)><circle r=1></svg>",
    "<body onload=alert(1)>",
    '<iframe src="https://evil.example/"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<object data=javascript:alert(1)></object>",
    '<embed src="https://evil.example/x.swf">',
    '<form action="https://evil.example/"><input name=password></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<base href="https://evil.example/">',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    "<details open ontoggle=alert(1)>x</details>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="java&#x09;script:alert(1)">tab</a>',
    '<a href="&#106;avascript:alert(1)">entity</a>',
    "[ref][1]\n\n[1]: javascript:alert(1)",
    "<javascript:alert(1)>",
    '![x](javascript:alert(1) "t")',
    '<a href="https://ok.example/" onclick="alert(1)" onmouseover="alert(1)">ok</a>',
    "`<script>` in code is text",
    "    <script>alert('indented code')</script>",
]
FORBIDDEN = [
    "<script",
    "onerror",
    "onload",
    "onclick",
    "onmouseover",
    "ontoggle",
    "javascript:",
    "vbscript:",
    "data:text",
    "<iframe",
    "<object",
    "<embed",
    "<form",
    "<meta",
    "<base",
    "<style",
    "style=",
    "<svg",
    "srcdoc",
]


def _markup(html: str) -> str:
    """The tags and attributes of sanitised HTML without its text (nh3 escapes < and > in text)."""
    return re.sub(r">[^<]*<", "><", html)


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_input_is_neutralised(source):
    # Checked in the markup only: a person may write the words "javascript:" as text (CommonMark
    # keeps the text of an autolink whose address nh3 refused), and text is escaped, never run.
    html = str(render_markdown(source)).lower()
    for needle in FORBIDDEN:
        assert needle not in _markup(html), f"{needle!r} survived in {html!r}"


def test_script_in_code_stays_visible_as_text():
    assert "&lt;script&gt;" in str(render_markdown("`<script>` in code is text"))


def test_what_writers_need_is_kept():
    html = str(
        render_markdown(
            "## Heading\n\n### Sub-heading\n\n- one\n- two\n\n1. first\n\n"
            "[SECAS](https://secas.example/page) and [mail](mailto:secas@example.org)\n\n"
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n"
            "![Chart](/news/images/0b7c5d2e-3f1a-4c8e-9d6b-2a4f8e1c7b90.png)\n\n**bold** *em*"
        )
    )
    for needle in [
        "<h2>Heading</h2>",
        "<h3>",
        "<ul>",
        "<ol>",
        '<a href="https://secas.example/page"',
        'href="mailto:secas@example.org"',
        "<table>",
        "<th>",
        "<td>",
        "<strong>bold</strong>",
        '<img alt="Chart" src="/news/images/0b7c5d2e',
        "<em>em</em>",
    ]:
        assert needle in html, needle
    assert 'rel="noopener noreferrer nofollow"' in html


def test_images_from_other_sites_are_dropped():
    assert "evil.example" not in str(render_markdown("![x](https://evil.example/track.png)"))


@pytest.mark.parametrize(
    "source",
    [
        "![x](//evil.example/track.png)",
        "![x](/\\evil.example/track.png)",
        "![x](/news/images/../../events/slides/1/download/)",
        "![x](/events/slides/1/download/)",
    ],
)
def test_protocol_relative_images_are_dropped(source):
    html = str(render_markdown(source))
    assert "<img" not in html and "evil.example" not in html


@pytest.mark.django_db
def test_the_post_page_renders_the_body_sanitised(client):
    post = make_post(body="Hello <script>alert('x')</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>")
    html = client.get(reverse("news:post-detail", args=[post.slug])).content.decode()
    body = html.split('class="rich-text"', 1)[1]
    assert "alert(" not in body.split("</article>")[0]
    assert "Hello" in body
