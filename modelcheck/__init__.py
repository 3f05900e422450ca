"""modelcheck: a property-based model checker for the safety of distributed protocols.

The public API: write a :class:`Spec` (or a :class:`Protocol` of nodes exchanging
:class:`Message` values, checked under a chosen :class:`Faults` model), check it with
:func:`explore`, read the :class:`Result` and its :class:`Trace` counterexamples.
"""

import os as _os
import sys as _sys


class _SourceTreeSpecs:
    """Finds ``modelcheck.specs`` in a source tree, where it is the top-level ``specs/``
    folder beside ``modelcheck/`` (an install maps it to ``modelcheck/specs``, see
    pyproject's package-dir).  ``python -m modelcheck`` run inside a checkout imports the
    checkout's package whatever is installed, so its library must be the checkout's too,
    not one another install's import hook (an editable install of another tree) maps."""

    folder = _os.path.join(_os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))), "specs")

    @classmethod
    def find_spec(cls, name: str, path: object = None, target: object = None) -> object:
        if name != "modelcheck.specs":
            return None
        from importlib.util import spec_from_file_location

        return spec_from_file_location(name, _os.path.join(cls.folder, "__init__.py"),
                                       submodule_search_locations=[cls.folder])


# Only for a source tree: an installed package has its library inside (modelcheck/specs).
# First on sys.meta_path, so that no other tree's import hook answers for this one.
if (not _os.path.isdir(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "specs"))
        and _os.path.isfile(_os.path.join(_SourceTreeSpecs.folder, "__init__.py"))):
    _sys.meta_path[:] = [_SourceTreeSpecs] + [f for f in _sys.meta_path
                                              if getattr(f, "__name__", None) != "_SourceTreeSpecs"]

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
