"""Consultation pages: read, respond (drafted together, autosaved), publish, summary and CSV."""

import csv
import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from secportal.exceptions import ApplicationError
from secportal.workingdays import LONDON

from . import selectors, services
from .forms import ConsultationCloseForm, ConsultationForm
from .models import Question
from .permissions import can_list_responses, can_move_modification


def _changes(post) -> dict:
    """What the person changed since the page was loaded: only these answers are saved, so colleagues
    working on other questions at the same time lose nothing."""
    changes: dict[str, dict] = {}
    for key, value in post.items():
        if not key.startswith("q") or "_" not in key or key.startswith("orig_"):
            continue
        question_id, field = key[1:].split("_", 1)
        if field not in ("position", "text") or not (question_id.isascii() and question_id.isdigit()):
            continue
        started_from = post.get(f"orig_q{question_id}_{field}", None)
        if value != started_from:
            change = changes.setdefault(question_id, {})
            change[field] = value
            if started_from is not None:
                change[f"orig_{field}"] = started_from  # lets the service spot a colleague's newer answer
    return changes


def _confidential(post) -> bool | None:
    """The confidential box only when the person changed it (None: leave it as it is)."""
    if "orig_confidential" not in post:
        return None
    now = post.get("confidential") == "on"
    return now if now != (post["orig_confidential"] == "on") else None


def consultation_list(request: HttpRequest) -> HttpResponse:
    consultations = list(selectors.consultation_list().order_by("-closes_at")[:100])
    now = timezone.now()
    return render(
        request,
        "modifications/consultation_list.html",
        {
            "open": [c for c in consultations if c.is_open(now)],
            "coming": [c for c in consultations if c.opens_at > now],
            "closed": [c for c in consultations if c.is_closed(now)],
            "can_create": can_move_modification(request.user),
        },
    )


def _detail(request: HttpRequest, consultation, *, posted=None, status: int = 200) -> HttpResponse:
    user = request.user
    party = getattr(user, "party", None) if user.is_authenticated else None
    questions = list(consultation.questions.all())
    response = selectors.party_response(consultation=consultation, party=party)
    answers = {a.question_id: a for a in response.answers.all()} if response else {}
    now = timezone.now()
    rows = selectors.visible_responses(user=user, consultation=consultation, now=now)
    items = []
    for q in questions:
        answer = answers.get(q.pk)
        saved_position = answer.position if answer else ""
        saved_text = answer.text if answer else ""
        items.append(
            {
                "question": q,
                "answer": answer,
                "saved_position": saved_position,
                "saved_text": saved_text,
                # After a refused submission the page shows what was typed, not what was saved.
                "position": posted.get(f"q{q.pk}_position", saved_position) if posted is not None else saved_position,
                "text": posted.get(f"q{q.pk}_text", saved_text) if posted is not None else saved_text,
            }
        )
    return render(
        request,
        "modifications/consultation_detail.html",
        {
            "consultation": consultation,
            "questions": items,
            "response": response,
            "party": party,
            "may_respond": bool(party) and consultation.party_may_respond(party) and consultation.is_open(now),
            "excluded": bool(party) and not consultation.party_may_respond(party),
            "is_open": consultation.is_open(now),
            "is_closed": consultation.is_closed(now),
            "rows": rows,
            "summary": selectors.response_summary(rows=rows, questions=questions) if rows else [],
            "can_manage": can_move_modification(user),
            "refused": posted is not None,
        },
        status=status,
    )


def consultation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.consultation_get(pk=pk))


