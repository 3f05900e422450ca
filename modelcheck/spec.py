"""The contract between a protocol author and the checker.

A spec is a pure state machine: immutable, hashable states; initial states; for a
state, the enabled transitions as ``(action, next_state)`` pairs in a
deterministic order; and named invariants over a state.  Parameters (node counts,
bounds, ``bug=`` variants) are declared with :class:`Param` and set as constructor
keywords, so the CLI (``-p nodes=3``), Python and counterexample files all build
the same spec the same way.

An *action* is a plain string (``"Tick"``) or a tuple whose first item names the
kind of action and the rest are its arguments (``("Prepare", "r1")``).  The kind
is what action coverage counts.
"""

from __future__ import annotations

import enum
import math
from typing import Any, Callable, ClassVar, Hashable, Iterable, Iterator, Mapping, Sequence

import attrs

__all__ = [
    "Param",
    "Spec",
    "SpecError",
    "invariant",
    "sometimes",
    "action_kind",
    "format_action",
    "rename",
]


class SpecError(Exception):
    """A spec, or the parameters it was given, cannot be used.

    The message is one line meant for a user: it names the problem and what to do.
    """


class SymmetryError(SpecError):
    """The spec's declared symmetry is not one: a reachable state and a renaming of it
    disagree (``--symmetry``).  The explorers refuse the run with it, rather than trace it."""


_MISSING = object()


class Param:
    """A spec parameter: a default, a short help text and optional bounds.

    The type is taken from the default (int, bool, str, float) unless given.
    Values arriving as strings (from the CLI or a file) are converted.
    """

    def __init__(
        self,
        default: Any,
        help: str = "",
        *,
        type: type | None = None,
        choices: Iterable[Any] | None = None,
        min: Any = None,
        max: Any = None,
    ) -> None:
        self.default = default
        self.help = help
        self.type = type if type is not None else (builtins_type(default) if default is not None else str)
        self.choices = tuple(choices) if choices is not None else None
        self.min = min
        self.max = max
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def describe(self) -> str:
        text = f"{self.name}={self.default!r}"
        bits = []
        if self.choices is not None:
            bits.append("one of " + ", ".join(map(str, self.choices)))
        if self.min is not None:
            bits.append(f">= {self.min}")
        if self.max is not None:
            bits.append(f"<= {self.max}")
        if bits:
            text += f" ({'; '.join(bits)})"
        return text

    def convert(self, spec_name: str, value: Any) -> Any:
        """Check and convert one value, raising SpecError with a clear message."""
        where = f"parameter {self.name!r} of spec {spec_name!r}"
        if self.default is None and (value is None or (isinstance(value, str) and value.lower() == "none")):
            return None  # e.g. -p bug=none: the correct spec, as the default (shown as bug=None)
        if isinstance(value, str) and self.type is not str:
            value = _parse_text(value, self.type, where)
        if self.type is bool:
            if not isinstance(value, bool):
                raise SpecError(f"{where} must be true or false, not {value!r}")
        elif self.type is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise SpecError(f"{where} must be a number, not {value!r}")
            value = float(value)
            if not math.isfinite(value):  # nan passes every range check, and is not JSON
                raise SpecError(f"{where} must be a finite number, not {value!r}")
        elif self.type is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpecError(f"{where} must be a whole number, not {value!r}")
        elif not isinstance(value, self.type):
            raise SpecError(f"{where} must be of type {self.type.__name__}, not {value!r}")
        if self.choices is not None and value not in self.choices:
            raise SpecError(
                f"{where} must be one of {', '.join(map(repr, self.choices))}, not {value!r}"
            )
        if self.min is not None and value < self.min:
            raise SpecError(f"{where} must be >= {self.min}, not {value!r}")
        if self.max is not None and value > self.max:
            raise SpecError(f"{where} must be <= {self.max}, not {value!r}")
        return value


builtins_type = type


def _parse_text(text: str, typ: type, where: str) -> Any:
    if typ is bool:
        low = text.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise SpecError(f"{where} must be true or false, not {text!r}")
    if typ is int:
        try:
            return int(text)
        except ValueError:
            raise SpecError(f"{where} must be a whole number, not {text!r}") from None
    if typ is float:
        try:
            return float(text)
        except ValueError:
            raise SpecError(f"{where} must be a number, not {text!r}") from None
    return text


