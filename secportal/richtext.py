"""Rich text: Markdown rendered once, when it is saved, then sanitised with nh3, and shown from storage.

A model that holds rich text mixes in `RichText`, names the fields in `rich_text_fields`, and
declares a `<name>_html` companion (a `SanitisedHTMLField`) for each. Every `save()` that writes a
source field renders it into its companion: services, the admin, the demo data and the factories
all save through there, so nothing shows stale or unsanitised HTML. Pages print the companion and
never parse Markdown while a request is served.

The parser is markdown-it-py (CommonMark), linear in the length of its input: 20,000 `[` take
about a quarter of a second to render where Python-Markdown took about fifty. Nesting is bounded
(`MAX_NESTING`), and every source field has a `max_length` that a real author never meets, so a
save costs a bounded, small amount of work whatever is typed.
"""

import re

import nh3
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from secportal.exceptions import ApplicationError

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "img",
    "sup",
    "sub",
    "abbr",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "abbr": {"title"},
}
# Images only from our own published images; links only to the web and email.
URL_SCHEMES = {"http", "https", "mailto"}
# Quotes in lists in quotes deeper than this are not writing: what lies deeper is left out.
MAX_NESTING = 20
# The HTML of a field may be at most this many times the field's max_length (see _rendered).
HTML_GROWTH = 10


class _Parser(MarkdownIt):
    def validateLink(self, url: str) -> bool:  # markdown-it's name
        # Every link is parsed as a link and nh3 alone decides which URLs survive (URL_SCHEMES), as
        # it does for links in raw HTML: a refused `[text](javascript:...)` shows its text, unlinked.
        return True


# CommonMark with tables; raw HTML passes the parser and is then cut down to the allow-list by nh3.
_PARSER = _Parser("commonmark", {"html": True, "maxNesting": MAX_NESTING}).enable("table")

_IMAGE_PATH = re.compile(r"^/news/images/[0-9a-f-]{36}\.(png|jpg|jpeg)$")


def _image_filter(element: str, attribute: str, value: str) -> str | None:
    if element == "img" and attribute == "src" and not _IMAGE_PATH.match(value):
        return None
    return value


def render_markdown(text: str) -> SafeString:
    """Markdown to sanitised HTML. Called when rich text is saved (and by data migrations)."""
    tokens = _PARSER.parse(text or "")
    for token in tokens:
        # The page has its own h1: a "# Heading" in someone's text becomes an h2.
        if token.tag == "h1":
            token.tag = "h2"
        for child in token.children or ():
            if child.type == "image":  # alt first, as raw HTML images get it below
                child.attrs = {"alt": "", **child.attrs}
    html = _PARSER.renderer.render(tokens, _PARSER.options, {})
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
    return mark_safe(re.sub(r"<img(?![^>]*\salt=)", '<img alt=""', clean))  # sanitised by nh3 just above


def source_text(text: str) -> str:
    """Text from a text box (Markdown, a summary) as typed, with the line endings a browser sends
    (CRLF) made plain newlines and the ends trimmed: a form sent back untouched then compares equal
    to what is stored."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


class SanitisedHTMLField(models.TextField):
    """The HTML of a rich text field, written only by `RichText.save()` from the output of
    `render_markdown` (sanitised by nh3), so templates may print it as it is."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        return value if value is None else mark_safe(value)


class RichTextRefused(ApplicationError):
    """A rich text field that may not be saved: too long, or it grows too long once formatted."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _rendered(field, text: str) -> SafeString:
    label = str(field.verbose_name).capitalize()
    if len(text) > field.max_length:
        raise RichTextRefused(
            field.name,
            f"“{label}” is {len(text):,} characters long; the most it may be is {field.max_length:,}. "
            "Put longer material in a document and link to it.",
        )
    html = render_markdown(text)
    # Formatting adds at most a few times the text (a link chain about nine), except a reference
    # link, which repeats its address at every use: "[a][b]" 3,000 times could make megabytes.
    if len(html) > HTML_GROWTH * field.max_length:
        raise RichTextRefused(
            field.name,
            f"“{label}” grows to {len(html):,} characters once formatted; the most it may be is "
            f"{HTML_GROWTH * field.max_length:,}. Repeat fewer links, or put the material in a document.",
        )
    return html


class RichText:
    """Mixed into a model before `models.Model`: renders `rich_text_fields` into their `_html`
    companions on save. Each source field has a `max_length`."""

    rich_text_fields: tuple[str, ...] = ()

    def render_rich_text(self, names=None):
        """Check and render the named source fields (all of them by default); returns the object, for
        `bulk_create`, which does not call `save()`. A text over its field's `max_length`, or whose
        HTML would pass `HTML_GROWTH` times that, is refused (RichTextRefused, an ApplicationError
        with a message for the writer) before anything is set."""
        names = self.rich_text_fields if names is None else names
        rendered = {name: _rendered(self._meta.get_field(name), getattr(self, name) or "") for name in names}
        for name, html in rendered.items():
            setattr(self, f"{name}_html", html)
        return self

    def clean(self) -> None:
        """The admin's forms (and any ModelForm) show a refusal on the field instead of failing at save."""
        super().clean()
        try:
            self.render_rich_text()
        except RichTextRefused as exc:
            raise ValidationError({exc.field: exc.message}) from exc

    def save(self, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            self.render_rich_text()
        else:
            written = [name for name in self.rich_text_fields if name in update_fields]
            self.render_rich_text(written)
            kwargs["update_fields"] = [*update_fields, *(f"{name}_html" for name in written)]
        super().save(**kwargs)


def render_stored_rows(app_label: str, rich_text: dict[str, tuple[str, ...]], *, batch_size: int = 200):
    """A data migration's forward step: fill the `_html` companions of the rows of `app_label`
    written before they existed ({model name: source fields}). It works on the historical models,
    which have the fields but not `RichText`, and checks no length: text already saved is shown."""

    def render(apps, schema_editor) -> None:
        for model_name, names in rich_text.items():
            model = apps.get_model(app_label, model_name)
            rows = model.objects.using(schema_editor.connection.alias)
            html_fields = [f"{name}_html" for name in names]
            batch = []
            for row in rows.only("pk", *names).order_by("pk").iterator(chunk_size=batch_size):
                for name in names:
                    setattr(row, f"{name}_html", str(render_markdown(getattr(row, name))))
                batch.append(row)
                if len(batch) == batch_size:
                    rows.bulk_update(batch, html_fields)
                    batch = []
            rows.bulk_update(batch, html_fields)

    return render
