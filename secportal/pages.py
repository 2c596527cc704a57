"""The pages SECAS edits without a developer (the welcome to the SEC on the home page, the privacy
notice, the accessibility statement): who may edit them, reading them, and the one write, which
keeps every version with who saved it and when."""

from django.db import transaction
from django.utils import timezone

from .exceptions import ApplicationError
from .models import PageText, PageTextRevision
from .richtext import source_text


def can_edit_pages(user) -> bool:
    """SECAS staff, as for news posts (the role holds every `secportal` permission)."""
    return bool(user and user.is_authenticated and user.is_active and user.has_perm("secportal.change_pagetext"))


def page_get(slug: str) -> PageText | None:
    """The page, or None for a slug that is not one of `PageText.Page` (or a row someone deleted)."""
    if slug not in PageText.Page.values:
        return None
    return PageText.objects.select_related("updated_by").filter(slug=slug).first()


def page_revisions(page: PageText) -> list[PageTextRevision]:
    return list(page.revisions.select_related("editor"))


@transaction.atomic
def page_update(*, actor, page: PageText, title: str, body: str) -> tuple[PageText, bool]:
    """Save new words for a page; returns the page and whether anything changed (an unchanged save
    writes nothing). The text is rendered and sanitised as it is saved (RichText); a text too long
    is refused with a message, and nothing is saved."""
    if not can_edit_pages(actor):
        raise ApplicationError("Only SECAS staff can edit the portal's pages.")
    title, body = title.strip(), source_text(body)
    if not title:
        raise ApplicationError("Give the page a title.")
    if not body:
        raise ApplicationError("Write the text of the page.")
    page = PageText.objects.select_for_update().get(pk=page.pk)
    if (page.title, page.body) == (title, body):
        return page, False
    page.title, page.body = title, body
    page.updated_at, page.updated_by = timezone.now(), actor
    page.save()
    last = page.revisions.order_by("-number").values_list("number", flat=True).first() or 0
    PageTextRevision.objects.create(page=page, number=last + 1, title=title, body=body, editor=actor)
    return page, True
