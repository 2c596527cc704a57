"""Rich text: Markdown rendered, then sanitised with nh3 (never `|safe` on user input)."""

import functools
import re

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "img", "sup", "sub", "abbr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "abbr": {"title"},
}
# Images only from our own published images; links only to the web and email.
URL_SCHEMES = {"http", "https", "mailto"}


_IMAGE_PATH = re.compile(r"^/news/images/[0-9a-f-]{36}\.(png|jpg|jpeg)$")


def _image_filter(element: str, attribute: str, value: str) -> str | None:
    if element == "img" and attribute == "src" and not _IMAGE_PATH.match(value):
        return None
    return value


_TOP_HEADING = re.compile(r"^#(?=\s)", re.MULTILINE)


def render_markdown(text: str) -> SafeString:
    return mark_safe(_render(text or ""))  # sanitised by nh3 in _render


# The same text always gives the same HTML: a page shown again (a modification's issue, a news
# post) reuses it instead of parsing and sanitising on every request. Bounded, per process.
@functools.lru_cache(maxsize=256)
def _render(text: str) -> str:
    # The page has its own h1: a "# Heading" in someone's text becomes an h2, not plain text.
    text = _TOP_HEADING.sub("##", text)
    html = markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_image_filter,
    )
    # An image whose source was refused is dropped whole; every kept image has an alt text.
    clean = re.sub(r"<img(?![^>]*\ssrc=)[^>]*>", "", clean)
    return re.sub(r"<img(?![^>]*\salt=)", '<img alt=""', clean)
