# ruff: noqa: S603, S607 - runs our own fixed commands (git, pytest, cosmic-ray) locally
"""Mutation testing of the booking rules with cosmic-ray: `make mutate`.

Each mutant (a `<` made `<=`, a `+ 1` dropped, an `and` made `or`, ...) is
written into a copy of the project under .mutate/tree, never into the working
tree, and the tests of the mutated module run against it. A mutant the tests
do not notice "survives": docs/testing.md lists the survivors and why each is
acceptable. Each module is a run of its own, with its own tests and its own
session under .mutate/, one module after the other; docs/testing.md gives how
long each takes. Not part of CI.

    make mutate                                         # every module, one after the other
    make mutate ARGS="--module booking/availability.py" # one module (repeat for more)
    make mutate ARGS=--resume      # carry on with an interrupted run
    make mutate ARGS=--survivors   # test only the last run's survivors again
    make mutate ARGS=--report      # print the last run's survivors again

--resume, --survivors and --report take --module too. Run one `make mutate`
at a time: the modules share the copy under .mutate/tree.

Why cosmic-ray and not mutmut: mutmut 3 leaves every decorated function alone,
which here means every @transaction.atomic service (booking, moving,
cancelling, slot generation) would never be mutated.
"""

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutate"
TREE = WORK / "tree"
# Compiled bytecode of the tree, the venv and the standard library, kept between
# runs: each mutant starts a new pytest, and compiling ~1,200 modules from source
# every time doubled its cost where PYTHONDONTWRITEBYTECODE is set.
PYCACHE = WORK / "pycache"
BIN = Path(sys.executable).parent

# Each module with the tests that exercise it, fast and telling ones first:
# pytest runs with -x, so most mutants are killed in the first seconds, and
# only a survivor runs them all. Every test file here costs its full time once
# per survivor, so a file joins a module's list only when it kills mutants the
# others miss (docs/testing.md: "Mutation testing").
# What a services module needs beyond the services' own tests: single tests
# (pytest node ids) where the rest of their file would only cost time.
SERVICES_EXTRA = {
    # New or unblocked working time is offered to the waitlist; slot changes
    # empty the time picker's cache.
    "slots": [
        "tests/booking/test_waitlist_offers.py::test_unblocking_a_slot_offers_its_time",
        "tests/booking/test_waitlist_offers.py::test_newly_generated_slots_are_offered",
        "tests/booking/test_time_picker_queries.py"
        "::test_slot_generation_empties_the_time_picker_cache_only_when_slots_change",
    ],
    # Erasing a patient's record (retention.patient_anonymise).
    "retention": ["tests/booking/test_patients.py"],
    # Finding, joining, merging and editing patient records.
    "patients": [
        "tests/booking/test_mutation_survivors_patients.py",
        "tests/booking/test_patients.py",
        "tests/booking/test_patient_merge_and_duplicates.py",
        "tests/booking/test_record_linking.py",
    ],
    # Undo and correction, arrivals, and a course's requests answered together.
    "status": [
        "tests/booking/test_mutation_survivors_status.py",
        "tests/booking/test_undo_and_correction.py",
        "tests/booking/test_staff_valid_actions.py",
        "tests/booking/test_course_staff.py",
        # A cancellation or decline offers its time and empties the time picker's cache.
        "tests/booking/test_waitlist_offers.py"
        "::test_a_staff_cancellation_offers_the_time_once_it_commits",
        "tests/booking/test_waitlist_offers.py::test_an_appointment_in_the_past_frees_nothing_to_offer",
        "tests/booking/test_time_picker_queries.py"
        "::test_staff_declining_a_request_empties_the_time_picker_cache_on_commit",
    ],
}
MODULES = {
    # When patients may book and which times are free.
    "booking/availability.py": [
        "tests/booking/test_mutation_survivors_availability.py",
        "tests/booking/test_selectors.py",
        "tests/booking/test_booking_services.py",
        "tests/booking/test_slots.py",
        "tests/booking/test_time_picker.py",
        "tests/booking/test_time_picker_queries.py",
    ],
    # Every write (booking/services/, one module per concept): booking, moving,
    # cancelling, statuses, slot generation, the rules they check.
    **{
        f"booking/services/{name}.py": [
            "tests/booking/test_mutation_survivors_services.py",
            "tests/booking/test_slots.py",
            "tests/booking/test_booking_services.py",
            "tests/booking/test_services_outside_a_transaction.py",
            "tests/booking/test_staff_services.py",
            # The single-use booking key and the request notice's words.
            "tests/booking/test_booking_once.py",
            "tests/booking/test_confirmation_policy.py",
            *SERVICES_EXTRA.get(name, []),
        ]
        for name in ("appointments", "status", "rules", "slots", "patients", "retention")
    },
    # A practitioner's private calendar feed link.
    "booking/services/calendar.py": [
        "tests/booking/test_mutation_survivors_services.py",
        "tests/booking/test_calendar_feed.py",
        "tests/booking/test_services_outside_a_transaction.py",
    ],
    # The offered times and the patient's and staff's lists.
    "booking/selectors.py": [
        "tests/booking/test_mutation_survivors_selectors.py",
        "tests/booking/test_selectors.py",
        "tests/booking/test_time_picker.py",
        "tests/booking/test_time_picker_queries.py",
    ],
    # The time picker's week: its strip of days, Earlier and Later, the day chosen.
    "booking/picker.py": [
        "tests/booking/test_mutation_survivors_picker.py",
        "tests/booking/test_time_picker.py",
        "tests/booking/test_time_picker_queries.py",
        "tests/booking/test_selectors.py",
    ],
    # Rate limits: the counters, then the pages that apply them. The slowest of
    # those (9 of the 12 seconds the file takes) is left out to keep the run
    # short; a mutant only it would kill shows as a survivor.
    "booking/ratelimit.py": [
        "tests/booking/test_mutation_survivors_ratelimit.py",
        "tests/booking/test_ratelimit.py",
        "tests/booking/test_rate_limits.py",
        "--deselect=tests/booking/test_rate_limits.py"
        "::test_junk_query_parameters_do_not_reset_the_booking_limits",
    ],
}
# cosmic-ray replaces each operator with every other one: `a + b` becomes
# `a - b`, `a * b`, `a ** b`, `a << b` and seven more. Most of those are
# type errors any test kills. One or two telling replacements per operator are
# kept (the boundary, the opposite), which leaves about a third of the mutants.
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


