"""In-process measurements for `make bench`: each page's time, query count and database share; the
stage move with 2,000 followers; the autosave storm's set-up and its check. Runs inside Django
(bench/cli.py), with the benchmark's settings, beside the gunicorn that wrk measures."""

import datetime
import statistics
import time
from contextlib import contextmanager

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db import connection
from django.template.backends.django import Template as DjangoTemplate
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from modifications.bench import FOLLOWED, UNFOLLOWED, WARM_UP
from modifications.models import Answer, Consultation, Follow, ModificationProposal, Question
from modifications.notifications import STAGE_CHANGED
from news.models import Event, NewsPost
from panel.models import Meeting
from parties import roles
from parties.bench import BENCH_USER
from parties.models import User
from secportal.models import Notification

from .mix import sessions_create

REPEATS = 15  # timed renderings of each page (after two warm-ups); the median is reported


class QueryTimer:
    """Counts the queries a request runs and sums the time the database took (wall time around
    each call to the driver, so it includes the round trip to PostgreSQL)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.count += 1


@contextmanager
def timed_queries():
    timer = QueryTimer()
    with connection.execute_wrapper(timer):
        yield timer


def table_pages() -> dict[str, str]:
    """The pages of the per-page table: one of each kind the mix draws from."""
    long_one = ModificationProposal.objects.get(number=9000)
    typical = ModificationProposal.objects.filter(number__gte=10000).order_by("number").first()
    post = NewsPost.objects.filter(status=NewsPost.Status.PUBLISHED).order_by("-published_at").first()
    event = Event.objects.order_by("starts_at").first()
    meeting = Meeting.objects.get(title="Benchmark meeting")
    register = reverse("modifications:modification-list")
    return {
        "home": reverse("home"),
        "register": register,
        "register_page_5": f"{register}?page=5",
        "register_filter": f"{register}?stage=refinement&category=large_supplier",
        "register_search": f"{register}?q=firmware+security&state=open",
        "modification": reverse("modifications:modification-detail", args=[typical.reference]),
        "modification_long": reverse("modifications:modification-detail", args=[long_one.reference]),
        "news": reverse("news:post-list"),
        "news_post": reverse("news:post-detail", args=[post.slug]),
        "events": reverse("news:event-list"),
        "event": reverse("news:event-detail", args=[event.slug]),
        "meeting": reverse("panel:meeting-detail", args=[meeting.pk]),
        "parties": reverse("parties:party-list"),
        "dashboard": reverse("dashboard"),
    }


class TemplateTimer:
    """Sums the wall time of the page's templates: each top-level rendering through Django's
    template backend (its includes and `{% jinja %}` fragments render inside it). Timed, not read
    from cProfile: a profile's cost per Python call falls hardest on templates, which make the most
    calls, and overstated their share (the register, signed in: 57% profiled, 46% timed; a
    modification, 15% and 10%)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.depth = 0

    @contextmanager
    def installed(self):
        original = DjangoTemplate.render

        def render(template, *args, **kwargs):
            self.depth += 1
            start = time.perf_counter()
            try:
                return original(template, *args, **kwargs)
            finally:
                self.depth -= 1
                if not self.depth:  # a template rendered inside another (crispy's fields) counts once
                    self.seconds += time.perf_counter() - start

        DjangoTemplate.render = render  # the benchmark's own process only; restored below
        try:
            yield self
        finally:
            DjangoTemplate.render = original


def _profile_one(client: Client, path: str, repeats: int) -> dict:
    for _ in range(2):
        client.get(path)  # warm-up: templates compiled, connections open
    totals, db, counts, rendering = [], [], [], []
    status = 0
    for _ in range(repeats):
        with timed_queries() as timer, TemplateTimer().installed() as templates:
            start = time.perf_counter()
            status = client.get(path).status_code
            totals.append(time.perf_counter() - start)
        db.append(timer.seconds)
        counts.append(timer.count)
        rendering.append(templates.seconds)
    total, database = statistics.median(totals), statistics.median(db)
    return {
        "status": status,
        "ms": round(total * 1000, 2),
        "queries": max(counts),
        "db_ms": round(database * 1000, 2),
        "db_share": round(database / total, 3) if total else 0.0,
        "template_share": round(statistics.median(rendering) / total, 3) if total else 0.0,
    }


def profile_pages(*, repeats: int = REPEATS) -> dict:
    """Each page of the table rendered in-process, signed in (the bench user, following 50
    modifications) and anonymous: median time, query count, database time and its share."""
    signed_in, anonymous = Client(), Client()
    signed_in.force_login(User.objects.get(email=BENCH_USER))
    results = {}
    for name, path in table_pages().items():
        results[name] = {"path": path, "signed_in": _profile_one(signed_in, path, repeats)}
        if name != "dashboard":
            results[name]["anonymous"] = _profile_one(anonymous, path, repeats)
    return results


# --- The stage move ---------------------------------------------------------------------------------


