"""Run every benchmark script in this folder, one after the other.

Each ``bench_*.py`` is a standalone script that times a target and a baseline measured in the
same run and prints the ratio. ``python benchmarks/run.py [name ...]`` runs all (or the named
ones) and exits non-zero if one fails to run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if any(n in s.stem for n in names)]
    failed = 0
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        failed += subprocess.run([sys.executable, str(script)], check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