def invariant(fn: Callable | None = None, *, name: str | None = None):
    """Mark a method ``(self, state) -> bool`` as an invariant: true in every reachable state."""

    def mark(f: Callable) -> Callable:
        f._modelcheck_property = ("invariant", name or f.__name__)
        return f

    return mark(fn) if fn is not None else mark


def sometimes(fn: Callable | None = None, *, name: str | None = None):
    """Mark a method ``(self, state) -> bool`` as a reachability property.

    It is satisfied when *some* reachable state makes it true (an example is kept);
    an exhaustive search that never meets such a state reports it as unreached.
    Useful to check that a model is not vacuous ("a leader can be elected").
    """

    def mark(f: Callable) -> Callable:
        f._modelcheck_property = ("sometimes", name or f.__name__)
        return f

    return mark(fn) if fn is not None else mark


def action_kind(action: Hashable) -> str:
    """The name coverage counts an action under: the string, or a tuple's first item."""
    if isinstance(action, str):
        return action
    if isinstance(action, tuple) and action and isinstance(action[0], str):
        return action[0]
    return type(action).__name__


def format_action(action: Hashable) -> str:
    """Default rendering: ``Kind(arg, arg)`` for tuples, the string itself otherwise."""
    if isinstance(action, str):
        return action
    if isinstance(action, tuple) and action and isinstance(action[0], str):
        return f"{action[0]}({', '.join(map(str, action[1:]))})"
    return str(action)