class Module:
    """One module's run: its tests, its cosmic-ray config and its session."""

    def __init__(self, path: str):
        self.path = path
        # Only the tests that exist: a module's survivor tests may not be written yet.
        self.tests = [
            name
            for name in MODULES[path]
            if name.startswith("-") or (ROOT / name.split("::")[0]).exists()
        ]
        stem = Path(path).stem
        self.config = WORK / f"{stem}.toml"
        self.session = WORK / f"{stem}.sqlite"
        self.previous = WORK / f"{stem}.previous.sqlite"

    def write_config(self) -> None:
        tests = " ".join(self.tests)
        excluded = ", ".join(f"'{pattern}'" for pattern in EXCLUDED_OPERATORS)
        self.config.write_text(
            "[cosmic-ray]\n"
            f"module-path = {self.path!r}\n"
            # A mutant that loops for ever is killed by this; the slowest
            # module's tests take under a minute on two busy cores.
            "timeout = 60.0\n"
            "excluded-modules = []\n"
            f'test-command = "{sys.executable} -m pytest -x -q -p no:cacheprovider '
            f'--reuse-db {tests}"\n'
            "\n[cosmic-ray.distributor]\n"
            'name = "local"\n'
            "\n[cosmic-ray.filters.operators-filter]\n"
            f"exclude-operators = [{excluded}]\n"
        )


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
    for name in _tracked_files():
        source, target = ROOT / name, TREE / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    # A test database of its own: a run can take a while next to `make test`.
    env["TEST_DATABASE_NAME"] = env.get("TEST_DATABASE_NAME", "test_clinic") + "_mutate"
    # Bytecode is read from PYCACHE, never written while mutants run: a mutant
    # the size of the original written in the same second could otherwise be
    # run from the original's bytecode.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def _compile(modules: list["Module"]) -> None:
    """Fill PYCACHE (only what changed since the last run), except the mutated modules."""
    folders = {sysconfig.get_paths()[name] for name in ("stdlib", "purelib", "platlib")}
    env = {**_environment(), "PYTHONDONTWRITEBYTECODE": ""}
    command = [sys.executable, "-m", "compileall", "-q", *sorted(folders), str(TREE)]
    subprocess.run(command, cwd=TREE, env=env, stdout=subprocess.DEVNULL, check=False)
    for module in modules:
        source = TREE / module.path
        for compiled in (PYCACHE / source.parent.relative_to(source.anchor)).glob(
            f"{source.stem}.*.pyc"
        ):
            compiled.unlink()


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


