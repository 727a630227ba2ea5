"""No import cycle inside booking/: read every module's imports (function bodies too) with ast."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = "booking"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def app_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted((ROOT / APP).rglob("*.py"))}


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of the app that `name` imports, wherever in the file the import is."""
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


def import_graph() -> dict[str, set[str]]:
    modules = app_modules()
    known = set(modules)
    return {name: imported_modules(name, path, known) for name, path in modules.items()}


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


def test_booking_has_no_import_cycle():
    graph = import_graph()
    assert cycles(graph) == [], "modules that import each other, directly or around a loop"


def test_sending_an_email_does_not_import_the_queue():
    graph = import_graph()
    assert "booking.notifications" not in graph["booking.emails"]
    assert "booking.tasks" not in graph["booking.emails"]


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
def test_the_checker_finds_cycles_through_any_kind_of_import(
    tmp_path, monkeypatch, source, expected
):
    package = tmp_path / APP
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, text in source.items():
        (package / f"{name}.py").write_text(text)
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)

    assert cycles(import_graph()) == expected
