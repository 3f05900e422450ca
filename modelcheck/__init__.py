"""modelcheck: a property-based model checker for the safety of distributed protocols.

The public API: write a :class:`Spec` (or a :class:`Protocol` of nodes exchanging
:class:`Message` values, checked under a chosen :class:`Faults` model), check it with
:func:`explore`, read the :class:`Result` and its :class:`Trace` counterexamples.
"""

import os as _os
import sys as _sys


class _SourceTreeSpecs:
    """Finds ``modelcheck.specs`` in a source tree, where it is the top-level ``specs/``
    folder beside ``modelcheck/``: an install maps it there (pyproject's package-dir),
    but ``python -m modelcheck`` run inside a checkout imports the checkout's package,
    whatever is installed.  Last on ``sys.meta_path``: only asked when nothing else
    finds the library (an install always does)."""

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> object:
        if name != "modelcheck.specs":
            return None
        folder = _os.path.join(_os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))), "specs")
        init = _os.path.join(folder, "__init__.py")
        if not _os.path.isfile(init):
            return None
        from importlib.util import spec_from_file_location

        return spec_from_file_location(name, init, submodule_search_locations=[folder])


if not any(getattr(f, "__name__", None) == "_SourceTreeSpecs" for f in _sys.meta_path):
    _sys.meta_path.append(_SourceTreeSpecs)

from .actors import Faults, Message, Protocol
from .explore import explore
from .registry import build, library
from .result import Result
from .spec import Param, Spec, SpecError, action_kind, format_action, invariant, sometimes
from .trace.model import Step, Trace

__all__ = [
    "Faults",
    "Message",
    "Protocol",
    "Param",
    "Result",
    "Spec",
    "SpecError",
    "Step",
    "Trace",
    "action_kind",
    "build",
    "explore",
    "format_action",
    "invariant",
    "library",
    "sometimes",
]

__version__ = "0.1.0"
