"""How long the commands a user types take, start to exit, where start-up is most of it.

    python benchmarks/startup.py               # 20 runs of each command
    python benchmarks/startup.py --runs 50

Runs, alternating, with the Python running this script (so in whichever environment
it is: a virtual environment with a regular install, or an editable one):

* ``python -c pass``: the interpreter alone (with the site's start-up hooks);
* ``python -c "import attrs, click"``: the dependencies every run imports;
* ``python -c "import rich.console, rich.table"``: what rich would add (imported only for
  the live progress line and the tables of ``list`` and ``zoo``);
* ``python -c "import modelcheck.cli"``: interpreter and the command line's imports;
* ``python -m modelcheck explore raft-election``: the spec's defaults, complete (1,111 states);
* the same with ``FORCE_COLOR=1``: output as on a terminal, in colour (a pipe or a file
  gets plain text; rich is imported by neither);
* ``python -m modelcheck explore raft-election -p bug=no-voted-for-check``: a violation,
  its trace printed and saved (exit status 1);
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

#: name: (arguments of python, environment added, the exit status expected)
COMMANDS = {
    "interpreter": (["-c", "pass"], {}, 0),
    "dependencies": (["-c", "import attrs, click"], {}, 0),
    "rich": (["-c", "import rich.console, rich.table"], {}, 0),
    "imports": (["-c", "import modelcheck.cli"], {}, 0),
    "explore raft-election": (["-m", "modelcheck", "explore", "raft-election"], {}, 0),
    "explore raft-election, terminal output": (["-m", "modelcheck", "explore", "raft-election"],
                                               {"FORCE_COLOR": "1"}, 0),
    "explore raft-election, bug": (["-m", "modelcheck", "explore", "raft-election", "-p", "bug=no-voted-for-check"],
                                   {}, 1),
    "explore zab --depth 12": (["-m", "modelcheck", "explore", "zab", "--depth", "12"], {}, 0),
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
            for name, (cmd, extra, status) in COMMANDS.items():
                env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
                t0 = time.perf_counter()
                proc = subprocess.run([sys.executable, *cmd], cwd=scratch, capture_output=True, text=True,
                                      env={**env, **extra})
                times[name].append(time.perf_counter() - t0)
                if proc.returncode != status:
                    print(f"{name}: exit status {proc.returncode}: {proc.stderr.strip()[-300:]}", file=sys.stderr)
                    return 1
    invocation = "python " + shlex.join([os.path.relpath(sys.argv[0]), *(argv if argv is not None else sys.argv[1:])])
    print(f"`{invocation}`\n")
    print(f"- {platform.python_implementation()} {platform.python_version()} at {sys.executable}; "
          f"load average {os.getloadavg()[0]:.1f} at the end; {args.runs} runs of each, alternating\n")
    print("| command | mean (s) | fastest (s) |")
    print("|---|--:|--:|")
    for name, ts in times.items():
        cmd, extra, _ = COMMANDS[name]
        shown = shlex.join([*(f"{k}={v}" for k, v in extra.items()), "python", *cmd])
        print(f"| `{shown}` | {statistics.mean(ts):.3f} | {min(ts):.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
