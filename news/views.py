import csv
import datetime

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
from django.utils.text import capfirst
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from secportal.classification import can_view
from secportal.downloads import serve_file
from secportal.exceptions import ApplicationError
from secportal.middleware import accepts_uploads
from secportal.undo import success_with_undo

from . import calendar, selectors, services
from .forms import (
    AttachmentForm,
    EventCancelForm,
    EventForm,
    ImageForm,
    PostFilterForm,
    PostForm,
    RegistrationForm,
    ScheduleForm,
    SeriesExtendForm,
    SeriesForm,
    SlidePackForm,
    WithdrawForm,
)
from .models import CalendarToken, EventKind, EventSeries, NewsAttachment, NewsImage, NewsPost, Registration, SlidePack
from .permissions import can_have_calendar, can_manage_events, can_publish_news, can_register

POSTS_PER_PAGE = 10
EVENTS_PER_PAGE = 20


def _staff_only(check):
    """Pages for SECAS only answer 404 to everyone else (not 403: see README "Who sees what")."""

    def decorator(view):
        def wrapped(request, *args, **kwargs):
            if not check(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return login_required(wrapped)

    return decorator


publisher_only = _staff_only(can_publish_news)
event_manager_only = _staff_only(can_manage_events)


def _querystring(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- News ------------------------------------------------------------------------------------------------


def post_list(request: HttpRequest) -> HttpResponse:
    tags = list(selectors.tags_in_use())
    form = PostFilterForm(request.GET or None, tags=tags)
    filters = form.filters() if form.is_bound else selectors.PostFilters()
    page = Paginator(selectors.post_list(filters=filters), POSTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "news/post_list.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "querystring": _querystring(request),
            "can_publish": can_publish_news(request.user),
            "filtered": any([filters.kind, filters.tag, filters.q]),
        },
    )


@publisher_only
def post_drafts(request: HttpRequest) -> HttpResponse:
    return render(request, "news/post_drafts.html", {"posts": list(selectors.posts_unpublished())})


def _post_form_done(request: HttpRequest, post: NewsPost, message: str) -> HttpResponse:
    if "preview" in request.POST:
        return redirect("news:post-preview", slug=post.slug)
    messages.success(request, message)
    return redirect("news:post-edit", slug=post.slug)


@publisher_only
def post_create(request: HttpRequest) -> HttpResponse:
    form = PostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            post = services.news_create(
                actor=request.user,
                title=data["title"],
                summary=data["summary"],
                body=data["body"],
                kind=data["kind"],
                publisher=data["publisher"],
                tags=data["tags"],
                related_modifications=data["related_modifications"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return _post_form_done(request, post, "Draft saved. Nobody outside SECAS sees it until it is published.")
    return render(request, "news/post_form.html", {"form": form}, status=400 if form.errors else 200)


@publisher_only
def post_edit(request: HttpRequest, slug: str) -> HttpResponse:
    post = selectors.post_get(user=request.user, slug=slug)
    form = PostForm(request.POST or None, initial=PostForm.initial_for(post))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            post = services.news_update(
                actor=request.user,
                post=post,
                title=data["title"],
                summary=data["summary"],
                body=data["body"],
                kind=data["kind"],
                publisher=data["publisher"],
                tags=data["tags"],
                related_modifications=data["related_modifications"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return _post_form_done(request, post, "Saved. The earlier version is kept in the post's history.")
    return render(request, "news/post_form.html", {"form": form, "post": post}, status=400 if form.errors else 200)


def _post_page(request: HttpRequest, post: NewsPost, *, preview: bool, schedule_form=None, status=200):
    user = request.user
    staff = can_publish_news(user)
    return render(
        request,
        "news/post_detail.html",
        {
            "post": post,
            "preview": preview,
            "attachments": selectors.post_attachments(user=user, post=post),
            "can_publish": staff,
            "schedule_form": schedule_form
            or ScheduleForm(initial={"publish_at": post.publish_at or timezone.now() + timezone.timedelta(hours=1)}),
        },
        status=status,
    )


def post_detail(request: HttpRequest, slug: str) -> HttpResponse:
    post = selectors.post_get(user=request.user, slug=slug)
    return _post_page(request, post, preview=not post.is_public)


@publisher_only
def post_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """The post exactly as readers will see it, with the publishing actions."""
    post = selectors.post_get(user=request.user, slug=slug)
    return _post_page(request, post, preview=True)


@publisher_only
@require_POST
def post_publish(request: HttpRequest, slug: str) -> HttpResponse:
    post = selectors.post_get(user=request.user, slug=slug)
    again = post.status == NewsPost.Status.WITHDRAWN
    try:
        post = services.news_publish(actor=request.user, post=post)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("news:post-preview", slug=post.slug)
    done = "Published again" if again else "Published"
    messages.success(request, f"{done}. The post is on the news page, the home page and in the feed.")
    return redirect("news:post-detail", slug=post.slug)


@publisher_only
@require_POST
def post_schedule(request: HttpRequest, slug: str) -> HttpResponse:
    post = selectors.post_get(user=request.user, slug=slug)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            post = services.news_schedule(actor=request.user, post=post, publish_at=form.cleaned_data["publish_at"])
        except ApplicationError as exc:
            form.add_error("publish_at", exc.message)
        else:
            when = timezone.localtime(post.publish_at).strftime("%-d %B %Y at %H:%M %Z")
            messages.success(request, f"Scheduled: the post will be published on {when}.")
            return redirect("news:post-preview", slug=post.slug)
    return _post_page(request, post, preview=True, schedule_form=form, status=400)


@publisher_only
@require_POST
def post_unschedule(request: HttpRequest, slug: str) -> HttpResponse:
    post = selectors.post_get(user=request.user, slug=slug)
    try:
        services.news_unschedule(actor=request.user, post=post)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The schedule is cancelled; the post is a draft again.")
    return redirect("news:post-preview", slug=post.slug)


@publisher_only
def post_withdraw(request: HttpRequest, slug: str) -> HttpResponse:
    post = selectors.post_get(user=request.user, slug=slug)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.news_withdraw(actor=request.user, post=post, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            success_with_undo(
                request,
                "Withdrawn. The post's address now says so; it has left the lists and feed.",
                action=reverse("news:post-publish", args=[post.slug]),
                describe="publish the post again",
            )
            return redirect("news:post-detail", slug=post.slug)
    return render(request, "news/post_withdraw.html", {"post": post, "form": form}, status=400 if form.errors else 200)


@publisher_only
def post_history(request: HttpRequest, slug: str) -> HttpResponse:
    post = selectors.post_get(user=request.user, slug=slug)
    revisions, events = selectors.post_history(post)
    return render(request, "news/post_history.html", {"post": post, "revisions": revisions, "events": events})


@accepts_uploads  # outermost: _staff_only does not copy attributes
@publisher_only
def attachment_upload(request: HttpRequest, slug: str) -> HttpResponse:
    post = selectors.post_get(user=request.user, slug=slug)
    form = AttachmentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.attachment_upload(
                actor=request.user,
                post=post,
                title=d["title"],
                upload=d["file"],
                classification=d["classification"],
                owner_party=d["owner_party"],
                owner_committee=d["owner_committee"],
                red_recipients=d["red_recipients"],
            )
        except ApplicationError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, f"Attached: {d['title']}.")
            return redirect("news:post-preview", slug=post.slug)
    return render(
        request, "news/attachment_form.html", {"post": post, "form": form}, status=400 if form.errors else 200
    )


@accepts_uploads  # outermost: _staff_only does not copy attributes
@publisher_only
def image_upload(request: HttpRequest) -> HttpResponse:
    """Upload a picture for posts; the page gives the Markdown to paste into the body."""
    form = ImageForm(request.POST or None, request.FILES or None)
    uploaded = None
    if request.method == "POST" and form.is_valid():
        try:
            uploaded = services.image_upload(
                actor=request.user, upload=form.cleaned_data["file"], alt_text=form.cleaned_data["alt_text"]
            )
        except ApplicationError as exc:
            form.add_error("file", exc.message)
        else:
            form = ImageForm()
    images = list(NewsImage.objects.select_related("uploaded_by")[:20])
    return render(
        request,
        "news/image_upload.html",
        {"form": form, "uploaded": uploaded, "images": images},
        status=400 if form.errors else 200,
    )


@require_GET
def image_serve(request: HttpRequest, key, extension: str) -> FileResponse:
    """Images shown in posts: public, immutable (a new upload gets a new key). The one file not
    served through `serve_file` and its log: anyone may have it, and browsers and proxies keep it
    for a year, so a log of these requests would count nothing."""
    image = get_object_or_404(NewsImage, key=key, extension=extension)
    response = FileResponse(image.file.open("rb"), content_type=image.content_type)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(NewsAttachment.objects.select_related("post"), pk=pk)
    post_visible = attachment.post.status == NewsPost.Status.PUBLISHED or can_publish_news(request.user)
    if not (post_visible and can_view(request.user, attachment)):
        raise Http404
    return serve_file(
        request,
        attachment.file,
        filename=f"{attachment.title}.{attachment.extension.lower()}",
        content_type=attachment.content_type,
        record=lambda user: services.attachment_download_record(user=user, attachment=attachment),
    )


class _AtomWithContent(Atom1Feed):
    """Atom with the whole post as sanitised HTML in <content>, beside the summary."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content_html"):
            handler.addQuickElement("content", item["content_html"], {"type": "html"})


class PostFeed(Feed):
    feed_type = _AtomWithContent
    title = "SEC Portal: news"
    subtitle = "News, newsletters, SEC release announcements and publications from SECAS, government and Ofgem."
    author_name = "SECAS"

    def get_object(self, request, *args, **kwargs):
        form = PostFilterForm(request.GET or None, tags=selectors.tags_in_use())
        return form.filters() if form.is_bound else selectors.PostFilters()

    def link(self, filters) -> str:
        return reverse("news:post-list")

    def items(self, filters):
        return selectors.post_list(filters=filters)[:30]

    def item_title(self, post) -> str:
        return post.title

    def item_description(self, post) -> str:
        # Atom carries the summary as HTML: a person's text is escaped, never markup.
        return escape(post.summary)

    def item_extra_kwargs(self, post) -> dict:
        return {"content_html": str(post.body_html)}  # rendered and sanitised when saved

    def item_link(self, post) -> str:
        return reverse("news:post-detail", args=[post.slug])

    def item_guid(self, post) -> str:
        return f"tag:secportal,2026:news-{post.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, post):
        return post.published_at

    def item_updateddate(self, post):
        return max(post.updated_at, post.published_at)

    def item_categories(self, post):
        return [post.get_kind_display(), *(t.name for t in post.tags.all())]


# --- Events ----------------------------------------------------------------------------------------------


# An event leaves "upcoming" as it ends: within a minute.
def event_list(request: HttpRequest) -> HttpResponse:
    when = "past" if request.GET.get("when") == "past" else "upcoming"
    kind = request.GET.get("kind", "")
    kind = kind if kind in EventKind.values else ""
    page = Paginator(selectors.event_list(kind=kind, when=when), EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    registered = {}
    if request.user.is_authenticated:
        registered = {r.event_id: r for r in selectors.user_events(user=request.user, include_past=True)}
    page.object_list = list(page.object_list)
    for event in page.object_list:
        event.my_registration = registered.get(event.pk)
    return render(
        request,
        "news/event_list.html",
        {
            "page": page,
            "when": when,
            "kind": kind,
            "kinds": EventKind.choices,
            "querystring": _querystring(request),
            "can_manage": can_manage_events(request.user),
            "now": timezone.now(),
        },
    )


def event_detail(request: HttpRequest, slug: str) -> HttpResponse:
    event = selectors.event_get(slug=slug)
    user = request.user
    registration = selectors.user_registration(user=user, event=event)
    if registration is not None:
        registration.event = event
    party_id = getattr(user, "party_id", None) if user.is_authenticated else None
    now = timezone.now()
    slide_packs = selectors.event_slide_packs(user=user, event=event)
    party_places_taken = selectors.party_places_taken(event=event, party_id=party_id)
    party_full = bool(event.places_per_party) and party_places_taken >= event.places_per_party
    return render(
        request,
        "news/event_detail.html",
        {
            "event": event,
            "agenda": list(event.agenda_items.all()),
            "registration": registration,
            "waitlist_position": selectors.waitlist_position(registration),
            "registration_state": event.registration_state(now),
            "is_past": event.is_past(now),
            "started": event.starts_at <= now,  # places can no longer be cancelled
            "can_register": can_register(user),
            "party_places_taken": party_places_taken,
            # Registering now would put the person on the waitlist: the button says so.
            "joins_waitlist": event.places_left == 0 or party_full,
            "form": RegistrationForm(),
            "slide_packs": slide_packs,
            # The recording goes with the slides: shown when a slide pack is visible, or when there is none.
            "show_recording": bool(event.recording_url) and (bool(slide_packs) or not event.slide_packs.exists()),
            "can_manage": can_manage_events(user),
        },
    )


@event_manager_only
def event_create(request: HttpRequest) -> HttpResponse:
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_create(actor=request.user, details=form.details())
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Event created. It is on the events page and in the calendar.")
            return redirect("news:event-detail", slug=event.slug)
    return render(request, "news/event_form.html", {"form": form}, status=400 if form.errors else 200)


@event_manager_only
def event_edit(request: HttpRequest, slug: str) -> HttpResponse:
    event = selectors.event_get(slug=slug)
    form = EventForm(request.POST or None, initial=EventForm.initial_for(event), submit="Save the changes")
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_update(actor=request.user, event=event, details=form.details())
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            note = " Only this occurrence changed; the rest of the series is as it was." if event.series_id else ""
            messages.success(request, f"Saved.{note}")
            return redirect("news:event-detail", slug=event.slug)
    return render(request, "news/event_form.html", {"form": form, "event": event}, status=400 if form.errors else 200)


@event_manager_only
def series_create(request: HttpRequest) -> HttpResponse:
    form = SeriesForm(request.POST or None, initial={"first_month": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            series = services.series_create(
                actor=request.user,
                title=d["title"],
                kind=d["kind"],
                summary=d["summary"],
                description=d["description"],
                first_month=d["first_month"],
                months=d["months"],
                local_start=d["local_start"],
                duration_minutes=d["duration_minutes"],
                online_link=d["online_link"],
                venue=d["venue"],
                capacity=d["capacity"],
                places_per_party=d["places_per_party"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            count = series.occurrences.count()
            messages.success(request, f"Series created with {count} occurrence{'s' if count != 1 else ''}.")
            return redirect(f"{reverse('news:event-list')}?kind={series.kind}")
    return render(request, "news/series_form.html", {"form": form}, status=400 if form.errors else 200)


@event_manager_only
def series_extend(request: HttpRequest, slug: str) -> HttpResponse:
    """Add months to a series (the coming Questions Hours): existing months are left as they are."""
    series = get_object_or_404(EventSeries, slug=slug)
    last = series.occurrences.order_by("-starts_at").values_list("starts_at", flat=True).first()
    following = (
        (timezone.localtime(last).date().replace(day=1) + datetime.timedelta(days=32)).replace(day=1) if last else None
    )
    form = SeriesExtendForm(request.POST or None, initial={"first_month": following or timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            created = services.series_extend(
                actor=request.user,
                series=series,
                first_month=form.cleaned_data["first_month"],
                months=form.cleaned_data["months"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            if created:
                messages.success(
                    request, f"Added {len(created)} occurrence{'s' if len(created) != 1 else ''} to {series}."
                )
            else:
                messages.info(request, f"Nothing added: {series} already has those months (or they are past).")
            return redirect(f"{reverse('news:event-list')}?kind={series.kind}")
    return render(
        request,
        "news/series_extend.html",
        {"form": form, "series": series, "last": last},
        status=400 if form.errors else 200,
    )


@event_manager_only
def event_cancel(request: HttpRequest, slug: str) -> HttpResponse:
    """Cancel an event: a page that says who is told and that it cannot be undone."""
    event = selectors.event_get(slug=slug)
    if event.is_cancelled or event.is_past():
        messages.info(
            request,
            "This event is already cancelled."
            if event.is_cancelled
            else "This event has already taken place; it cannot be cancelled.",
        )
        return redirect("news:event-detail", slug=event.slug)
    form = EventCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.event_cancel(actor=request.user, event=event, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Cancelled. The people registered are being told by email.")
            return redirect("news:event-detail", slug=event.slug)
    return render(
        request,
        "news/event_cancel.html",
        {"event": event, "form": form, "counts": selectors.registration_counts(event=event)},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def event_register(request: HttpRequest, slug: str) -> HttpResponse:
    event = selectors.event_get(slug=slug)
    form = RegistrationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Keep your notes under 2,000 characters.")
        return redirect("news:event-detail", slug=event.slug)
    try:
        registration = services.registration_create(actor=request.user, event=event, notes=form.cleaned_data["notes"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if registration.status == Registration.Status.CONFIRMED:
            messages.success(request, "You are registered: your place is confirmed. We have emailed you the details.")
        else:
            messages.info(
                request, "This event is full for now: you are on the waitlist. We will email you if a place frees up."
            )
    return redirect("news:event-detail", slug=event.slug)


def _after_registration_change(request: HttpRequest, registration: Registration) -> HttpResponse:
    """SECAS acting on someone else's registration go back to the attendees; people to the event."""
    if registration.user_id != request.user.pk:
        return redirect("news:event-attendees", slug=registration.event.slug)
    return redirect("news:event-detail", slug=registration.event.slug)


@login_required
def registration_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a place (or leave the waitlist): a page that says what happens, then the
    cancellation, with an Undo. The person or SECAS only; 404 for anyone else."""
    registration = selectors.registration_get(user=request.user, pk=pk)
    event = registration.event
    own = registration.user_id == request.user.pk
    if not registration.is_active or event.starts_at <= timezone.now():
        messages.info(
            request,
            "This registration is already cancelled."
            if not registration.is_active
            else "This event has already started, so its places can no longer be cancelled.",
        )
        return _after_registration_change(request, registration)
    if request.method == "POST":
        was_place = registration.status == Registration.Status.CONFIRMED
        try:
            services.registration_cancel(actor=request.user, registration=registration)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            name = registration.user.full_name
            whose = "your" if own else f"{name}'s"
            if was_place:
                text = "Your place is cancelled." if own else f"{name}'s place is cancelled."
            else:
                text = "You have left the waitlist." if own else f"{name} has left the waitlist."
            success_with_undo(
                request,
                text,
                action=reverse("news:registration-restore", args=[registration.pk]),
                describe=f"restore {whose} registration for {event.title}",
            )
        return _after_registration_change(request, registration)
    registration.event = event
    return render(
        request,
        "news/registration_cancel.html",
        {
            "registration": registration,
            "event": event,
            "own": own,
            "counts": selectors.registration_counts(event=event),
            "waitlist_position": selectors.waitlist_position(registration),
        },
    )


@login_required
@require_POST
def registration_restore(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo a cancellation: the place back if it is free, or the waitlist, saying which."""
    registration = selectors.registration_get(user=request.user, pk=pk)
    own = registration.user_id == request.user.pk
    try:
        restored = services.registration_restore(actor=request.user, registration=registration)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _after_registration_change(request, registration)
    registration = restored.registration
    name = registration.user.full_name
    if registration.status == Registration.Status.CONFIRMED:
        messages.success(request, "Your place is back." if own else f"{name}'s place is back.")
        return _after_registration_change(request, registration)
    who = "you are" if own else f"{name} is"
    if restored.went_to_waitlist:
        where = f"The place had already gone to the next person on the waitlist, so {who} on the waitlist now"
    elif restored.filled_up:
        where = f"The event filled up meanwhile, so {who} on the waitlist now"
    else:
        where = f"{capfirst(who)} back on the waitlist"
    then = "it is yours, and we will email you" if own else "it is theirs, and they are emailed"
    position = selectors.waitlist_position(registration)
    messages.info(request, f"{where}, at number {position}. If a place frees up {then}.")
    return _after_registration_change(request, registration)


@event_manager_only
def attendee_list(request: HttpRequest, slug: str) -> HttpResponse:
    event = selectors.event_get(slug=slug)
    rows = selectors.attendees(event=event)
    counts = {s: sum(1 for r in rows if r.status == s) for s in Registration.Status.values}
    started = event.starts_at <= timezone.now()  # places can no longer be cancelled
    return render(
        request, "news/attendee_list.html", {"event": event, "rows": rows, "counts": counts, "started": started}
    )


def _csv_safe(value: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: neutralise them."""
    return f"'{value}" if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


@event_manager_only
def attendee_csv(request: HttpRequest, slug: str) -> HttpResponse:
    event = selectors.event_get(slug=slug)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}-attendees.csv"'
    response["Cache-Control"] = "private, no-store"
    writer = csv.writer(response)
    writer.writerow(["Name", "Email", "Job title", "Party", "Status", "Registered", "Notes"])
    for r in selectors.attendees(event=event):
        registered = timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M %Z")
        row = [
            r.user.full_name,
            r.user.email,
            r.user.job_title,
            r.party.name,
            r.get_status_display(),
            registered,
            r.notes,
        ]
        writer.writerow([_csv_safe(str(v)) for v in row])
    return response


@accepts_uploads
@event_manager_only
def slide_upload(request: HttpRequest, slug: str) -> HttpResponse:
    event = selectors.event_get(slug=slug)
    form = SlidePackForm(request.POST or None, request.FILES or None, initial={"recording_url": event.recording_url})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.slide_pack_upload(
                actor=request.user,
                event=event,
                title=d["title"],
                upload=d["file"],
                classification=d["classification"],
                owner_party=d["owner_party"],
                owner_committee=d["owner_committee"],
                red_recipients=d["red_recipients"],
                recording_url=d["recording_url"],
            )
        except ApplicationError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, "Slide pack published.")
            return redirect("news:event-detail", slug=event.slug)
    return render(request, "news/slide_form.html", {"event": event, "form": form}, status=400 if form.errors else 200)


def _slide_pack(request: HttpRequest, pk: int) -> SlidePack:
    pack = get_object_or_404(SlidePack.objects.select_related("event"), pk=pk)
    if not can_view(request.user, pack):
        raise Http404
    return pack


def slide_download(request: HttpRequest, pk: int) -> FileResponse:
    pack = _slide_pack(request, pk)
    return serve_file(
        request,
        pack.file,
        filename=f"{pack.event.title} {pack.title}.{pack.extension.lower()}",
        content_type=pack.content_type,
        record=lambda user: services.slide_pack_download_record(user=user, pack=pack),
    )


def slide_thumbnail(request: HttpRequest, pk: int) -> FileResponse:
    pack = _slide_pack(request, pk)
    if not pack.thumbnail:
        raise Http404
    return serve_file(
        request,
        pack.thumbnail,
        filename="thumbnail.png",
        content_type="image/png",
        as_attachment=False,
        record=lambda user: services.slide_pack_download_record(user=user, pack=pack, thumbnail=True),
    )


# --- Calendars ------------------------------------------------------------------------------------------


def _ics(content: bytes, filename: str, *, private: bool = False) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store" if private else "public, max-age=300"
    return response


@require_GET
def event_ics(request: HttpRequest, slug: str) -> HttpResponse:
    event = selectors.event_get(slug=slug)
    content = calendar.build_calendar(name=event.title, components=[calendar.event_component(event, online_link=False)])
    return _ics(content, f"{event.slug}.ics")


@require_GET
def calendar_ics(request: HttpRequest) -> HttpResponse:
    components = [calendar.event_component(e, online_link=False) for e in selectors.calendar_events()]
    content = calendar.build_calendar(
        name="SEC Portal events",
        components=components,
        description="Spotlight on the SEC, the Modifications Questions Hour and other SECAS events.",
    )
    return _ics(content, "sec-portal-events.ics")


@login_required
def my_calendar(request: HttpRequest) -> HttpResponse:
    if not can_have_calendar(request.user):
        raise Http404
    token = CalendarToken.objects.filter(user=request.user).first()
    context = {"token": token}
    if token is not None:
        url = request.build_absolute_uri(reverse("news:private-calendar", args=[token.token]))
        context |= {"https_url": url, "webcal_url": "webcal://" + url.split("://", 1)[1]}
    return render(request, "news/my_calendar.html", context)


@login_required
@require_POST
def my_calendar_action(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action")
    try:
        if action == "create":
            services.calendar_token_get_or_create(user=request.user)
            messages.success(request, "Your private calendar address is ready.")
        elif action == "reset":
            services.calendar_token_reset(user=request.user)
            messages.success(
                request, "New address made: the old one has stopped working. Subscribe again with the new one."
            )
        elif action == "revoke":
            services.calendar_token_revoke(user=request.user)
            messages.success(request, "Your private calendar address is turned off.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("news:my-calendar")


@never_cache
@require_GET
def private_calendar(request: HttpRequest, token: str) -> HttpResponse:
    """A person's registered events (and what other apps add), behind the secret in the address."""
    found = CalendarToken.objects.select_related("user").filter(token=token, user__is_active=True).first()
    if found is None:
        raise Http404
    user = found.user
    components = []
    for registration in selectors.user_calendar_registrations(user=user):
        suffix = " (waitlist)" if registration.status == Registration.Status.WAITLISTED else ""
        component = calendar.event_component(
            registration.event, summary_suffix=suffix, online_link=registration.status == "confirmed"
        )
        if suffix and not registration.event.is_cancelled:
            component["status"] = "TENTATIVE"
        components.append(component)
    components.extend(calendar.user_calendar_entries(user))
    content = calendar.build_calendar(name=f"SEC Portal: {user.get_short_name()}", components=components)
    return _ics(content, "my-sec-portal-calendar.ics", private=True)
