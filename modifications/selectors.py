"""Reads for modifications: the register (filters, search), one modification, its timeline and
documents as the viewer may see them, releases, and what a person follows."""

import re
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import BooleanField, Case, Count, FloatField, Prefetch, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.http import Http404

from parties.models import Party, User

from .models import (
    OPEN_STAGES,
    Answer,
    Consultation,
    FilterFollow,
    Follow,
    ModificationDocument,
    ModificationEvent,
    ModificationProposal,
    ModificationReference,
    Path,
    Question,
    Release,
    Response,
    ResponseVersion,
    Stage,
    stages_for_path,
)
from .permissions import can_list_responses, can_read_response

SHORT_PATH = {"path_1": "Path 1", "path_2": "Path 2", "path_3": "Path 3", "fast_track": "Fast track", "none": "Draft"}

SORTS = {
    "-updated": ("-updated_at", "-number"),
    "updated": ("updated_at", "number"),
    "reference": ("number", "suffix"),
    "-reference": ("-number", "suffix"),
    "next": ("next_milestone_date", "-number"),
}


@dataclass(frozen=True)
class ModificationFilters:
    stage: str = ""
    path: str = ""
    category: str = ""
    release: str = ""
    state: str = ""  # "open" or "closed"
    q: str = ""
    sort: str = "-updated"

    def query_string(self) -> str:
        """The filters as a canonical query string (sort aside): a view that can be shared or followed."""
        values = {k: v for k, v in asdict(self).items() if v and k != "sort"}
        return urlencode(sorted(values.items()))

    def describe(self) -> str:
        parts = []
        if self.stage:
            parts.append(Stage(self.stage).label)
        if self.path:
            parts.append(Path(self.path).label)
        if self.category:
            parts.append(f"impacting {Party.Category(self.category).label}s")
        if self.release:
            parts.append(f"in release {self.release}")
        if self.state:
            parts.append("in progress" if self.state == "open" else "closed")
        if self.q:
            parts.append(f"matching “{self.q}”")
        return ", ".join(parts) or "all modifications"


# A reference as people type it: "MP210", "mp210", "MP 210", "MP-210", "DP084", "210", "102a".
# At most six digits, so the number always fits the column (a longer one is searched as words).
REFERENCE = re.compile(r"(?:(?P<prefix>[DM]P)[\s-]*)?0*(?P<number>\d{1,6})[\s-]*(?P<suffix>[A-Z])?", re.IGNORECASE)
# A proposer's name (their own or their Party's) matches from this many characters typed.
NAME_MIN_LENGTH = 3
# At most this many people or Parties named by a search are written into its statement (`_named`).
NAMES_INLINE = 500


@dataclass(frozen=True)
class Search:
    """What a search of the register asks for: the words as typed and, when the whole of it reads
    as a reference ("MP 210", "mp210", "MP-210", "210"), that reference's parts."""

    text: str
    number: int | None = None
    prefix: str = ""  # "MP" or "DP" when typed: then the reference must be exactly that
    suffix: str = ""  # an alternative's letter: "A" of MP102A

    @property
    def reference(self) -> str:
        """The reference in the register's spelling (MP210, DP084, MP102A), when a prefix was typed."""
        return f"{self.prefix}{self.number:03d}{self.suffix}" if self.prefix and self.number is not None else ""


def parse_search(q: str) -> Search:
    """The search as typed (spaces collapsed); its reference's parts when the whole of it is one."""
    text = " ".join(q.split())
    found = REFERENCE.fullmatch(text)
    if found is None:
        return Search(text=text)
    return Search(
        text=text,
        number=int(found["number"]),
        prefix=(found["prefix"] or "").upper(),
        suffix=(found["suffix"] or "").upper(),
    )


def _reference_match(search: Search, *, once_had) -> Q:
    """The modification the reference names: exactly (and by a reference it once had, `once_had`:
    DP084 finds MP084) when typed with its prefix; by number (and letter) when typed without one."""
    if search.prefix:
        return Q(reference=search.reference) | Q(pk__in=once_had)
    return Q(number=search.number, **({"suffix": search.suffix} if search.suffix else {}))


