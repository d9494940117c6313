"""Cold ``haplan report`` times: a fresh process each run, start-up and imports included.

Targets (issue 17), on the built-in default scenario: text and JSON under 1.5 s, HTML and
Markdown (with their figures) under 3 s; the three-workload manifest set in
``data/manifests/three-workloads`` under 5 s. Each is the best of ``RUNS`` runs of
``haplan report`` in a new process (what a user waits for). There is no baseline to divide
by here: each time is printed against its target.

The three-workload set is one cluster report (text and HTML): every workload's verdict on
nine m6i.xlarge nodes over three zones.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _targets import target

ROOT = Path(__file__).resolve().parent.parent
HAPLAN = [sys.executable, "-m", "haplan.cli"]
RUNS = 3
THREE = ROOT / "data" / "manifests" / "three-workloads"


def cold(arguments: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    """Best wall time [s] of ``RUNS`` fresh ``haplan`` processes, and the last result."""
    best, result = float("inf"), None
    for _ in range(RUNS):
        start = time.perf_counter()
        result = subprocess.run(
            [*_command(), *arguments], capture_output=True, text=True, cwd=ROOT, check=False
        )
        best = min(best, time.perf_counter() - start)
    return best, result


def _command() -> list[str]:
    script = Path(sys.executable).with_name("haplan")
    return [str(script)] if script.exists() else HAPLAN


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        cases = [
            ("text", ["report"], 1.5),
            ("json", ["report", "--format", "json"], 1.5),
            ("html", ["report", "--format", "html", "--out", str(out / "r.html")], 3.0),
            ("markdown", ["report", "--format", "markdown", "--out", str(out / "r.md")], 3.0),
        ]
        for label, arguments, limit in cases:
            seconds, result = cold(arguments)
            if result.returncode != 0:
                print(f"report {label}: failed ({result.stderr.strip()[-200:]})")
            print(f"haplan report --format {label}, default scenario, cold: {seconds:.2f} s")
            target(
                f"report {label} cold",
                f"{seconds:.2f} s",
                f"< {limit:g} s",
                seconds < limit and result.returncode == 0,
            )
        # Several workloads make a cluster report: every workload's verdict on 9 m6i.xlarge
        # nodes over 3 zones, packed by requests, with the loss of any node tried.
        cluster = [
            "report", str(THREE.relative_to(ROOT)), "--node-type", "m6i.xlarge", "-N", "9",
            "--set", "zones=3",
        ]  # fmt: skip
        for label, extra in (
            ("text", []),
            ("html", ["--format", "html", "--out", str(out / "c.html")]),
        ):
            seconds, result = cold([*cluster, *extra])
            if result.returncode != 0:
                print(f"three-workload report {label}: failed ({result.stderr.strip()[-200:]})")
            print(f"haplan report on the three-workload manifests ({label}), cold: {seconds:.2f} s")
            target(
                f"report three-workload set {label} cold",
                f"{seconds:.2f} s",
                "< 5 s",
                seconds < 5.0 and result.returncode == 0,
            )


if __name__ == "__main__":
    main()
