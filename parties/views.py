from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from secportal import ratelimit
from secportal.classification import committee_access
from secportal.exceptions import ApplicationError
from secportal.registry import party_sections
from secportal.undo import success_with_undo

from . import selectors, services, tasks
from .forms import (
    AccountRequestDeclineForm,
    AccountRequestForm,
    DecisionNoteForm,
    InvitationAcceptForm,
    InvitationForm,
    PartyChangeRequestForm,
    PartyCreateForm,
    PartyFilterForm,
    PartyForm,
    PartyStatusForm,
    ProfileForm,
)
from .models import Party
from .permissions import (
    can_manage_party_users,
    can_request_party_change,
    can_view_party_users,
    is_secas_staff,
)
from .tasks import enqueue_after_commit

# Public, unauthenticated, and each request emails SECAS staff: keep bots from flooding them.
ACCOUNT_REQUESTS_PER_HOUR = 5
PARTIES_PER_PAGE = 25


def _staff_only(request: HttpRequest) -> None:
    if not is_secas_staff(request.user):
        raise Http404


# --- The register and one Party ----------------------------------------------------------------


def party_list(request: HttpRequest) -> HttpResponse:
    form = PartyFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else selectors.PartyFilters()
    page = Paginator(selectors.party_list(filters=filters), PARTIES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "parties/party_list.html",
        {
            "form": form,
            "page": page,
            "filters": filters,
            "querystring": query.urlencode(),
            "category_counts": selectors.party_category_counts(),
            "is_staff": is_secas_staff(request.user),
        },
    )


def party_detail(request: HttpRequest, slug: str) -> HttpResponse:
    party, moved = selectors.party_get(slug=slug)
    if moved:
        return redirect("parties:party-detail", slug=party.slug, permanent=True)
    user = request.user
    return render(
        request,
        "parties/party_detail.html",
        {
            "party": party,
            "people": selectors.party_people(user=user, party=party),
            "history": selectors.party_history(user=user, party=party),
            "sections": party_sections.render_for(request, party=party),
            "can_manage": can_manage_party_users(user, party),
            "can_request_change": can_request_party_change(user, party),
            "pending_change": selectors.party_pending_change(party=party)
            if can_view_party_users(user, party)
            else None,
            "is_staff": is_secas_staff(user),
        },
    )


# --- SECAS staff: record and edit Parties ----------------------------------------------------------


def _form_fields(form) -> dict:
    return {k: v for k, v in form.cleaned_data.items() if k in PartyForm.Meta.fields}


