"""The ``modelcheck`` command: list, explore, fuzz, show, replay, graph, simulate, zoo.

Thin by design: parse the words, build the spec through the registry, run a
strategy, hand the result to the trace store and the renderers.
Exit codes: 0 no violation, 1 violation found, 2 usage or spec error.
"""

from __future__ import annotations

import json
import math
import os
import sys
from typing import Any

import click
from click.core import ParameterSource

from . import registry
from .console import Output, ProgressDisplay, StatusLine, plain_table, print_summary, result_to_dict
from .explore import ENGINES, STRATEGIES, explore as run_explore
from .explore.run import explanation, rebuild, shown
from .graph import DEFAULT_MAX_STATES as DEFAULT_GRAPH_STATES, FORMATS as GRAPH_FORMATS, export as export_graph
from .graph import graph_summary, state_graph
from .spec import SpecError
from .styled import Line
from .trace.format import TraceFileError, encode_state, read_trace, too_deep
from .trace.render import render_trace
from .trace.store import DEFAULT_DIR, save_trace, write_atomic

EXIT_USAGE = 2
EXIT_ABORTED = 130  # as a shell reports a process ended by Ctrl-C; 1 means a violation
SHOW_FORMATS = ("text", "mermaid", "html")


def _out() -> Output:
    return Output()


def _err() -> Output:
    return Output(stderr=True)


def error_line(message: str) -> None:
    """``error: message`` on stderr."""
    _err().print(Line(("error:", "bold red"), f" {message}"))


def fail(message: str) -> None:
    """A user mistake: one line on stderr, exit 2, no traceback."""
    error_line(message)
    sys.exit(EXIT_USAGE)


class Printing:
    """Around what a command prints, so its exit status stays its own: a reader that
    stops reading (``| head``) leaves it as it is (click would exit 1, which says a
    violation was found), and output that cannot be written (a full disk) is recorded
    in ``error`` for an error line and status 2."""

    error: str | None = None

    def __enter__(self) -> "Printing":
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        try:
            if exc is None and sys.stdout is not None:
                sys.stdout.flush()
        except OSError as late:
            exc = late
        if isinstance(exc, BrokenPipeError):  # nothing more is read, nor left to flush at exit
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
            return True
        if isinstance(exc, OSError):
            self.error = f"cannot write the output: {exc.strerror or exc}"
            return True
        return False

    def exit(self, code: int) -> None:
        """Exit with ``code``; after an error, its line first, and status 2 unless ``code``
        already says more (a violation's 1)."""
        if self.error:
            error_line(self.error)
            code = code or EXIT_USAGE
        sys.exit(code)


def parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key.strip():
            fail(f"parameter {pair!r} is not of the form name=value (e.g. -p nodes=3)")
        key, value = key.strip(), value.strip()
        if params.get(key, value) != value:  # rather than let the last one win without a word
            fail(f"parameter {key!r} is given twice (-p {key}={params[key]}, -p {key}={value}); give it once")
        params[key] = value
    return params


def _options(*decorators):
    """Several click options as one decorator, so commands share them instead of repeating them."""

    def apply(fn):
        for deco in reversed(decorators):
            fn = deco(fn)
        return fn

    return apply


#: SPEC's parameters and fault model, for every command that builds a spec
spec_options = _options(
    click.argument("spec"),
    click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
                 help="Set a spec parameter (repeatable), e.g. -p servers=5 -p bug=no-voted-for-check."),
    click.option("--faults", default=None, metavar="FAULTS",
                 help="Fault model for actor protocols, e.g. drop,dup,crash=1,partition=1,skew=2."),
)

#: how a checking run reports: JSON or text, where its counterexamples go, progress
report_options = _options(
    click.option("--json", "as_json", is_flag=True, help="Print the result as JSON."),
    click.option("--out", "out_dir", default=DEFAULT_DIR, show_default=True,
                 help="Where counterexamples are saved."),
    click.option("--no-save", is_flag=True, help="Do not save counterexamples."),
    click.option("--quiet", "-q", is_flag=True, help="No progress display."),
)



