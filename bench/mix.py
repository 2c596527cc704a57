"""The benchmark's traffic: which addresses people ask for, and the signed-in sessions they use.

Runs inside Django (bench/cli.py, and the test that checks every address answers). The mix is a
set of kinds of page, each with a weight (its share of the requests) and the addresses of that
kind, drawn from the data: wrk's Lua script (bench/mix.lua) picks a kind by weight, then one of
its addresses at random, for every request.
"""

import itertools
import random
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.urls import reverse

from modifications.bench import WORDS
from modifications.models import ModificationProposal, Path, Stage
from modifications.views import PER_PAGE
from news.models import Event, NewsPost
from panel.models import Meeting
from parties.bench import BENCH_USER
from parties.models import Party, User

# The share of requests each kind of page gets: the register and the modifications most of all.
WEIGHTS = {
    "home": 5,
    "register": 10,
    "register_pages": 8,
    "register_filters": 12,
    "register_searches": 10,
    "modifications": 25,
    "news": 5,
    "news_posts": 8,
    "events": 4,
    "event_pages": 4,
    "meetings": 4,
    "dashboard": 5,  # signed in only
}
SIGNED_IN_ONLY = {"dashboard"}
SAMPLE = 200  # at most this many addresses of one kind (modifications, posts, events)
DEEP_PAGES = 20  # register pages 2..20 are drawn, and the last


def addresses(*, sample: int = SAMPLE, seed: int = 2026) -> dict[str, list[str]]:
    """Every address the mix draws from, by kind, built from the data now in the database."""
    rng = random.Random(seed)  # noqa: S311 (a repeatable sample, not a secret)
    register = reverse("modifications:modification-list")
    references = list(ModificationProposal.objects.values_list("reference", flat=True))
    references = rng.sample(references, min(sample, len(references)))
    pages = -(-ModificationProposal.objects.count() // PER_PAGE)
    filters = [
        *(f"stage={stage}" for stage in Stage.values),
        *(f"path={path}" for path in Path.values),
        *(f"category={category}" for category in Party.Category.values),
        "state=open",
        "state=closed",
        "sort=next",
        "sort=reference",
        "state=open&sort=-reference",
        "state=open&page=2",
    ]
    searches = [
        *(f"q={word}" for word in WORDS),
        *(f"q={a}+{b}" for a, b in itertools.pairwise(WORDS)),
        "q=firmware+security&state=open",
        "q=tariff&stage=refinement",
        *(f"q={reference}" for reference in references[:10]),
    ]
    posts = NewsPost.objects.filter(status=NewsPost.Status.PUBLISHED).order_by("-published_at")
    events = Event.objects.order_by("starts_at")
    kinds = {
        "home": [reverse("home")],
        "register": [register],
        "register_pages": [f"{register}?page={n}" for n in [*range(2, min(pages, DEEP_PAGES) + 1), pages] if n > 1],
        "register_filters": [f"{register}?{query}" for query in filters],
        "register_searches": [f"{register}?{query}" for query in searches],
        "modifications": [reverse("modifications:modification-detail", args=[r]) for r in references],
        "news": [reverse("news:post-list"), f"{reverse('news:post-list')}?page=2"],
        "news_posts": [reverse("news:post-detail", args=[s]) for s in posts.values_list("slug", flat=True)[:sample]],
        "events": [reverse("news:event-list"), f"{reverse('news:event-list')}?when=past"],
        "event_pages": [reverse("news:event-detail", args=[s]) for s in events.values_list("slug", flat=True)[:sample]],
        "meetings": [reverse("panel:meeting-detail", args=[pk]) for pk in Meeting.objects.values_list("pk", flat=True)],
        "dashboard": [reverse("dashboard")],
    }
    return {kind: sorted(set(paths)) for kind, paths in kinds.items() if paths}


def plan(*, signed_in: bool, sample: int = SAMPLE) -> list[tuple[int, list[str]]]:
    """The mix as wrk draws from it: (weight, addresses) for each kind a visitor may ask for."""
    return [
        (WEIGHTS[kind], paths)
        for kind, paths in addresses(sample=sample).items()
        if signed_in or kind not in SIGNED_IN_ONLY
    ]


def mix_users(count: int) -> list[User]:
    """The Party users the mix signs in: the bench user (who follows 50 modifications) first."""
    users = list(User.objects.filter(email=BENCH_USER))
    users += (
        User.objects.filter(email__endswith="@bench.example", is_active=True, party__isnull=False)
        .exclude(email=BENCH_USER)
        .order_by("pk")[: max(count - len(users), 0)]
    )
    return users


def sessions_create(users: list[User]) -> list[str]:
    """One signed-in session per person, made the way Django's login() makes one, in the configured
    session engine; returns each session's cookie value."""
    engine = import_module(settings.SESSION_ENGINE)
    backend = settings.AUTHENTICATION_BACKENDS[0]
    keys = []
    for user in users:
        session = engine.SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys.append(session.session_key)
    return keys
