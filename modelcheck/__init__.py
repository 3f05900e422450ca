"""modelcheck: a property-based model checker for the safety of distributed protocols.

The public API: write a :class:`Spec` (or a :class:`Protocol` of nodes exchanging
:class:`Message` values, checked under a chosen :class:`Faults` model), check it with
:func:`explore`, read the :class:`Result` and its :class:`Trace` counterexamples.
"""

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