def _skip_all_but(session: Path, wanted: set[tuple[str, str, int]]) -> None:
    """Leave pending only the mutants in `wanted` (the last run's survivors)."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in list(db.pending_work_items):
            keys = {(str(m.module_path), m.operator_name, m.occurrence) for m in item.mutations}
            if not keys & wanted:
                db.set_result(
                    item.job_id,
                    WorkResult(
                        output="Killed in the previous run", worker_outcome=WorkerOutcome.SKIPPED
                    ),
                )


def _figures(session: Path) -> str:
    """Made / left by the operator filter / killed / survived, as docs/testing.md gives them."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    with use_db(str(session), WorkDB.Mode.open) as db:
        made = db.num_work_items
        results = [result for _item, result in db.completed_work_items]
        pending = made - len(results)
    filtered = sum(r.output == "Filtered operator" for r in results)
    skipped = sum(r.worker_outcome == WorkerOutcome.SKIPPED for r in results) - filtered
    killed = sum(r.test_outcome == TestOutcome.KILLED for r in results)
    survived = sum(r.test_outcome == TestOutcome.SURVIVED for r in results)
    incompetent = sum(r.test_outcome == TestOutcome.INCOMPETENT for r in results)
    text = f"{made} made, {made - filtered} after the filter, {killed} killed, {survived} survived"
    for count, what in [
        (skipped, "skipped (killed in the previous run)"),
        (incompetent, "incompetent"),
        (pending, "not run yet"),
    ]:
        if count:
            text += f", {count} {what}"
    return text


def report(module: Module) -> None:
    if not module.session.exists():
        print(f"{module.path}: no run yet")
        return
    _run(str(BIN / "cr-report"), "--show-diff", "--surviving-only", str(module.session))
    print(f"{module.path}: {_figures(module.session)}")


def mutate(module: Module, *, resume: bool, survivors: bool) -> None:
    wanted = None
    if survivors:
        if not module.session.exists():
            sys.exit(f"{module.path}: no earlier run to take the survivors of")
        shutil.copy2(module.session, module.previous)
        wanted = _survivors(module.previous)
    if not (resume and module.session.exists()):
        module.session.unlink(missing_ok=True)
        module.write_config()
        _run(str(BIN / "cosmic-ray"), "init", str(module.config), str(module.session))
        _run(str(BIN / "cr-filter-operators"), str(module.session), str(module.config))
        if wanted is not None:
            _skip_all_but(module.session, wanted)
    _run(str(BIN / "cosmic-ray"), "exec", str(module.config), str(module.session))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--module",
        action="append",
        choices=list(MODULES),
        metavar="PATH",
        help=f"mutate only this module (repeatable); one of {', '.join(MODULES)}",
    )
    parser.add_argument("--resume", action="store_true", help="carry on with the last run")
    parser.add_argument("--report", action="store_true", help="only print the last report")
    parser.add_argument(
        "--survivors", action="store_true", help="test only the last run's survivors again"
    )
    args = parser.parse_args()
    modules = [Module(path) for path in (args.module or MODULES)]
    if args.report:
        for module in modules:
            report(module)
        return 0
    WORK.mkdir(exist_ok=True)
    if not (args.resume and all(module.session.exists() for module in modules)):
        _copy_tree()
        _compile(modules)
        # The unmutated tests must pass first; this also makes the test database.
        tests = sorted({name for module in modules for name in module.tests if name[0] != "-"})
        _run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--create-db", *tests)
    timings = []
    for module in modules:
        started = time.monotonic()
        mutate(module, resume=args.resume, survivors=args.survivors)
        timings.append((module, time.monotonic() - started))
    for module in modules:
        report(module)
    for module, seconds in timings:
        print(f"{module.path}: {seconds / 60:.1f} minutes; {_figures(module.session)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
