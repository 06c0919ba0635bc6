"""``make test``: each supported Python found (or fetched) runs; the rest are skipped loudly.

``scripts/test-pythons.sh`` runs here in a scratch copy of the repository
whose ``uv``, interpreters and environments are small shell stand-ins that
log what they were asked to do, so the script's decisions are tested without
building four real environments.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Bash scripts, the dev environment's tools: the same outcome on every Python.
pytestmark = pytest.mark.python_independent

FAKE_UV = """#!/bin/bash
echo "uv $*" >> "$FAKE_LOG"
case "$1 $2" in
    "python find") exit 2 ;;
    "python install") exit "${FAKE_INSTALL_STATUS:-1}" ;;
    "pip install") exit 0 ;;
esac
if [[ "$1" == venv ]]; then
    dir="${@: -1}"
    mkdir -p "$dir/bin"
    cp "$FAKE_ENV_PYTHON" "$dir/bin/python"
    exit 0
fi
exit 3
"""

# An interpreter that passes the script's version check.
FAKE_INTERPRETER = """#!/bin/bash
exit 0
"""

# An environment's python: "runs the tests" and exits as told. With
# FAKE_RENDEZVOUS set, each run waits (up to 2 s) until two runs have arrived,
# so it passes only when two suites run at the same time.
FAKE_ENV_PYTHON = """#!/bin/bash
env_name=$(basename "$(dirname "$(dirname "$0")")")
if [[ -n "${FAKE_RENDEZVOUS:-}" ]]; then
    touch "$FAKE_RENDEZVOUS/$env_name"
    for _ in $(seq 40); do
        [[ $(ls "$FAKE_RENDEZVOUS" | wc -l) -ge 2 ]] && break
        sleep 0.05
    done
    [[ $(ls "$FAKE_RENDEZVOUS" | wc -l) -ge 2 ]] || { echo "ran alone: $env_name"; exit 9; }
