"""No import cycle among the project's modules, nor among its apps.

Every first-party module's imports are read with ast, function bodies included
(an import hidden in a function is still a dependency, only a later one), and
strongly connected groups are found with Tarjan's algorithm. Imports by name in
strings (settings, ``include("...")``, ``import_module``) are not read.

Two levels:

- modules: no module imports itself back around a loop (a module that renders
  and sends an e-mail does not import the queue that calls it);
- packages: with modules collapsed to their app (``clinic``, ``images``,
  ``articles``, ``booking``), dependencies point one way, so each app can be
  read on its own.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Top-level folders with Python code that are not apps: the suite itself and
# the developer scripts (which may import anything).
NOT_APPS = {"tests", "scripts"}

# The project's wiring, above every app: the root URLconf includes every app's
# URLs ("only clinic/urls.py knows every app"). It sits in the clinic package
# but is not part of the clinic app here, and nothing may import it.
PROJECT_WIRING = {"clinic.urls"}

# Cycles between apps that are known and accepted, each with its reason. Empty:
# images is the lowest app (the clinic's photo is a library image), clinic
# uses it, booking uses both, articles uses all three.
ALLOWED_APP_CYCLES: list[list[str]] = []


def first_party_packages(root: Path) -> list[str]:
    """Top-level folders holding Python modules: the apps and the project package."""
    return sorted(
        {
            path.parent.name
            for path in root.glob("*/*.py")
            if path.parent.name not in NOT_APPS and not path.parent.name.startswith(".")
        }
    )


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path, packages: list[str]) -> dict[str, Path]:
    """Every module of ``packages``, migrations left out (Django orders those itself)."""
    return {
        module_name(path, root): path
        for package in packages
        for path in sorted((root / package).rglob("*.py"))
        if "migrations" not in path.relative_to(root).parts
    }


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The first-party modules that `name` imports, wherever in the file the import is."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from booking.admin import schedule` imports a module; `from
            # booking.models import Patient` imports a name from one.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        found.update(target for target in targets if target in known and target != name)
    return found


def import_graph(root: Path = ROOT, packages: list[str] | None = None) -> dict[str, set[str]]:
    modules = project_modules(root, packages or first_party_packages(root))
    known = set(modules)
    return {name: imported_modules(name, path, known) for name, path in modules.items()}


def package_graph(graph: dict[str, set[str]], packages: list[str]) -> dict[str, set[str]]:
    """The module graph collapsed to ``packages``: each module counts as the longest
    listed package it is in; modules in none of them, and the project's wiring, drop out."""

    def owner(module: str) -> str | None:
        if module in PROJECT_WIRING:
            return None
        inside = [p for p in packages if module == p or module.startswith(f"{p}.")]
        return max(inside, key=len, default=None)

    collapsed: dict[str, set[str]] = {package: set() for package in packages}
    for module, targets in graph.items():
        source = owner(module)
        if source is None:
            continue
        for target in targets:
            destination = owner(target)
            if destination is not None and destination != source:
                collapsed[source].add(destination)
    return collapsed


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_app_is_read():
    assert {"articles", "booking", "clinic", "images"} <= set(first_party_packages(ROOT))


def test_no_module_imports_itself_around_a_loop():
    graph = import_graph()
    assert cycles(graph) == [], "modules that import each other, directly or around a loop"


def test_no_module_imports_the_root_urlconf():
    graph = import_graph()
    assert [name for name, targets in graph.items() if targets & PROJECT_WIRING] == []


def test_sending_an_email_does_not_import_the_queue():
    graph = import_graph()
    assert "booking.notifications" not in graph["booking.emails"]
    assert "booking.tasks" not in graph["booking.emails"]


@pytest.mark.parametrize(
    ("packages", "allowed"),
    [
        pytest.param(
            ["articles", "booking", "clinic", "images", *first_party_packages(ROOT)],
            ALLOWED_APP_CYCLES,
            id="apps",
        ),
        # booking's core (booking/*.py, its template tags) against the waitlist, which
        # listens to the core's signals (booking/signals.py). The staff admin (with the
        # template tags of its index page) and the management commands sit above
        # both and wire them together.
        pytest.param(
            [
                "booking",
                "booking.waitlist",
                "booking.admin",
                "booking.templatetags.staff_admin",
                "booking.management",
            ],
            [],
            id="booking-core-and-waitlist",
        ),
    ],
)
def test_dependencies_between_packages_point_one_way(packages, allowed):
    graph = package_graph(import_graph(), sorted(set(packages)))
    assert cycles(graph) == allowed, "packages that import each other, directly or around a loop"


def _write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for folder in path.relative_to(root).parents:
            if folder != Path("."):
                (root / folder / "__init__.py").touch()
        path.write_text(text)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # The loop this test was written for: e-mails -> queue -> task -> e-mails,
        # each import hidden inside a function.
        (
            {
                "emails": "def retry():\n    from booking.notifications import enqueue_send\n",
                "notifications": "def enqueue():\n    from booking.tasks import send\n",
                "tasks": "def send():\n    from booking.emails import deliver\n",
            },
            [["booking.emails", "booking.notifications", "booking.tasks"]],
        ),
        ({"a": "from . import b\n", "b": "import booking.a\n"}, [["booking.a", "booking.b"]]),
        ({"a": "from booking import b\n", "b": "from booking.c import x\n", "c": ""}, []),
    ],
)
def test_the_checker_finds_cycles_through_any_kind_of_import(tmp_path, source, expected):
    _write_tree(tmp_path, {f"booking/{name}.py": text for name, text in source.items()})

    assert cycles(import_graph(tmp_path)) == expected


@pytest.mark.parametrize(
    ("files", "packages", "expected"),
    [
        # Two apps that need each other, one import hidden in a function.
        (
            {
                "clinic/identity.py": "from images.services import save\n",
                "images/services.py": "def save():\n    from clinic.identity import forget\n",
            },
            ["clinic", "images"],
            [["clinic", "images"]],
        ),
        # One way only: no cycle.
        (
            {"clinic/identity.py": "from images.services import save\n", "images/services.py": ""},
            ["clinic", "images"],
            [],
        ),
        # The root URLconf knows every app; an app using the clinic is no cycle.
        (
            {
                "clinic/urls.py": "from images.views import media\n",
                "images/views.py": "from clinic.identity import get_clinic\n",
                "clinic/identity.py": "",
            },
            ["clinic", "images"],
            [],
        ),
        # A subpackage against the rest of its app: each module counts once, as
        # the longest listed package it is in.
        (
            {
                "booking/services.py": "from booking.waitlist.offers import offer\n",
                "booking/waitlist/offers.py": "from booking.models import Slot\n",
                "booking/models.py": "",
            },
            ["booking", "booking.waitlist"],
            [["booking", "booking.waitlist"]],
        ),
    ],
)
def test_the_checker_finds_cycles_between_packages(tmp_path, files, packages, expected):
    _write_tree(tmp_path, files)

    assert cycles(package_graph(import_graph(tmp_path), packages)) == expected


def test_the_checker_reads_every_top_level_folder_with_python_but_tests_and_scripts(tmp_path):
    _write_tree(
        tmp_path,
        {"clinic/a.py": "", "newapp/models.py": "", "tests/test_a.py": "", "scripts/x.py": ""},
    )
    (tmp_path / "docs").mkdir()

    assert first_party_packages(tmp_path) == ["clinic", "newapp"]