def _mover() -> User:
    """A SECAS analyst (a demo account) with a second factor on record, so the MFA rule lets them
    through as it would in production (the benchmark never signs in with it)."""
    user = User.objects.filter(groups__name=roles.SECAS_STAFF, is_active=True).order_by("pk").first()
    Authenticator.objects.get_or_create(user=user, type=Authenticator.Type.TOTP, defaults={"data": {}})
    return user


def _move(client: Client, number: int) -> dict:
    modification = ModificationProposal.objects.get(number=number)
    path = reverse("modifications:modification-action", args=[modification.reference, "finish-refinement"])
    client.get(path)
    with timed_queries() as timer:
        start = time.perf_counter()
        response = client.post(path, {"note": "Moved by the benchmark."})
        seconds = time.perf_counter() - start
    modification.refresh_from_db()
    return {
        "reference": modification.reference,
        "status": response.status_code,
        "moved": modification.stage != "refinement",
        "followers": Follow.objects.filter(modification=modification).count(),
        "ms": round(seconds * 1000, 1),
        "queries": timer.count,
        "db_ms": round(timer.seconds * 1000, 1),
        "started": start,
    }


def stage_move(*, timeout: float = 120.0) -> dict:
    """Move the warm-up modification, then the one nobody follows, then the one 2,000 people follow,
    each through the real action form; then wait until every follower's notification exists (a
    Celery worker, started by bench/run.py, may be the one writing them)."""
    client = Client()
    client.force_login(_mover())
    _move(client, WARM_UP)
    without = _move(client, UNFOLLOWED)
    followed = _move(client, FOLLOWED)
    modification = ModificationProposal.objects.get(number=FOLLOWED)
    notifications = Notification.objects.filter(
        kind=STAGE_CHANGED, subject_type=modification._meta.label_lower, subject_id=str(modification.pk)
    )
    expected = followed["followers"]
    deadline = followed["started"] + timeout
    count = notifications.count()
    while count < expected and time.perf_counter() < deadline:
        time.sleep(0.1)
        count = notifications.count()
    until_last = time.perf_counter() - followed["started"]
    people = notifications.values("user").distinct().count()
    for result in (without, followed):
        del result["started"]
    return {
        "without_followers": without,
        "with_followers": followed,
        "notified": count,
        "notified_people": people,
        "expected": expected,
        "until_last_notified_s": round(until_last, 2) if count >= expected else None,
        "timeout_s": timeout,
    }


# --- The autosave storm --------------------------------------------------------------------------------


def storm_setup(*, sessions: int, seconds: float, per_party: int = 3) -> dict:
    """A consultation closing just after the storm, and `sessions` signed-in Party users, three
    colleagues of each Party, each answering a question of their own in their Party's one response."""
    party_users: dict[int, list[User]] = {}
    users = (
        User.objects.filter(email__endswith="@bench.example", is_active=True, party__isnull=False)
        .exclude(email=BENCH_USER)
        .order_by("pk")
    )
    for user in users.iterator():
        party_users.setdefault(user.party_id, []).append(user)
    chosen = [u for group in party_users.values() if len(group) >= per_party for u in group[:per_party]][:sessions]
    now = timezone.now()
    consultation = Consultation(
        kind=Consultation.Kind.OTHER,
        title=f"Benchmark consultation {now:%H:%M:%S}",
        introduction="Answer **before** the deadline.",
        opens_at=now - datetime.timedelta(days=20),
        closes_at=now + datetime.timedelta(seconds=seconds + 120),
    ).render_rich_text()
    consultation.save()
    questions = Question.objects.bulk_create(
        Question(consultation=consultation, order=n + 1, text=f"Question {n + 1}?", kind=Question.Kind.TEXT)
        for n in range(per_party)
    )
    cookies = sessions_create(chosen)
    seat: dict[int, int] = {}
    clients = []
    for user, key in zip(chosen, cookies, strict=True):
        n = seat.get(user.party_id, 0)
        seat[user.party_id] = n + 1
        clients.append(
            {
                "cookie": f"{settings.SESSION_COOKIE_NAME}={key}",
                "user": user.pk,
                "party": user.party_id,
                "question": questions[n].pk,
            }
        )
    return {
        "consultation": consultation.pk,
        "page": reverse("modifications:consultation-detail", args=[consultation.pk]),
        "autosave": reverse("modifications:consultation-autosave", args=[consultation.pk]),
        "closes_at": consultation.closes_at.isoformat(),
        "clients": clients,
    }


def storm_check(*, consultation: int, clients: list[dict]) -> dict:
    """Compare each client's last answer the server confirmed with what the database holds. A
    client whose last save went unanswered may have saved it or not: either value is accepted."""
    stored = {
        (a["response__party_id"], a["question_id"]): a["text"]
        for a in Answer.objects.filter(response__consultation_id=consultation).values(
            "response__party_id", "question_id", "text"
        )
    }
    lost = []
    for client in clients:
        have = stored.get((client["party"], client["question"]), "")
        allowed = {client["acked"], *([client["unconfirmed"]] if client.get("unconfirmed") else [])}
        if have not in allowed:
            lost.append({"user": client["user"], "question": client["question"], "sent": client["acked"], "have": have})
    return {"checked": len(clients), "lost": len(lost), "examples": lost[:5]}
