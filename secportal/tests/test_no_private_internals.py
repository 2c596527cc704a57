"""The portal and its tests use only the public names of Django, allauth, Celery, kombu and redis-py:
no import of a name with a leading underscore or from an `internal` module, so an upgrade cannot
break them silently. (The outbox tests' `_reset_celery_connections` in secportal/tests/conftest.py
still sets private attributes of the Celery app: Celery has no public way to drop a running app's
broker pools and result backend after its broker URL changes.)"""

import ast
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
THIRD_PARTY = ("django", "allauth", "celery", "kombu", "redis")
PACKAGES = ("secportal", "parties", "modifications", "news", "panel", "bench", "tests")


def _private(module: str, names: list[str]) -> list[str]:
    parts = module.split(".")
    if parts[0] not in THIRD_PARTY:
        return []
    found = [module] if any(p.startswith("_") or p == "internal" for p in parts) else []
    return found + [f"{module}.{n}" for n in names if n.startswith("_") and not n.startswith("__")]


def _private_imports(source: str) -> list[tuple[int, str]]:
    """(line, name) of each private name of the libraries the source imports."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            bad = _private(node.module, [a.name for a in node.names])
        elif isinstance(node, ast.Import):
            bad = [b for a in node.names for b in _private(a.name, [])]
        else:
            continue
        found += [(node.lineno, name) for name in bad]
    return found


def _python_files() -> list[Path]:
    files = [BASE_DIR / "conftest.py", BASE_DIR / "manage.py"]
    for package in PACKAGES:
        files += sorted((BASE_DIR / package).rglob("*.py"))
    return files


def test_no_private_names_of_the_libraries_are_imported_by_the_portal_or_its_tests():
    files = _python_files()
    assert any("tests" in path.relative_to(BASE_DIR).parts for path in files)  # tests are walked too
    offences = [
        f"{path.relative_to(BASE_DIR)}:{line} {name}"
        for path in files
        for line, name in _private_imports(path.read_text())
    ]
    assert not offences, "Private names imported:\n" + "\n".join(offences)


def test_the_check_finds_what_it_looks_for():
    source = (
        "from allauth.mfa.totp.internal.auth import hotp_value\n"
        "from celery._state import _set_task_join_will_block\n"
        "import django.db.models._private\n"
        "from celery.result import allow_join_result\n"
        "from ._local import x\n"
    )
    assert [name for _, name in _private_imports(source)] == [
        "allauth.mfa.totp.internal.auth",
        "celery._state",
        "celery._state._set_task_join_will_block",
        "django.db.models._private",
    ]
