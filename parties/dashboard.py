"""What `parties` contributes to the dashboard."""

from allauth.mfa.models import Authenticator

from .permissions import can_decide_account_request
from .selectors import account_request_pending_count


def account_section(request) -> dict:
    user = request.user
    return {
        "user": user,
        "roles": sorted(user.role_names),
        "has_totp": Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists(),
    }


def account_requests_section(request) -> dict | None:
    if not can_decide_account_request(request.user):
        return None
    return {"pending_count": account_request_pending_count()}