def _named(search: Search, *, look_up_first: bool) -> tuple:
    """The people and the Parties whose name holds the search, and the modifications that once had
    the reference it names.

    For the register (`look_up_first`) they are read first, in one query, so that each way of
    matching is a plain condition of one WHERE clause that PostgreSQL answers from its own index
    (a bitmap OR), with the register's filters checked on the same rows: as subqueries there, it
    read every row of the register (a broad search at 20,000 modifications: 91 to 56 ms). Inside a
    larger statement (a saved view tested against one modification, notifications.py) they stay
    subqueries, so that many views still cost one statement."""
    people = User.objects.filter(full_name__icontains=search.text).values("pk")
    parties = Party.objects.filter(name__icontains=search.text).values("pk")
    old = ModificationReference.objects.filter(reference=search.reference).values("modification_id")
    asked = {
        "person": people if len(search.text) >= NAME_MIN_LENGTH and not any(c.isdigit() for c in search.text) else None,
        "party": parties if len(search.text) >= NAME_MIN_LENGTH else None,
        "reference": old if search.prefix else None,
    }
    # (A person's name has no digits: parties/validators.py.)
    if not look_up_first:
        return asked["person"], asked["party"], asked["reference"]
    found: dict[str, list[int]] = {way: [] for way in asked}
    ways = [
        query.order_by().annotate(way=Value(way)).values_list("way", *query.query.values_select)
        for way, query in asked.items()
        if query is not None
    ]
    if ways:
        rows = ways[0].union(*ways[1:], all=True) if len(ways) > 1 else ways[0]
        for way, pk in rows.order_by():  # no model's default ordering: only the two columns are read
            found[way].append(pk)
    # A short name can match thousands of people ("son"): then that way stays a subquery, rather
    # than a statement with thousands of values in it.
    chosen = {way: asked[way] if len(ids) > NAMES_INLINE else ids for way, ids in found.items()}
    return chosen["person"], chosen["party"], chosen["reference"]


def _text_match(text: str) -> Q | RawSQL:
    if connection.vendor == "postgresql":
        # The stored, indexed document (migration 0004: reference and title, issue and solution):
        # matches come from its GIN index. The SQL is constant; the text is always a parameter. The
        # column is named without its table, so it is the modification of the SELECT it sits in,
        # whatever alias Django gives that table inside a subquery.
        return RawSQL(
            "search_document @@ websearch_to_tsquery('english', %s)",
            [text],
            output_field=BooleanField(),
        )
    # SQLite (the demo): simple matching of the same fields, every word somewhere in them (a
    # reference as a whole word, as PostgreSQL's document has it).
    match = Q()
    for word in text.split():
        match &= (
            Q(reference__iexact=word)
            | Q(title__icontains=word)
            | Q(issue__icontains=word)
            | Q(solution__icontains=word)
        )
    return match


def _search(queryset: QuerySet, q: str, *, look_up_first: bool = True) -> QuerySet:
    """Modifications matching a search, a reference match first, then by relevance.

    Each way of matching (the words; the reference, or a reference it once had; the proposer's
    name; their Party's name) is a condition of one WHERE clause, each answered by its own index.
    A reference match ranks first, then the words' rank (PostgreSQL), then the newest."""
    search = parse_search(q)
    people, parties, once_had = _named(search, look_up_first=look_up_first)
    once_had = [] if once_had is None else once_had
    match = Q(_text_match(search.text))
    if search.number is not None:
        match |= _reference_match(search, once_had=once_had)
    # A list was looked up (an empty one adds nothing); a subquery is never asked here.
    if people is not None and (not isinstance(people, list) or people):
        match |= Q(proposer__in=people)
    if parties is not None and (not isinstance(parties, list) or parties):
        match |= Q(proposer_party__in=parties)
    matches = queryset.filter(match)
    is_reference = (
        Case(
            When(_reference_match(search, once_had=once_had), then=Value(1)),
            default=Value(0),
        )
        if search.number is not None
        else Value(0)
    )
    if connection.vendor == "postgresql":
        rank = RawSQL(
            "ts_rank(search_document, websearch_to_tsquery('english', %s))", [search.text], output_field=FloatField()
        )
    else:
        rank = Value(0.0)
    return matches.annotate(is_reference=is_reference, rank=rank).order_by(
        "-is_reference", "-rank", "-number", "suffix"
    )


