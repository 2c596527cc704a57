"""What `panel` contributes to the dashboard and a Party's page."""

from .models import Membership
from .permissions import committee_rights
from .selectors import user_actions, user_upcoming_meetings


def my_committees(request, **objects) -> dict | None:
    user = request.user
    memberships = committee_rights(user).places  # the places that count today, read once per request
    actions = list(user_actions(user=user))
    if not memberships and not actions:
        return None
    return {"memberships": memberships, "meetings": list(user_upcoming_meetings(user=user)), "actions": actions}


def party_members(request, party, **objects) -> dict:
    members = (
        Membership.objects.current()
        .filter(party=party)
        .select_related("user", "committee", "seat")
        .order_by("committee__order", "user__full_name")
    )
    return {"party": party, "members": list(members)}
