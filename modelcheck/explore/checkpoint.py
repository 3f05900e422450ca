"""Checkpoints of a breadth-first search, so a long run can stop and later go on.

A checkpoint is one file, ``DIR/checkpoint.pickle``, replaced atomically (written
beside it, flushed, then renamed), so a crash while saving leaves the previous one.
It holds what the search loop needs to continue exactly where it was: the visited
fingerprints, parent links, the queue of states still to expand, the counters, and
the verdicts and traces found so far; plus what it was a search *of* (spec reference,
parameters, faults, fingerprint and symmetry settings, depth bound, deadlock checking),
which ``--resume`` checks against the spec and options it is given: the states expanded
before the checkpoint were searched to that bound and checked (or not) for deadlock, and
that cannot be redone.

Fingerprints are ``hash()`` values, and CPython salts the hash of strings per process:
a checkpoint of fingerprints is only valid in a process with the same salt.  So
checkpointing needs a fixed ``PYTHONHASHSEED`` (the ``modelcheck`` command sets one
itself) and every checkpoint records a probe hash that resuming compares.  Before
Python 3.12, ``hash(None)`` is None's address, different in every process, so there a
checkpointed run fingerprints states with ``stable_fingerprint`` (slower; see
fingerprint.py).  ``--exact`` runs store whole states and have no such restriction (the
states of a file spec unpickle in any process: registry.py names its module after its path).
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
import time
from typing import Any, Callable

from ..registry import is_file, reference, split
from ..spec import Spec, SpecError

__all__ = ["Checkpointer", "load_checkpoint", "FILE", "hash_probe", "require_stable_hash"]

FILE = "checkpoint.pickle"
FORMAT, VERSION = "modelcheck.checkpoint", 2


def hash_probe() -> int:
    """A hash that differs between processes with different string-hash salts."""
    return hash(("modelcheck", "checkpoint probe"))


def require_stable_hash(exact: bool) -> None:
    """Refuse to checkpoint fingerprints that a later process could not reproduce."""
    if exact or not sys.flags.hash_randomization:
        return
    raise SpecError("checkpoints of fingerprints need a fixed hash seed: set PYTHONHASHSEED "
                    "(e.g. PYTHONHASHSEED=0; the modelcheck command sets it itself) or use --exact")


def _source(spec: Spec) -> str:
    """A digest of the source files of the spec's class and its bases (its module, the
    actor layer...): a search saved from other code is another search, even under the
    same name and parameters, and resuming it could report what the new code never checked."""
    import hashlib

    files = set()
    for cls in type(spec).__mro__:
        module = sys.modules.get(cls.__module__)
        path = getattr(module, "__file__", None)
        if path and os.path.isfile(path):
            files.add(os.path.realpath(path))
    digest = hashlib.sha1()
    for path in sorted(files):
        with open(path, "rb") as fh:
            digest.update(hashlib.sha1(fh.read()).digest())
    return digest.hexdigest()[:16]


def _spec_named(spec: Spec) -> str:
    """The spec's reference, with a spec file's path made absolute: ``../x.py`` and
    ``/work/x.py`` name one spec (the source digest tells whether it is the same code)."""
    ref = reference(spec)
    target, sep, cls_name = split(ref)
    if is_file(target):
        return os.path.realpath(target) + sep + cls_name
    return ref


def _identity(spec: Spec, options: Any, exact: bool) -> dict:
    from .fingerprint import portable_hash

    return {"spec": _spec_named(spec), "source": _source(spec), "params": spec.params(),
            "faults": dict(getattr(spec, "fault_summary", lambda: {})()),
            "exact": exact, "symmetry": options.symmetry,
            "fingerprints": "states" if exact else "hash" if portable_hash else "stable",
            "depth": options.depth,
            "deadlock": spec.check_deadlock if options.deadlock is None else options.deadlock}


def _mismatch(path: str, key: str, theirs: Any, mine: Any) -> SpecError:
    """Why this run cannot resume checkpoint ``path``, and how to resume it; the depth bound
    and deadlock checking are options given again with --resume, so say which."""
    if key == "depth":
        bound = {None: "none"}
        return SpecError(f"checkpoint {path} is of a run with depth bound {bound.get(theirs, theirs)}, this one "
                         f"has {bound.get(mine, mine)}; resume "
                         + ("without --depth" if theirs is None else f"with --depth {theirs}"))
    if key == "source":
        return SpecError(f"checkpoint {path} was saved by other code: the spec's source (its file or "
                         "the classes it builds on) changed since, so the states it holds may not be this "
                         "spec's; run again without --resume")
    if key == "deadlock":
        on = {True: "on", False: "off"}
        return SpecError(f"checkpoint {path} is of a run with deadlock checking {on.get(theirs, theirs)}, "
                         f"this one has it {on.get(mine, mine)}; resume with "
                         + ("--deadlock" if theirs else "--no-deadlock"))
    return SpecError(f"checkpoint {path} is of a different run: its {key} is {theirs!r}, "
                     f"this run's is {mine!r}; resume with the same spec, parameters and options")


class Checkpointer:
    """Saves the search now and then (every ``options.checkpoint_every`` seconds) and at the end."""

    def __init__(self, spec: Spec, options: Any, exact: bool) -> None:
        require_stable_hash(exact)
        self.directory = options.checkpoint
        self.every = options.checkpoint_every
        self.identity = _identity(spec, options, exact)
        self.last = time.monotonic()
        self.saved = 0  # saves by this run
        self.path = os.path.join(self.directory, FILE)
        try:
            os.makedirs(self.directory, exist_ok=True)
        except OSError as exc:
            raise SpecError(f"cannot create checkpoint directory {self.directory}: {exc.strerror}") from exc

    def due(self) -> bool:
        return time.monotonic() - self.last >= self.every

    def save_or_note(self, snapshot: Callable[[], dict], result: Any, final: bool = False) -> bool:
        """Save ``snapshot()`` (``final``: the one to resume from, named in the result); where
        that fails (a full disk, a folder gone) note why in ``result.stats["checkpoint_error"]``
        rather than stop the search, and say False."""
        try:
            path = self.save(snapshot())
            if final:
                result.stats["checkpoint"] = path
        except OSError as exc:
            result.stats["checkpoint_error"] = f"cannot save the checkpoint in {self.directory}: {exc}"
            return False
        except Exception as exc:  # pickle's errors: a part of a state it cannot store
            result.stats["checkpoint_error"] = (f"cannot save the checkpoint: a state cannot be pickled: "
                                                f"{type(exc).__name__}: {exc}")
            return False
        return True

    def save(self, search: dict) -> str:
        data = {"format": FORMAT, "version": VERSION, "probe": hash_probe(),
                "python": sys.version.split()[0], **self.identity, "search": search}
        path = self.path
        fd, tmp = tempfile.mkstemp(prefix=".checkpoint-", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            _sync_directory(self.directory)  # so the rename itself survives a crash
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        self.last = time.monotonic()
        self.saved += 1
        self.saved_states = search["n"]
        return path


def _sync_directory(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load_checkpoint(directory: str, spec: Spec, options: Any, exact: bool) -> dict:
    """The saved search in ``directory``, after checking it is a search of this spec."""
    path = os.path.join(directory, FILE)
    try:
        with open(path, "rb") as f:
            data = pickle.load(f)
    except FileNotFoundError:
        raise SpecError(f"no checkpoint in {directory} (expected {path}); "
                        "write one with --checkpoint DIR") from None
    except OSError as exc:
        raise SpecError(f"cannot read checkpoint {path}: {exc}") from None
    except ModuleNotFoundError as exc:  # its states are of a spec file this run did not load
        if (exc.name or "").startswith("_modelcheck_user_"):
            raise SpecError(f"checkpoint {path} holds states of another spec file than "
                            f"{reference(spec)!r}; resume with the spec file it was saved from") from None
        raise SpecError(f"cannot read checkpoint {path}: ModuleNotFoundError: {exc}") from None
    except Exception as exc:  # corrupt or truncated: unpickling garbage can raise almost anything
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())  # one line
        raise SpecError(f"cannot read checkpoint {path}: {detail.rstrip(':')}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SpecError(f"{path} is not a modelcheck checkpoint")
    if data.get("version") != VERSION:
        raise SpecError(f"{path} is checkpoint format version {data.get('version')}; "
                        f"this modelcheck reads version {VERSION}")
    if not isinstance(data.get("search"), dict):
        raise SpecError(f"cannot read checkpoint {path}: it holds no search")
    mine = _identity(spec, options, exact)
    for key, value in mine.items():
        if data.get(key) != value:
            raise _mismatch(path, key, data.get(key), value)
    if not exact and data.get("probe") != hash_probe():
        raise SpecError(f"checkpoint {path} was written by a process with another string-hash salt "
                        f"(Python {data.get('python')}); resume with the same PYTHONHASHSEED and Python")
    return data["search"]