def modification_list(*, filters: ModificationFilters, look_up_first: bool = True) -> QuerySet[ModificationProposal]:
    """The register, filtered (see `_named` for `look_up_first`)."""
    modifications = ModificationProposal.objects.select_related("proposer_party", "target_release")
    if filters.stage:
        modifications = modifications.filter(stage=filters.stage)
    if filters.path:
        modifications = modifications.filter(path=filters.path)
    if filters.category:
        modifications = modifications.impacting(filters.category)
    if filters.release:
        modifications = modifications.filter(target_release__slug=filters.release)
    if filters.state == "open":
        modifications = modifications.open()
    elif filters.state == "closed":
        modifications = modifications.closed()
    if filters.q:
        return _search(modifications, filters.q, look_up_first=look_up_first)
    return modifications.order_by(*SORTS.get(filters.sort, SORTS["-updated"]))


# What a row of the register shows (modifications/_register_rows.html). The register reads only these:
# a modification's texts (issue and solution, as Markdown and HTML) are most of its row, and
# reading, sorting and building them for 25 rows cost more than the rest of the query (measured at
# 20,000 modifications: 5.8 to 1.9 ms for a page of rows).
REGISTER_ROW_FIELDS = (
    "number",
    "suffix",
    "reference",
    "title",
    "stage",
    "path",
    "urgent",
    "next_milestone",
    "next_milestone_date",
    "updated_at",
    "proposer_party__name",
    "target_release__name",
)


# A search's order without its rank: a reference match first, then the newest.
UNRANKED = ("-is_reference", "-number", "suffix")


def register_rows(*, filters: ModificationFilters) -> QuerySet[ModificationProposal]:
    """The register's rows: the filtered modifications with only what a row shows."""
    return modification_list(filters=filters).only(*REGISTER_ROW_FIELDS)


def pipeline(*, modifications: QuerySet | None = None) -> dict:
    """How many open modifications sit at each stage, by path: the register's picture."""
    base = modifications if modifications is not None else ModificationProposal.objects.all()
    rows = (
        base.order_by()
        .filter(stage__in=OPEN_STAGES)
        .values("stage", "path")
        # COUNT(*), not COUNT(id): every column the query reads is then in the (stage, path) index,
        # so PostgreSQL answers from the index alone (an index-only scan) instead of visiting all
        # the open rows. Measured at 20,000 modifications (vacuumed): 13.1 ms -> 1.5 ms.
        .annotate(n=Count("*"))
        .values_list("stage", "path", "n")
    )
    counts: dict[str, dict[str, int]] = {}
    for stage, path, n in rows:
        counts.setdefault(stage, {})[path or "none"] = n
    paths = [*Path.values, "none"]
    path_labels = {**{p.value: p.label for p in Path}, "none": "Draft (no path yet)"}
    stages = [s for s in Stage if s in OPEN_STAGES]
    biggest = max((sum(counts.get(s, {}).values()) for s in stages), default=0) or 1
    rows = []
    for stage in stages:
        offset, segments = 0, []
        for p in paths:
            n = counts.get(stage, {}).get(p, 0)
            if n:
                segments.append(
                    {"path": p, "label": path_labels[p], "short": SHORT_PATH[p], "count": n, "offset": offset}
                )
                offset += n
        rows.append({"value": stage.value, "label": stage.label, "total": offset, "segments": segments})
    return {"paths": [{"value": p, "label": path_labels[p]} for p in paths], "max": biggest, "stages": rows}


# The register's summary (its chart and how many modifications there are) is the same for everyone,
# and counting it means reading an index of every modification: at 20,000, about 4 ms of the
# database's time on each page of the register and the home page. It is kept in Django's cache under
# a version that every save or deletion of a modification moves on (at once, and again when its
# transaction commits), so a change shows on the next page. The entry also expires after
# REGISTER_SUMMARY_SECONDS: that bounds how long a count can lag where the version could not move
# (a write that bypasses signals, a cache that failed the write, a process's in-memory cache in
# the demo). With the cache down it is counted each time, as before.
REGISTER_VERSION_KEY = "modifications:register-version"
REGISTER_SUMMARY_SECONDS = 60


