"""Run every benchmark in bench/: `python -m bench --quick` (what `make test` runs) or a full run.

Each bench is a script `bench/<name>.py` with its own `--quick` mode; a full run writes its own
section of docs/PERFORMANCE.md. `python -m bench --quick match` runs just one.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    names = [a for a in argv if not a.startswith("-")]
    scripts = sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_"))
    if names:
        scripts = [p for p in scripts if p.stem in names]
    failed = []
    for script in scripts:
        started = time.monotonic()
        cmd = [sys.executable, "-m", f"bench.{script.stem}"] + (["--quick"] if quick else [])
        print(f"== bench {script.stem}{' --quick' if quick else ''}", flush=True)
        code = subprocess.call(cmd, cwd=HERE.parent)
        print(f"== bench {script.stem}: {'ok' if code == 0 else f'FAILED ({code})'} in {time.monotonic() - started:.1f}s",
              flush=True)
        if code:
            failed.append(script.stem)
    if failed:
        print(f"benchmarks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
