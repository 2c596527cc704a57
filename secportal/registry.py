"""Small registries through which the apps tell `secportal` what to show on shared pages.

`secportal` never imports an app: each app registers its sections in `AppConfig.ready()`,
the way apps register with the admin site. A section is a template plus a function that
builds its context for a request (return None to leave the section out).

A dashboard section marked `queue` is a work queue (`secportal.queues`): what waits for the person,
shown first, with the count of what waits in its heading.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

# build(request, **objects) -> context, or None to leave the section out.
ContextBuilder = Callable[..., dict[str, Any] | None]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    template: str
    build: ContextBuilder
    order: int = 100
    queue: bool = False


@dataclass
class RenderedSection:
    section: Section
    context: dict[str, Any]


class SectionRegistry:
    def __init__(self, name: str) -> None:
        self.name = name
        self._sections: dict[str, Section] = {}

    def register(self, section: Section) -> None:
        """Register (or replace, on a second `ready()`) one section under its key."""
        self._sections[section.key] = section

    def sections(self) -> list[Section]:
        return sorted(self._sections.values(), key=lambda s: (s.order, s.key))

    def render_for(self, request: HttpRequest, **objects: Any) -> list[RenderedSection]:
        rendered = []
        for section in self.sections():
            context = section.build(request, **objects)
            if context is not None:
                rendered.append(RenderedSection(section=section, context=context))
        return rendered


home_sections = SectionRegistry("home")
dashboard_sections = SectionRegistry("dashboard")
# Sections of one Party's page (`party=` is passed): its modifications, its committee members.
party_sections = SectionRegistry("party")


@dataclass(frozen=True)
class NotificationKind:
    """A kind of notification a person may choose how to hear about.

    urgent: sent at once even on a day that is not a Working Day (reminders, cancellations).
    digestible: may wait for a daily or weekly digest (a reminder may not: it would come too late).
    """

    key: str
    label: str
    description: str
    topic: str = "General"
    urgent: bool = False
    digestible: bool = True
    default: str = "immediate"


class NotificationKindRegistry:
    """The kinds of notification a person may hear about; apps register theirs in ready()."""

    def __init__(self) -> None:
        self._kinds: dict[str, NotificationKind] = {}

    def register(self, kind: NotificationKind) -> None:
        self._kinds[kind.key] = kind

    def has(self, key: str) -> bool:
        return key in self._kinds

    def get(self, key: str) -> NotificationKind:
        try:
            return self._kinds[key]
        except KeyError:
            raise LookupError(f"No notification kind {key!r} is registered.") from None

    def kinds(self) -> list[NotificationKind]:
        return sorted(self._kinds.values(), key=lambda k: (k.topic, k.label))


notification_kinds = NotificationKindRegistry()


class EmailKindRegistry:
    """Words for each kind of email the outbox holds, so SECAS reads "Password reset link" rather
    than an identifier. A notification kind brings its own label; emails sent outside them
    (receipts, account emails, digests) are registered by their app in ready()."""

    def __init__(self) -> None:
        self._labels: dict[str, str] = {}

    def register(self, key: str, label: str) -> None:
        self._labels[key] = label

    def is_registered(self, key: str) -> bool:
        return key in self._labels or notification_kinds.has(key)

    def label(self, key: str) -> str:
        if key in self._labels:
            return self._labels[key]
        if notification_kinds.has(key):
            return notification_kinds.get(key).label
        # Not registered (a kind from an older release, say): its last word, still in words.
        word = re.split(r"[.:/]", key)[-1].replace("_", " ").strip()
        return word[:1].upper() + word[1:] if word else "Email"

    def matching(self, text: str) -> list[str]:
        """The keys whose words contain `text` (for a search of the outbox)."""
        text = text.casefold()
        keys = {*self._labels, *(k.key for k in notification_kinds.kinds())}
        return sorted(key for key in keys if text in self.label(key).casefold())


email_kinds = EmailKindRegistry()

# visible(user, ids) -> the subset of ids (strings) of one model the user may still be told about.
AccessCheck = Callable[[Any, list[str]], set[str]]
# audience(users, id) -> the pks of those people who may be told about one object of the model.
AudienceCheck = Callable[[list, str], set[int]]


class NotificationAccessRegistry:
    """Who may still hear about an object, checked when a notification is written, when its email
    is sent and when the portal lists it. Each app registers a check per model (label_lower)."""

    def __init__(self) -> None:
        self._checks: dict[str, AccessCheck] = {}
        self._audiences: dict[str, AudienceCheck] = {}

    def register(self, model_label: str, check: AccessCheck, *, audience: AudienceCheck | None = None) -> None:
        """`check` answers for one person and many objects (the portal's list, a digest);
        `audience`, when given, answers for many people and one object (a fan-out) in a number of
        queries that does not grow with the people."""
        self._checks[model_label] = check
        if audience is not None:
            self._audiences[model_label] = audience

    def visible(self, user, model_label: str, ids: list[str]) -> set[str]:
        """The ids the user may hear about; a model without a check is visible to active users."""
        if user is None or not user.is_active:
            return set()
        check = self._checks.get(model_label)
        return set(ids) if check is None else {str(i) for i in check(user, list(ids))}

    def audience(self, users: list, model_label: str, object_id: str) -> set[int]:
        """The pks of the (active) people who may hear about one object: the model's audience
        check, or its check asked for each person when it has none."""
        users = [u for u in users if u is not None and u.is_active]
        check = self._checks.get(model_label)
        if check is None:
            return {u.pk for u in users}
        many = self._audiences.get(model_label)
        if many is not None:
            return set(many(users, str(object_id)))
        return {u.pk for u in users if str(object_id) in {str(i) for i in check(u, [str(object_id)])}}

    def has_check(self, model_label: str) -> bool:
        return model_label in self._checks


notification_access = NotificationAccessRegistry()


class NotificationSourceRegistry:
    """Notifications caused by time rather than by a change (reminders before an event, a
    consultation closing soon): beat runs every source each minute with the current time. A
    source must be idempotent (the notification's unique key makes it so)."""

    def __init__(self) -> None:
        self._sources: dict[str, Callable[..., int]] = {}

    def register(self, key: str, source: Callable[..., int]) -> None:
        self._sources[key] = source

    def sources(self) -> list[tuple[str, Callable[..., int]]]:
        return sorted(self._sources.items())


notification_sources = NotificationSourceRegistry()

# audience(happening) -> the pks of the people who hear about it (before access checks).
Audience = Callable[[Any], Iterable[int]]


class NotificationAudienceRegistry:
    """Who hears about a happening (a modification moved on, a document published): each app
    registers a function per audience key that works out the people's pks, in a number of queries
    that does not grow with them. The Celery task that tells them calls it, never the request."""

    def __init__(self) -> None:
        self._audiences: dict[str, Audience] = {}

    def register(self, key: str, audience: Audience) -> None:
        self._audiences[key] = audience

    def get(self, key: str) -> Audience:
        try:
            return self._audiences[key]
        except KeyError:
            raise LookupError(f"No notification audience {key!r} is registered.") from None


notification_audiences = NotificationAudienceRegistry()


class DemoSeederRegistry:
    """Each app registers a function that adds its demo data; seed_demo runs them in order."""

    def __init__(self) -> None:
        self._seeders: dict[str, tuple[int, Callable[..., None]]] = {}

    def register(self, key: str, seeder: Callable[..., None], order: int = 100) -> None:
        self._seeders[key] = (order, seeder)

    def seeders(self) -> list[tuple[str, Callable[..., None]]]:
        return [(key, fn) for key, (order, fn) in sorted(self._seeders.items(), key=lambda kv: (kv[1][0], kv[0]))]


demo_seeders = DemoSeederRegistry()


class BenchSeederRegistry(DemoSeederRegistry):
    """Each app registers a function that tops its rows up to the benchmark's sizes (seed_bench)."""


bench_seeders = BenchSeederRegistry()