def register_changed() -> None:
    """A modification was written: the next page counts the register again."""
    cache.set(REGISTER_VERSION_KEY, time.time_ns(), None)


def register_changed_now_and_on_commit(**kwargs) -> None:
    """Signal receiver (modifications/apps.py). Moved at once, so the change's own transaction and
    a test see it; and again on commit, so a page that counted between the two does not keep a
    count without it."""
    register_changed()
    transaction.on_commit(register_changed, robust=True)


def register_summary() -> dict:
    """{"pipeline": the chart (see `pipeline`), "total": every modification, "open": the open ones}."""
    version = cache.get(REGISTER_VERSION_KEY)
    if version is None:  # first use, or the cache lost it (or is down: then None again)
        register_changed()
        version = cache.get(REGISTER_VERSION_KEY)
    key = f"modifications:register-summary:{version}"
    summary = cache.get(key) if version is not None else None
    if summary is None:
        chart = pipeline()
        summary = {
            "pipeline": chart,
            "total": ModificationProposal.objects.count(),
            "open": sum(stage["total"] for stage in chart["stages"]),
        }
        if version is not None:
            cache.set(key, summary, REGISTER_SUMMARY_SECONDS)
    return summary


def modification_get(*, reference: str) -> tuple[ModificationProposal, bool]:
    """The modification with this reference, or the one that once had it (True: redirect)."""
    # Not the modification it is an alternative of: the page shows only its reference and title
    # (related_modifications), and a whole second modification in the join cost more to build
    # than the rest of the query.
    queryset = ModificationProposal.objects.select_related(
        "proposer", "proposer_party", "lead_analyst", "target_release"
    )
    reference = reference.upper()  # references are upper case: an exact match uses the unique index
    found = queryset.filter(reference=reference).first()
    if found is not None:
        return found, False
    old = ModificationReference.objects.filter(reference=reference).first()
    if old is None:
        raise Http404("No modification has this reference.")
    return queryset.get(pk=old.modification_id), True


def visible_documents(*, user, modification: ModificationProposal) -> list[ModificationDocument]:
    """The modification's documents the viewer may open, by id: what their view of its page depends on."""
    return list(ModificationDocument.objects.visible_to(user).filter(modification=modification).order_by("pk"))


def modification_timeline(
    *, user, modification: ModificationProposal, documents: list[ModificationDocument] | None = None
) -> list[ModificationEvent]:
    """Every event, except those about documents the viewer may not open (`documents`, when the
    caller already has them from visible_documents)."""
    if documents is None:
        visible = ModificationDocument.objects.visible_to(user).filter(modification=modification).values("pk")
    else:
        visible = [d.pk for d in documents]
    return list(modification.events.filter(Q(document__isnull=True) | Q(document__in=visible)))


def modification_documents(
    *, user, modification: ModificationProposal, documents: list[ModificationDocument] | None = None
) -> list[dict]:
    """Visible documents grouped by kind, each title with its versions, newest first."""
    if documents is None:
        documents = visible_documents(user=user, modification=modification)
    groups: OrderedDict[str, dict] = OrderedDict()
    kind_order = {k: i for i, k in enumerate(ModificationDocument.Kind.values)}
    for document in sorted(documents, key=lambda d: (kind_order[d.kind], d.title, -d.version)):
        group = groups.setdefault(document.kind, {"label": document.get_kind_display(), "series": OrderedDict()})
        group["series"].setdefault(document.title, []).append(document)
    return [
        {"label": g["label"], "series": [{"title": t, "latest": v[0], "older": v[1:]} for t, v in g["series"].items()]}
        for g in groups.values()
    ]


def modification_progress(modification: ModificationProposal) -> list[dict]:
    """The stages the modification's path goes through: done, current, to come."""
    if modification.path:
        stages = stages_for_path(modification.path, modification.route)
    else:
        stages = [
            Stage.DRAFT,
            Stage.DEVELOPMENT,
            Stage.REPORT_PHASE,
            Stage.MRC,
            Stage.CHANGE_BOARD,
            Stage.APPROVED,
            Stage.IMPLEMENTED,
        ]
    current = modification.stage
    if current not in stages:  # withdrawn, rejected, closed: the path stops where it stopped
        reached = set(modification.events.values_list("from_stage", flat=True))
        return [
            {"stage": s, "label": Stage(s).label, "state": "done" if s in reached else "skipped"} for s in stages
        ] + [{"stage": current, "label": Stage(current).label, "state": "current"}]
    index = stages.index(current)
    return [
        {"stage": s, "label": Stage(s).label, "state": "done" if i < index else "current" if i == index else "todo"}
        for i, s in enumerate(stages)
    ]


