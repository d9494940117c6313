"""The notebooks as stored: the expected files, no outputs, a question first and a checked
conclusion last, and only haplan's public API. (nbmake executes them: see pyproject.)"""

from __future__ import annotations

import ast
import importlib
import json
import types
from pathlib import Path

import pytest

import haplan

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
EXPECTED = (
    "01_article_formulas.ipynb",
    "02_availability.ipynb",
    "03_load_balancing.ipynb",
    "04_recovery.ipynb",
    "05_capacity_plan.ipynb",
    "06_monte_carlo.ipynb",
    "07_failure_history.ipynb",
    "08_disruptions.ipynb",
    "09_autoscaling.ipynb",
    "10_explorer.ipynb",
    "11_kubernetes_clusters.ipynb",
)
#: Modules a user may import from haplan: the modules its ``__all__`` names.
PUBLIC_MODULES = tuple(
    name for name in haplan.__all__ if isinstance(getattr(haplan, name), types.ModuleType)
)
PUBLIC_NAMES = set(haplan.__all__) | set(PUBLIC_MODULES)


def test_public_modules_cover_the_model_families():
    assert set(PUBLIC_MODULES) >= {"document", "availability", "markov", "queueing"} | {
        "balancing", "load", "recovery", "simulate", "manifests", "plots", "service",
        "disruptions", "autoscaling", "fit", "uncertainty",
    }  # fmt: skip


def load(name: str) -> dict:
    return json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def _check_path(path: str) -> list[str]:
    """Problems with a dotted name under haplan: ``haplan.<public>[.<in module __all__>]``."""
    parts = path.split(".")
    if parts[0] != "haplan" or len(parts) == 1:
        return []
    if parts[1].startswith("_") or parts[1] not in PUBLIC_NAMES:
        return [f"haplan.{parts[1]} is not public API"]
    if parts[1] in PUBLIC_MODULES and len(parts) > 2:
        module = importlib.import_module(f"haplan.{parts[1]}")
        if parts[2] not in getattr(module, "__all__", ()):
            return [f"haplan.{parts[1]}.{parts[2]} is not in haplan.{parts[1]}.__all__"]
    return []


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """``a.b.c`` with ``a`` replaced by the haplan path it was imported as (else None)."""
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in aliases:
        return ".".join([aliases[node.id], *reversed(names)])
    return None


def api_problems(code: str) -> list[str]:
    """Uses of haplan in ``code`` beyond its public API (IPython magics are skipped)."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines()]
    tree = ast.parse("\n".join(lines))
    aliases: dict[str, str] = {}
    problems: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != "haplan":
                    continue
                problems += _check_path(alias.name)
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    aliases["haplan"] = "haplan"
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] != "haplan":
                continue
            if node.module != "haplan" and node.module.split(".")[1] not in PUBLIC_MODULES:
                problems.append(f"{node.module} is not a public module")
                continue
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                problems += _check_path(full)
                aliases[alias.asname or alias.name] = full
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            path = _dotted(node, aliases)
            if path is not None:
                problems += _check_path(path)
    return sorted(set(problems))


# -- the checker itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "import haplan._numeric",
        "from haplan._numeric import check_range",
        "from haplan import _numeric",
        "from haplan.table import metrics",
        "from haplan.scenario import validate_inputs",
        "import haplan\nhaplan._numeric.restore(1.0)",
        "import haplan\nhaplan.scenario.validate_inputs",
        "import haplan as hp\nhp.metrics_module",
        "from haplan import recovery\nrecovery._resolve('swarm')",
        "import haplan\nhaplan.queueing._log_erlang_b",
    ],
)
def test_checker_flags_private_use(code):
    assert api_problems(code)


def test_checker_accepts_public_use():
    code = """%matplotlib inline
import haplan
import haplan.simulate
from haplan import plots, simulate as sim
from haplan.recovery import preset
table = haplan.sweep(nodes=[3])
haplan.availability.nines(1e-3)
haplan.Scenario.default().with_overrides(nodes=4)
sim.Weibull(mean=1.0, shape=0.7)
plots.heatmap(table)
preset("swarm")
"""
    assert api_problems(code) == []


# -- the notebooks ---------------------------------------------------------------------------


def test_exactly_the_expected_notebooks():
    assert tuple(sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_stored_without_outputs(name):
    for cell in load(name)["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{name}: a code cell has outputs"
            assert cell["execution_count"] is None, f"{name}: a code cell has an execution count"


@pytest.mark.parametrize("name", EXPECTED)
def test_opens_with_the_question_and_ends_with_a_checked_conclusion(name):
    cells = load(name)["cells"]
    assert cells[0]["cell_type"] == "markdown"
    assert "**Question.**" in source(cells[0])
    assert cells[-1]["cell_type"] == "markdown"
    assert source(cells[-1]).startswith("## Conclusion")
    code = "\n".join(source(c) for c in cells if c["cell_type"] == "code")
    assert "assert " in code, f"{name}: no assert checks the conclusion's claims"
    assert "%matplotlib inline" in code, f"{name}: figures would not display in Jupyter"


@pytest.mark.parametrize("name", EXPECTED)
def test_uses_only_the_public_api(name):
    code = "\n".join(source(c) for c in load(name)["cells"] if c["cell_type"] == "code")
    assert api_problems(code) == []
