"""`make bench`: the portal's speed against the limits of its own stack, measured side by side.

Builds a production-like setup on this machine (PostgreSQL and Redis, DEBUG off, persistent
connections, cached templates, gunicorn with 2 workers on loopback), fills it with `seed_bench`,
and measures with wrk, alternating each page with the floor (a trivial Django page through the
same middleware) so that machine drift hits both alike. Prints a table and writes
bench/results.json. Figures, not assertions: nothing here fails a build.
"""

import json
import os
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from email.message import EmailMessage
from http.cookiejar import CookieJar
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PY = sys.executable
PORT = int(os.environ.get("BENCH_PORT", "8099"))
HOST = f"http://127.0.0.1:{PORT}"
DURATION = os.environ.get("BENCH_DURATION", "5s")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
FANOUT = int(os.environ.get("BENCH_FANOUT", "5000"))
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "200,2000,20000").split(",")]
PASSWORD = "demo-password-2026"
BENCH_USER = "bench.user@bench.example"


def env() -> dict:
    e = dict(os.environ)
    e.pop("PYTEST_VERSION", None)
    e.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/secportal_bench"),
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
            "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/15"),
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",  # plain HTTP on loopback
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "STATIC_ROOT": str(Path(tempfile.gettempdir()) / "secportal-bench-static"),
            "CONN_MAX_AGE": "600",
            "LOG_LEVEL": "WARNING",
            "EMAIL_URL": "smtp://127.0.0.1:2525",
        }
    )
    return e


def manage(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PY, "manage.py", *args], cwd=BASE_DIR, env=env(), check=True, capture_output=True, text=True, **kw
    )


def reset_database() -> None:
    url = urllib.parse.urlparse(env()["DATABASE_URL"])
    name = url.path.lstrip("/")
    admin = f"postgres://{url.username or 'postgres'}@{url.hostname}:{url.port or 5432}/postgres"
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin, "-q", "-c", sql], check=True, capture_output=True)


def wrk(path: str, cookie: str = "") -> dict:
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", f"{HOST}{path}"]
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def latency(pct: str) -> float:
        value, unit = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rps": rps,
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "errors": int(non2xx.group(1)) if non2xx else 0,
    }


