"""Work queues on the dashboard: what waits for a person, each item with where it is done and when.

An app's dashboard section builds a `queue(...)` of `QueueItem`s; `secportal/_dashboard_queue.html`
renders every queue the same way: what the item is (a link to the page where it is done), a line
of detail, its status, and its due date in UK format with the Working Days left or overdue (from
`secportal.workingdays`, the one calculator behind every SEC deadline). The section's heading
carries the count ("3 waiting"); an empty queue says that nothing waits, or what to do.
"""

import datetime
from dataclasses import dataclass, field

from .workingdays import local_today, working_days_between

# Items a queue shows on the dashboard; the heading counts them all and links to the full list.
QUEUE_LIMIT = 10


@dataclass(frozen=True)
class Due:
    """When something is due, and how that stands today, counted in Working Days.

    `day` is the date the deadline falls on (Europe/London); `at`, when given, is the exact
    instant shown instead (a consultation closes at 23:59 UK time)."""

    day: datetime.date
    label: str
    at: datetime.datetime | None = None
    today: datetime.date = field(default_factory=local_today)

    @property
    def overdue(self) -> bool:
        return self.day < self.today

    @property
    def is_today(self) -> bool:
        return self.day == self.today

    @property
    def working_days_left(self) -> int:
        """Working Days after today up to the deadline (0 when it is today or past)."""
        return working_days_between(self.today, self.day)

    @property
    def working_days_over(self) -> int:
        """Working Days since the deadline passed (0 when it has not)."""
        return working_days_between(self.day, self.today)


@dataclass(frozen=True)
class Button:
    """A one-click action done from the dashboard itself (a POST form with the CSRF token)."""

    action: str
    label: str
    fields: tuple[tuple[str, str], ...] = ()
    context: str = ""  # read after the label by screen readers: which item the button acts on


@dataclass(frozen=True)
class QueueItem:
    title: str
    url: str = ""  # where it is done; none when the person only needs to know (SECAS decides it)
    detail: str = ""
    status: str = ""  # a short state shown as a badge ("Draft", "Sent", "Ready to close")
    due: Due | None = None
    button: Button | None = None


def queue(
    items: list[QueueItem],
    *,
    count: int | None = None,
    empty: str,
    links: tuple[tuple[str, str], ...] | list[tuple[str, str]] = (),
    count_label: str = "waiting",
    **extra,
) -> dict:
    """The context of a queue section. `count` (all that wait, for the heading) defaults to the
    number of items; `links` (address, words) lead to the full lists, after the items or the
    empty state."""
    return {
        "items": items,
        "count": len(items) if count is None else count,
        "count_label": count_label,
        "empty": empty,
        "links": [(url, label) for url, label in links if url],
        **extra,
    }
