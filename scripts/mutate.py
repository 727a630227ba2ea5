# ruff: noqa: S603, S607 - runs our own fixed commands (git, pytest, cosmic-ray) locally
"""Mutation testing of the booking rules with cosmic-ray: `make mutate`.

Each mutant (a `<` made `<=`, a `+ 1` dropped, an `and` made `or`, ...) is
written into a copy of the project under .mutate/tree, never into the working
tree, and the booking unit tests run against it. A mutant the tests do not
notice "survives": docs/testing.md lists the survivors and why each is
acceptable. Slow (about half an hour on two cores), so not part of CI.

    make mutate                    # a fresh run
    make mutate ARGS=--resume      # carry on with an interrupted run
    make mutate ARGS=--survivors   # test only the last run's survivors again
    make mutate ARGS=--report      # print the last run's survivors again

Why cosmic-ray and not mutmut: mutmut 3 leaves every decorated function alone,
which here means every @transaction.atomic service (booking, moving,
cancelling, slot generation) would never be mutated.
"""

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutate"
TREE = WORK / "tree"
SESSION = WORK / "session.sqlite"
PREVIOUS = WORK / "previous.sqlite"
CONFIG = WORK / "cosmic-ray.toml"
BIN = Path(sys.executable).parent

MODULES = ["booking/services.py", "booking/selectors.py", "booking/ratelimit.py"]
# The unit tests of those modules: services and slots called directly, the
# time picker's reads, and the rate limits. Fast ones first, with -x, so most
# mutants are killed in a few seconds.
TESTS = [
    "tests/booking/test_ratelimit.py",
    "tests/booking/test_slots.py",
    "tests/booking/test_selectors.py",
    "tests/booking/test_booking_services.py",
    "tests/booking/test_time_picker_queries.py",
    "tests/booking/test_services_outside_a_transaction.py",
]
# cosmic-ray replaces each operator with every other one: `a + b` becomes
# `a - b`, `a * b`, `a ** b`, `a << b` and seven more. Most of those are
# type errors any test kills. One or two telling replacements per operator are
# kept (the boundary, the opposite), which turns ~1,250 mutants into ~400.
EXCLUDED_OPERATORS = [
    r"core/ReplaceBinaryOperator_Add_(?!Sub$).*",
    r"core/ReplaceBinaryOperator_Sub_(?!Add$).*",
    r"core/ReplaceBinaryOperator_Mul_(?!Add$).*",
    r"core/ReplaceBinaryOperator_Mod_(?!FloorDiv$).*",
    r"core/ReplaceBinaryOperator_BitOr_(?!BitAnd$).*",
    r"core/ReplaceComparisonOperator_Lt_(?!LtE$|GtE$).*",
    r"core/ReplaceComparisonOperator_LtE_(?!Lt$|Gt$).*",
    r"core/ReplaceComparisonOperator_Gt_(?!GtE$|LtE$).*",
    r"core/ReplaceComparisonOperator_GtE_(?!Gt$|Lt$).*",
    r"core/ReplaceComparisonOperator_Eq_(?!NotEq$).*",
    r"core/ReplaceComparisonOperator_NotEq_(?!Eq$).*",
    r"core/ReplaceUnaryOperator_USub_.*",
]


def _tracked_files() -> list[str]:
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    return [name for name in listing.stdout.decode().split("\0") if name]


def _copy_tree() -> None:
    """The project as it is now (uncommitted edits too), without caches or .venv."""
    shutil.rmtree(TREE, ignore_errors=True)
    SESSION.unlink(missing_ok=True)
    for name in _tracked_files():
        source, target = ROOT / name, TREE / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _write_config() -> None:
    tests = " ".join(TESTS)
    excluded = ", ".join(f"'{pattern}'" for pattern in EXCLUDED_OPERATORS)
    CONFIG.write_text(
        "[cosmic-ray]\n"
        f"module-path = {MODULES!r}\n"
        "timeout = 90.0\n"
        "excluded-modules = []\n"
        f'test-command = "{sys.executable} -m pytest -x -q -p no:cacheprovider '
        f'--reuse-db {tests}"\n'
        "\n[cosmic-ray.distributor]\n"
        'name = "local"\n'
        "\n[cosmic-ray.filters.operators-filter]\n"
        f"exclude-operators = [{excluded}]\n"
    )


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    # A test database of its own: a run can take half an hour next to `make test`.
    env["TEST_DATABASE_NAME"] = env.get("TEST_DATABASE_NAME", "test_clinic") + "_mutate"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(*command: str) -> None:
    subprocess.run(command, cwd=TREE, env=_environment(), check=True)


def _survivors(session: Path) -> set[tuple[str, str, int]]:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome

    with use_db(str(session), WorkDB.Mode.open) as db:
        return {
            (str(mutation.module_path), mutation.operator_name, mutation.occurrence)
            for item, result in db.completed_work_items
            if result.test_outcome == TestOutcome.SURVIVED
            for mutation in item.mutations
        }


def _skip_all_but(wanted: set[tuple[str, str, int]]) -> None:
    """Leave pending only the mutants in `wanted` (the last run's survivors)."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    with use_db(str(SESSION), WorkDB.Mode.open) as db:
        for item in list(db.pending_work_items):
            keys = {(str(m.module_path), m.operator_name, m.occurrence) for m in item.mutations}
            if not keys & wanted:
                db.set_result(
                    item.job_id,
                    WorkResult(
                        output="Killed in the previous run", worker_outcome=WorkerOutcome.SKIPPED
                    ),
                )


def report() -> None:
    _run(str(BIN / "cr-report"), "--show-diff", "--surviving-only", str(SESSION))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resume", action="store_true", help="carry on with the last run")
    parser.add_argument("--report", action="store_true", help="only print the last report")
    parser.add_argument(
        "--survivors", action="store_true", help="test only the last run's survivors again"
    )
    args = parser.parse_args()
    if args.report:
        report()
        return 0
    wanted = None
    if args.survivors:
        shutil.copy2(SESSION, PREVIOUS)
        wanted = _survivors(PREVIOUS)
    if not (args.resume and SESSION.exists()):
        _copy_tree()
        _write_config()
        # The unmutated tests must pass first; this also makes the test database.
        _run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--create-db", *TESTS)
        _run(str(BIN / "cosmic-ray"), "init", str(CONFIG), str(SESSION))
        _run(str(BIN / "cr-filter-operators"), str(SESSION), str(CONFIG))
        if wanted is not None:
            _skip_all_but(wanted)
    _run(str(BIN / "cosmic-ray"), "exec", str(CONFIG), str(SESSION))
    report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
