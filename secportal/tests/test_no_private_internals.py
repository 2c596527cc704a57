"""The portal uses only the public names of Django, allauth, Celery, kombu and redis-py: no import of
a name with a leading underscore or from an `internal` module, so an upgrade cannot break it
silently. (Tests are not walked: a few drive allauth's TOTP internals to make codes.)"""

import ast
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
THIRD_PARTY = ("django", "allauth", "celery", "kombu", "redis")
APPS = ("secportal", "parties", "modifications", "news", "panel", "bench")


def _private(module: str, names: list[str]) -> list[str]:
    parts = module.split(".")
    if parts[0] not in THIRD_PARTY:
        return []
    found = [module] if any(p.startswith("_") or p == "internal" for p in parts) else []
    return found + [f"{module}.{n}" for n in names if n.startswith("_") and not n.startswith("__")]


def test_no_private_names_of_the_libraries_are_imported():
    offences = []
    for app in APPS:
        for path in (BASE_DIR / app).rglob("*.py"):
            if "tests" in path.relative_to(BASE_DIR).parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    bad = _private(node.module, [a.name for a in node.names])
                elif isinstance(node, ast.Import):
                    bad = [b for a in node.names for b in _private(a.name, [])]
                else:
                    continue
                offences += [f"{path.relative_to(BASE_DIR)}:{node.lineno} {name}" for name in bad]
    assert not offences, "Private names imported:\n" + "\n".join(offences)
