"""Benchmark rows for the panel: a meeting with a long agenda and many papers."""

import datetime

from django.core.files.base import ContentFile
from django.utils import timezone

from modifications.models import ModificationProposal

from .models import AgendaItem, Committee, Meeting, Paper

BENCH_MEETING_TITLE = "Benchmark meeting"


def seed(*, sizes: dict, stdout=None) -> None:
    committee = Committee.objects.filter(kind=Committee.Kind.CHANGE_BOARD).first()
    if committee is None:
        committee = Committee.objects.create(
            name="Change Board",
            slug="change-board",
            kind=Committee.Kind.CHANGE_BOARD,
            purpose="Votes on Modification Proposals.",
        )
    if Meeting.objects.filter(title=BENCH_MEETING_TITLE).exists():
        return
    starts = timezone.now() + datetime.timedelta(days=10)
    meeting = Meeting.objects.create(
        committee=committee,
        title=BENCH_MEETING_TITLE,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=4),
        online_link="https://meet.example/b",
    )
    modifications = list(ModificationProposal.objects.filter(number__gte=10000)[:30])
    items = AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, order=n + 1, title=f"Item {n + 1}", modification=m, decision_needed=n % 2 == 0)
        for n, m in enumerate(modifications)
    )
    for n, item in enumerate(items):
        paper = Paper(
            meeting=meeting,
            item=item,
            title=f"Paper {n + 1}",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
            classification=["white", "green", "amber"][n % 3],
            owner_committee=committee.slug,
        )
        paper.file.save(f"bench-{n}.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
        paper.save()
