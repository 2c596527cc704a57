import csv
import datetime
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.views.decorators.http import require_POST

from secportal.classification import can_view
from secportal.downloads import serve_file
from secportal.exceptions import ApplicationError
from secportal.middleware import accepts_uploads
from secportal.redirects import redirect_to_next
from secportal.workingdays import LONDON

from . import selectors, services
from .forms import (
    AlternativeForm,
    AppealWindowForm,
    AuthorityDecisionForm,
    ChangeBoardOutcomeForm,
    ConvertForm,
    DocumentUploadForm,
    DraftProposalForm,
    EarlyCloseForm,
    FastTrackForm,
    ImplementationChangeForm,
    ModificationFilterForm,
    NoteForm,
    OpenMrcForm,
    ReleaseDocumentForm,
    ReleaseGoLiveForm,
    TargetReleaseForm,
    UpdateForm,
)
from .models import OPEN_STAGES, WITHDRAWABLE, ModificationDocument, Release, Stage
from .permissions import (
    can_download_release_document,
    can_follow,
    can_move_modification,
    can_raise_draft,
    can_upload_document,
    can_withdraw_modification,
)

PER_PAGE = 25


def _filters(request: HttpRequest) -> tuple[ModificationFilterForm, selectors.ModificationFilters]:
    releases = Release.objects.order_by("-go_live")
    form = ModificationFilterForm(request.GET or None, releases=releases)
    return form, form.filters() if form.is_bound else selectors.ModificationFilters()


# --- The register ------------------------------------------------------------------------------------


def modification_list(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    # The canonical view (valid filters only, in a fixed order) makes the page links.
    canonical = [
        *((k, v) for k, v in parse_qsl(filters.query_string())),
        *([("sort", filters.sort)] if filters.sort != "-updated" else []),
    ]
    querystring = urlencode(canonical)
    summary = selectors.register_summary()
    rows = selectors.register_rows(filters=filters)
    paginator = Paginator(rows, PER_PAGE)
    if not filters.query_string():
        paginator.count = summary["total"]  # every modification: counted once in the summary
    ranked = bool(filters.q)
    if ranked and paginator.count > settings.SECPORTAL_SEARCH_RANK_LIMIT:
        # Too many to rank (SECPORTAL_SEARCH_RANK_LIMIT): newest first, and the page says so.
        count, ranked = paginator.count, False
        paginator = Paginator(rows.order_by(*selectors.UNRANKED), PER_PAGE)
        paginator.count = count
    page = paginator.get_page(request.GET.get("page"))
    user = request.user
    following_filter = None
    if user.is_authenticated and filters.query_string():
        following_filter = selectors.filter_follows(user=user).filter(query=filters.query_string()).first()
    return render(
        request,
        "modifications/modification_list.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "count": page.paginator.count,
            "querystring": querystring,
            "pipeline": summary["pipeline"],
            "can_raise": can_raise_draft(user),
            "can_move": can_move_modification(user),
            "can_follow": can_follow(user),
            "following_filter": following_filter,
            "filter_query": filters.query_string(),
            "filter_label": filters.describe(),
            "too_many_to_rank": bool(filters.q) and not ranked,
            "rank_limit": f"{settings.SECPORTAL_SEARCH_RANK_LIMIT:,}",
            # The filters stay folded away (results first) unless the page was asked for with some.
            "filters_open": bool(filters.query_string()) or filters.sort != "-updated",
        },
    )


def modification_detail(request: HttpRequest, reference: str) -> HttpResponse:
    modification, moved = selectors.modification_get(reference=reference)
    if moved:
        return redirect("modifications:modification-detail", reference=modification.reference, permanent=True)
    user = request.user
    can_move = can_move_modification(user)
    can_upload = can_upload_document(user)
    documents = selectors.visible_documents(user=user, modification=modification)
    return render(
        request,
        "modifications/modification_detail.html",
        {
            "modification": modification,
            "progress": selectors.modification_progress(modification),
            "documents": selectors.modification_documents(user=user, modification=modification, documents=documents),
            "timeline": selectors.modification_timeline(user=user, modification=modification, documents=documents),
            "related": selectors.related_modifications(modification),
            "following": selectors.is_following(user=user, modification=modification),
            "can_follow": can_follow(user),
            "actions": _available_actions(user, modification) if can_move or user.is_authenticated else [],
            "can_upload": can_upload,
            "consultations": list(modification.consultations.order_by("-closes_at")),
        },
    )