def related_modifications(modification: ModificationProposal) -> list[ModificationProposal]:
    related = list(modification.related.all().only("reference", "title", "stage"))
    related += list(modification.alternatives.all().only("reference", "title", "stage"))
    if modification.alternative_of_id:
        related += list(
            ModificationProposal.objects.filter(pk=modification.alternative_of_id).only("reference", "title", "stage")
        )
    return related


def _release_scope() -> Prefetch:
    modifications = ModificationProposal.objects.select_related("proposer_party").order_by("number", "suffix")
    return Prefetch("modifications", queryset=modifications)


def release_list() -> list[Release]:
    return list(Release.objects.prefetch_related(_release_scope()))


def release_get(*, slug: str) -> Release:
    """One release with its scope (two queries, however many modifications it has); 404 if none."""
    release = Release.objects.prefetch_related(_release_scope()).filter(slug=slug).first()
    if release is None:
        raise Http404
    return release


def is_following(*, user, modification: ModificationProposal) -> bool:
    return bool(user and user.is_authenticated) and Follow.objects.filter(user=user, modification=modification).exists()


def followed_modifications(*, user) -> QuerySet[ModificationProposal]:
    """What the person follows, soonest next step first, with what the dashboard's list shows
    (a person may follow many: their texts are not read)."""
    return (
        ModificationProposal.objects.filter(follows__user=user)
        .defer(*ModificationProposal.LONG_TEXTS)
        .order_by("next_milestone_date", "-updated_at")
    )


def filter_follows(*, user) -> QuerySet[FilterFollow]:
    return FilterFollow.objects.filter(user=user).order_by("label")


def party_drafts(*, party) -> QuerySet[ModificationProposal]:
    """Draft Proposals of the Party not yet converted (in review or in development)."""
    return ModificationProposal.objects.filter(
        proposer_party=party, stage__in=[Stage.DRAFT, Stage.DEVELOPMENT]
    ).order_by("-raised_on")


def party_modifications(*, party) -> QuerySet[ModificationProposal]:
    return ModificationProposal.objects.filter(proposer_party=party).order_by("-number", "suffix")


def modifications_for_export(*, filters: ModificationFilters) -> QuerySet[ModificationProposal]:
    return modification_list(filters=filters).select_related("lead_analyst")


def feed_events(*, user, filters: ModificationFilters, limit: int = 50) -> list[ModificationEvent]:
    """One entry per update of the modifications the filters select, newest on the timeline first,
    hiding documents the requester may not see."""
    modifications = modification_list(filters=filters).order_by().values("pk")
    visible = ModificationDocument.objects.visible_to(user).values("pk")
    return list(
        ModificationEvent.objects.filter(modification__in=modifications)
        .filter(Q(document__isnull=True) | Q(document__in=visible))
        .select_related("modification")
        .order_by("-occurred_on", "-created_at", "-id")[:limit]  # the timeline's order, as the feed dates them
    )


# --- Consultations -------------------------------------------------------------------------------------------


def consultation_list():
    return Consultation.objects.select_related("modification").annotate(
        question_count=Count("questions", distinct=True),
        response_count=Count(
            "responses",
            filter=Q(responses__status=Response.Status.SUBMITTED, responses__confidential=False),
            distinct=True,
        ),
    )


def consultation_get(*, pk: int) -> Consultation:
    try:
        return Consultation.objects.select_related("modification").get(pk=pk)
    except Consultation.DoesNotExist:
        raise Http404 from None


def party_response(*, consultation: Consultation, party) -> Response | None:
    if party is None:
        return None
    return (
        Response.objects.filter(consultation=consultation, party=party)
        .select_related("submitted_by", "updated_by")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.select_related("updated_by")))
        .first()
    )


