from django.db.models import QuerySet
from django.http import Http404

from .models import AccountRequest, Party, User
from .permissions import can_decide_account_request


def party_list(*, include_withdrawn: bool = True) -> QuerySet[Party]:
    parties = Party.objects.all()
    if not include_withdrawn:
        parties = parties.exclude(status=Party.Status.WITHDRAWN)
    return parties.order_by("name")


def party_choices_for_account_request() -> QuerySet[Party]:
    """Parties a person may ask to join: any that has not withdrawn."""
    return party_list(include_withdrawn=False)


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


def staff_recipients() -> QuerySet[User]:
    """Active SECAS staff, who are told of new account requests."""
    from . import roles

    return User.objects.filter(is_active=True, groups__name=roles.SECAS_STAFF).distinct()
