"""What `parties` contributes to the dashboard."""

from django.utils import timezone

from secportal.classification import committee_access

from .models import Invitation
from .permissions import can_decide_account_request, can_decide_party_change, can_manage_party_users
from .selectors import account_request_pending_count, party_change_pending_count


def account_section(request, **objects) -> dict:
    user = request.user
    return {
        "user": user,
        "roles": sorted(user.role_names),
        "memberships": committee_access(user).memberships,
        "has_totp": user.has_totp,
    }


def account_requests_section(request, **objects) -> dict | None:
    if not can_decide_account_request(request.user):
        return None
    return {
        "pending_count": account_request_pending_count(),
        "changes_pending": party_change_pending_count() if can_decide_party_change(request.user) else 0,
    }


def my_party_section(request, **objects) -> dict | None:
    """For a Party's administrators: its people and open invitations at a glance."""
    user = request.user
    party = user.party
    if party is None or not can_manage_party_users(user, party):
        return None
    return {
        "party": party,
        "user_count": party.users.filter(is_active=True).count(),
        "open_invitations": Invitation.objects.filter(
            party=party, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).count(),
    }