def visible_responses(*, user, consultation: Consultation, now=None) -> list[dict]:
    """The Parties' responses as submitted (last version) that the viewer may read
    (modifications.permissions: SECAS always; the Panel and Change Board after the close; everyone
    the ones not confidential once published)."""
    if not can_list_responses(user, consultation, now=now):
        return []
    responses = Response.objects.filter(consultation=consultation, status=Response.Status.SUBMITTED).select_related(
        "party"
    )
    latest = {}
    for version in ResponseVersion.objects.filter(response__in=responses).order_by("response_id", "version"):
        latest[version.response_id] = version
    questions = list(consultation.questions.all())
    rows = []
    for response in sorted(responses, key=lambda r: r.party.name):
        version = latest.get(response.pk)
        if version is None or not can_read_response(
            user, consultation, party_id=response.party_id, confidential=version.confidential, now=now
        ):
            continue  # confidential as sent: a later change to the draft does not publish it
        rows.append(
            {
                "party": response.party,
                "confidential": version.confidential,
                "version": version.version,
                "submitted_at": version.submitted_at,
                "answers": [
                    {"question": q, **version.answers.get(str(q.pk), {"position": "", "text": ""})} for q in questions
                ],
            }
        )
    return rows


def response_summary(*, rows: list[dict], questions: list[Question]) -> list[dict]:
    """Per question: how many said yes, no or neutral, overall and per Party category."""
    summary = []
    for q in questions:
        if q.kind != Question.Kind.POSITION:
            continue
        totals = dict.fromkeys(Answer.Position.values, 0)
        by_category: dict[str, dict[str, int]] = {}
        for row in rows:
            answer = next(a for a in row["answers"] if a["question"].pk == q.pk)
            position = answer.get("position")
            if position in totals:
                totals[position] += 1
                cat = row["party"].get_category_display()
                by_category.setdefault(cat, dict.fromkeys(Answer.Position.values, 0))[position] += 1
        summary.append({"question": q, "totals": totals, "by_category": sorted(by_category.items())})
    return summary


def party_consultations(*, party, now=None) -> list[Consultation]:
    """For the dashboard: every open consultation the Party may answer, closing soonest first, each
    with `response`: the Party's response (None before anyone saved an answer), with who last
    saved and who sent it. Two queries, however many there are."""
    from django.utils import timezone

    now = now or timezone.now()
    open_ones = [
        c
        for c in Consultation.objects.filter(opens_at__lte=now, closes_at__gte=now)
        .select_related("modification")
        .order_by("closes_at", "pk")
        if c.party_may_respond(party)
    ]
    responses = {
        r.consultation_id: r
        for r in Response.objects.filter(consultation__in=[c.pk for c in open_ones], party=party).select_related(
            "submitted_by", "updated_by"
        )
    }
    for c in open_ones:
        c.response = responses.get(c.pk)
    return open_ones


def consultations_for_secas(*, now, closing_by) -> list[Consultation]:
    """For SECAS's dashboard, oldest first: consultations closed with responses to publish (at least
    one sent and not marked confidential), then open ones that close by `closing_by`. Each carries
    `sent` (responses sent) and `publishable` (sent, not confidential). One query."""
    sent = Q(responses__status=Response.Status.SUBMITTED)
    return list(
        Consultation.objects.select_related("modification")
        .annotate(
            sent=Count("responses", filter=sent, distinct=True),
            publishable=Count("responses", filter=sent & Q(responses__confidential=False), distinct=True),
        )
        .filter(
            Q(closes_at__lt=now, published_at__isnull=True, publishable__gt=0)
            | Q(opens_at__lte=now, closes_at__gte=now, closes_at__lte=closing_by)
        )
        .order_by("closes_at", "pk")
    )


def consultations_closed_since(*, now, since) -> list[Consultation]:
    """Consultations that closed between `since` and `now`, oldest first, each with `sent` (the
    responses sent). Who may read them is for modifications.permissions to say. One query."""
    return list(
        Consultation.objects.filter(closes_at__lt=now, closes_at__gte=since)
        .select_related("modification")
        .annotate(sent=Count("responses", filter=Q(responses__status=Response.Status.SUBMITTED), distinct=True))
        .order_by("closes_at", "pk")
    )
