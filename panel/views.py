from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from secportal.downloads import serve_file
from secportal.exceptions import ApplicationError
from secportal.middleware import accepts_uploads
from secportal.redirects import redirect_to_next

from . import selectors, services
from .forms import (
    ActionForm,
    ActionStatusForm,
    CorrectionForm,
    MembershipForm,
    MinutesApproveForm,
    MinutesForm,
    OutcomeForm,
    PaperForm,
)
from .models import Action, Constituency, Membership, Minutes, VoteRound
from .permissions import can_approve_minutes, can_join_meeting, can_manage_panel, can_update_action


def _staff_only(request: HttpRequest) -> None:
    if not can_manage_panel(request.user):
        raise Http404


def committee_list(request: HttpRequest) -> HttpResponse:
    return render(request, "panel/committee_list.html", {"committees": selectors.committee_list()})


def committee_detail(request: HttpRequest, slug: str) -> HttpResponse:
    committee = selectors.committee_get(slug=slug)
    return render(
        request,
        "panel/committee_detail.html",
        {
            "committee": committee,
            "seats": list(committee.seats.all()),
            "members": selectors.committee_members(committee=committee),
            "past_members": selectors.committee_past_members(committee=committee),
            "meetings": selectors.committee_meetings(committee=committee),
            "actions": list(selectors.committee_actions(committee=committee)[:30]),
            "can_manage": can_manage_panel(request.user),
        },
    )


def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get(pk=pk)
    user = request.user
    can_manage = can_manage_panel(user)
    papers, documents = selectors.meeting_visible(user=user, meeting=meeting)
    record = selectors.meeting_record(user=user, meeting=meeting)
    minutes = record["minutes"]
    if user.is_authenticated:
        services.meeting_visit_record(user=user, meeting=meeting)
    # The chair approves draft minutes here (SECAS also from the minutes page), at a later meeting
    # that has taken place: the latest is chosen unless they pick another.
    approve_form, approve_next = None, None
    if minutes is not None and minutes.status == Minutes.Status.DRAFT and can_approve_minutes(user, meeting.committee):
        approve_form = MinutesApproveForm(meeting=meeting)
        held = approve_form.fields["at_meeting"].queryset.first()
        if held is None:
            approve_form = None
            approve_next = selectors.next_meeting_after(meeting=meeting)
        else:
            approve_form.initial["at_meeting"] = held.pk
    return render(
        request,
        "panel/meeting_detail.html",
        {
            "meeting": meeting,
            **selectors.meeting_agenda(meeting=meeting, papers=papers, documents=documents),
            **record,
            "can_manage": can_manage,
            "can_join": can_join_meeting(user, meeting),
            "outcome_form": OutcomeForm() if can_manage else None,
            "approve_form": approve_form,
            "approve_next": approve_next,
        },
    )


def paper_download(request: HttpRequest, pk: int) -> FileResponse:
    paper = selectors.paper_get(user=request.user, pk=pk)
    return serve_file(
        request,
        paper.file,
        filename=f"{paper.meeting.committee.name} {paper.title} v{paper.version}.{paper.extension.lower()}",
        content_type=paper.content_type,
        record=lambda user: services.paper_download_record(user=user, paper=paper),
    )


def _form_page(request, template_title, form, back_url, *, status=200, intro=""):
    return render(
        request,
        "panel/form.html",
        {"title": template_title, "form": form, "back_url": back_url, "intro": intro},
        status=status,
    )