class MemorySize(click.ParamType):
    """``8G``, ``512M``, ``100000`` (bytes) or ``0`` (no limit)."""

    name = "size"
    UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().upper().removesuffix("B").removesuffix("I")
        unit = text[-1:] if text[-1:] in self.UNITS and not text[-1:].isdigit() else ""
        try:
            number = float(text[:-1] if unit else text)
        except ValueError:
            self.fail(f"{value!r} is not a size like 8G, 512M or 0", param, ctx)
        if not math.isfinite(number * self.UNITS[unit]):
            self.fail(f"{value!r} is not a size like 8G, 512M or 0 (a finite number)", param, ctx)
        if number < 0:
            self.fail(f"{value!r} is negative", param, ctx)
        return int(number * self.UNITS[unit])


class Seconds(click.FloatRange):
    """A duration in seconds: a finite number above 0 (``nan`` would pass the range check,
    and neither it nor ``inf`` is JSON)."""

    def __init__(self, unset: str = "no limit") -> None:
        super().__init__(min=0, min_open=True)
        self.unset = unset  # what leaving the option out means

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        seconds = super().convert(value, param, ctx)
        if not math.isfinite(seconds):
            self.fail(f"{value!r} is not a finite number of seconds (leave the option out for {self.unset})",
                      param, ctx)
        return seconds


def fix_hash_seed() -> None:
    """Checkpoints store string hashes, which CPython salts per process unless PYTHONHASHSEED
    is set: run this command again in a process with a fixed seed (once)."""
    if os.environ.get("PYTHONHASHSEED") not in (None, "random"):
        return
    env = dict(os.environ, PYTHONHASHSEED="0")
    # the same modelcheck again: this one's folder in the working directory (python -m in
    # a checkout), or else not the working directory first on sys.path (-P), where a
    # folder named modelcheck would be imported instead of the tool
    home = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    here = os.path.realpath(home) == os.path.realpath(os.getcwd())
    os.execve(sys.executable, [sys.executable, *([] if here else ["-P"]), "-m", "modelcheck", *sys.argv[1:]], env)


_NO_ARGS = getattr(click.exceptions, "NoArgsIsHelpError", ())  # click >= 8.2


