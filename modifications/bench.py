"""Benchmark rows for modifications: the register at a given size, one modification with a long
timeline and many documents, a Party user following 50 modifications, the first hundred bench
users following ten each (their dashboards), and the stage move's pair: one modification followed
by 2,000 people and its twin that nobody follows (plus a third to warm the move up)."""

import datetime

from django.utils import timezone

from parties.bench import BENCH_USER
from parties.models import Party, User
from secportal.classification import Classification

from .models import Follow, ModificationDocument, ModificationEvent, ModificationProposal, Path, Route, Stage
from .selectors import register_changed

LONG_TIMELINE = 9000  # the number of the modification with a long timeline
FOLLOWED, UNFOLLOWED, WARM_UP = 9001, 9002, 9003  # the stage move's modifications (at Refinement)
FOLLOWERS = 2000  # how many bench users follow FOLLOWED (fewer if there are fewer users)
DASHBOARD_USERS = 100  # the first bench users, who follow ten modifications each
STAGES = [s for s in Stage if s not in (Stage.DRAFT, Stage.DEVELOPMENT, Stage.CLOSED)]
WORDS = [
    "smart",
    "meter",
    "supplier",
    "network",
    "consumer",
    "prepayment",
    "firmware",
    "security",
    "tariff",
    "settlement",
]


def seed(*, sizes: dict, stdout=None) -> None:
    parties = list(Party.objects.order_by("pk")[:300])
    have = ModificationProposal.objects.filter(reference__startswith="MP").filter(number__gte=10000).count()
    today = timezone.localdate()
    batch = []
    for n in range(have, sizes["modifications"]):
        number = 10000 + n
        stage = STAGES[n % len(STAGES)]
        words = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(4))
        batch.append(
            ModificationProposal(
                number=number,
                reference=f"MP{number}",
                title=f"Bench change {n}: {words}",
                stage=stage,
                path=[Path.PATH_1, Path.PATH_2, Path.PATH_3][n % 3],
                route=Route.REFINEMENT,
                proposer_party=parties[n % len(parties)] if parties else None,
                raised_on=today - datetime.timedelta(days=n % 700),
                issue=f"The {words} arrangements need to change. " * 5,
                solution=f"Amend the {words} obligations.",
                impacts={"large_supplier": "high", "small_supplier": "low"},
                next_milestone="Change Board vote",
                updated_at=timezone.now() - datetime.timedelta(minutes=n),
            ).render_rich_text()
        )
        if len(batch) == 1000:
            ModificationProposal.objects.bulk_create(batch)
            batch = []
    ModificationProposal.objects.bulk_create(batch)
    register_changed()  # bulk_create sends no signals: the register counts again
    long_one = ModificationProposal.objects.filter(number=LONG_TIMELINE).first()
    if long_one is None:
        long_one = ModificationProposal.objects.create(
            number=LONG_TIMELINE,
            reference=f"MP{LONG_TIMELINE}",
            title="A long-running change",
            stage=Stage.REFINEMENT,
            path=Path.PATH_2,
            route=Route.REFINEMENT,
            issue="Long.",
            next_milestone="Refinement by the Working Group",
        )
        ModificationEvent.objects.bulk_create(
            ModificationEvent(
                modification=long_one,
                kind=ModificationEvent.Kind.UPDATE,
                summary=f"Working Group {n} held",
                occurred_on=today - datetime.timedelta(days=n),
            )
            for n in range(200)
        )
        labels = list(Classification)
        ModificationDocument.objects.bulk_create(
            ModificationDocument(
                modification=long_one,
                kind=ModificationDocument.Kind.WORKING_GROUP,
                title=f"Working Group {n // 3} summary",
                version=n % 3 + 1,
                file="bench/none.pdf",
                content_type="application/pdf",
                size=1000,
                sha256="0" * 64,
                classification=labels[n % 2],
            )  # WHITE and GREEN
            for n in range(60)
        )
    user = User.objects.filter(email=BENCH_USER).first()
    if user is not None and not Follow.objects.filter(user=user).exists():
        Follow.objects.bulk_create(
            Follow(user=user, modification=m) for m in ModificationProposal.objects.filter(number__gte=10000)[:50]
        )
    _seed_follows()
    _seed_stage_move()


def _seed_follows() -> None:
    """Ten follows for each of the first bench users (the mix signs them in), spread over the register."""
    register = list(
        ModificationProposal.objects.filter(number__gte=10000).order_by("number").values_list("pk", flat=True)
    )
    if not register:
        return
    users = User.objects.filter(email__endswith="@bench.example").exclude(email=BENCH_USER).order_by("pk")
    if Follow.objects.filter(user__in=users[:1], modification__number__gte=10000).exists():
        return  # seeded before (the register may have grown since; the follows stay as they were)
    Follow.objects.bulk_create(
        (
            Follow(user_id=user_id, modification_id=register[(n * 37 + k * 101) % len(register)])
            for n, user_id in enumerate(users.values_list("pk", flat=True)[:DASHBOARD_USERS])
            for k in range(10)
        ),
        ignore_conflicts=True,
    )


def _seed_stage_move() -> None:
    for number in (FOLLOWED, UNFOLLOWED, WARM_UP):
        ModificationProposal.objects.get_or_create(
            number=number,
            defaults={
                "reference": f"MP{number}",
                "title": f"Stage move {number}",
                "stage": Stage.REFINEMENT,
                "path": Path.PATH_2,
                "route": Route.REFINEMENT,
                "issue": "Moved by the benchmark.",
                "next_milestone": "Report Phase",
            },
        )
    followed = ModificationProposal.objects.get(number=FOLLOWED)
    have = Follow.objects.filter(modification=followed).count()
    if have < FOLLOWERS:
        users = (
            User.objects.filter(email__endswith="@bench.example")
            .exclude(email=BENCH_USER)  # who follows exactly 50
            .exclude(follows__modification=followed)
        )
        Follow.objects.bulk_create(
            Follow(user_id=pk, modification=followed)
            for pk in users.order_by("pk").values_list("pk", flat=True)[: FOLLOWERS - have]
        )
