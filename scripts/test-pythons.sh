#!/usr/bin/env bash
# Run the test suite on each supported Python version given (e.g. 3.10 3.11),
# each in its own environment under .venvs/, built with uv.
#
# An interpreter is taken from pyenv, else from PATH (pythonX.Y), else from
# uv's own managed Pythons, else fetched with `uv python install` where the
# machine allows it (set BOTCOPY_FETCH_PYTHONS=0 to never download). A
# version that cannot be found or set up is SKIPPED, loudly; the run fails
# if a suite fails, or if no version could run at all. With
# BOTCOPY_REQUIRE_ALL_PYTHONS=1 (CI sets it) a skipped version fails the run.
#
# BOTCOPY_TEST_PARALLEL=N runs up to N versions' suites side by side (default
# 4: all of them; see docs/performance.md "Test suite"), each starting at a
# different point of the tests (BOTCOPY_TEST_ROTATE, tests/conftest.py) so that
# their waits do not line up; each gets its own Redis and Redis Cluster and its
# own log under .test-logs/, printed when it ends. Tests marked
# python_independent run in one suite each (BOTCOPY_MATRIX, BOTCOPY_MATRIX_SUITE).
#
# BOTCOPY_TEST_WORKERS=N runs each suite on N pytest-xdist workers (`-n N`);
# unset or 0, the suite runs in one process (the default, see
# docs/performance.md "Test suite" for why).
set -uo pipefail
cd "$(dirname "$0")/.."
uv=.venv/bin/uv
require_all=${BOTCOPY_REQUIRE_ALL_PYTHONS:-0}
fetch=${BOTCOPY_FETCH_PYTHONS:-1}
fetch_timeout=${BOTCOPY_FETCH_TIMEOUT:-300}
workers=${BOTCOPY_TEST_WORKERS:-0}
parallel=${BOTCOPY_TEST_PARALLEL:-4}
if ! [[ "$parallel" =~ ^[1-9][0-9]*$ ]]; then
    echo "BOTCOPY_TEST_PARALLEL must be a whole number of at least 1 (got: $parallel)" >&2
    exit 2
fi
pytest_args=(-q -p no:cacheprovider)
# Bytecode is written for the suites even where the environment says not to
# (PYTHONDONTWRITEBYTECODE, set on some CI images): otherwise every suite
# rewrites the asserts of every test module again (about 5 s of CPU), and every
# Python process a test starts compiles the SDK and what it imports again.
# The suites' environments are installed without --compile-bytecode (which
# compiles every installed file, about 8 s of CPU per Python before any suite
# starts): what the suites import is compiled once, on first import, into
# __pycache__/ beside each file (ignored by git), one file per Python version.
# (Not under a PYTHONPYCACHEPREFIX: there every Python would compile its
# standard library again too.)
unset PYTHONDONTWRITEBYTECODE
if [[ "$workers" != 0 ]]; then
    pytest_args+=(-n "$workers")
fi