@login_required
def membership_add(request: HttpRequest, slug: str) -> HttpResponse:
    _staff_only(request)
    committee = selectors.committee_get(slug=slug)
    form = MembershipForm(request.POST or None, committee=committee)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.membership_add(actor=request.user, committee=committee, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, f"{membership.user} appointed to the {committee} until {membership.ends_on:%-d %B %Y}."
            )
            return redirect("panel:committee-detail", slug=committee.slug)
    return _form_page(
        request,
        f"Appoint a member of the {committee}",
        form,
        f"/panel/{committee.slug}/",
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def membership_end(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    membership = get_object_or_404(Membership.objects.select_related("committee", "user"), pk=pk)
    try:
        services.membership_end(actor=request.user, membership=membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{membership.user}'s membership of the {membership.committee} has ended.")
    return redirect("panel:committee-detail", slug=membership.committee.slug)


@accepts_uploads
@login_required
def paper_upload(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    meeting = selectors.meeting_get(pk=pk)
    form = PaperForm(request.POST or None, request.FILES or None, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            paper = services.paper_publish(actor=request.user, meeting=meeting, upload=data.pop("file"), **data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            late = " It is late: paper day has passed." if paper.is_late else ""
            messages.success(request, f"Published {paper.title} (version {paper.version}).{late}")
            return redirect("panel:meeting-detail", pk=meeting.pk)
    return _form_page(
        request,
        f"Publish a paper for {meeting}",
        form,
        f"/panel/meetings/{meeting.pk}/",
        status=400 if form.errors else 200,
        intro=f"Paper day is {meeting.paper_day:%-d %B %Y}; papers published after it are marked late.",
    )


@login_required
@require_POST
def item_outcome(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    _staff_only(request)
    meeting = selectors.meeting_get(pk=pk)
    item = get_object_or_404(meeting.items, pk=item_pk)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.item_record_outcome(actor=request.user, item=item, **form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Outcome recorded for “{item.title}”.")
    else:
        messages.error(request, "Choose the outcome and give the reasons.")
    return redirect(f"/panel/meetings/{meeting.pk}/#item-{item.pk}")


@login_required
def minutes_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    meeting = selectors.meeting_get(pk=pk)
    minutes = Minutes.objects.filter(meeting=meeting).first()
    if minutes and minutes.status == Minutes.Status.APPROVED:
        form = CorrectionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            services.minutes_correct(actor=request.user, minutes=minutes, text=form.cleaned_data["text"])
            messages.success(request, "Correction recorded beside the approved minutes.")
            return redirect("panel:meeting-detail", pk=meeting.pk)
        return _form_page(
            request,
            f"Correct the approved minutes of {meeting}",
            form,
            f"/panel/meetings/{meeting.pk}/",
            intro="Approved minutes are locked. A correction is published beside them.",
        )
    form = MinutesForm(request.POST or None, initial={"text": minutes.text if minutes else ""})
    approve_form = MinutesApproveForm(None, meeting=meeting) if minutes else None
    if request.method == "POST" and form.is_valid():
        try:
            services.minutes_save_draft(actor=request.user, meeting=meeting, text=form.cleaned_data["text"])
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Draft minutes saved.")
            return redirect("panel:meeting-detail", pk=meeting.pk)
    return render(request, "panel/minutes_form.html", {"meeting": meeting, "form": form, "approve_form": approve_form})


@login_required
@require_POST
def minutes_approve(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get(pk=pk)
    if not can_approve_minutes(request.user, meeting.committee):
        raise Http404
    minutes = get_object_or_404(Minutes, meeting=meeting)
    form = MinutesApproveForm(request.POST, meeting=meeting)
    if form.is_valid():
        try:
            services.minutes_approve(actor=request.user, minutes=minutes, at_meeting=form.cleaned_data["at_meeting"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Minutes approved and locked.")
    else:
        messages.error(request, "Choose the meeting at which the minutes were approved.")
    return redirect("panel:meeting-detail", pk=meeting.pk)


@login_required
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    meeting = selectors.meeting_get(pk=pk)
    form = ActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.action_add(actor=request.user, meeting=meeting, **form.cleaned_data)
        messages.success(request, "Action recorded.")
        return redirect("panel:meeting-detail", pk=meeting.pk)
    return _form_page(
        request,
        f"Record an action from {meeting}",
        form,
        f"/panel/meetings/{meeting.pk}/",
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def action_status(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(Action.objects.select_related("meeting"), pk=pk)
    if not can_update_action(request.user, action):
        raise Http404
    form = ActionStatusForm(request.POST)
    if form.is_valid():
        services.action_set_status(actor=request.user, action=action, status=form.cleaned_data["status"])
        messages.success(request, f"Action marked {action.get_status_display().lower()}.")
    return redirect_to_next(request, f"/panel/meetings/{action.meeting_id}/")


# --- Change Board votes ----------------------------------------------------------------------------------


def vote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from .voting import SEC_OBJECTIVES, current_rule

    vote_round = get_object_or_404(VoteRound.objects.select_related("modification", "committee", "meeting"), pk=pk)
    user = request.user
    can_manage = can_manage_panel(user)
    membership = services.voting_membership(user, vote_round.committee) if user.is_authenticated else None
    votes = list(vote_round.votes.select_related("seat", "membership__user").order_by("seat__order"))
    my_vote = next((v for v in votes if membership and v.seat_id == membership.seat_id), None)
    closed = vote_round.status == VoteRound.Status.CLOSED
    _, _, rule_text = current_rule()
    return render(
        request,
        "panel/vote_detail.html",
        {
            "vote_round": vote_round,
            "membership": membership,
            "my_vote": my_vote,
            "closed": closed,
            # Until it closes, choices are secret: SECAS sees who has voted, voters see their own vote.
            "votes": votes if closed else [],
            "voted_seats": [v.seat.label for v in votes] if can_manage and not closed else [],
            "seats": list(vote_round.committee.seats.filter(voting=True)) if can_manage else [],
            "quorum": services.vote_quorum(vote_round) if can_manage and not closed else None,
            "can_manage": can_manage,
            "objectives": SEC_OBJECTIVES,
            "rule_text": rule_text,
            "tally": [(Constituency(c).label, t) for c, t in sorted(vote_round.tally.items())] if closed else [],
        },
    )


@login_required
@require_POST
def vote_open(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    _staff_only(request)
    meeting = selectors.meeting_get(pk=pk)
    item = get_object_or_404(meeting.items.select_related("modification"), pk=item_pk, modification__isnull=False)
    try:
        vote_round = services.vote_round_open(actor=request.user, modification=item.modification, meeting=meeting)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(f"/panel/meetings/{meeting.pk}/#item-{item.pk}")
    messages.success(request, f"The vote on {item.modification.reference} is open.")
    return redirect("panel:vote-detail", pk=vote_round.pk)


@login_required
@require_POST
def vote_cast(request: HttpRequest, pk: int) -> HttpResponse:
    vote_round = get_object_or_404(VoteRound, pk=pk)
    try:
        services.vote_cast(
            actor=request.user,
            vote_round=vote_round,
            choice=request.POST.get("choice", ""),
            rationale=request.POST.get("rationale", ""),
            objectives=request.POST.getlist("objectives"),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your vote is recorded. You can change it until the vote closes.")
    return redirect("panel:vote-detail", pk=vote_round.pk)


@login_required
@require_POST
def vote_close(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    vote_round = get_object_or_404(VoteRound, pk=pk)
    try:
        vote_round = services.vote_round_close(
            actor=request.user, vote_round=vote_round, without_quorum=request.POST.get("without_quorum") == "1"
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Vote closed: {vote_round.get_outcome_display()}.")
    return redirect("panel:vote-detail", pk=vote_round.pk)
