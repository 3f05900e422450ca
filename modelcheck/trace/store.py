"""Saving counterexamples: ``counterexamples/<spec>-<property>-<id>.json``, written atomically.

The id is a hash of the file's content (less the seed that found it), so finding the
same trace twice writes the same file once, and a saved trace never half-exists: it is written to a temporary
file in the same folder and renamed over.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import sys

from .. import registry
from .format import too_deep, trace_to_dict
from .model import Trace

__all__ = ["save_trace", "trace_filename", "write_atomic", "DEFAULT_DIR"]

DEFAULT_DIR = "counterexamples"


def _slug(text: str) -> str:
    target, _, cls_name = registry.split(text)
    if registry.is_file(target):  # the file's stem
        text = os.path.splitext(os.path.basename(target.replace("\\", "/")))[0]
    else:
        text = cls_name or target
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "spec"


def _sha1(data: bytes) -> str:
    """The SHA-1 hex digest of ``data``, from CPython's built-in module where there is one:
    hashlib loads OpenSSL first (2 ms, a few % of a small check's whole run)."""
    try:
        from _sha1 import sha1
    except ImportError:  # another Python
        from hashlib import sha1
    return sha1(data).hexdigest()


def trace_filename(trace: Trace, text: str) -> str:
    digest = _sha1(text.encode())[:8]
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


def _mode_for(path: str) -> int:
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
    try:
        special = not stat.S_ISREG(os.stat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        special = False
    if special:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        return
    given, path = path, os.path.realpath(path)
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
    except FileExistsError:  # a file where the folder should be
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), folder) from None
    try:
        fd, tmp = _create_beside(path)
    except OSError as exc:  # named by the path given, not by the temporary file's
        if exc.errno is None:
            raise
        raise OSError(exc.errno, exc.strerror, os.fspath(given)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno is not None:
            raise OSError(exc.errno, exc.strerror, os.fspath(given)) from None
        raise


def _create_beside(path: str) -> tuple[int, str]:
    """A new file ``.NAME.RANDOM`` in the folder of ``path``, created exclusively and open
    for writing (mode 0600 until renamed), as ``tempfile.mkstemp`` does; tempfile itself
    imports shutil, bz2 and lzma (2.4 ms of the 0.07 s a small check with a violation takes)."""
    folder, name = os.path.split(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        # the name's start, so that any name the file system takes has a temporary twin
        tmp = os.path.join(folder, f".{name[:200]}.{os.urandom(4).hex()}")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file beside {path}: 100 names taken")


def _module_file(name: str) -> str | None:
    """The source file of loaded module ``name``, if it is one."""
    module = sys.modules.get(name)
    file = getattr(module, "__file__", None)
    return file if isinstance(file, str) and file.endswith(".py") else None


def save_trace(trace: Trace, directory: str | os.PathLike = DEFAULT_DIR) -> str:
    """Write ``trace`` under ``directory`` and return its path (a string: pathlib is not
    imported by a run that only saves)."""
    data = trace_to_dict(trace)
    target, colon, _ = registry.split(trace.spec)
    # so replay finds the very file, from wherever it runs: a spec file's, or the file of the
    # module of module:Class (a test module, importable by name only where pytest runs)
    source = target if registry.is_file(target) else _module_file(target) if colon else None
    if source is not None:
        source = os.path.realpath(source)
        try:  # with / between parts, whatever the system: a trace is read on others too
            where = os.path.relpath(source, os.path.realpath(directory)).replace(os.sep, "/")
        except ValueError:  # on another drive than the folder (Windows): no relative path
            where = source
        key = "spec_file" if registry.is_file(target) else "module_file"
        data = {"format": data.pop("format"), "version": data.pop("version"), "spec": data.pop("spec"),
                key: where, **data}
    with too_deep("cannot save the trace"):
        text = json.dumps(data, indent=1, sort_keys=False) + "\n"
        # the id says which trace this is, not how it was found: a fuzz run that shrinks to the
        # same trace with another seed writes the same file (traces without a seed: as before)
        same = text if data.get("seed") is None else json.dumps({**data, "seed": None}, indent=1) + "\n"
    path = os.path.join(directory, trace_filename(trace, same))
    write_atomic(path, text)
    return path
