"""Real services for the Celery and outbox tests: an aiosmtpd SMTP server, Redis servers of the
tests' own, and Celery worker and beat processes sharing the test database.

Kept beside these tests rather than in the root conftest.py: nothing else needs them.
"""

import asyncio
import email
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import kombu.pools
import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from conftest import missing
from secportal.celery import app as celery_app

BASE_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll until `predicate()` holds; fail with `what` once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


class Inbox:
    """An aiosmtpd handler that keeps what it receives.

    `before_accept`, when set, is awaited with (envelope, arrival number) before a message is kept
    and answered with 250; if aiosmtpd cancels it (the client went away), the message is not kept
    and `cancelled` counts it.
    """

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.arrivals = 0
        self.cancelled = 0
        self.before_accept: Callable[[object, int], Awaitable[None]] | None = None

    async def handle_DATA(self, server, session, envelope):
        self.arrivals += 1
        if self.before_accept is not None:
            try:
                await self.before_accept(envelope, self.arrivals)
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def message_ids(self) -> Counter:
        """How many times each Message-ID arrived."""
        return Counter(email.message_from_bytes(content)["Message-ID"] for _, content in self.messages)


class SmtpServer:
    """aiosmtpd on a fixed port, which may be stopped and started again (an outage)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def postgresql() -> None:
    """Row locks with SKIP LOCKED, and a database the worker processes share with the test."""
    if connection.vendor != "postgresql":
        missing("DATABASE_URL does not point at PostgreSQL (the outbox's fault tests need it)")


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


class RedisServer:
    """A redis-server of the test's own (no persistence), so that it may be stopped and started
    without touching the machine's shared Redis."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        import redis

        log = open(self.workdir / f"redis-{self.port}.log", "ab")  # noqa: SIM115 (the process keeps it)
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)

        def answers() -> bool:
            try:
                return client.ping()
            except redis.ConnectionError:
                return False

        wait_for(answers, timeout=10, what=f"redis-server on port {self.port}")
        client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=2)


def _reset_celery_connections() -> None:
    """Forget the test process's broker connections and result backend (after a URL change)."""
    kombu.pools.reset()  # closes kombu's process-wide connection and producer pools and forgets them
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app._backend_cache = None
    celery_app._local.__dict__.pop("backend", None)


@pytest.fixture
def private_broker(tmp_path, monkeypatch):
    """A Redis of this test's own as broker and result backend, for the test process's Celery
    app (publishing for real: not eager) and for the processes `celery_processes` starts."""
    if shutil.which("redis-server") is None:
        missing("redis-server is not installed (the fault tests start Redis servers of their own)")
    server = RedisServer(tmp_path)
    server.start()
    conf = celery_app.conf
    saved = {key: conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery reads these before its conf
    monkeypatch.delenv("CELERY_RESULT_BACKEND", raising=False)
    conf["broker_url"] = conf["result_backend"] = server.url
    conf["task_always_eager"] = False
    _reset_celery_connections()
    try:
        yield server
    finally:
        _reset_celery_connections()
        for key, value in saved.items():
            conf[key] = value
        server.stop()


class CeleryProcesses:
    """Celery workers and beats of one test, each logging to a file; all stopped at the end."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.processes: dict[str, subprocess.Popen] = {}
        db = connection.settings_dict
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        self.database_url = f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"

    def _start(self, name: str, args: list[str], *, redis_url: str, smtp_port: int | None, env: dict):
        environment = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_RESULT_BACKEND": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            **({"EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}", "EMAIL_TIMEOUT": "10"} if smtp_port else {}),
            **env,
        }
        with open(self.log_path(name), "w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "secportal", *args, "--loglevel=INFO"],
                cwd=BASE_DIR,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes[name] = process
        return process

    def worker(self, name: str = "worker", *, redis_url: str, smtp_port: int, queue: str = "celery", env=None):
        """A worker with the solo pool (tasks run in the process itself, whose pid is known)."""
        args = [
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "-n",
            f"{name}-{uuid.uuid4().hex[:6]}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        return self._start(name, args, redis_url=redis_url, smtp_port=smtp_port, env=env or {})

    def beat(self, name: str = "beat", *, redis_url: str, env=None):
        """A beat with a schedule file of its own (two beats must not share one)."""
        args = ["beat", "--schedule", str(self.workdir / f"{name}-schedule")]
        return self._start(name, args, redis_url=redis_url, smtp_port=None, env=env or {})

    def log_path(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def log(self, name: str) -> str:
        return self.log_path(name).read_text(errors="replace")

    def stop(self, *names: str, kill: bool = False) -> None:
        """Stop these processes, all at once (a warm shutdown takes a second or so each)."""
        processes = [self.processes[name] for name in names]
        for process in processes:
            if process.poll() is None:
                process.kill() if kill else process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def stop_all(self) -> None:
        # Killed, not shut down: the test is over, they hold no locks and no unfinished task, and
        # PostgreSQL drops their connections at once. Saves a second or two per test.
        self.stop(*self.processes, kill=True)
        for name, process in self.processes.items():
            print(f"----- {name} (exit {process.returncode})\n{self.log(name)[-3000:]}")  # shown on failure


@pytest.fixture
def celery_processes(transactional_db, tmp_path):
    processes = CeleryProcesses(tmp_path)
    try:
        yield processes
    finally:
        processes.stop_all()


@pytest.fixture
def worker(redis_url, smtp_server, celery_processes):
    """A Celery worker on the machine's Redis, on a queue of its own; returns the queue's name."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    old_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    celery_processes.worker(redis_url=redis_url, smtp_port=smtp_server.port, queue=queue)
    try:
        yield queue
    finally:
        celery_app.conf.task_always_eager = old_eager
