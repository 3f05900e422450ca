"""How long the commands a user types take, start to exit, where start-up is most of it.

    python benchmarks/startup.py               # 20 runs of each command
    python benchmarks/startup.py --runs 50

Runs, alternating, with the Python running this script (so in whichever environment
it is: a virtual environment with a regular install, or an editable one):

* ``python -c pass``: the interpreter alone (with the site's start-up hooks);
* ``python -c "import modelcheck.cli"``: interpreter and the command line's imports;
* ``python -m modelcheck explore raft-election``: the spec's defaults, complete (1,111 states);
* ``python -m modelcheck explore zab --depth 12``: issue #7's "under 30 s" workload;

and prints the mean and the fastest wall time of each (issue #7's time to verdict at
small sizes is mostly this).  Markdown on standard output.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS = {
    "interpreter": ["-c", "pass"],
    "imports": ["-c", "import modelcheck.cli"],
    "explore raft-election": ["-m", "modelcheck", "explore", "raft-election"],
    "explore zab --depth 12": ["-m", "modelcheck", "explore", "zab", "--depth", "12"],
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=20, help="runs of each command (default 20)")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be >= 1")
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    with tempfile.TemporaryDirectory() as scratch:  # traces saved there, not in the checkout
        for _ in range(args.runs):
            for name, cmd in COMMANDS.items():
                t0 = time.perf_counter()
                proc = subprocess.run([sys.executable, *cmd], cwd=scratch, capture_output=True, text=True)
                times[name].append(time.perf_counter() - t0)
                if proc.returncode != 0:
                    print(f"{name}: exit status {proc.returncode}: {proc.stderr.strip()[-300:]}", file=sys.stderr)
                    return 1
    invocation = "python " + shlex.join([os.path.relpath(sys.argv[0]), *(argv if argv is not None else sys.argv[1:])])
    print(f"`{invocation}`\n")
    print(f"- {platform.python_implementation()} {platform.python_version()} at {sys.executable}; "
          f"load average {os.getloadavg()[0]:.1f} at the end; {args.runs} runs of each, alternating\n")
    print("| command | mean (s) | fastest (s) |")
    print("|---|--:|--:|")
    for name, ts in times.items():
        print(f"| `python {shlex.join(COMMANDS[name])}` | {statistics.mean(ts):.3f} | {min(ts):.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
