"""Sending a person back where a form says they came from, without trusting what the form says."""

from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme

# Longer than any address the portal makes; a longer `next` is somebody's experiment.
MAX_NEXT_LENGTH = 2000


def safe_next_url(request: HttpRequest, default: str) -> str:
    """The `next` the request carries (posted, else in the query) if it is an address on this
    portal, beginning with "/"; otherwise `default` (a path, not a URL name).

    A plain word ("abc") is refused as well as another site: given to `redirect()`, it would be
    taken for a URL name and fail.
    """
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if (
        candidate.startswith("/")
        and len(candidate) <= MAX_NEXT_LENGTH
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return default


def redirect_to_next(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """A redirect to `safe_next_url(request, default)`."""
    return HttpResponseRedirect(safe_next_url(request, default))
