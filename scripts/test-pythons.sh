#!/usr/bin/env bash
# Run the test suite on each Python version given (e.g. 3.10 3.11), each in
# its own environment under .venvs/, built with uv from pyenv's interpreters.
set -euo pipefail
cd "$(dirname "$0")/.."
uv=.venv/bin/uv
for version in "$@"; do
    # The newest patch release pyenv has, else a pythonX.Y on PATH that runs.
    interpreter=$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version".*/bin/python"$version" \
                  2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -z "$interpreter" ]] && "python$version" -c "" 2>/dev/null; then
        interpreter=$(command -v "python$version")
    fi
    if [[ -z "$interpreter" ]]; then
        echo "error: Python $version not found (looked in pyenv and PATH)" >&2
        exit 1
    fi
    env_dir=.venvs/py$version
    stamp=$env_dir/.installed-stamp
    if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
        "$uv" venv --quiet --allow-existing --python "$interpreter" "$env_dir"
        VIRTUAL_ENV=$env_dir "$uv" pip install --quiet -e '.[all,test]'
        touch "$stamp"
    fi
    echo "=== Python $version ($interpreter)"
    "$env_dir"/bin/python -m pytest -q -p no:cacheprovider
done
