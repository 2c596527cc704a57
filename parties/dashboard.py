"""What `parties` contributes to the dashboard."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from secportal.classification import committee_access
from secportal.queues import QUEUE_LIMIT, Button, Due, QueueItem, queue
from secportal.templatetags.portal import ukdate
from secportal.workingdays import LONDON, local_today, working_days_between

from .models import AccountRequest, Invitation, PartyChangeRequest, User
from .permissions import can_decide_account_request, can_decide_party_change, can_manage_party_users, is_secas_staff


def account_section(request, **objects) -> dict:
    user = request.user
    return {
        "user": user,
        "roles": sorted(user.role_names),
        "is_secas": is_secas_staff(user),
        "memberships": committee_access(user).memberships,
        "has_totp": user.has_totp,
    }


def _asked(created, today) -> str:
    """When a request came, and how many Working Days it has waited since (none on the day)."""
    days = working_days_between(created.astimezone(LONDON).date(), today)
    waited = f", waiting {days} Working Day{'' if days == 1 else 's'}" if days else ""
    return f"asked {ukdate(created)}{waited}"


def account_requests_section(request, **objects) -> dict | None:
    """For SECAS: account requests and requests to change a Party's details awaiting a decision,
    the oldest first, with how long each has waited (neither has a deadline of its own)."""
    user = request.user
    decides_accounts, decides_changes = can_decide_account_request(user), can_decide_party_change(user)
    if not (decides_accounts or decides_changes):
        return None
    today = local_today()
    rows, count = [], 0
    if decides_accounts:
        pending = AccountRequest.objects.filter(status=AccountRequest.Status.PENDING)
        shown = list(pending.select_related("party").order_by("created_at", "pk")[:QUEUE_LIMIT])
        count += pending.count()
        rows += [
            (
                r.created_at,
                QueueItem(
                    title=f"{r.full_name} for {r.party.name}",
                    url=reverse("parties:accountrequest-detail", args=[r.pk]),
                    detail=f"{r.job_title} · {_asked(r.created_at, today)}",
                    status="Account",
                ),
            )
            for r in shown
        ]
    if decides_changes:
        pending = PartyChangeRequest.objects.filter(status=PartyChangeRequest.Status.PENDING)
        shown = list(pending.select_related("party", "requested_by").order_by("created_at", "pk")[:QUEUE_LIMIT])
        count += pending.count()
        rows += [
            (
                c.created_at,
                QueueItem(
                    title=f"Change to {c.party.name}'s details",
                    url=reverse("parties:change-request-detail", args=[c.pk]),
                    detail=f"By {c.requested_by} · {_asked(c.created_at, today)}",
                    status="Party change",
                ),
            )
            for c in shown
        ]
    rows.sort(key=lambda row: row[0])
    items = [item for _, item in rows[:QUEUE_LIMIT]]
    return queue(
        items,
        count=count,
        empty="No account request or change to a Party's details is awaiting a decision.",
        links=[
            (reverse("parties:accountrequest-list") if decides_accounts else "", "All account requests"),
            (reverse("parties:change-request-list") if decides_changes else "", "All changes to Party details"),
        ],
    )


def party_people_queue(request, **objects) -> dict | None:
    """For a Party's administrators: invitations not yet accepted (open ones with their expiry;
    those that expired lately, to send again) and account requests for their Party awaiting
    SECAS's decision. Another Party's are never shown."""
    user = request.user
    party = user.party
    if party is None or is_secas_staff(user) or not can_manage_party_users(user, party):
        return None
    now, today = timezone.now(), local_today()
    has_account = User.objects.filter(email__iexact=OuterRef("email"))
    invitations = list(
        Invitation.objects.filter(
            party=party,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now - timedelta(days=settings.SECPORTAL_INVITATION_DAYS),
        )
        .exclude(Exists(has_account))
        .select_related("invited_by")
        .order_by("expires_at", "pk")
    )
    requests = list(
        AccountRequest.objects.filter(party=party, status=AccountRequest.Status.PENDING).order_by("created_at", "pk")
    )
    people_url = reverse("parties:party-people", args=[party.slug])
    items = []
    for inv in invitations:
        if inv.expires_at <= now:
            items.append(
                QueueItem(
                    title=f"Invitation to {inv.email}",
                    url=people_url,
                    detail=f"Sent {ukdate(inv.created_at)} by {inv.invited_by}; it expired {ukdate(inv.expires_at)} "
                    "without being accepted",
                    status="Expired",
                    button=Button(
                        action=people_url,
                        label="Send a new invitation",
                        fields=(("email", inv.email),),
                        context=f"to {inv.email}",
                    ),
                )
            )
        else:
            items.append(
                QueueItem(
                    title=f"Invitation to {inv.email}",
                    url=people_url,
                    detail=f"Sent {ukdate(inv.created_at)} by {inv.invited_by}; not accepted yet",
                    status="Open",
                    due=Due(
                        day=inv.expires_at.astimezone(LONDON).date(), at=inv.expires_at, label="expires", today=today
                    ),
                )
            )
    for r in requests:
        items.append(
            QueueItem(
                title=f"{r.full_name} asked for an account",
                detail=f"{r.job_title} · asked {ukdate(r.created_at)}; SECAS approves or declines it",
                status="Awaiting SECAS",
            )
        )
    users = party.users.filter(is_active=True).count()
    return queue(
        items[:QUEUE_LIMIT],
        count=len(items),
        count_label="pending",
        party=party,
        intro=f"{party.name} has {users} user{'' if users == 1 else 's'} on the portal.",
        empty=f"No invitation or account request for {party.name} is pending.",
        links=[
            (people_url, "Invite or manage colleagues"),
            (reverse("parties:party-change-request", args=[party.slug]), "Request a change to the Party's details"),
        ],
    )
