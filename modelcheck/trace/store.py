"""Saving counterexamples: ``counterexamples/<spec>-<property>-<id>.json``, written atomically.

The id is a hash of the file's content (less the seed that found it), so finding the
same trace twice writes the same file once, and a saved trace never half-exists: it is written to a temporary
file in the same folder and renamed over.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from typing import TYPE_CHECKING

from .. import registry
from .format import trace_to_dict
from .model import Trace

if TYPE_CHECKING:  # imported where a file is written: start-up is most of a small check's time
    from pathlib import Path

__all__ = ["save_trace", "trace_filename", "write_atomic", "DEFAULT_DIR"]

DEFAULT_DIR = "counterexamples"


def _slug(text: str) -> str:
    target, _, cls_name = registry.split(text)
    if registry.is_file(target):  # the file's stem
        text = os.path.splitext(os.path.basename(target.replace("\\", "/")))[0]
    else:
        text = cls_name or target
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "spec"


def trace_filename(trace: Trace, text: str) -> str:
    import hashlib  # here, not at the top: every command imports this module, few save

    digest = hashlib.sha1(text.encode()).hexdigest()[:8]
    return f"{_slug(trace.spec)}-{_slug(trace.property)}-{digest}.json"


def _umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux), since
    setting it and back races with other threads creating files."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_for(path: Path) -> int:
    """The permissions ``path`` gets: those of the file it replaces, else what ``open`` would
    give a new file (0666 less the umask), not mkstemp's 0600."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def write_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed over it.  A symbolic link
    stays one (its target is written); a device or a pipe (``/dev/null``, ``>(cmd)``) is
    written into, since renaming a file over it would replace it."""
    import tempfile  # here, not at the top, as hashlib above
    from pathlib import Path

    try:
        special = not stat.S_ISREG(os.stat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        special = False
    if special:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        return
    path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _module_file(name: str) -> str | None:
    """The source file of loaded module ``name``, if it is one."""
    module = sys.modules.get(name)
    file = getattr(module, "__file__", None)
    return file if isinstance(file, str) and file.endswith(".py") else None


def save_trace(trace: Trace, directory: str | os.PathLike = DEFAULT_DIR) -> Path:
    """Write ``trace`` under ``directory`` and return its path."""
    from pathlib import Path

    data = trace_to_dict(trace)
    target, colon, _ = registry.split(trace.spec)
    # so replay finds the very file, from wherever it runs: a spec file's, or the file of the
    # module of module:Class (a test module, importable by name only where pytest runs)
    source = target if registry.is_file(target) else _module_file(target) if colon else None
    if source is not None:
        try:  # with / between parts, whatever the system: a trace is read on others too
            where = Path(os.path.relpath(Path(source).resolve(), Path(directory).resolve())).as_posix()
        except ValueError:  # on another drive than the folder (Windows): no relative path
            where = str(Path(source).resolve())
        key = "spec_file" if registry.is_file(target) else "module_file"
        data = {"format": data.pop("format"), "version": data.pop("version"), "spec": data.pop("spec"),
                key: where, **data}
    text = json.dumps(data, indent=1, sort_keys=False) + "\n"
    # the id says which trace this is, not how it was found: a fuzz run that shrinks to the
    # same trace with another seed writes the same file (traces without a seed: as before)
    same = text if data.get("seed") is None else json.dumps({**data, "seed": None}, indent=1) + "\n"
    path = Path(directory) / trace_filename(trace, same)
    write_atomic(path, text)
    return path