@login_required
def modification_raise(request: HttpRequest) -> HttpResponse:
    if not can_raise_draft(request.user):
        raise Http404
    form = DraftProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            modification = services.modification_raise(
                actor=request.user,
                title=form.cleaned_data["title"],
                issue=form.cleaned_data["issue"],
                impacts=form.impacts(),
                sec_sections=form.cleaned_data["sec_sections"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"{modification.reference} raised. SECAS will review it as critical friend by "
                f"{modification.next_milestone_date:%d %B %Y}.",
            )
            return redirect("modifications:modification-detail", reference=modification.reference)
    return render(request, "modifications/modification_raise.html", {"form": form})


@login_required
def modification_raise_fast_track(request: HttpRequest) -> HttpResponse:
    """SECAS records a Fast-track self-governance modification the Panel raised (housekeeping)."""
    if not can_move_modification(request.user):
        raise Http404
    form = FastTrackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            modification = services.modification_raise_fast_track(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{modification.reference} raised as Fast-track self-governance.")
            return redirect("modifications:modification-detail", reference=modification.reference)
    return render(request, "modifications/fast_track.html", {"form": form}, status=400 if form.errors else 200)


# --- Moving a modification through its lifecycle --------------------------------------------------------


@dataclass(frozen=True)
class Action:
    label: str
    form: type
    stages: frozenset
    run: Any  # (actor, modification, cleaned_data) -> modification
    staff_only: bool = True
    explanation: str = ""


ACTIONS = {
    "start-development": Action(
        "Critical-friend review done: start development",
        NoteForm,
        frozenset({Stage.DRAFT}),
        lambda a, m, d: services.modification_start_development(actor=a, modification=m, note=d["note"]),
    ),
    "convert": Action(
        "Convert to a Modification Proposal",
        ConvertForm,
        frozenset({Stage.DEVELOPMENT}),
        lambda a, m, d: services.modification_convert(
            actor=a, modification=m, path=d["path"], route=d["route"], lead_analyst=d["lead_analyst"], note=d["note"]
        ),
        explanation="The Panel has agreed the problem and set the path and route. The DP keeps its number as an MP.",
    ),
    "finish-refinement": Action(
        "Refinement complete: into the Report Phase",
        NoteForm,
        frozenset({Stage.REFINEMENT}),
        lambda a, m, d: services.modification_finish_refinement(actor=a, modification=m, note=d["note"]),
    ),
    "open-mrc": Action(
        "Open the Modification Report Consultation",
        OpenMrcForm,
        frozenset({Stage.REPORT_PHASE}),
        lambda a, m, d: services.modification_open_mrc(
            actor=a,
            modification=m,
            closes_on=d["closes_on"],
            title=d["title"],
            introduction=d["introduction"],
            questions=d["questions"],
            note=d["note"],
        ),
        explanation="One step: the consultation opens (its questions are below, to edit) and the modification "
        "moves into its MRC stage. A Modification Report must be published on the modification first.",
    ),
    "to-change-board": Action(
        "Consultation closed: send to the Change Board",
        EarlyCloseForm,
        frozenset({Stage.MRC}),
        lambda a, m, d: services.modification_send_to_change_board(
            actor=a, modification=m, note=d["note"], early=d["early"]
        ),
    ),
    "change-board-outcome": Action(
        "Record the Change Board's outcome",
        ChangeBoardOutcomeForm,
        frozenset({Stage.CHANGE_BOARD}),
        lambda a, m, d: services.modification_record_change_board_outcome(
            actor=a, modification=m, approve=d["outcome"] == "approve", note=d["note"]
        ),
    ),
    "close-appeal-window": Action(
        "Close the appeal window",
        AppealWindowForm,
        frozenset({Stage.APPEAL_WINDOW}),
        lambda a, m, d: services.modification_close_appeal_window(
            actor=a, modification=m, appeal_upheld=d["appeal_upheld"], note=d["note"]
        ),
    ),
    "authority-decision": Action(
        "Record Ofgem's decision",
        AuthorityDecisionForm,
        frozenset({Stage.WITH_AUTHORITY}),
        lambda a, m, d: services.modification_record_authority_decision(
            actor=a, modification=m, decision=d["decision"], note=d["note"], letter=d["letter"]
        ),
        explanation="For Paths 1 and 2 the Authority approves, rejects, or sends the report back to the Panel "
        "(Code Governance Review phase 2): a sent-back modification returns to the Report Phase, with the letter.",
    ),
    "change-implementation": Action(
        "Change the implementation date or release",
        ImplementationChangeForm,
        frozenset(OPEN_STAGES - {Stage.DRAFT}),
        lambda a, m, d: services.modification_change_implementation(
            actor=a,
            modification=m,
            implementation_date=d["implementation_date"],
            release=d["release"],
            reason=d["reason"],
            letter=d["letter"],
        ),
        explanation="The change and its reason go on the timeline. For an Authority modification (Paths 1 and 2) "
        "attach Ofgem's letter.",
    ),
    "raise-alternative": Action(
        "Raise an alternative solution",
        AlternativeForm,
        frozenset({Stage.REFINEMENT, Stage.REPORT_PHASE, Stage.MRC}),
        lambda a, m, d: services.modification_raise_alternative(
            actor=a, original=m, title=d["title"], solution=d["solution"]
        ),
        explanation="The alternative gets the next letter (MP102A, MP102B ...), follows the same path and stage, "
        "and is decided beside the original.",
    ),
    "target-release": Action(
        "Target a SEC Release",
        TargetReleaseForm,
        frozenset(OPEN_STAGES),
        lambda a, m, d: services.modification_target_release(actor=a, modification=m, release=d["release"]),
    ),
    "post-update": Action(
        "Post an update",
        UpdateForm,
        frozenset(OPEN_STAGES),
        lambda a, m, d: services.modification_post_update(actor=a, modification=m, text=d["text"]),
    ),
    "withdraw": Action(
        "Withdraw",
        NoteForm,
        WITHDRAWABLE,
        lambda a, m, d: services.modification_withdraw(actor=a, modification=m, note=d["note"]),
        staff_only=False,
        explanation="Withdrawing ends the modification before a decision. It stays on the register as withdrawn.",
    ),
    "close": Action(
        "Close without conversion",
        NoteForm,
        frozenset({Stage.DRAFT, Stage.DEVELOPMENT}),
        lambda a, m, d: services.modification_close(actor=a, modification=m, note=d["note"]),
    ),
}


def _allowed(user, modification, action: Action) -> bool:
    if modification.stage not in action.stages:
        return False
    if action.form is AlternativeForm and modification.alternative_of_id:
        return False  # alternatives are raised against the original proposal
    if action.staff_only:
        return can_move_modification(user)
    return can_withdraw_modification(user, modification)


def _available_actions(user, modification) -> list[dict]:
    return [
        {"key": key, "label": action.label} for key, action in ACTIONS.items() if _allowed(user, modification, action)
    ]


@accepts_uploads  # the Authority's letter
@login_required
def modification_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    modification, _ = selectors.modification_get(reference=reference)
    chosen = ACTIONS.get(action)
    if chosen is None or not (
        can_move_modification(request.user) or can_withdraw_modification(request.user, modification)
    ):
        raise Http404
    if not _allowed(request.user, modification, chosen):
        messages.error(
            request,
            f"“{chosen.label}” is not possible for {modification.reference} at {modification.get_stage_display()}.",
        )
        return redirect("modifications:modification-detail", reference=modification.reference)
    posted = request.method == "POST"
    form = chosen.form(
        request.POST if posted else None,
        request.FILES if posted else None,
        submit=chosen.label,
        modification=modification,
    )
    if request.method == "POST" and form.is_valid():
        try:
            modification = chosen.run(request.user, modification, form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Done: {modification.reference} is at {modification.get_stage_display()}.")
            return redirect("modifications:modification-detail", reference=modification.reference)
    return render(
        request,
        "modifications/modification_action.html",
        {"modification": modification, "form": form, "action": chosen},
        status=400 if form.errors else 200,
    )


# --- Documents ----------------------------------------------------------------------------------------------


@accepts_uploads
@login_required
def document_upload(request: HttpRequest, reference: str) -> HttpResponse:
    if not can_upload_document(request.user):
        raise Http404
    modification, _ = selectors.modification_get(reference=reference)
    form = DocumentUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = services.document_upload(
                actor=request.user,
                modification=modification,
                kind=data["kind"],
                title=data["title"],
                upload=data["file"],
                classification=data["classification"],
                owner_party=data["owner_party"],
                owner_committee=data["owner_committee"],
                red_recipients=data["red_recipients"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Published: {document.title} (version {document.version}).")
            return redirect("modifications:modification-detail", reference=modification.reference)
    return render(
        request,
        "modifications/document_upload.html",
        {"modification": modification, "form": form},
        status=400 if form.errors else 200,
    )


def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """Every download goes through here: the classification decides, and the download is logged."""
    document = get_object_or_404(ModificationDocument.objects.select_related("modification"), pk=pk)
    if not can_view(request.user, document):
        raise Http404
    return serve_file(
        request,
        document.file,
        filename=f"{document.modification.reference} {document.title} v{document.version}.{document.extension.lower()}",
        content_type=document.content_type,
        record=lambda user: services.document_download_record(user=user, document=document),
    )


# --- Following ------------------------------------------------------------------------------------------------


@login_required
@require_POST
def follow(request: HttpRequest, reference: str) -> HttpResponse:
    modification, _ = selectors.modification_get(reference=reference)
    following = request.POST.get("follow") == "1"
    services.follow_set(user=request.user, modification=modification, following=following)
    messages.success(
        request,
        f"You are following {modification.reference}."
        if following
        else f"You no longer follow {modification.reference}.",
    )
    return redirect("modifications:modification-detail", reference=modification.reference)


@login_required
@require_POST
def follow_filter(request: HttpRequest) -> HttpResponse:
    form = ModificationFilterForm(request.POST, releases=Release.objects.all())
    filters = form.filters()
    view = f"{reverse('modifications:modification-list')}?{filters.query_string()}"
    try:
        services.filter_follow_add(user=request.user, query=filters.query_string(), label=filters.describe())
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(view if filters.query_string() else reverse("modifications:modification-list"))
    messages.success(request, f"You are following {filters.describe()}.")
    return redirect(view)


@login_required
@require_POST
def unfollow_filter(request: HttpRequest, pk: int) -> HttpResponse:
    services.filter_follow_remove(user=request.user, pk=pk)
    messages.success(request, "You no longer follow that view of the register.")
    return redirect_to_next(request, reverse("dashboard"))


# --- Feed and export ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedRequest:
    """What one request asks of the feed: who asks and for which view of the register."""

    user: object
    filters: selectors.ModificationFilters


class ModificationFeed(Feed):
    """One instance serves every request (and, under a threaded server, several at once): the
    reader and their filters travel in the object `get_object` returns, never on `self`."""

    feed_type = Atom1Feed
    title = "SEC modifications: updates"
    subtitle = "Each update to the modifications of the Smart Energy Code, newest first."

    def get_object(self, request, *args, **kwargs) -> FeedRequest:
        _, filters = _filters(request)
        return FeedRequest(user=request.user, filters=filters)

    def link(self, asked: FeedRequest) -> str:
        query = asked.filters.query_string()
        return reverse("modifications:modification-list") + (f"?{query}" if query else "")

    def items(self, asked: FeedRequest):
        return selectors.feed_events(user=asked.user, filters=asked.filters)

    def item_title(self, event) -> str:
        return f"{event.modification.reference}: {event.summary}"

    def item_description(self, event) -> str:
        # Atom carries the summary as HTML: people's text is escaped, never markup.
        return escape(f"{event.modification.title}. {event.note}".strip())

    def item_link(self, event) -> str:
        return reverse("modifications:modification-detail", args=[event.modification.reference]) + f"#event-{event.pk}"

    def item_guid(self, event) -> str:
        return f"tag:secportal,2026:modification-event-{event.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, event) -> datetime.datetime:
        return timeline_time(event)

    def item_updateddate(self, event) -> datetime.datetime:
        return timeline_time(event)


def timeline_time(event) -> datetime.datetime:
    """When an event happened, as the feed dates it: the timeline's own day (`occurred_on`), not
    the day its row was written (a record entered later, or demo data loaded today, keeps the date
    it happened). Recorded on that same UK day, it keeps the time it was recorded; otherwise it
    is the start of that day, UK time."""
    recorded = timezone.localtime(event.created_at, LONDON)
    if recorded.date() == event.occurred_on:
        return event.created_at
    return datetime.datetime.combine(event.occurred_on, datetime.time(), tzinfo=LONDON)


CSV_COLUMNS = [
    ("Reference", lambda m: m.reference),
    ("Title", lambda m: m.title),
    ("Stage", lambda m: m.get_stage_display()),
    ("Path", lambda m: m.get_path_display()),
    ("Proposer Party", lambda m: m.proposer_party.name if m.proposer_party else ""),
    ("Raised on", lambda m: m.raised_on.isoformat()),
    ("Target release", lambda m: m.target_release.name if m.target_release else ""),
    ("Next milestone", lambda m: m.next_milestone),
    ("Next milestone date", lambda m: m.next_milestone_date.isoformat() if m.next_milestone_date else ""),
    ("Implementation date", lambda m: m.implementation_date.isoformat() if m.implementation_date else ""),
    ("Last updated", lambda m: m.updated_at.isoformat()),
    ("Impacts", lambda m: "; ".join(f"{r['category']}: {r['label']}" for r in m.impact_rows())),
]


def _csv_safe(value: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: neutralise them."""
    return f"'{value}" if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def export_csv(request: HttpRequest) -> HttpResponse:
    _, filters = _filters(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="sec-modifications.csv"'
    writer = csv.writer(response)
    writer.writerow([name for name, _ in CSV_COLUMNS])
    for modification in selectors.modifications_for_export(filters=filters).iterator(chunk_size=500):
        writer.writerow([_csv_safe(str(get(modification))) for _, get in CSV_COLUMNS])
    return response


# --- Releases ------------------------------------------------------------------------------------------------------


def _group(release: Release) -> None:
    mods = list(release.modifications.all())
    release.groups = [
        ("Implemented", [m for m in mods if m.stage == Stage.IMPLEMENTED]),
        ("Approved", [m for m in mods if m.stage in {Stage.APPROVED, Stage.APPEAL_WINDOW}]),
        ("Targeted", [m for m in mods if m.stage not in {Stage.IMPLEMENTED, Stage.APPROVED, Stage.APPEAL_WINDOW}]),
    ]


def release_list(request: HttpRequest) -> HttpResponse:
    releases = selectors.release_list()
    for release in releases:
        _group(release)
    return render(
        request,
        "modifications/release_list.html",
        {"releases": releases, "can_go_live": can_move_modification(request.user), "go_live_form": ReleaseGoLiveForm()},
    )


@login_required
@require_POST
def release_go_live(request: HttpRequest, slug: str) -> HttpResponse:
    if not can_move_modification(request.user):
        raise Http404
    release = get_object_or_404(Release, slug=slug)
    form = ReleaseGoLiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The SEC version is at most 20 characters, for example v1.25.")
        return redirect("modifications:release-list")
    try:
        services.release_go_live(actor=request.user, release=release, sec_version=form.cleaned_data["sec_version"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The {release.name} is live; its approved modifications are implemented.")
    return redirect("modifications:release-list")


def _release_page(request: HttpRequest, slug: str, form: ReleaseDocumentForm | None = None) -> HttpResponse:
    release = selectors.release_get(slug=slug)
    _group(release)
    if form is None and can_upload_document(request.user):
        form = ReleaseDocumentForm(release=release)
    return render(
        request,
        "modifications/release_detail.html",
        {
            "release": release,
            "can_download": can_download_release_document(request.user, release),
            "document_form": form,
        },
        status=400 if form is not None and form.errors else 200,
    )


def release_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """One release: its scope, each modification with its stage, and its implementation document."""
    return _release_page(request, slug)


@accepts_uploads
@login_required
@require_POST
def release_document_upload(request: HttpRequest, slug: str) -> HttpResponse:
    if not can_upload_document(request.user):
        raise Http404
    release = get_object_or_404(Release, slug=slug)
    form = ReleaseDocumentForm(request.POST, request.FILES, release=release)
    if form.is_valid():
        try:
            services.release_attach_document(actor=request.user, release=release, upload=form.cleaned_data["document"])
        except ApplicationError as exc:
            form.add_error("document", exc.message)
        else:
            messages.success(request, f"The {release.name}'s implementation document is published.")
            return redirect("modifications:release-detail", slug=release.slug)
    return _release_page(request, slug, form)


def release_document_download(request: HttpRequest, slug: str) -> FileResponse:
    release = get_object_or_404(Release, slug=slug)
    if not can_download_release_document(request.user, release):
        raise Http404
    extension = release.document.name.rsplit(".", 1)[-1].lower() if "." in release.document.name else "bin"
    return serve_file(
        request,
        release.document,
        filename=f"{release.name} implementation document.{extension}",
        content_type=release.document_content_type,
        record=lambda user: services.release_document_download_record(user=user, release=release),
    )