class Spec:
    """Base class of every spec.

    Subclasses set ``name`` (the registry name), declare parameters as
    :class:`Param` class attributes, list known-bug variants in ``bugs``
    (name -> one-line description, selected with ``bug=NAME``), and implement
    :meth:`initial_states` and :meth:`successors`.  Methods marked with
    :func:`invariant` or :func:`sometimes` are the properties.
    """

    name: ClassVar[str] = ""
    bugs: ClassVar[dict[str, str]] = {}
    #: Report a reachable state with no enabled transition as a violation.
    check_deadlock: ClassVar[bool] = False

    _params: ClassVar[dict[str, Param]] = {}
    _properties: ClassVar[dict[str, tuple[str, str]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        params: dict[str, Param] = {}
        props: dict[str, tuple[str, str]] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                if isinstance(value, Param):
                    params[attr] = value
                mark = getattr(value, "_modelcheck_property", None)
                if mark is not None:
                    props[mark[1]] = (mark[0], attr)
        if cls.bugs and "bug" not in params:
            bug = Param(None, "known-bug variant to check", type=str, choices=tuple(cls.bugs))
            bug.name = "bug"
            params["bug"] = bug
        cls._params = params
        cls._properties = props

    @property
    def title(self) -> str:
        """What messages call this spec: its library name, else its class name."""
        return self.name or type(self).__name__

    def __init__(self, **params: Any) -> None:
        spec_name = self.title
        unknown = sorted(set(params) - set(self._params))
        if unknown:
            valid = ", ".join(p.describe() for p in self._params.values()) or "none"
            raise SpecError(
                f"unknown parameter {unknown[0]!r} for spec {spec_name!r}; valid parameters: {valid}"
            )
        for pname, param in self._params.items():
            value = params.get(pname, param.default)
            setattr(self, pname, param.convert(spec_name, value) if pname in params else value)
        if "bug" not in self._params:
            self.bug = None
        self.validate()

    def validate(self) -> None:
        """Check combinations of parameters; raise SpecError with a clear message."""

    # -- the state machine -------------------------------------------------

    def initial_states(self) -> Iterable[Hashable]:
        raise NotImplementedError

    def successors(self, state: Hashable) -> Iterable[tuple[Hashable, Hashable]]:
        """The enabled transitions from ``state``, in a deterministic order."""
        raise NotImplementedError

    # -- properties --------------------------------------------------------

    @classmethod
    def param_specs(cls) -> dict[str, Param]:
        return dict(cls._params)

    @classmethod
    def property_names(cls, kind: str) -> list[str]:
        return [name for name, (k, _) in cls._properties.items() if k == kind]

    def invariants(self) -> list[tuple[str, Callable[[Hashable], bool]]]:
        """The invariants as ``(name, check)`` pairs bound to this spec."""
        return self._bound("invariant")

    def reachability(self) -> list[tuple[str, Callable[[Hashable], bool]]]:
        """The :func:`sometimes` properties as ``(name, check)`` pairs."""
        return self._bound("sometimes")

    def _bound(self, kind: str) -> list[tuple[str, Callable[[Hashable], bool]]]:
        return [
            (name, getattr(self, attr))
            for name, (k, attr) in self._properties.items()
            if k == kind
        ]

    @classmethod
    def describe_property(cls, name: str) -> str:
        kind, attr = cls._properties[name]
        doc = (getattr(cls, attr).__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""

    def explain(self, name: str, state: Hashable) -> str | None:
        """Why ``state`` breaks the invariant ``name``, naming the witnesses.

        Shown under a violated invariant (``modelcheck show``, ``explore``, ``simulate``),
        e.g. ``"r1 committed while r2 aborted"``; several lines are fine.  The default calls
        the spec's method ``explain_<name>(state)`` when it defines one, so a spec author
        writes, next to ``@invariant def consistent(self, s)``, a plain
        ``def explain_consistent(self, s) -> str``.  None means: nothing to add.
        """
        method = getattr(self, f"explain_{name}", None)
        return method(state) if callable(method) else None

    # -- symmetry (``--symmetry``; see modelcheck/explore/symmetry.py) -------

    def symmetry(self) -> Sequence[Sequence[Hashable]]:
        """Groups of interchangeable names (node names, values): renaming within a group
        must map reachable states to reachable states and keep every property's verdict.
        The explorer checks this on a sample before it trusts it.  Default: none."""
        return ()

    def permute(self, state: Hashable, renaming: Mapping[Hashable, Hashable], memo: dict | None = None):
        """``state`` with names renamed by ``renaming`` (a dict old -> new).  The default
        renames them wherever they occur (:func:`rename`); override it when the state
        is laid out by name (a tuple indexed by node number, say)."""
        return rename(state, renaming, memo)

    def canonical(self, state: Hashable) -> Hashable:
        """Optional: one representative of ``state``'s orbit under :meth:`symmetry`, the
        same for every renaming of it (e.g. interchangeable records sorted).  When a spec
        does not define it, the explorer enumerates the orbit instead."""
        raise NotImplementedError

    def symmetry_labels(self, state: Hashable) -> dict | None:
        """Optional: for each interchangeable name, a label that a renaming carries along
        (the label of ``x`` in ``state`` is the label of ``renaming[x]`` in the renamed
        state), e.g. a node's own state with names blanked out.  The explorer then tries
        only the renamings that sort the labels, not the whole orbit.  Labels must be
        orderable (ints, e.g. hashes); a name without one sorts as 0.  None: no labels."""
        return None

    # -- presentation ------------------------------------------------------

    def params(self) -> dict[str, Any]:
        """The parameter values this spec was built with (recorded in every result)."""
        return {name: getattr(self, name) for name in self._params}

    def format_action(self, action: Hashable) -> str:
        return format_action(action)

    def readable(self, state: Hashable) -> Any:
        """``state`` as people see it: in trace files, renderings, graphs and simulations.
        Only for showing: properties, ``explain`` and ``Trace.last_state`` keep the spec's
        own states.  The default is the state itself; a spec whose states are plain tuples
        (the cheapest to build; ``benchmarks/reuse.py`` measures what a NamedTuple adds)
        can name their items here, e.g. ``return State._make(state)``."""
        return state

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({args})"


def iter_fields(state: Any) -> Iterator[tuple[str, Any]]:
    """Name the parts of a state, for error messages (unhashable field...)."""
    fields = getattr(state, "_fields", None)
    if fields is not None:
        yield from zip(fields, state)
        return
    attrs_fields = getattr(type(state), "__attrs_attrs__", None)
    if attrs_fields is not None:
        for f in attrs_fields:
            yield f.name, getattr(state, f.name)
        return
    dataclass_fields = getattr(type(state), "__dataclass_fields__", None)
    if dataclass_fields is not None:
        for name in dataclass_fields:
            yield name, getattr(state, name)
        return
    if isinstance(state, tuple):
        yield from ((f"[{i}]", v) for i, v in enumerate(state))


def pair_problem(item: Any) -> str | None:
    """Why ``item``, one of the things ``successors`` gave, is not an (action, state) pair
    as the contract asks, or None when it is one (anything the searches can unpack into
    two is one, as they unpack it)."""
    try:
        _action, _state = item
    except (TypeError, ValueError):
        shown = repr(item)
        return (f"successors() must give (action, state) pairs; it gave "
                f"{shown if len(shown) <= 80 else shown[:77] + '...'} ({type(item).__name__})")
    return None


def find_unhashable(state: Any, path: str = "state") -> str | None:
    """The path of the first part of ``state`` that cannot be hashed, if any."""
    try:
        hash(state)
        return None
    except TypeError:
        pass
    for name, value in iter_fields(state):
        sub = f"{path}.{name}" if not name.startswith("[") else f"{path}{name}"
        found = find_unhashable(value, sub)
        if found:
            return found
    return f"{path} ({type(state).__name__})"


def find_difference(a: Any, b: Any, path: str = "state") -> tuple[str, str] | None:
    """Where two states that should be equal first differ, if they do: the path of the part
    and why: ``"identity"`` (its class compares by identity, ``object.__eq__``: a plain class,
    ``@dataclass(eq=False)``, so two copies are never equal), ``"nan"`` (a float NaN, never
    equal to itself) or ``"value"``."""
    if a is b or a == b:
        return None
    if type(a) is type(b):
        mine, theirs = list(iter_fields(a)), list(iter_fields(b))
        if mine and [n for n, _ in mine] == [n for n, _ in theirs]:
            for (name, x), (_, y) in zip(mine, theirs):
                found = find_difference(x, y, f"{path}.{name}" if not name.startswith("[") else f"{path}{name}")
                if found:
                    return found
    where = f"{path} ({type(a).__name__})"
    if type(a) is type(b) and type(a).__eq__ is object.__eq__:
        return where, "identity"
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return where, "nan"
    if isinstance(a, frozenset) and isinstance(b, frozenset) and len(a) == len(b):
        for item in a:  # sets have no order to pair their items by: an item never equal to a copy
            inner = _never_equal(item, f"{path} item")
            if inner is not None:
                return inner
    return where, "value"


def _never_equal(value: Any, path: str) -> tuple[str, str] | None:
    """The first part of ``value`` that no copy of it can equal: an object compared by
    identity or a NaN (inside frozensets, where :func:`find_difference` cannot pair items)."""
    if isinstance(value, float) and value != value:
        return f"{path} (float)", "nan"
    if type(value).__eq__ is object.__eq__ and not isinstance(value, (type, enum.Enum)) and not callable(value):
        return f"{path} ({type(value).__name__})", "identity"
    parts = value if isinstance(value, frozenset) else [v for _, v in iter_fields(value)]
    for part in parts:
        found = _never_equal(part, path)
        if found is not None:
            return found
    return None


_ATOMS = (int, float, bool, bytes, type(None))

#: entries a renaming memo (``rename``'s, ``Spec.permute``'s, the symmetry labels') holds
#: before it is emptied: parts recur between nearby states, so a bounded memo keeps most hits
MEMO_LIMIT = 100_000


def rename(obj: Any, table: Mapping[Hashable, Hashable], memo: dict | None = None) -> Any:
    """``obj`` with every atom found in ``table`` replaced by its image, at any depth.

    Handles str and other atoms, tuples (named tuples and messages keep their class),
    frozensets and frozen attrs records; ``memo`` caches renamed sub-values (node
    states and messages repeat across states, so most lookups hit).
    """
    cls = obj.__class__
    if cls is str:
        return table.get(obj, obj)
    if cls in _ATOMS:
        return table.get(obj, obj) if cls is int else obj
    if memo is not None:
        found = memo.get(obj)
        if found is not None and found.__class__ is cls:
            return found
    if isinstance(obj, tuple):
        items = [rename(x, table, memo) for x in obj]
        out = tuple(items) if cls is tuple else tuple.__new__(cls, items)
    elif isinstance(obj, frozenset):  # of its own class (a message's sets are ComparableSets)
        out = cls(rename(x, table, memo) for x in obj)
    elif attrs.has(cls):
        out = attrs.evolve(obj, **{f.name: rename(getattr(obj, f.name), table, memo)
                                   for f in attrs.fields(cls) if f.init})
    elif isinstance(obj, Hashable) and obj in table:
        out = table[obj]
    else:
        raise SpecError(f"symmetry: cannot rename inside a {cls.__name__} value; "
                        "override Spec.permute for this spec")
    if memo is not None:
        memo[obj] = out
    return out
