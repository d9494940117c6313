"""Run every benchmark script in this folder, one after the other, then list every target.

Each ``bench_*.py`` is a standalone script that times a target and a baseline measured in the
same run and prints the ratio, and one line per target (``benchmarks/_targets.py``)::

    TARGET <name>: <measured> vs <target> — met|MISSED

``python benchmarks/run.py [name ...]`` runs all (or the named ones), passes their output
through, and ends with a summary of every TARGET line, grouped by script; it exits non-zero
if a script fails to run or a target is missed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _targets import PREFIX  # noqa: E402

#: A target line as ``_targets.target`` prints it (other lines starting "TARGET" are prose).
TARGET_LINE = re.compile(rf"^{PREFIX}[^:]+: .+ — (met|MISSED)$")


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if any(n in s.stem for n in names)]
    failed, targets = [], []
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        process = subprocess.Popen(
            [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, bufsize=1
        )
        for line in process.stdout:
            print(line, end="", flush=True)
            if TARGET_LINE.match(line.rstrip()):
                targets.append((script.stem, line[len(PREFIX) :].rstrip()))
        if process.wait() != 0:
            failed.append(script.stem)
    print("\n== targets")
    for stem, line in targets:
        print(f"{stem:<22} {line}")
    missed = sum(line.endswith("MISSED") for _, line in targets)
    met = len(targets) - missed
    print(
        f"{met} met, {missed} MISSED" + (f"; failed to run: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed or missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