def session_cookie() -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{HOST}/accounts/login/").read()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    data = urllib.parse.urlencode({"login": BENCH_USER, "password": PASSWORD, "csrfmiddlewaretoken": csrf}).encode()
    request = urllib.request.Request(
        f"{HOST}/accounts/login/", data=data, headers={"Referer": f"{HOST}/accounts/login/"}
    )
    opener.open(request).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def query_counts(paths: dict[str, str]) -> dict[str, int]:
    code = (
        "import json,sys,django;django.setup();"
        "from django.test import Client;from django.test.utils import CaptureQueriesContext;from django.db import connection;"
        "from parties.models import User;c=Client();c.force_login(User.objects.get(email=sys.argv[2]));out={}\n"
        "for name,path in json.loads(sys.argv[1]).items():\n"
        "  with CaptureQueriesContext(connection) as q: r=c.get(path)\n"
        "  out[name]=len(q) if r.status_code==200 else -r.status_code\n"
        "print(json.dumps(out))"
    )
    e = env() | {"DJANGO_SETTINGS_MODULE": "bench.settings"}
    out = subprocess.run(
        [PY, "-c", code, json.dumps(paths), BENCH_USER], cwd=BASE_DIR, env=e, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


class Gunicorn:
    def __enter__(self):
        self.process = subprocess.Popen(
            [
                PY,
                "-m",
                "gunicorn",
                "secportal.wsgi:application",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--workers",
                "2",
                "--access-logfile",
                "/dev/null",
                "--error-logfile",
                "-",
                "--log-level",
                "warning",
                "--timeout",
                "120",
            ],
            cwd=BASE_DIR,
            env=env(),
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{HOST}/bench/floor/", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=20)


def pages() -> dict[str, str]:
    code = (
        "import json,django;django.setup();from panel.models import Meeting;from modifications.models import ModificationProposal as M;"
        "m=Meeting.objects.filter(title='Benchmark meeting').first();"
        "print(json.dumps({'meeting':m.pk if m else None,'long':M.objects.filter(number=9000).values_list('reference',flat=True).first()}))"
    )
    found = json.loads(
        subprocess.run(
            [PY, "-c", code],
            cwd=BASE_DIR,
            env=env() | {"DJANGO_SETTINGS_MODULE": "bench.settings"},
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    return {
        "register": "/modifications/",
        "register_search": "/modifications/?q=firmware+security&state=open",
        "modification_long": f"/modifications/{found['long']}/",
        "news": "/news/",
        "events": "/events/",
        "meeting": f"/panel/meetings/{found['meeting']}/",
        "dashboard": "/dashboard/",
    }


def measure_pages(paths: dict[str, str]) -> dict:
    results = {}
    cookie = session_cookie()
    counts = query_counts(paths)
    for name, path in paths.items():
        # One request first: the figures are the steady state, not the first rendering (which
        # 32 connections would otherwise all queue behind).
        headers = {"Cookie": cookie} if name == "dashboard" else {}
        urllib.request.urlopen(urllib.request.Request(f"{HOST}{path}", headers=headers), timeout=60).read()
        floor = wrk("/bench/floor/")
        page = wrk(path, cookie if name == "dashboard" else "")
        print(f"  {name}: {page['rps']:.0f} req/s (floor {floor['rps']:.0f}), {counts.get(name)} queries", flush=True)
        if not floor["rps"]:
            raise RuntimeError(f"The floor answered nothing while measuring {name}; is gunicorn up?")
        results[name] = {
            **page,
            "floor_rps": floor["rps"],
            "ratio": round(page["rps"] / floor["rps"], 3),
            "queries": counts.get(name),
        }
    return results


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure_fanout() -> dict:
    from aiosmtpd.controller import Controller

    class Counter:
        def __init__(self):
            self.count = 0

        async def handle_DATA(self, server, session, envelope):
            self.count += 1
            return "250 OK"

    port = free_port()
    handler = Counter()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        # The limit: the same messages straight down one smtplib connection.
        start = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for n in range(FANOUT):
                msg = EmailMessage()
                msg["From"], msg["To"], msg["Subject"] = "bench@secportal.example", f"p{n}@bench.example", "Reminder"
                msg.set_content("Your meeting is tomorrow at 10:00 GMT.")
                smtp.send_message(msg)
        direct = time.perf_counter() - start
        handler.count = 0
        # The portal: outbox rows, a Celery worker on Redis, SMTP.
        e = env() | {"EMAIL_URL": f"smtp://127.0.0.1:{port}", "DJANGO_SETTINGS_MODULE": "bench.settings"}
        worker = subprocess.Popen(
            [
                PY,
                "-m",
                "celery",
                "-A",
                "secportal",
                "worker",
                "--concurrency=2",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=BASE_DIR,
            env=e,
        )
        time.sleep(6)
        code = (
            "import sys,time,django;django.setup();from django.db import transaction;"
            "from secportal.services import outbox_enqueue_rendered;n=int(sys.argv[1])\n"
            "with transaction.atomic():\n"
            "  [outbox_enqueue_rendered(recipient=f'p{i}@bench.example',kind='bench.reminder',subject='Reminder',"
            "body_text='Your meeting is tomorrow at 10:00 GMT.',unique=False) for i in range(n)]\n"
            "print(time.time())"
        )
        due = float(
            subprocess.run(
                [PY, "-c", code, str(FANOUT)], cwd=BASE_DIR, env=e, check=True, capture_output=True, text=True
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        deadline = time.time() + 900
        while handler.count < FANOUT and time.time() < deadline:
            time.sleep(0.2)
        portal = time.time() - due
        worker.terminate()
        worker.wait(timeout=30)
        delivered = handler.count
    finally:
        controller.stop()
    return {
        "messages": FANOUT,
        "direct_per_s": round(FANOUT / direct, 1),
        "portal_per_s": round(delivered / portal, 1),
        "ratio": round((delivered / portal) / (FANOUT / direct), 3),
        "due_to_last_delivered_s": round(portal, 2),
        "delivered": delivered,
    }


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk).")
    reset_database()
    manage("migrate", "--noinput")
    manage("collectstatic", "--noinput")
    # Empty the benchmark's own Redis databases (broker and cache), whatever numbers they were given.
    for name in ("REDIS_URL", "CACHE_URL"):
        url = urllib.parse.urlparse(env()[name])
        db = url.path.lstrip("/") or "0"
        subprocess.run(
            ["redis-cli", "-h", url.hostname or "127.0.0.1", "-p", str(url.port or 6379), "-n", db, "flushdb"],
            capture_output=True,
        )
    results = {"connections": CONNECTIONS, "duration": DURATION}
    growth = {}
    main_size = 2000
    with Gunicorn():
        # Grow the data from the smallest size to the largest (seed_bench only adds rows); the
        # full page set is measured at 2,000 modifications, the growth pages at every size.
        for size in sorted(set(SIZES) | {main_size}):
            manage(
                "seed_bench",
                "--force",
                "--modifications",
                str(size),
                "--parties",
                "300",
                "--users",
                "3000",
                "--news",
                "500",
                "--events",
                "200",
            )
            paths = pages()
            if size == main_size:
                print(f"Pages at {size} modifications:", flush=True)
                results["pages"] = measure_pages(paths)
            if size in SIZES:
                print(f"Growth at {size} modifications:", flush=True)
                subset = {k: paths[k] for k in ("register", "register_search", "dashboard")}
                growth[str(size)] = measure_pages(subset)
        results["growth"] = growth
    results["fanout"] = measure_fanout()
    out = BASE_DIR / "bench" / "results.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\n{'page':<20}{'req/s':>9}{'floor':>9}{'ratio':>7}{'p50 ms':>9}{'p99 ms':>9}{'queries':>9}")
    for name, r in results["pages"].items():
        print(
            f"{name:<20}{r['rps']:>9.0f}{r['floor_rps']:>9.0f}{r['ratio']:>7.2f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['queries']:>9}"
        )
    print("\nAs the register grows (modifications: req/s, queries)")
    for size, pages_ in results["growth"].items():
        print(f"  {size:>6}: " + ", ".join(f"{k} {v['rps']:.0f}/s {v['queries']}q" for k, v in pages_.items()))
    f = results["fanout"]
    print(
        f"\nFan-out of {f['messages']} emails: portal {f['portal_per_s']}/s, direct smtplib {f['direct_per_s']}/s, "
        f"ratio {f['ratio']}, due to last delivered {f['due_to_last_delivered_s']} s, delivered {f['delivered']}"
    )
    print(f"\nWritten to {out}")


if __name__ == "__main__":
    main()
