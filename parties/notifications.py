"""What SECAS staff are told about requests to decide: account requests and changes to a Party's
details. Registered with secportal in PartiesConfig.ready().

The request that records one only announces it (one row, whatever the number of staff); a Celery
task tells each member of SECAS staff (`staff_recipients`), in the portal and by email as they chose."""

from django.urls import reverse

from secportal.models import Happening
from secportal.notifications import announce
from secportal.registry import NotificationKind, notification_access, notification_audiences, notification_kinds

from .models import AccountRequest, PartyChangeRequest
from .permissions import can_decide_account_request, can_decide_party_change
from .selectors import staff_recipients

ACCOUNT_REQUEST_TO_DECIDE = "account_request.to_decide"
PARTY_CHANGE_TO_DECIDE = "party_change.to_decide"
SECAS = "parties.secas"  # audience: active SECAS staff

KINDS = (
    NotificationKind(
        ACCOUNT_REQUEST_TO_DECIDE,
        "An account request to decide (SECAS)",
        "For SECAS staff: someone asks for an SEC Portal account for their Party.",
        topic="Parties and accounts",
    ),
    NotificationKind(
        PARTY_CHANGE_TO_DECIDE,
        "A change of a Party's details to decide (SECAS)",
        "For SECAS staff: a Party administrator asks to change their Party's details.",
        topic="Parties and accounts",
    ),
)


def account_request_to_decide(*, account_request: AccountRequest) -> Happening:
    """In the transaction that records an account request: SECAS staff are told after commit."""
    ar, party = account_request, account_request.party
    return announce(
        audience=SECAS,
        kind=ACCOUNT_REQUEST_TO_DECIDE,
        subject_obj=ar,
        title=f"Account request to decide: {ar.full_name} ({party.name})",
        body=f"{ar.full_name} ({ar.email}), {ar.job_title}, asks for an SEC Portal account for {party.name}. "
        "Approve or decline it on its page.",
        url=reverse("parties:accountrequest-detail", args=[ar.pk]),
        group="Account requests",
    )


def party_change_to_decide(*, change: PartyChangeRequest) -> Happening:
    """In the transaction that records a change request: SECAS staff are told after commit."""
    rows = "\n".join(f"{row['label']}: “{row['old']}” → “{row['new']}”" for row in change.proposed_rows())
    return announce(
        audience=SECAS,
        kind=PARTY_CHANGE_TO_DECIDE,
        subject_obj=change,
        title=f"Change of details to decide: {change.party.name}",
        body=f"{change.requested_by} asks to change the details of {change.party.name}:\n{rows}\n"
        "Approve or reject it on its page.",
        url=reverse("parties:change-request-detail", args=[change.pk]),
        group="Changes to Parties' details",
    )


def _announced_secas(happening) -> set[int]:
    return set(staff_recipients().values_list("pk", flat=True))


def _visible(model, may_decide, own_field: str):
    """A request is told to, and listed for, the people who may decide it; its own emails (the
    decision, to the person who asked) go to that person too."""

    def visible(user, ids: list[str]) -> set[str]:
        if may_decide(user):
            return set(ids)
        own = model.objects.filter(pk__in=ids, **{own_field: user}).values_list("pk", flat=True)
        return {str(pk) for pk in own}

    return visible


def _deciders(users: list, object_id: str) -> set[int]:
    """Of many people at once (their roles read beforehand): SECAS staff, whose role holds every
    permission of `parties` (parties/roles.py), and superusers."""
    return {u.pk for u in users if u.is_active and (u.is_superuser or u.is_secas_staff)}


def register() -> None:
    for kind in KINDS:
        notification_kinds.register(kind)
    notification_access.register(
        AccountRequest._meta.label_lower,
        _visible(AccountRequest, can_decide_account_request, "user"),
        audience=_deciders,
    )
    notification_access.register(
        PartyChangeRequest._meta.label_lower,
        _visible(PartyChangeRequest, can_decide_party_change, "requested_by"),
        audience=_deciders,
    )
    notification_audiences.register(SECAS, _announced_secas)
