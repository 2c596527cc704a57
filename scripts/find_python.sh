#!/usr/bin/env bash
# Print the path of a working Python 3.12 or newer, trying $PYTHON, python3.13, python3.12,
# python3 and pyenv's installed versions, each with --version (a pyenv shim on PATH may exist
# and still fail). Exits 1 with a clear message when there is none.
set -u
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
candidates+=(python3.14 python3.13 python3.12 python3)
pyenv_root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
for dir in $(ls -d "$pyenv_root"/versions/3.1[2-9]* 2>/dev/null | sort -rV); do
  for exe in "$dir"/bin/python3.1[2-9]; do [ -x "$exe" ] && candidates+=("$exe"); done
done
for c in "${candidates[@]}"; do
  out=$("$c" -c 'import sys; print(sys.version_info >= (3, 12))' 2>/dev/null) || continue
  if [ "$out" = "True" ]; then
    command -v "$c" 2>/dev/null || echo "$c"
    exit 0
  fi
done
echo "No Python 3.12 or newer found (tried: ${candidates[*]})." >&2
echo "Install Python 3.12+ (Django 6 needs it) or set PYTHON=/path/to/python3.12." >&2
exit 1
