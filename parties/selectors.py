from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from . import roles
from .models import AccountRequest, Invitation, Party, PartyChangeRequest, PartyEvent, PartySlug, User
from .permissions import (
    can_decide_account_request,
    can_decide_party_change,
    can_manage_party_users,
    can_view_party_history,
    can_view_party_users,
)

PARTY_SORTS = {
    "name": ("name",),
    "-name": ("-name",),
    "category": ("category", "name"),
    "status": ("status", "name"),
    "acceded": ("acceded_on", "name"),
    "-acceded": ("-acceded_on", "name"),
}


@dataclass(frozen=True)
class PartyFilters:
    category: str = ""
    status: str = ""
    q: str = ""
    sort: str = "name"


def party_list(*, filters: PartyFilters | None = None, include_withdrawn: bool = True) -> QuerySet[Party]:
    filters = filters or PartyFilters()
    parties = Party.objects.select_related("voting_group")
    if not include_withdrawn:
        parties = parties.exclude(status=Party.Status.WITHDRAWN)
    if filters.category:
        parties = parties.filter(category=filters.category)
    if filters.status:
        parties = parties.filter(status=filters.status)
    if filters.q:
        parties = parties.filter(
            Q(name__icontains=filters.q) | Q(party_signifier__iexact=filters.q) | Q(old_slugs__slug=filters.q)
        ).distinct()
    return parties.order_by(*PARTY_SORTS.get(filters.sort, PARTY_SORTS["name"]))


def party_category_counts() -> list[dict]:
    """Every category with its number of Parties that have not withdrawn (one query)."""
    counts = dict(
        Party.objects.exclude(status=Party.Status.WITHDRAWN)
        .values_list("category")
        .annotate(n=Count("id"))
        .values_list("category", "n")
    )
    return [{"value": c.value, "label": c.label, "count": counts.get(c.value, 0)} for c in Party.Category]


def party_choices_for_account_request() -> QuerySet[Party]:
    """Parties a person may ask to join: any that has not withdrawn."""
    return party_list(include_withdrawn=False)


def party_get(*, slug: str) -> tuple[Party, bool]:
    """The Party with this slug, or the Party that once had it (second value True: redirect)."""
    party = Party.objects.select_related("voting_group").filter(slug=slug).first()
    if party is not None:
        return party, False
    old = PartySlug.objects.select_related("party").filter(slug=slug).first()
    if old is None:
        raise Http404("No Party has this address.")
    return old.party, True


def party_people(*, user: User, party: Party) -> list[dict] | None:
    """The Party's users with their administrator flag (None when the viewer may not see them)."""
    if not can_view_party_users(user, party):
        return None
    show_removed = can_manage_party_users(user, party)
    people = party.users.prefetch_related("groups").order_by("-is_active", "full_name")
    if not show_removed:
        people = people.filter(is_active=True)
    return [
        {
            "user": person,
            "is_admin": any(g.name == roles.PARTY_ADMINISTRATOR for g in person.groups.all()),
        }
        for person in people
    ]


def party_invitations(*, user: User, party: Party) -> QuerySet[Invitation]:
    if not can_manage_party_users(user, party):
        raise Http404
    return party.invitations.select_related("invited_by", "accepted_user").order_by("-created_at")


def party_history(*, user: User, party: Party, limit: int = 50) -> list[PartyEvent] | None:
    if not can_view_party_history(user, party):
        return None
    return list(party.events.select_related("actor")[:limit])


def party_for_management(*, user: User, slug: str) -> Party:
    """A Party whose people the user administers; any other answers 404."""
    party, _ = party_get(slug=slug)
    if not can_manage_party_users(user, party):
        raise Http404
    return party


def party_user_get(*, user: User, party: Party, user_id: int) -> User:
    if not can_manage_party_users(user, party):
        raise Http404
    try:
        return party.users.get(pk=user_id)
    except User.DoesNotExist:
        raise Http404 from None


def party_change_request_list(*, user: User) -> QuerySet[PartyChangeRequest]:
    if not can_decide_party_change(user):
        raise Http404
    return PartyChangeRequest.objects.select_related("party", "requested_by", "decided_by").order_by(
        "-status", "-created_at"
    )


def party_change_request_get(*, user: User, pk: int) -> PartyChangeRequest:
    try:
        return party_change_request_list(user=user).get(pk=pk)
    except PartyChangeRequest.DoesNotExist:
        raise Http404 from None


def party_pending_change(*, party: Party) -> PartyChangeRequest | None:
    return party.change_requests.filter(status=PartyChangeRequest.Status.PENDING).first()


def account_request_list(*, user: User) -> QuerySet[AccountRequest]:
    if not can_decide_account_request(user):
        raise Http404
    return AccountRequest.objects.select_related("party", "decided_by").order_by("-status", "-created_at")


def account_request_get(*, user: User, pk: int) -> AccountRequest:
    if not can_decide_account_request(user):
        raise Http404
    try:
        return AccountRequest.objects.select_related("party", "decided_by", "user").get(pk=pk)
    except AccountRequest.DoesNotExist:
        raise Http404 from None


def account_request_pending_count() -> int:
    return AccountRequest.objects.filter(status=AccountRequest.Status.PENDING).count()


def party_change_pending_count() -> int:
    return PartyChangeRequest.objects.filter(status=PartyChangeRequest.Status.PENDING).count()


def staff_recipients() -> QuerySet[User]:
    """Active SECAS staff, who are told of new requests to decide."""
    return User.objects.filter(is_active=True, groups__name=roles.SECAS_STAFF).distinct()