class _Commands(click.Group):
    """The command group, with click's own usage errors (a bad option value, a missing
    argument) reported in one line like modelcheck's: ``error: ...; see '... --help'``."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as exc:
            if isinstance(exc, _NO_ARGS):  # bare `modelcheck`: click's help, as click shows it
                exc.show()
                sys.exit(exc.exit_code)
            where = f"; see '{exc.ctx.command_path} --help'" if exc.ctx is not None else ""
            fail(exc.format_message().rstrip(".") + where)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:  # Ctrl-C outside a search (which stops with its summary)
            click.echo("Aborted!", err=True)
            sys.exit(EXIT_ABORTED)
        except RecursionError as exc:  # a state nested deeper than the limit, met by some walk of
            # it (JSON, graph export, shrinking), or a spec's function calling itself without end
            from .explore.run import where

            fail(f"Python's recursion limit ({sys.getrecursionlimit():,}) was reached{where(exc)}: a state "
                 "nested that deep (flatten it: a tuple of items rather than nested pairs), or a function "
                 "of the spec that calls itself without end")
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="modelcheck")
def main() -> None:
    """modelcheck: exhaustive and sampled checking of distributed protocols."""


@main.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the library as JSON.")
def list_specs(as_json: bool) -> None:
    """Every spec in the library: parameters (defaults), invariants, bug variants."""
    try:
        specs = registry.library()
    except SpecError as exc:
        fail(str(exc))
    rows = []
    for name, cls in specs.items():
        rows.append({
            "name": name,
            "summary": (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else "",
            "params": {p: prm.default for p, prm in cls.param_specs().items() if p != "bug"},
            "invariants": cls.property_names("invariant"),
            "sometimes": cls.property_names("sometimes"),
            "bugs": dict(cls.bugs),
        })
    with Printing() as printing:
        _print_library(rows, as_json)
    printing.exit(0)


def _print_library(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    table = plain_table(show_lines=True)
    for col in ("spec", "parameters (defaults)", "invariants", "bug variants (-p bug=NAME)"):
        table.add_column(col)
    for row in rows:
        table.add_row(
            Line((row["name"], "bold"), f"\n{row['summary']}"),
            "\n".join(f"{k}={v}" for k, v in row["params"].items()),
            "\n".join(row["invariants"] + [f"sometimes {s}" for s in row["sometimes"]]),
            "\n".join(f"{k}: {v}" for k, v in row["bugs"].items()) or "-",
        )
    _out().rich.print(table)


@main.command()
@spec_options
@click.option("--strategy", "-s", type=click.Choice(STRATEGIES), default="bfs", show_default=True)
@click.option("--depth", "-d", type=click.IntRange(min=0), default=None,
              help="Bound on path length (default: none; 50 for random walks).")
@click.option("--max-states", type=click.IntRange(min=1), default=None,
              help="Stop once this many distinct states are found (the expansion that reaches the "
                   "count finishes, so the summary may show a few more).")
@click.option("--time-limit", type=Seconds(), default=None,
              help="Stop after this many seconds.")
@click.option("--walks", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Number of random walks (--strategy random).")
@click.option("--seed", type=int, default=None, help="Seed for random walks (default: a fresh one, reported).")
@click.option("--keep-going", "--continue", "keep_going", is_flag=True,
              help="Go on after a violation, to find the first violation of every invariant.")
@click.option("--deadlock/--no-deadlock", default=None, help="Report states with no enabled transition.")
@click.option("--exact", is_flag=True, help="Store whole states instead of 64-bit fingerprints.")
@click.option("--symmetry", is_flag=True,
              help="Visit states equal up to the spec's declared symmetry (e.g. interchangeable nodes) once.")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=None,
              help="Processes for a parallel breadth-first search (same states, same shortest traces) "
                   "[default: 1; --engine ray: required].")
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True,
              help="Where a parallel search runs: this machine, or a Ray cluster.")
@click.option("--address", default=None, help="Ray cluster address (--engine ray; default: start a local one).")
@click.option("--memory-limit", type=MemorySize(), default=None,
              help="Stop with the partial summary past this much memory, e.g. 8G (default: 85% of "
                   "what is available at the start; 0: none); with --workers, of all processes.")
@click.option("--checkpoint", "checkpoint", default=None, metavar="DIR",
              help="Save the search in DIR now and then and when it stops early (BFS).")
@click.option("--checkpoint-every", type=Seconds("the default, 60"), default=60.0,
              show_default=True, help="Seconds between checkpoints.")
@click.option("--resume", default=None, metavar="DIR", help="Continue the search saved in DIR.")
@report_options
def explore(spec: str, params: tuple[str, ...], faults: str | None, strategy: str, depth: int | None,
            max_states: int | None, time_limit: float | None, walks: int, seed: int | None,
            keep_going: bool, deadlock: bool | None, exact: bool, symmetry: bool, workers: int | None,
            engine: str, address: str | None, memory_limit: int | None, checkpoint: str | None,
            checkpoint_every: float, resume: str | None, as_json: bool, out_dir: str,
            no_save: bool, quiet: bool) -> None:
    """Explore SPEC (a library name, ./file.py[:Class] or module:Class) and check its invariants."""
    if seed is not None and strategy != "random":  # rather than show a seed that changed nothing
        fail(f"--seed sets the walks of --strategy random; {strategy} is deterministic, so drop --seed")
    if strategy != "random" and _given("walks"):
        fail(f"--walks sets the number of random walks (--strategy random); {strategy} explores every "
             "state, so drop --walks")
    if checkpoint is None and resume is None and _given("checkpoint_every"):
        fail("--checkpoint-every sets how often --checkpoint DIR saves; give --checkpoint DIR too")
    if resume is not None and checkpoint is None:  # go on saving where it was saved, or lose the progress
        checkpoint = resume
    cpus = os.cpu_count() or 1
    if workers is not None and engine == "local" and workers > max(cpus, 2):
        fail(f"--workers {workers}: this machine has {cpus} CPUs, and more processes than CPUs only slow "
             f"the search down; use at most {max(cpus, 2)}")
    if workers is None and engine == "ray":  # one Ray worker would be a slow serial search
        fail("--engine ray shards the search across --workers N Ray workers; give N (e.g. --workers 8)")
    if (checkpoint or resume) and not exact:
        fix_hash_seed()
    the_spec = build_spec(spec, params, faults)
    check_and_report(the_spec, lambda progress: run_explore(
        the_spec, strategy, depth=depth, max_states=max_states, time_limit=time_limit, keep_going=keep_going,
        deadlock=deadlock, walks=walks, seed=seed, exact=exact, symmetry=symmetry, workers=workers or 1,
        engine=engine, address=address, memory_limit=memory_limit, checkpoint=checkpoint,
        checkpoint_every=checkpoint_every, resume=resume, progress=progress),
        as_json, quiet, out_dir, no_save)


@main.command()
@spec_options
@click.option("--examples", "-n", type=click.IntRange(min=1), default=100, show_default=True,
              help="Number of schedules Hypothesis draws.")
@click.option("--max-steps", type=click.IntRange(min=0), default=50, show_default=True,
              help="Longest schedule, in steps.")
@click.option("--seed", type=int, default=None, help="Seed (default: a fresh one, reported); same seed, same run.")
@report_options
def fuzz(spec: str, params: tuple[str, ...], faults: str | None, examples: int, max_steps: int,
         seed: int | None, as_json: bool, out_dir: str, no_save: bool, quiet: bool) -> None:
    """Fuzz SPEC with Hypothesis: sampled schedules, the first failure shrunk until no single
    step can be removed, then a shorter path looked for by a small bounded BFS (the shortest
    trace when that search can finish; explore's BFS always gives the shortest)."""
    from .fuzz import fuzz as run_fuzz  # Hypothesis is imported only by this command

    the_spec = build_spec(spec, params, faults)
    check_and_report(the_spec, lambda progress: run_fuzz(
        the_spec, examples=examples, max_steps=max_steps, seed=seed, progress=progress),
        as_json, quiet, out_dir, no_save)


def _given(option: str) -> bool:
    """Whether the user gave ``option`` (a parameter's name), rather than its default."""
    return click.get_current_context().get_parameter_source(option) is not ParameterSource.DEFAULT


def build_spec(ref: str, params: tuple[str, ...], faults: str | None) -> Any:
    """The spec a command names, or a one-line error and exit 2."""
    if faults is not None and not faults.strip(" ,"):  # registry.build would take it as the default
        fail(f"--faults {faults!r} names no fault; give a fault model such as drop,crash=1, or none")
    try:
        return registry.build(ref, parse_params(params), faults=faults)
    except SpecError as exc:
        fail(str(exc))


def check_and_report(spec: Any, check: Any, as_json: bool, quiet: bool, out_dir: str, no_save: bool) -> None:
    """Run ``check(progress)`` with the progress display, then save and print its Result."""
    if no_save and _given("out_dir"):
        fail("--out names where counterexamples are saved, and --no-save saves none; drop one")
    display = None if (quiet or as_json) else ProgressDisplay(_err())
    try:
        result = check(display)
    except SpecError as exc:
        fail(str(exc))
    finally:
        if display is not None:
            display.close()
    _report(spec, result, as_json, out_dir, no_save)


def _report(spec: Any, result: Any, as_json: bool, out_dir: str, no_save: bool) -> None:
    traces = list(result.violations) + ([result.error] if result.error is not None else [])
    save_error = None
    if not no_save:
        for trace in traces:
            try:
                result.saved.append(str(save_trace(trace, out_dir)))
            except OSError as exc:  # the run's result is printed all the same, then this error
                save_error = f"cannot save the counterexample under {out_dir!r}: {exc}"
                break
            except TraceFileError as exc:  # a state JSON cannot hold
                save_error = str(exc)
                break
    save_error = save_error or result.stats.get("checkpoint_error")
    # a file that could not be written is the tool's failure (2), unless the run found a
    # violation: its verdict (1) stands, and the counterexample is printed in full above;
    # after Ctrl-C too (130 would send a script on to resume a checkpoint never saved)
    code = result.exit_code if not save_error or result.exit_code in (1, 2) else EXIT_USAGE
    if as_json:
        try:
            with too_deep("cannot write the result as JSON"):
                text = json.dumps({**result_to_dict(result), "exit_code": code}, indent=1, default=str)
        except TraceFileError as exc:  # a state JSON cannot hold: no JSON to print, but the status stands
            error_line(str(exc))
            sys.exit(code or EXIT_USAGE)
        with Printing() as printing:
            click.echo(text)
        print_error = printing.error
    else:
        print_error = _print_result(spec, result, traces)
    for problem in (save_error, print_error):  # as a file that could not be written
        if problem:
            error_line(problem)
            code = code or EXIT_USAGE
    sys.exit(code)


def _print_result(spec: Any, result: Any, traces: list) -> str | None:
    """Each counterexample, readably, then the summary and where the traces were saved;
    the error of printing, if any (see :class:`Printing`)."""
    from .trace.format import trace_to_dict

    # the spec's own words first, so that while printing only printing can fail
    notes = [(type(spec).describe_property(t.property), explanation(spec, t.property, t.last_state))
             if t.kind == "invariant" else (None, None) for t in traces]
    kinds = tuple(getattr(spec, "action_kinds", lambda: ())())
    with Printing() as printing:
        out = _out()
        for trace, (desc, why) in zip(traces, notes):
            try:
                lines = render_trace(trace_to_dict(trace), desc, why)
            except TraceFileError as exc:  # a state JSON cannot hold: the summary still follows
                lines = [Line(f"({trace.kind} trace of {len(trace.steps)} steps not shown: {exc})")]
            for line in lines:
                out.print(line)
            out.print()
        print_summary(out, result, kinds)
        for path in result.saved:
            out.print(f"counterexample saved: {path}")
    return printing.error


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the trace file's JSON, validated.")
@click.option("--format", "fmt", type=click.Choice(SHOW_FORMATS), default="text", show_default=True,
              help="text: numbered steps and changes; mermaid: a Mermaid sequenceDiagram; "
                   "html: one self-contained page with a sequence chart and a step slider.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write to this file (atomically) instead of stdout; for html, default FILE's name with .html.")
def show(file: str, as_json: bool, fmt: str, output: str | None) -> None:
    """Print a saved counterexample readably: each step, then what changed."""
    if as_json and _given("fmt"):
        fail(f"--json prints the trace file's JSON and --format {fmt} a rendering of it; give one of them")
    try:
        data = read_trace(file)
    except TraceFileError as exc:
        fail(str(exc))
    desc, why = (None, None) if as_json else _property_notes(data, file)
    if as_json:
        text = json.dumps(data, indent=1) + "\n"
    elif fmt == "text" and output is None:
        with Printing() as printing:
            out = _out()
            for line in render_trace(data, desc, why):
                out.print(line)
        printing.exit(0)
    elif fmt == "text":
        text = "\n".join(line.plain for line in render_trace(data, desc, why)) + "\n"
    elif fmt == "mermaid":
        from .trace.mermaid import trace_to_mermaid

        text = trace_to_mermaid(data, desc, why)
    else:
        from .trace.html import trace_to_html

        text = trace_to_html(data, desc, why)
        output = output or os.path.splitext(os.path.basename(file))[0] + ".html"
    if output is None:
        with Printing() as printing:
            click.echo(text, nl=False)
        printing.exit(0)
    if os.path.exists(output) and os.path.samefile(output, file):
        fail(f"-o {output!r} is the trace file itself; write the {fmt if not as_json else 'JSON'} elsewhere")
    try:
        write_atomic(output, text)
    except OSError as exc:
        fail(f"cannot write {output!r}: {exc}")
    _err().print(f"wrote {output}")


def _property_notes(data: dict[str, Any], file: str) -> tuple[str | None, str | None]:
    """The violated property's description and, when the spec can be rebuilt and re-executes
    the trace to the same last state, its explanation of the witnesses (Spec.explain)."""
    from .replay import spec_from_trace, spec_reference

    try:
        cls = registry.resolve(spec_reference(data, file))
        desc = cls.describe_property(data["property"]) if data["kind"] in ("invariant", "example") else None
    except SpecError as exc:  # the file is readable without its spec; say what is missing
        click.echo(f"note: {exc}; the trace is shown without its property's description", err=True)
        return None, None
    except KeyError:
        return None, None
    if data["kind"] != "invariant":
        return desc, None
    try:
        spec = spec_from_trace(data, file)
        trace = rebuild(spec, "invariant", data["property"], data["initial"]["index"],
                        [step["index"] for step in data["steps"]], strategy="replay", seed=None)
        last = data["steps"][-1]["state"] if data["steps"] else data["initial"]["state"]
        if encode_state(shown(spec, trace.last_state)) != last:
            return desc, None  # the spec changed: its explanation would be of another state
        return desc, explanation(spec, data["property"], trace.last_state)
    except Exception:  # a changed or broken spec: show the trace without witnesses
        return desc, None


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
def replay(file: str) -> None:
    """Re-execute a saved counterexample against the current spec.

    Exit 1: the violation reproduces; 0: the trace runs but no longer violates;
    3: the spec diverges from the trace (step not enabled, different state, another
    error than recorded); 2: bad file.
    """
    from .replay import replay as run_replay, spec_from_trace

    try:
        data = read_trace(file)
        spec = spec_from_trace(data, file)
        outcome = run_replay(data, spec)
    except TraceFileError as exc:
        fail(str(exc))
    except SpecError as exc:
        fail(f"{file}: {exc}")
    style = {"reproduced": "bold red", "fixed": "bold green", "diverged": "bold yellow"}[outcome.outcome]
    with Printing() as printing:
        _out().print(Line((outcome.outcome, style), f": {outcome.message}"))
    printing.exit(outcome.exit_code)


@main.command()
@spec_options
@click.option("--format", "fmt", type=click.Choice(GRAPH_FORMATS), default="dot", show_default=True,
              help="dot (Graphviz), graphml (Gephi, yEd, Cytoscape) or json.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write the graph to this file (atomically) instead of stdout.")
@click.option("--max-states", type=click.IntRange(min=1), default=DEFAULT_GRAPH_STATES, show_default=True,
              help="Give up beyond this many states (the graph is for small models).")
def graph(spec: str, params: tuple[str, ...], faults: str | None, fmt: str, output: str | None,
          max_states: int) -> None:
    """Export the reachable state graph of SPEC as DOT, GraphML or JSON.

    Nodes are states (initial and violating ones marked), edges are actions; the
    statistics go to stderr, or to stdout when --output is given.  Exit 2 when the
    model has more than --max-states states.
    """
    the_spec = build_spec(spec, params, faults)
    try:
        g = state_graph(the_spec, max_states)
    except SpecError as exc:
        fail(str(exc))
    text = export_graph(g, fmt)
    summary = graph_summary(g)
    if output is None:
        with Printing() as printing:
            click.echo(text, nl=False)
        if not printing.error:
            _err().print(summary)
        printing.exit(0)
    target = registry.split(spec)[0]
    if registry.is_file(target) and os.path.exists(output) and os.path.exists(target) \
            and os.path.samefile(output, target):
        fail(f"-o {output!r} is the spec file itself; write the graph elsewhere")
    try:
        write_atomic(output, text)
    except OSError as exc:
        fail(f"cannot write {output!r}: {exc}")
    _out().print(summary)
    _out().print(f"wrote {output}")


@main.command()
@spec_options
@click.option("--steps", "-n", type=click.IntRange(min=0), default=30, show_default=True,
              help="Stop after this many steps.")
@click.option("--seed", type=int, default=None, help="Seed (default: a fresh one, printed); same seed, same run.")
def simulate(spec: str, params: tuple[str, ...], faults: str | None, steps: int, seed: int | None) -> None:
    """Run SPEC once, choosing each step at random, and print the run as a timeline.

    Marks when a @sometimes property becomes true (a leader is elected...) and stops at
    a violated invariant (exit 1), with the spec's explanation.
    """
    from .simulate import render_simulation, simulate as run_simulation

    the_spec = build_spec(spec, params, faults)
    try:
        sim = run_simulation(the_spec, steps, seed)
    except SpecError as exc:
        fail(str(exc))
    with Printing() as printing:
        out = _out()
        for line in render_simulation(sim):
            out.print(line)
    printing.exit(sim.exit_code)


@main.command()
@click.option("--markdown", is_flag=True, help="Print Markdown tables (for README) instead of rich tables.")
@click.option("--only", "only", multiple=True, metavar="NAME",
              help="Only this library spec (repeatable); default: every spec.")
@click.option("--time-limit", type=Seconds("the default, 60"), default=60.0, show_default=True,
              help="Seconds allowed to each exploration.")
def zoo(markdown: bool, only: tuple[str, ...], time_limit: float) -> None:
    """Check the whole library with BFS: every spec at its defaults, every bug variant found.

    Prints two tables (specs; bug variants) under the command line that regenerates them.
    Bug variants run under the spec's default faults, then that plus one crash.
    Exit 1 if a correct spec has a violation or a bug variant is not found, else 0; Ctrl-C
    stops it with the rows so far (130).
    """
    import time

    from . import zoo as zoo_mod

    # a line per check in a log; on a terminal the live line at once (the first check may be long)
    status, start = StatusLine(_err(), every=0, after=0), time.monotonic()
    try:
        found = zoo_mod.run_zoo(only, time_limit,
                                lambda doing: status.show(f"zoo: {doing}", time.monotonic() - start))
    except SpecError as exc:
        fail(str(exc))
    finally:
        status.close()
    command = zoo_mod.command_line(markdown, only, time_limit)
    titles = ("Specs at their default parameters and fault model",
              "Bug variants (-p bug=NAME): default faults, else default plus one crash")
    tables = ((zoo_mod.SPEC_COLUMNS, [r.cells() for r in found.specs], (3, 4, 5)),
              (zoo_mod.BUG_COLUMNS, [r.cells() for r in found.bugs], (4, 5)))
    with Printing() as printing:
        if markdown:
            lines = [f"Generated by `{command}` (BFS, at most {time_limit:g} s per exploration):"]
            for title, (columns, rows, right) in zip(titles, tables):
                lines += ["", f"{title}:", "", "| " + " | ".join(columns) + " |",
                          "|" + "|".join("---:" if i in right else "---" for i in range(len(columns))) + "|"]
                lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
            click.echo("\n".join(lines))
        else:
            out = _out().rich
            out.print(f"$ {command}", markup=False)
            for title, (columns, rows, right) in zip(titles, tables):
                table = plain_table(title=title)
                for i, col in enumerate(columns):
                    table.add_column(col, justify="right" if i in right else "left")
                for row in rows:
                    table.add_row(*row, style=None if "NOT FOUND" not in row[2] else "bold red")
                out.print(table)
    if found.interrupted:
        click.echo(f"zoo: interrupted by Ctrl-C; {found.skipped} of the checks not run", err=True)
    printing.exit(found.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
