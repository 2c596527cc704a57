from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# Pages a person who still has to set up MFA may reach: the account pages (sign out, MFA set-up
# itself), static files, the health check and the cookie pages.
_MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/cookies/")


class RequireMFAMiddleware:
    """Send privileged users without TOTP to set it up before any other page (SECPORTAL_REQUIRE_MFA)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            settings.SECPORTAL_REQUIRE_MFA
            and user is not None
            and user.is_authenticated
            and getattr(user, "requires_mfa", False)
            and not request.path.startswith(_MFA_EXEMPT_PREFIXES)
            and not user.has_totp
        ):
            messages.warning(
                request,
                "Your role needs two-factor authentication. Set up an authenticator app to continue.",
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
