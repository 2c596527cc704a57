from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from secportal import ratelimit
from secportal.exceptions import ApplicationError

from . import selectors, services
from .forms import AccountRequestDeclineForm, AccountRequestForm
from .models import Party

# Public, unauthenticated, and each request emails SECAS staff: keep bots from flooding them.
ACCOUNT_REQUESTS_PER_HOUR = 5


def party_list(request: HttpRequest) -> HttpResponse:
    parties = selectors.party_list()
    return render(request, "parties/party_list.html", {"parties": parties, "categories": Party.Category})


def account_request_create(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        messages.info(request, "You already have an account.")
        return redirect("dashboard")
    form = AccountRequestForm(request.POST or None)
    if request.method == "POST" and not ratelimit.allow(
        action="account_request", key=ratelimit.client_ip(request), limit=ACCOUNT_REQUESTS_PER_HOUR, period_seconds=3600
    ):
        form.add_error(
            None, "Too many account requests have come from your network in the last hour. Please try later."
        )
        return render(request, "parties/accountrequest_form.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_request_create(**form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return render(request, "parties/accountrequest_done.html", {"email": form.cleaned_data["email"]})
    return render(request, "parties/accountrequest_form.html", {"form": form})


@login_required
def account_request_list(request: HttpRequest) -> HttpResponse:
    requests_qs = selectors.account_request_list(user=request.user)
    page = Paginator(requests_qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "parties/accountrequest_list.html",
        {"page": page, "pending_count": selectors.account_request_pending_count()},
    )


@login_required
def account_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account_request = selectors.account_request_get(user=request.user, pk=pk)
    return render(
        request,
        "parties/accountrequest_detail.html",
        {"account_request": account_request, "decline_form": AccountRequestDeclineForm()},
    )


@login_required
@require_POST
def account_request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    account_request = selectors.account_request_get(user=request.user, pk=pk)
    decision = request.POST.get("decision")
    decline_form = AccountRequestDeclineForm(request.POST if decision == "decline" else None)
    try:
        if decision == "approve":
            services.account_request_approve(actor=request.user, account_request=account_request)
            messages.success(
                request, f"Approved. {account_request.full_name} has been emailed a link to set their password."
            )
            return redirect("parties:accountrequest-list")
        if decision == "decline":
            if decline_form.is_valid():
                services.account_request_decline(
                    actor=request.user, account_request=account_request, reason=decline_form.cleaned_data["reason"]
                )
                messages.success(request, f"Declined. {account_request.full_name} has been told why.")
                return redirect("parties:accountrequest-list")
        else:
            messages.error(request, "Choose to approve or decline the request.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
        account_request.refresh_from_db()
    return render(
        request,
        "parties/accountrequest_detail.html",
        {"account_request": account_request, "decline_form": decline_form},
        status=400,
    )
