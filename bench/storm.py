"""The autosave storm's clients: signed-in people saving their consultation answers every few
seconds up to a deadline, as static/js/autosave.js does (only the changed answer, with the value it
started from). Plain threads and http.client, one thread a person; no Django here."""

import http.client
import json
import random
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FILLER = (
    "Our systems would need changes to the way meter readings are settled before this could go live. "
    "We support the intent but ask for a longer lead time and a test window with the DCC. "
)


@dataclass
class Person:
    cookie: str
    user: int
    party: int
    question: int
    acked: str = ""  # the last answer the server confirmed
    unconfirmed: str = ""  # sent, but no answer came back (it may or may not be saved)
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0
    last_answer: float = 0.0  # when the last answer came back (time.time())

    def count(self, status: str) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


@dataclass(frozen=True)
class Site:
    host: str
    port: int
    page: str  # the consultation's page
    autosave: str  # its autosave address

    def request(self, method: str, path: str, headers: dict, body: str | None = None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()


def _sign_on(person: Person, site: Site) -> str:
    """Open the consultation page as the browser would: the CSRF cookie and the form's token."""
    status, headers, body = site.request("GET", site.page, {"Cookie": person.cookie})
    if status != 200:
        raise RuntimeError(f"The consultation page answered {status} for user {person.user}")
    jar = SimpleCookie()
    for name, value in headers:
        if name.lower() == "set-cookie":
            jar.load(value)
    person.cookie += "".join(f"; {morsel.key}={morsel.value}" for morsel in jar.values())
    found = TOKEN.search(body.decode())
    if found is None:
        raise RuntimeError(f"No answer form on the consultation page for user {person.user}")
    return found.group(1)


def _save(person: Person, site: Site, token: str, n: int) -> None:
    text = f"Answer of user {person.user}, save {n}. " + FILLER * (1 + n % 4)
    name = f"q{person.question}_text"
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, name: text, f"orig_{name}": person.acked})
    headers = {"Cookie": person.cookie, "Content-Type": "application/x-www-form-urlencoded"}
    start = time.perf_counter()
    try:
        status, _, reply = site.request("POST", site.autosave, headers, body)
    except OSError as exc:
        person.unconfirmed = text
        person.count(type(exc).__name__)
        return
    person.latencies.append(time.perf_counter() - start)
    person.last_answer = time.time()
    person.count(str(status))
    answer = json.loads(reply) if status == 200 else {}
    if answer.get("saved"):
        if answer.get("conflict"):
            person.conflicts += 1
            person.unconfirmed = text
        else:
            person.acked, person.unconfirmed = text, ""
    else:
        person.unconfirmed = text


def _run_one(person: Person, site: Site, start: threading.Barrier, when: dict, every: float) -> None:
    try:
        token = _sign_on(person, site)
    except (OSError, RuntimeError):
        person.count("page_failed")
        token = None
    start.wait()  # everybody has the page open: the storm begins
    if token is None:
        return
    at = when["begin"] + random.uniform(0, every)  # noqa: S311 (spreading start times, not a secret)
    n = 0
    while at < when["end"]:
        time.sleep(max(0.0, at - time.time()))
        n += 1
        _save(person, site, token, n)
        at += every


def storm(*, host: str, port: int, setup: dict, seconds: float, every: float = 5.0) -> tuple[list[Person], dict]:
    """Every person saves every `every` seconds for `seconds`; returns the people (with what the
    server last confirmed) and the figures: saves, p50/p99/max latency, statuses, conflicts."""
    people = [
        Person(cookie=c["cookie"], user=c["user"], party=c["party"], question=c["question"]) for c in setup["clients"]
    ]
    site = Site(host=host, port=port, page=setup["page"], autosave=setup["autosave"])
    when: dict[str, float] = {}

    def begin() -> None:
        when["begin"] = time.time()
        when["end"] = when["begin"] + seconds

    # Every person opens the consultation's page first; the storm begins when all have it open.
    start = threading.Barrier(len(people), action=begin)
    threads = [threading.Thread(target=_run_one, args=(p, site, start, when, every), daemon=True) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 600)
    latencies = sorted(t for p in people for t in p.latencies)
    statuses: dict[str, int] = {}
    for p in people:
        for status, n in p.statuses.items():
            statuses[status] = statuses.get(status, 0) + n

    def pct(q: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 1) if latencies else 0.0

    figures = {
        "sessions": len(people),
        "seconds": seconds,
        "every_s": every,
        "saves": sum(statuses.values()),
        # From the first save to the last answer: longer than `seconds` when the server fell behind.
        "wall_s": round(max((p.last_answer for p in people), default=0) - when.get("begin", 0), 1) if latencies else 0,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else 0.0,
        "statuses": statuses,
        "errors": sum(n for status, n in statuses.items() if status != "200"),
        "conflicts": sum(p.conflicts for p in people),
    }
    return people, figures