@require_POST
def consultation_respond(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = selectors.consultation_get(pk=pk)
    if not request.user.is_authenticated:
        # Signed out meanwhile: back to the consultation after signing in (the browser kept the text).
        messages.info(request, "Your session had ended. Sign in again: what you typed is kept in this browser.")
        return redirect_to_login(reverse("modifications:consultation-detail", args=[pk]))
    changes = _changes(request.POST)
    confidential = _confidential(request.POST)
    try:
        if request.POST.get("action") == "submit":
            services.response_submit(
                actor=request.user, consultation=consultation, changes=changes, confidential=confidential
            )
            messages.success(
                request,
                "Your Party's response has been sent, and a receipt with the text as sent is on its way by "
                "email. You can revise it until the consultation closes.",
            )
        else:
            services.response_save_draft(
                actor=request.user, consultation=consultation, changes=changes, confidential=confidential
            )
            messages.success(request, "Draft saved. Colleagues from your Party can see and continue it.")
    except ApplicationError as exc:
        # Nothing typed is lost: the page comes back with what was sent, and says why.
        messages.error(request, exc.message)
        return _detail(request, consultation, posted=request.POST, status=400)
    return redirect("modifications:consultation-detail", pk=consultation.pk)


@login_required
@require_POST
def consultation_autosave(request: HttpRequest, pk: int) -> JsonResponse:
    """Saves a draft as the person types (static/js/autosave.js)."""
    consultation = selectors.consultation_get(pk=pk)
    try:
        response = services.response_save_draft(
            actor=request.user,
            consultation=consultation,
            changes=_changes(request.POST),
            confidential=_confidential(request.POST),
        )
    except ApplicationError as exc:
        return JsonResponse({"saved": False, "error": exc.message}, status=400)
    saved = timezone.localtime(response.updated_at)
    if response.conflicts:
        listed = ", ".join(str(n) for n in response.conflicts)
        return JsonResponse(
            {
                "saved": True,
                "at": f"{saved:%H:%M:%S %Z}",
                "conflict": (
                    f"A colleague changed question {listed} meanwhile; their answer is kept. Reload the page to see it."
                ),
            }
        )
    return JsonResponse({"saved": True, "at": f"{saved:%H:%M:%S %Z}"})


@login_required
def consultation_create(request: HttpRequest) -> HttpResponse:
    if not can_move_modification(request.user):
        raise Http404
    form = ConsultationForm(request.POST or None, initial={"modification": request.GET.get("modification", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        opens_on = data["opens_on"]
        later = opens_on is not None and opens_on > timezone.localdate()
        try:
            consultation = services.consultation_create(
                actor=request.user,
                title=data["title"],
                kind=data["kind"],
                modification=data["modification"],
                introduction=data["introduction"],
                opens_at=datetime.datetime.combine(opens_on, datetime.time(), tzinfo=LONDON) if later else None,
                days=data["days"],
                questions=data["questions"],
                excluded_categories=data["excluded_categories"] or None,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            closes = f"{timezone.localtime(consultation.closes_at):%-d %B %Y, %H:%M %Z}"
            opens = f"{timezone.localtime(consultation.opens_at):%-d %B %Y}"
            messages.success(
                request,
                f"{consultation.title} opens on {opens} and closes on {closes}."
                if later
                else f"{consultation.title} is open until {closes}.",
            )
            return redirect("modifications:consultation-detail", pk=consultation.pk)
    return render(request, "modifications/consultation_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def consultation_move_close(request: HttpRequest, pk: int) -> HttpResponse:
    """SECAS moves an open consultation's close; whoever was told it opened hears the new one."""
    if not can_move_modification(request.user):
        raise Http404
    consultation = selectors.consultation_get(pk=pk)
    if consultation.close_is_final():
        messages.error(request, services.CLOSE_IS_FINAL)
        return redirect("modifications:consultation-detail", pk=consultation.pk)
    closes_on = timezone.localtime(consultation.closes_at, LONDON).date()
    form = ConsultationCloseForm(request.POST or None, initial={"closes_on": closes_on})
    if request.method == "POST" and form.is_valid():
        try:
            consultation = services.consultation_move_close(
                actor=request.user,
                consultation=consultation,
                closes_on=form.cleaned_data["closes_on"],
                note=form.cleaned_data["note"],
            )
        except ApplicationError as exc:
            form.add_error("closes_on", exc.message)
        else:
            moved = timezone.localtime(consultation.closes_at, LONDON)
            messages.success(
                request,
                f"{consultation.title} now closes on {moved:%-d %B %Y, %H:%M %Z}. Everyone told it opened is told.",
            )
            return redirect("modifications:consultation-detail", pk=consultation.pk)
    return render(
        request,
        "modifications/consultation_close.html",
        {"consultation": consultation, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def consultation_publish(request: HttpRequest, pk: int) -> HttpResponse:
    if not can_move_modification(request.user):
        raise Http404
    consultation = selectors.consultation_get(pk=pk)
    try:
        services.consultation_publish(actor=request.user, consultation=consultation)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Responses published.")
    return redirect("modifications:consultation-detail", pk=consultation.pk)


def consultation_csv(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = selectors.consultation_get(pk=pk)
    if not can_list_responses(request.user, consultation):
        raise Http404  # not yet theirs to read: as if there were nothing (never 403)
    rows = selectors.visible_responses(user=request.user, consultation=consultation)
    from .views import _csv_safe

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="consultation-{consultation.pk}-responses.csv"'
    writer = csv.writer(response)
    questions = list(consultation.questions.all())
    header = ["Party", "Category", "Version", "Confidential"]
    for q in questions:
        header += (
            [f"Q{q.order} position", f"Q{q.order} answer"]
            if q.kind == Question.Kind.POSITION
            else [f"Q{q.order} answer"]
        )
    writer.writerow(header)
    for row in rows:
        line = [
            row["party"].name,
            row["party"].get_category_display(),
            row["version"],
            "confidential" if row["confidential"] else "",
        ]
        for a in row["answers"]:
            line += [a["position"], a["text"]] if a["question"].kind == Question.Kind.POSITION else [a["text"]]
        writer.writerow([_csv_safe(str(v)) for v in line])
    return response
