"""The counterexample file format (JSON, versioned) and the encoding of states into it.

Format ``modelcheck.trace`` version 1, one JSON object::

    {
      "format": "modelcheck.trace", "version": 1,
      "spec": "raft-election",            # library name, ./file.py[:Class] or module:Class
      "spec_file": "../file.py",          # only for a spec file: where it is from this file's folder
      "module_file": "../tests/m.py",     # only for module:Class: its module's file, from this folder
                                          # (replay loads it when the module does not import by name)
      "params": {"servers": 3, ...},      # every parameter, defaults included
      "faults": {"crashes": 1, ...},      # the fault model ({} for plain specs)
      "kind": "invariant",                # invariant | deadlock | error | example
      "property": "election_safety",      # the invariant (or reachability property)
      "strategy": "bfs", "seed": null,    # how it was found
      "error": null,                      # for kind=error: what the spec raised
      "length": 7,                        # number of steps
      "initial": {"index": 0, "state": {...}},
      "steps": [{"action": "n1 timeout election", "index": 2, "state": {...}}, ...]
    }

``index`` is the position of the step among the transitions enabled in the state
before it (for the initial state: among the initial states), which is what replay
re-executes; ``action`` and ``state`` let a person read the file and let replay say
precisely where a changed spec diverges.  States are encoded as JSON: named tuples
and attrs classes as objects, tuples as arrays, sets as sorted arrays.
"""

from __future__ import annotations

import contextlib
import enum
import json
import sys
from typing import Any, Iterator

from .model import Trace

__all__ = ["FORMAT", "VERSION", "TraceFileError", "encode_state", "trace_to_dict", "read_trace", "parse_trace"]

FORMAT = "modelcheck.trace"
VERSION = 1
KINDS = ("invariant", "deadlock", "error", "example")


class TraceFileError(Exception):
    """A file is not a usable counterexample (missing, truncated, corrupted, foreign)."""


def encode_state(value: Any) -> Any:
    """A JSON value for a state: stable (sets sorted) and readable (fields named)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    fields = getattr(value, "_fields", None)
    if fields is not None and isinstance(value, tuple):
        return {f: encode_state(v) for f, v in zip(fields, value)}
    attrs_fields = getattr(type(value), "__attrs_attrs__", None)
    if attrs_fields is not None:
        return {f.name: encode_state(getattr(value, f.name)) for f in attrs_fields}
    dataclass_fields = getattr(type(value), "__dataclass_fields__", None)
    if dataclass_fields is not None and not isinstance(value, type):  # not repr: sets in it sorted
        return {name: encode_state(getattr(value, name)) for name in dataclass_fields}
    if isinstance(value, (tuple, list)):
        return [encode_state(v) for v in value]
    if isinstance(value, (frozenset, set)):
        items = [encode_state(v) for v in value]
        return sorted(items, key=_sort_key)
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: encode_state(value[k]) for k in sorted(value)}
        return sorted(([encode_state(k), encode_state(v)] for k, v in value.items()), key=_sort_key)
    if isinstance(value, enum.Enum):
        return value.name
    if hasattr(value, "__json__"):
        return value.__json__()
    return repr(value)


def _sort_key(item: Any) -> str:
    return json.dumps(item, sort_keys=True)


@contextlib.contextmanager
def too_deep(what: str) -> Iterator[None]:
    """A state nested deeper than Python's recursion limit (about 1,000 levels) cannot be
    written or read as JSON: a one-line TraceFileError saying ``what``, not a traceback.
    (Raising the limit is no way out: json's C parser recurses on the C stack.)"""
    try:
        yield
    except RecursionError:
        raise TraceFileError(f"{what}: a state is nested too deeply (more than about "
                             f"{sys.getrecursionlimit():,} levels)") from None


def trace_to_dict(trace: Trace) -> dict[str, Any]:
    with too_deep("cannot write the trace"):
        return _trace_to_dict(trace)


def _trace_to_dict(trace: Trace) -> dict[str, Any]:
    shown = trace.shown_states
    return {
        "format": FORMAT,
        "version": VERSION,
        "spec": trace.spec,
        "params": _plain(trace.params),
        "faults": _plain(trace.faults),
        "kind": trace.kind,
        "property": trace.property,
        "strategy": trace.strategy,
        "seed": trace.seed,
        "error": trace.error,
        "length": len(trace.steps),
        "initial": {"index": trace.initial_index, "state": encode_state(shown[0])},
        "steps": [
            {"action": s.label, "index": s.index, "state": encode_state(state)}
            for s, state in zip(trace.steps, shown[1:])
        ],
    }


def _plain(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: encode_state(v) for k, v in mapping.items()}


def read_trace(path: str) -> dict[str, Any]:
    """Load and validate a counterexample file; TraceFileError with one clear line otherwise."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise TraceFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise TraceFileError(f"{path}: is a directory, not a counterexample file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TraceFileError(f"{path}: cannot be read ({exc})") from None
    return parse_trace(text, path)


def parse_trace(text: str, where: str = "<trace>") -> dict[str, Any]:
    try:
        with too_deep(where):
            data = json.loads(text)
    except json.JSONDecodeError as exc:
        if not text.strip():
            raise TraceFileError(f"{where}: empty; not a counterexample") from None
        body = text.strip()
        what = "truncated" if body.startswith("{") and not body.endswith("}") else "not valid JSON"
        raise TraceFileError(
            f"{where}: {what} (line {exc.lineno}, column {exc.colno}); not a readable counterexample"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise TraceFileError(f"{where}: not a modelcheck counterexample (no \"format\": \"{FORMAT}\")")
    version = data.get("version")
    if version != VERSION:
        raise TraceFileError(
            f"{where}: counterexample format version {version!r}; this modelcheck reads version {VERSION}"
        )
    problems = _check_shape(data)
    if problems:
        raise TraceFileError(f"{where}: corrupted counterexample: {problems}")
    return data


def _check_shape(data: dict[str, Any]) -> str | None:
    for key, typ in (("spec", str), ("params", dict), ("faults", dict), ("kind", str),
                     ("property", str), ("initial", dict), ("steps", list)):
        if not isinstance(data.get(key), typ):
            return f"field {key!r} is missing or not a {typ.__name__}"
    if data["kind"] not in KINDS:
        return f"unknown kind {data['kind']!r}"
    if data["kind"] == "error" and not isinstance(data.get("error"), str):
        return "kind 'error' needs 'error', the message the spec raised"
    if not isinstance(data["initial"].get("index"), int) or "state" not in data["initial"]:
        return "field 'initial' needs an integer 'index' and a 'state'"
    for n, step in enumerate(data["steps"], 1):
        if not (isinstance(step, dict) and isinstance(step.get("index"), int)
                and isinstance(step.get("action"), str) and "state" in step):
            return f"step {n} needs 'action' (text), 'index' (integer) and 'state'"
        if step["index"] < 0:
            return f"step {n} has a negative index"
    if data.get("length") not in (None, len(data["steps"])):
        return f"says length {data['length']} but holds {len(data['steps'])} steps"
    return None