fi
echo "pytest ran in $env_name"
echo "pytest arguments: $*"
echo "$env_name: suite ${BOTCOPY_MATRIX_SUITE:-none} of ${BOTCOPY_MATRIX:-none}"
echo "$env_name: rotated ${BOTCOPY_TEST_ROTATE:-not at all}"
exit "${FAKE_PYTEST_STATUS:-0}"
"""

# scripts/with-services.sh: logs what it was asked, then runs the command.
FAKE_SERVICES = """#!/bin/bash
echo "services $*" >> "$FAKE_LOG"
[[ "$1" == --install ]] && exit 0
exec "$@"
"""


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    (copy / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "test-pythons.sh", copy / "scripts")
    executable(copy / "scripts" / "with-services.sh", FAKE_SERVICES)
    (copy / "pyproject.toml").write_text("")
    executable(copy / ".venv" / "bin" / "uv", FAKE_UV)
    executable(tmp_path / "pyenv" / "versions" / "3.10.4" / "bin" / "python3.10", FAKE_INTERPRETER)
    executable(tmp_path / "env-python", FAKE_ENV_PYTHON)
    return copy


def run(repo: Path, *versions: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(repo.parent),
        "PYENV_ROOT": str(repo.parent / "pyenv"),
        "FAKE_LOG": str(repo.parent / "uv.log"),
        "FAKE_ENV_PYTHON": str(repo.parent / "env-python"),
        **env,
    }
    return subprocess.run(  # noqa: S603 - the project's own script
        [str(repo / "scripts" / "test-pythons.sh"), *versions],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=environment,
    )


def uv_calls(repo: Path) -> list[str]:
    log = repo.parent / "uv.log"
    return log.read_text().splitlines() if log.exists() else []


# Versions that cannot exist anywhere on the machine, so they are always missing.
MISSING = "3.97"


def test_runs_the_versions_found_and_skips_the_missing_ones_loudly(repo: Path) -> None:
    result = run(repo, "3.10", MISSING)
    assert result.returncode == 0, result.stderr
    assert "pytest ran in py3.10" in result.stdout
    assert f"!!! SKIPPED Python {MISSING}: not found" in result.stderr
    assert f"passed: 3.10; failed: none; skipped: {MISSING}" in result.stdout
    assert f"uv python install --quiet {MISSING}" in uv_calls(repo)  # it tried to fetch it


def test_a_version_uv_can_fetch_is_not_skipped(repo: Path) -> None:
    fetched = repo.parent / "uv-pythons" / f"python{MISSING}"
    executable(fetched, FAKE_INTERPRETER)
    uv = repo / ".venv" / "bin" / "uv"
    # Once "installed", uv's managed-Python lookup finds it.
    uv.write_text(
        FAKE_UV.replace(
            '"python find") exit 2 ;;',
            f'"python find") [[ -f {fetched}.ok ]] && echo {fetched} && exit 0; exit 2 ;;',
        ).replace(
            '"python install") exit "${FAKE_INSTALL_STATUS:-1}" ;;',
            f'"python install") touch {fetched}.ok; exit 0 ;;',
        )
    )
    result = run(repo, MISSING)
    assert result.returncode == 0, result.stderr
    assert f"pytest ran in py{MISSING}" in result.stdout
    assert "SKIPPED" not in result.stderr


def test_each_suite_runs_in_one_process_unless_workers_are_asked_for(repo: Path) -> None:
    result = run(repo, "3.10")
    assert "pytest arguments: -m pytest -q -p no:cacheprovider\n" in result.stdout
    assert re.search(r"^=== Python 3\.10: pytest took \d+s$", result.stdout, re.MULTILINE)
    result = run(repo, "3.10", BOTCOPY_TEST_WORKERS="4")
    assert result.returncode == 0, result.stderr
    assert "pytest arguments: -m pytest -q -p no:cacheprovider -n 4\n" in result.stdout


def second_python(repo: Path) -> None:
    interpreter = repo.parent / "pyenv" / "versions" / "3.11.2" / "bin" / "python3.11"
    executable(interpreter, FAKE_INTERPRETER)


def test_two_suites_run_side_by_side_each_under_its_own_services(repo: Path) -> None:
    second_python(repo)
    rendezvous = repo.parent / "rendezvous"
    rendezvous.mkdir()
    result = run(repo, "3.10", "3.11", FAKE_RENDEZVOUS=str(rendezvous))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed: " in result.stdout
    assert "failed: none" in result.stdout
    services = [call for call in uv_calls(repo) if call.startswith("services")]
    # Packages installed once, before any suite; then one set of services per suite.
    assert services[0] == "services --install"
    assert sorted(services[1:]) == [
        f"services .venvs/py{version}/bin/python -m pytest -q -p no:cacheprovider"
        for version in ("3.10", "3.11")
    ]
    # Each suite's log is printed whole, under its own header.
    for version in ("3.10", "3.11"):
        header = f"=== Python {version} (pytest log)\n"
        assert f"{header}pytest ran in py{version}\n" in result.stdout


def test_each_suite_knows_the_matrix_and_its_place_in_it(repo: Path) -> None:
    # tests/conftest.py deals the Python-independent tests round the suites by it.
    second_python(repo)
    result = run(repo, "3.10", "3.11", MISSING)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "py3.10: suite 0 of 3.10 3.11\n" in result.stdout
    assert "py3.11: suite 1 of 3.10 3.11\n" in result.stdout


def test_suites_side_by_side_start_at_different_points_of_the_tests(repo: Path) -> None:
    second_python(repo)
    result = run(repo, "3.10", "3.11")
    assert "py3.10: rotated 0/2\n" in result.stdout
    assert "py3.11: rotated 1/2\n" in result.stdout
    result = run(repo, "3.10", "3.11", BOTCOPY_TEST_PARALLEL="1")
    assert "py3.10: rotated not at all\n" in result.stdout
    assert "py3.11: rotated not at all\n" in result.stdout


def test_one_suite_at_a_time_when_asked(repo: Path) -> None:
    second_python(repo)
    rendezvous = repo.parent / "rendezvous"
    rendezvous.mkdir()
    result = run(repo, "3.10", "3.11", FAKE_RENDEZVOUS=str(rendezvous), BOTCOPY_TEST_PARALLEL="1")
    # The first suite waits for a partner that never comes, and fails (the second
    # then finds the first one's mark, so only the first can tell).
    assert result.returncode == 1
    assert "ran alone: py3.10" in result.stdout


def test_a_bad_parallel_setting_is_refused(repo: Path) -> None:
    result = run(repo, "3.10", BOTCOPY_TEST_PARALLEL="0")
    assert result.returncode == 2
    assert "BOTCOPY_TEST_PARALLEL must be a whole number of at least 1" in result.stderr


def test_require_all_pythons_makes_a_skipped_version_fail_the_run(repo: Path) -> None:
    result = run(repo, "3.10", MISSING, BOTCOPY_REQUIRE_ALL_PYTHONS="1")
    assert result.returncode == 1
    assert "pytest ran in py3.10" in result.stdout
    assert "BOTCOPY_REQUIRE_ALL_PYTHONS=1 requires every one: failing" in result.stderr


def test_no_usable_python_at_all_fails(repo: Path) -> None:
    result = run(repo, MISSING, "3.98")
    assert result.returncode == 1
    assert f"no supported Python could run the tests (wanted: {MISSING} 3.98)" in result.stderr


def test_a_failing_suite_fails_the_run_after_trying_every_version(repo: Path) -> None:
    result = run(repo, "3.10", MISSING, FAKE_PYTEST_STATUS="1")
    assert result.returncode == 1
    assert "!!! FAILED on Python 3.10" in result.stderr
    assert f"!!! SKIPPED Python {MISSING}" in result.stderr


def test_fetching_can_be_turned_off(repo: Path) -> None:
    result = run(repo, "3.10", MISSING, BOTCOPY_FETCH_PYTHONS="0")
    assert result.returncode == 0
    assert not any("python install" in call for call in uv_calls(repo))


def test_timed_stages_prints_each_stage_wall_time_and_stops_at_a_failure(tmp_path: Path) -> None:
    make = executable(
        tmp_path / "make",
        '#!/bin/bash\necho "ran $2"\n[[ "$2" != bad ]]\n',
    )
    result = subprocess.run(  # noqa: S603 - the project's own script
        [str(ROOT / "scripts" / "timed-stages.sh"), str(make), "lint", "bad", "never"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[:2] == ["ran lint", "ran bad"]
    assert "=== wall time per stage" in lines
    table = lines[lines.index("=== wall time per stage") + 1 :]
    assert [row.split()[0] for row in table] == ["lint", "bad", "total"]
    # A loaded machine can round a stage up to a second: check the shape, not the figure.
    assert re.fullmatch(r"lint +\d+s +ok", table[0].strip())
    assert re.fullmatch(r"bad +\d+s +FAILED", table[1].strip())
    assert re.fullmatch(r"total +\d+s", table[2].strip())


def test_make_test_runs_its_stages_through_the_timer() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "scripts/timed-stages.sh $(MAKE) lint typecheck+docs+pytest-all" in recipe


def fake_make(tmp_path: Path) -> Path:
    """A ``make`` whose stages meet at a rendezvous: ``slow`` waits (up to 3 s) for
    ``fast`` to have run, so it passes only when the two run side by side."""
    return executable(
        tmp_path / "make",
        "#!/bin/bash\n"
        'case "$2" in\n'
        '  fast) touch "$RENDEZVOUS/fast"; echo "ran fast";;\n'
        '  slow) for _ in $(seq 60); do [[ -f "$RENDEZVOUS/fast" ]] && break; sleep 0.05; done\n'
        '        [[ -f "$RENDEZVOUS/fast" ]] && echo "ran slow beside fast";;\n'
        '  bad) echo "bad went wrong"; exit 3;;\n'
        '  hang) echo "hang started"; sleep 30;;\n'
        '  *) echo "ran $2";;\n'
        "esac\n",
    )


def timed(tmp_path: Path, *stages: str) -> subprocess.CompletedProcess[str]:
    rendezvous = tmp_path / "rendezvous"
    rendezvous.mkdir(exist_ok=True)
    return subprocess.run(  # noqa: S603 - the project's own script
        [str(ROOT / "scripts" / "timed-stages.sh"), str(fake_make(tmp_path)), *stages],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "RENDEZVOUS": str(rendezvous)},
    )


def test_a_group_of_stages_runs_side_by_side_each_timed(tmp_path: Path) -> None:
    result = timed(tmp_path, "first", "slow+fast", "after")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "ran slow beside fast" in out
    # the group's other stages' output is printed whole, under its name
    assert "=== slow\nran slow beside fast\n" in out
    assert out.index("ran first") < out.index("ran fast") < out.index("ran after")
    table = out.split("=== wall time per stage\n")[1].split("\n")
    rows = [row.split()[0] for row in table if row.strip()]
    # A group's rows come in the order its stages were reaped, which a loaded
    # machine may make differ from the order their output appeared.
    assert rows[0] == "first"
    assert sorted(rows[1:3]) == ["fast", "slow"]
    assert rows[3:] == ["after", "total"]


def test_a_failing_stage_of_a_group_stops_the_others_and_the_run(tmp_path: Path) -> None:
    started = time.monotonic()
    result = timed(tmp_path, "hang+bad", "never")
    assert time.monotonic() - started < 20  # "hang" was stopped, not waited for
    assert result.returncode == 3
    assert "bad went wrong" in result.stdout
    assert "ran never" not in result.stdout
    table = result.stdout.split("=== wall time per stage\n")[1]
    assert re.search(r"bad +\d+s +FAILED", table)
    assert re.search(r"hang +\d+s +FAILED", table)


def test_ci_makes_the_whole_matrix_mandatory() -> None:
    assert "export BOTCOPY_REQUIRE_ALL_PYTHONS=1" in (ROOT / ".ci" / "run").read_text()