@login_required
def party_create(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    form = PartyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            party = services.party_create(
                actor=request.user, status_on=form.cleaned_data["status_on"], **_form_fields(form)
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{party.name} recorded as applied to accede.")
            return redirect("parties:party-detail", slug=party.slug)
    return render(request, "parties/party_form.html", {"form": form, "title": "Record a new Party"})


@login_required
def party_edit(request: HttpRequest, slug: str) -> HttpResponse:
    _staff_only(request)
    party, _ = selectors.party_get(slug=slug)
    form = PartyForm(request.POST or None, instance=Party.objects.get(pk=party.pk))
    if request.method == "POST" and form.is_valid():
        try:
            party = services.party_update(actor=request.user, party=party, **_form_fields(form))
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{party.name}: details saved.")
            return redirect("parties:party-detail", slug=party.slug)
    return render(request, "parties/party_form.html", {"form": form, "party": party, "title": f"Edit {party.name}"})


@login_required
def party_status(request: HttpRequest, slug: str) -> HttpResponse:
    _staff_only(request)
    party, _ = selectors.party_get(slug=slug)
    if not Party.TRANSITIONS[Party.Status(party.status)]:
        messages.info(request, f"{party.name} has withdrawn; there is no further step to record.")
        return redirect("parties:party-detail", slug=party.slug)
    form = PartyStatusForm(request.POST or None, party=party)
    if request.method == "POST" and form.is_valid():
        try:
            services.party_change_status(actor=request.user, party=party, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{party.name}: accession step recorded.")
            return redirect("parties:party-detail", slug=party.slug)
    return render(request, "parties/party_status_form.html", {"form": form, "party": party})


@login_required
def party_delete(request: HttpRequest, slug: str) -> HttpResponse:
    _staff_only(request)
    party, _ = selectors.party_get(slug=slug)
    has_history = services.party_has_history(party)
    if request.method == "POST":
        try:
            services.party_delete(actor=request.user, party=party)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("parties:party-detail", slug=party.slug)
        messages.success(request, f"{party.name} deleted.")
        return redirect("parties:party-list")
    return render(request, "parties/party_confirm_delete.html", {"party": party, "has_history": has_history})


# --- A Party administrator manages people ----------------------------------------------------------


@login_required
def party_people(request: HttpRequest, slug: str) -> HttpResponse:
    party = selectors.party_for_management(user=request.user, slug=slug)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(actor=request.user, party=party, email=form.cleaned_data["email"])
        except ApplicationError as exc:
            form.add_error("email", exc.message)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("parties:party-people", slug=party.slug)
    people = selectors.party_people(user=request.user, party=party)
    return render(
        request,
        "parties/party_people.html",
        {
            "party": party,
            "people": [p for p in people if p["user"].is_active],
            "removed": [p for p in people if not p["user"].is_active],
            "invitations": selectors.party_invitations(user=request.user, party=party),
            "invitation_days": settings.SECPORTAL_INVITATION_DAYS,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@login_required
def party_person_remove(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    """Remove a person: a page that says what happens, then the removal, with an Undo."""
    party = selectors.party_for_management(user=request.user, slug=slug)
    person = selectors.party_user_get(user=request.user, party=party, user_id=user_id)
    if not person.is_active or person.pk == request.user.pk:
        messages.info(
            request,
            f"{person} has already been removed." if not person.is_active else "You cannot remove yourself.",
        )
        return redirect("parties:party-people", slug=party.slug)
    if request.method == "POST":
        try:
            services.party_user_remove(actor=request.user, user=person)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            success_with_undo(
                request,
                f"{person} has been removed and can no longer sign in.",
                action=reverse("parties:party-person-action", args=[party.slug, person.pk, "reinstate"]),
                describe=f"reinstate {person}",
            )
        return redirect("parties:party-people", slug=party.slug)
    return render(
        request,
        "parties/party_person_remove.html",
        {"party": party, "person": person, "is_admin": person.is_party_administrator},
    )


PERSON_ACTIONS = {
    "reinstate": (
        services.party_user_reinstate,
        "{user} has been reinstated and can sign in again. We have emailed them to say so.",
    ),
    "promote": (services.party_admin_promote, "{user} is now an administrator of the Party."),
    "demote": (services.party_admin_demote, "{user} is no longer an administrator."),
}


@login_required
@require_POST
def party_person_action(request: HttpRequest, slug: str, user_id: int, action: str) -> HttpResponse:
    party = selectors.party_for_management(user=request.user, slug=slug)
    if action not in PERSON_ACTIONS:
        raise Http404
    person = selectors.party_user_get(user=request.user, party=party, user_id=user_id)
    service, message = PERSON_ACTIONS[action]
    try:
        service(actor=request.user, user=person)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, message.format(user=person))
    return redirect("parties:party-people", slug=party.slug)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    party = selectors.party_for_management(user=request.user, slug=slug)
    invitation = selectors.party_invitations(user=request.user, party=party).filter(pk=pk).first()
    if invitation is None:
        raise Http404
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The invitation to {invitation.email} has been withdrawn.")
    return redirect("parties:party-people", slug=party.slug)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(token)
    state = invitation.state() if invitation else "invalid"
    if state != "open":
        message = services.INVITATION_REFUSALS.get(state, "This invitation link is not valid.")
        return render(request, "parties/invitation_invalid.html", {"message": message}, status=410)
    if request.user.is_authenticated:
        messages.info(request, "You are signed in already; sign out to accept an invitation for someone else.")
        return redirect("dashboard")
    form = InvitationAcceptForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token,
                full_name=form.cleaned_data["full_name"],
                job_title=form.cleaned_data["job_title"],
                password=form.cleaned_data["password1"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to the SEC Portal. Your account for {user.party} is ready.")
            return redirect("dashboard")
    return render(request, "parties/invitation_accept.html", {"invitation": invitation, "form": form})


# --- Changes to a Party's details --------------------------------------------------------------------


@login_required
def party_change_request_create(request: HttpRequest, slug: str) -> HttpResponse:
    party, _ = selectors.party_get(slug=slug)
    if not can_request_party_change(request.user, party):
        raise Http404
    pending = selectors.party_pending_change(party=party)
    form = PartyChangeRequestForm(request.POST or None, instance=Party.objects.get(pk=party.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.party_change_request_create(
                actor=request.user, party=party, proposed=form.proposed(), reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Sent to SECAS. The details change once SECAS approves them; we will email you.")
            return redirect("parties:party-detail", slug=party.slug)
    return render(request, "parties/partychangerequest_form.html", {"form": form, "party": party, "pending": pending})


@login_required
def party_change_request_list(request: HttpRequest) -> HttpResponse:
    changes = selectors.party_change_request_list(user=request.user)
    page = Paginator(changes, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "parties/partychangerequest_list.html",
        {"page": page, "pending_count": selectors.party_change_pending_count()},
    )


@login_required
def party_change_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    change = selectors.party_change_request_get(user=request.user, pk=pk)
    form = DecisionNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        decision = request.POST.get("decision")
        try:
            if decision == "approve":
                services.party_change_request_approve(actor=request.user, change=change, note=form.cleaned_data["note"])
                messages.success(request, f"Approved: {change.party}'s details have changed.")
            elif decision == "reject":
                services.party_change_request_reject(actor=request.user, change=change, note=form.cleaned_data["note"])
                messages.success(request, "Rejected. The person who asked has been told why.")
            else:
                raise ApplicationError("Choose to approve or reject the change.")
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("parties:change-request-list")
    return render(
        request,
        "parties/partychangerequest_detail.html",
        {"change": change, "form": form},
        status=400 if form.errors else 200,
    )


# --- My profile ------------------------------------------------------------------------------------


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, initial={"full_name": user.full_name, "job_title": user.job_title})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update_profile(actor=user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Your profile has been saved.")
            return redirect("profile")
    return render(
        request,
        "parties/profile.html",
        {
            "form": form,
            "has_totp": user.has_totp,
            "roles": sorted(user.role_names),
            # Committee places are not roles: they come from the current memberships.
            "memberships": committee_access(user).memberships,
        },
    )


# --- Account requests (SECAS staff decide) ------------------------------------------------------------


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
        # Whether the address has an account (or a request waiting) is the worker's to find out:
        # the page does the same work for every address, so its timing tells no one who has one.
        data = form.cleaned_data
        enqueue_after_commit(
            tasks.account_request_receive,
            full_name=data["full_name"],
            email=data["email"],
            party_id=data["party"].pk,
            job_title=data["job_title"],
            reason=data["reason"],
        )
        return render(request, "parties/accountrequest_done.html", {"email": data["email"]})
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
