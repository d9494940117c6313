"""Cold ``haplan report`` times: a fresh process each run, start-up and imports included.

Targets (issue 17), on the built-in default scenario: text and JSON under 1.5 s, HTML and
Markdown (with their figures) under 3 s; the three-workload manifest set in
``data/manifests/three-workloads`` under 5 s. Each is the best of ``RUNS`` runs of
``haplan report`` in a new process (what a user waits for). There is no baseline to divide
by here: each time is printed against its target.

When ``haplan report`` does not take the three manifests together yet, the three are timed
one after another (three processes) and the sum is compared with the target; the output
says which was measured.
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
WORKLOADS = sorted((ROOT / "data" / "manifests" / "three-workloads").glob("*.yaml"))


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
        files = [str(path.relative_to(ROOT)) for path in WORKLOADS]
        seconds, result = cold(["report", *files])
        if result.returncode == 0:
            how = "one report over the three manifests"
        else:
            reason = (result.stderr.strip().splitlines() or ["?"])[-1]
            print(f"three manifests in one report: not supported yet ({reason})")
            print("  timing the three manifests one after another instead")
            seconds, ok = 0.0, True
            for file in files:
                each, result = cold(["report", file])
                ok &= result.returncode == 0
                print(f"  haplan report {file}: {each:.2f} s")
                seconds += each
            how = "three reports, one per manifest, in sequence"
        print(f"three-workload manifest set ({how}), cold: {seconds:.2f} s")
        target("report three-workload set cold", f"{seconds:.2f} s", "< 5 s", seconds < 5.0)


if __name__ == "__main__":
    main()