if [[ $# -eq 0 ]]; then
    echo "usage: $0 VERSION..." >&2
    exit 2
fi

loud() {  # a banner on stderr that a scrolling log cannot hide
    printf '\n!!! %s\n\n' "$*" >&2
}

runs() {  # the interpreter $1 exists and reports version $2
    [[ -n "$1" ]] && "$1" -c "import sys; sys.exit(f'{sys.version_info[0]}.{sys.version_info[1]}' != '$2')" 2>/dev/null
}

find_interpreter() {  # print the path of a working Python $1, or nothing
    local version=$1 candidate
    candidate=$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version".*/bin/python"$version" \
                2>/dev/null | sort -V | tail -n 1)
    if runs "$candidate" "$version"; then echo "$candidate"; return; fi
    candidate=$(command -v "python$version" 2>/dev/null)
    if runs "$candidate" "$version"; then echo "$candidate"; return; fi
    candidate=$("$uv" python find --managed-python --no-python-downloads "$version" 2>/dev/null)
    if runs "$candidate" "$version"; then echo "$candidate"; return; fi
}

# Phase 1, one version at a time: find each interpreter and build its environment.
ready=()    # versions whose environment is built
skipped=()
for version in "$@"; do
    interpreter=$(find_interpreter "$version")
    if [[ -z "$interpreter" && "$fetch" != 0 ]]; then
        echo "=== Python $version not found here; fetching it with uv (at most ${fetch_timeout}s)"
        if timeout "$fetch_timeout" "$uv" python install --quiet "$version"; then
            interpreter=$(find_interpreter "$version")
        fi
    fi
    if [[ -z "$interpreter" ]]; then
        loud "SKIPPED Python $version: not found (pyenv, PATH, uv) and could not be fetched"
        skipped+=("$version")
        continue
    fi
    env_dir=.venvs/py$version
    stamp=$env_dir/.installed-stamp
    if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
        # No --compile-bytecode: see PYTHONDONTWRITEBYTECODE above.
        if ! { "$uv" venv --quiet --allow-existing --python "$interpreter" "$env_dir" &&
               VIRTUAL_ENV=$env_dir "$uv" pip install --quiet -e '.[all,test]'; }; then
            loud "SKIPPED Python $version: its environment could not be built ($interpreter)"
            skipped+=("$version")
            continue
        fi
        touch "$stamp"
    fi
    echo "=== Python $version: $interpreter"
    ready+=("$version")
done

# Phase 2: the suites, up to $parallel at once. Each runs under its own
# scripts/with-services.sh (its own Redis and Redis Cluster, stopped by pid when
# it ends) and writes to its own log, printed whole when the suite ends so that
# concurrent runs never interleave. Package installs (redis-server, chromium)
# happen once, before any suite starts, as two apt-get runs cannot share dpkg.
logs=.test-logs
rm -rf "$logs"
mkdir -p "$logs"
if [[ ${#ready[@]} -gt 0 ]]; then
    scripts/with-services.sh --install
fi

ran=()
failed=()
timings=()            # "VERSION SECONDS" of each suite that ran
declare -A running=() # pid -> version of each suite still running
declare -A started=() # version -> $SECONDS when its suite started

finish_one() {  # wait for any running suite to end; print its log, record its outcome
    local pid="" status version
    wait -n -p pid "${!running[@]}"
    status=$?
    [[ -n "$pid" ]] || return 0
    version=${running[$pid]}
    unset "running[$pid]"
    echo "=== Python $version (pytest log)"
    cat "$logs/$version.log"
    timings+=("$version $((SECONDS - started[$version]))")
    if [[ "$status" == 0 ]]; then ran+=("$version"); else failed+=("$version"); fi
}

stop_suites() {  # with-services.sh stops its pytest and its servers on TERM
    local pid
    for pid in "${!running[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait
}
trap 'stop_suites; exit 130' INT
trap 'stop_suites; exit 143' TERM

suite=0
for version in "${ready[@]}"; do
    while [[ ${#running[@]} -ge $parallel ]]; do
        finish_one
    done
    echo "=== Python $version: pytest started (log: $logs/$version.log)"
    started[$version]=$SECONDS
    # Tests marked python_independent run in one suite each (tests/conftest.py).
    # Side by side, each suite starts at a different point of the tests (and
    # wraps around), so that one suite's waits overlap another's computing.
    rotate=""
    [[ "$parallel" == 1 || ${#ready[@]} == 1 ]] || rotate="$suite/${#ready[@]}"
    BOTCOPY_MATRIX="${ready[*]}" BOTCOPY_MATRIX_SUITE=$suite BOTCOPY_TEST_ROTATE=$rotate \
        scripts/with-services.sh .venvs/py"$version"/bin/python -m pytest "${pytest_args[@]}" \
        >"$logs/$version.log" 2>&1 </dev/null &
    running[$!]=$version
    suite=$((suite + 1))
done
while [[ ${#running[@]} -gt 0 ]]; do
    finish_one
done

echo
for timing in "${timings[@]}"; do
    printf '=== Python %s: pytest took %ss\n' ${timing}
done
echo "=== Python versions: passed: ${ran[*]:-none}; failed: ${failed[*]:-none}; skipped: ${skipped[*]:-none}"
status=0
if [[ ${#failed[@]} -gt 0 ]]; then
    loud "FAILED on Python ${failed[*]}"
    status=1
fi
if [[ ${#skipped[@]} -gt 0 ]]; then
    if [[ "$require_all" == 1 ]]; then
        loud "SKIPPED Python ${skipped[*]}, and BOTCOPY_REQUIRE_ALL_PYTHONS=1 requires every one: failing"
        status=1
    else
        loud "SKIPPED Python ${skipped[*]}: not tested here (BOTCOPY_REQUIRE_ALL_PYTHONS=1 makes this an error)"
    fi
fi
if [[ ${#ran[@]} -eq 0 && ${#failed[@]} -eq 0 ]]; then
    loud "no supported Python could run the tests (wanted: $*)"
    status=1
fi
exit $status
