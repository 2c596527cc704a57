"""Benchmark rows for modifications: the register at a given size, one modification with a long
timeline and many documents, and a Party user following 50 modifications."""

import datetime

from django.utils import timezone

from parties.bench import BENCH_USER
from parties.models import Party, User
from secportal.classification import Classification

from .models import Follow, ModificationDocument, ModificationEvent, ModificationProposal, Path, Route, Stage

LONG_TIMELINE = 9000  # the number of the modification with a long timeline
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
