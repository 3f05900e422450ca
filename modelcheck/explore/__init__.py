"""Exploration strategies; each returns a :class:`modelcheck.Result`."""

from __future__ import annotations

from ..registry import spec_of
from ..result import Result
from ..spec import Spec, SpecError
from .bfs import bfs
from .dfs import dfs
from .run import Options, Progress, ProgressFn
from .walks import random_walks

__all__ = ["explore", "Options", "Progress", "STRATEGIES", "ENGINES"]

STRATEGIES = ("bfs", "dfs", "random")
ENGINES = ("local", "ray")


def explore(
    spec: Spec | str,
    strategy: str = "bfs",
    *,
    depth: int | None = None,
    max_states: int | None = None,
    time_limit: float | None = None,
    keep_going: bool = False,
    deadlock: bool | None = None,
    walks: int = 1000,
    seed: int | None = None,
    exact: bool = False,
    symmetry: bool = False,
    workers: int = 1,
    engine: str = "local",
    address: str | None = None,
    memory_limit: int | None = None,
    checkpoint: str | None = None,
    checkpoint_every: float = 60.0,
    resume: str | None = None,
    progress: ProgressFn | None = None,
) -> Result:
    """Explore ``spec`` (a spec object, or a reference such as ``"twophase"`` or
    ``"./my.py:MySpec"`` built with its defaults) with ``strategy`` (``bfs``, ``dfs`` or
    ``random``) and return the Result.

    ``depth`` bounds the length of explored paths (required shape for random walks:
    each walk is at most ``depth`` steps, 50 when not given).  ``keep_going``
    continues past a violation to find the first violation of every invariant.
    ``symmetry`` deduplicates states equal up to the spec's declared symmetry;
    ``workers`` > 1 or ``engine="ray"`` runs a parallel, level-synchronous BFS that
    finds the same states and the same shortest traces.  ``memory_limit`` (bytes; None:
    85% of the memory available at the start, 0: none) stops the run with its partial
    summary rather than letting the machine kill it.  ``checkpoint`` (a directory) saves
    an in-process BFS every ``checkpoint_every`` seconds and when it stops early;
    ``resume`` continues one.
    """
    spec = spec_of(spec)
    if strategy not in STRATEGIES:
        raise SpecError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if engine not in ENGINES:
        raise SpecError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    parallel = workers > 1 or engine == "ray"
    if parallel and strategy != "bfs":
        raise SpecError(f"--workers and --engine ray run breadth-first search only, not {strategy}")
    if (checkpoint or resume) and (strategy != "bfs" or parallel):
        raise SpecError("--checkpoint and --resume work with the in-process breadth-first search "
                        "(no --strategy dfs/random, --workers or --engine ray)")
    if symmetry and strategy == "random":
        raise SpecError("--symmetry reduces the exhaustive searches (bfs, dfs); random walks keep no "
                        "visited set to reduce, so run them without it")
    if address is not None and engine != "ray":
        raise SpecError("--address names a Ray cluster; use it with --engine ray")
    for name, value, low in (("depth", depth, 0), ("max_states", max_states, 1), ("walks", walks, 1),
                             ("workers", workers, 1)):
        if value is not None and value < low:
            raise SpecError(f"{name} must be >= {low}, not {value}")
    if strategy == "random":
        import random as _random

        if seed is None:
            seed = _random.SystemRandom().randrange(2**32)
        options = Options(depth=50 if depth is None else depth, max_states=max_states,
                          time_limit=time_limit, keep_going=keep_going, deadlock=deadlock,
                          seed=seed, walks=walks, symmetry=symmetry, memory_limit=memory_limit)
        return random_walks(spec, options, progress)
    options = Options(depth=depth, max_states=max_states, time_limit=time_limit,
                      keep_going=keep_going, deadlock=deadlock, seed=seed, symmetry=symmetry,
                      workers=workers, engine=engine, address=address, memory_limit=memory_limit,
                      checkpoint=checkpoint, checkpoint_every=checkpoint_every, resume=resume)
    if parallel:
        from .parallel import parallel_bfs  # multiprocessing / Ray only when asked for

        return parallel_bfs(spec, options, progress, exact=exact)
    if strategy == "dfs":
        return dfs(spec, options, progress, exact=exact)
    return bfs(spec, options, progress, exact=exact)
