"""Saving counterexamples: ``counterexamples/<spec>-<property>-<id>.json``, written atomically.

The id is a hash of the file's content, so finding the same trace twice writes the
same file once, and a saved trace never half-exists: it is written to a temporary
file in the same folder and renamed over.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

from .format import trace_to_dict
from .model import Trace

__all__ = ["save_trace", "trace_filename", "write_atomic", "DEFAULT_DIR"]

DEFAULT_DIR = "counterexamples"


def _slug(text: str) -> str:
    text = Path(text.split(":")[0]).stem if (".py" in text or "/" in text) else text.split(":")[-1]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "spec"


def trace_filename(trace: Trace, text: str) -> str:
    digest = hashlib.sha1(text.encode()).hexdigest()[:8]
    return f"{_slug(trace.spec)}-{_slug(trace.property)}-{digest}.json"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_trace(trace: Trace, directory: str | os.PathLike = DEFAULT_DIR) -> Path:
    """Write ``trace`` under ``directory`` and return its path."""
    text = json.dumps(trace_to_dict(trace), indent=1, sort_keys=False) + "\n"
    path = Path(directory) / trace_filename(trace, text)
    write_atomic(path, text)
    return path
