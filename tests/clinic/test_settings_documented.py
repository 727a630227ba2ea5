"""Every environment variable the settings read has a row in docs/deployment.md.

The variables are found by reading clinic/settings.py with ast, not by running
it: every call of an env-reading helper (a function of a module the settings
import that reads ``os.environ`` or ``os.getenv`` by a name it is given, such
as clinic.env's ``env_int``) and every direct ``os.environ`` / ``os.getenv``
read. A read whose name is not written out as a string cannot be checked, so
it fails the test too.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "clinic" / "settings.py"
DEPLOYMENT = ROOT / "docs" / "deployment.md"


def _is_environ(node: ast.AST) -> bool:
    """``os.environ``, or ``environ`` imported from os."""
    if isinstance(node, ast.Attribute):
        return node.attr == "environ" and isinstance(node.value, ast.Name) and node.value.id == "os"
    return isinstance(node, ast.Name) and node.id == "environ"


def _is_getenv(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == "getenv" and isinstance(node.value, ast.Name) and node.value.id == "os"
    return isinstance(node, ast.Name) and node.id == "getenv"


def _direct_read(node: ast.AST) -> ast.expr | None:
    """The name in ``os.environ.get(X)``, ``os.environ[X]`` or ``os.getenv(X)``."""
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in {"get", "pop", "setdefault"}
            and _is_environ(func.value)
        ):
            return node.args[0]
        if _is_getenv(func):
            return node.args[0]
    if isinstance(node, ast.Subscript) and _is_environ(node.value):
        return node.slice
    return None


def env_helpers(module_source: str) -> set[str]:
    """Functions of a module that read the environment by the name in their first
    argument, themselves or through another such function (``env_list`` calls
    ``env_str``)."""
    functions = [
        node
        for node in ast.parse(module_source).body
        if isinstance(node, ast.FunctionDef) and node.args.args
    ]
    helpers: set[str] = set()
    while True:
        found = set(helpers)
        for function in functions:
            parameter = function.args.args[0].arg
            for node in ast.walk(function):
                name = _direct_read(node)
                if (
                    name is None
                    and isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in helpers
                    and node.args
                ):
                    name = node.args[0]
                if isinstance(name, ast.Name) and name.id == parameter:
                    found.add(function.name)
        if found == helpers:
            return helpers
        helpers = found


def _first_party_source(module: str, root: Path) -> str | None:
    path = root.joinpath(*module.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.exists():
            return candidate.read_text()
    return None


def environment_variables(settings_source: str, root: Path = ROOT) -> set[str]:
    """The names of the environment variables ``settings_source`` reads."""
    tree = ast.parse(settings_source)
    helpers: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            source = _first_party_source(node.module, root)
            if source is not None:
                found = env_helpers(source)
                helpers |= {
                    alias.asname or alias.name for alias in node.names if alias.name in found
                }
    names, unreadable = set(), []
    for node in ast.walk(tree):
        name = _direct_read(node)
        if (
            name is None
            and isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in helpers
        ):
            name = node.args[0] if node.args else None
        if name is None:
            continue
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            names.add(name.value)
        else:
            unreadable.append(ast.unparse(name))
    assert unreadable == [], f"environment reads whose name is not a plain string: {unreadable}"
    return names


def documented_variables(markdown: str) -> set[str]:
    """Every `NAME` in the first column of the document's tables."""
    names = set()
    for line in markdown.splitlines():
        if line.startswith("|") and not re.fullmatch(r"\|[\s:|-]+", line):
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", line.split("|")[1]))
    return names


def test_every_variable_the_settings_read_is_in_the_deployment_guide():
    read = environment_variables(SETTINGS.read_text())
    documented = documented_variables(DEPLOYMENT.read_text())

    assert sorted(read - documented) == [], "add a row to docs/deployment.md's table"


def test_the_settings_read_the_variables_everyone_sets():
    # Not a list to keep up to date: a check that the reader above finds anything.
    read = environment_variables(SETTINGS.read_text())
    assert {"SECRET_KEY", "DEBUG", "DATABASE_URL", "ALLOWED_HOSTS", "REDIS_URL"} <= read
    assert len(read) > 50


def test_the_reader_finds_a_new_variable_read_in_any_way(tmp_path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "env.py").write_text(
        "import os\n\n"
        "def env_int(name, default):\n    return int(os.environ.get(name, default))\n\n"
        "def env_raw(key):\n    return os.environ[key]\n\n"
        "def env_list(name):\n    return env_raw(name).split(',')\n\n"
        "def unrelated(value):\n    return value\n"
    )
    settings = (
        "import os\n"
        "from conf.env import env_int, env_list, env_raw as raw, unrelated\n"
        "A = env_int('WORKERS', 2)\n"
        "if A:\n    B = {'x': raw('NESTED_KEY')}\n"
        "C = os.environ.get('DIRECT', '')\n"
        "D = os.environ['SUBSCRIPTED']\n"
        "E = os.getenv('GETENV')\n"
        "F = unrelated('NOT_A_VARIABLE')\n"
        "G = env_list('THROUGH_ANOTHER_HELPER')\n"
    )

    assert environment_variables(settings, root=tmp_path) == {
        "WORKERS",
        "NESTED_KEY",
        "DIRECT",
        "SUBSCRIPTED",
        "GETENV",
        "THROUGH_ANOTHER_HELPER",
    }
    undocumented = environment_variables(settings, root=tmp_path) - documented_variables(
        "| Variable | Default | Meaning |\n|---|---|---|\n"
        "| `WORKERS`, `DIRECT` | `2` | Mentions `SUBSCRIPTED` only in its meaning. |\n"
    )
    assert undocumented == {"NESTED_KEY", "SUBSCRIPTED", "GETENV", "THROUGH_ANOTHER_HELPER"}


def test_a_variable_named_by_an_expression_cannot_hide():
    settings = "from clinic.env import env_int\nfor k in 'AB':\n    env_int(f'LIMIT_{k}', 1)\n"

    with pytest.raises(AssertionError, match="LIMIT_"):
        environment_variables(settings)
