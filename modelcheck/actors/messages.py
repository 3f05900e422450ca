"""Messages: small immutable records that carry their own kind.

A message class is declared like a named tuple::

    class Vote(Message):
        term: int
        granted: bool

``Vote(term=2, granted=True)`` is the tuple ``("Vote", 2, True)``: the kind is part of
the value, so a ``Vote(2, True)`` never equals a ``RequestVote(2, True)`` (two plain
named tuples with the same fields would be equal, and merge distinct states), messages
of different kinds sort by kind, and a counterexample file shows
``{"kind": "Vote", "term": 2, "granted": true}``.  Fields are read by name
(``msg.term``) and matched with ``match msg: case Vote(term, granted): ...``.

Messages in flight are kept sorted (that is what makes successor order deterministic
across processes), so the values of one field must be mutually orderable: do not mix
``None`` and ints in one field.  Frozensets are fine: a message's sets are sent as
:class:`ComparableSet`, since ``<`` between frozensets means subset and would order one
bag two ways.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any, ClassVar

__all__ = ["Message", "ComparableSet", "comparable", "format_value", "format_message", "format_call", "message_kind"]


class _MessageMeta(type):
    def __new__(mcls, name: str, bases: tuple, ns: dict[str, Any], **kw: Any):
        ns.setdefault("__slots__", ())
        return super().__new__(mcls, name, bases, ns, **kw)


class ComparableSet(frozenset):
    """A frozenset ordered by its sorted items (each ranked by its type's name, then its value),
    a total order where frozenset's ``<`` is subset.  Equal to, hashing as and shown as the
    frozenset of the same items; operations on it give plain frozensets.  The actor layer
    sends messages' sets as these (:func:`comparable`), so that one bag of messages in flight
    is always one sorted tuple."""

    __slots__ = ("_order",)

    def _key(self) -> tuple:
        try:
            return self._order
        except AttributeError:
            self._order = tuple(sorted((type(x).__name__, x) for x in self))
            return self._order

    def __lt__(self, other: Any) -> bool:
        return self._key() < _as_comparable(other)._key() if isinstance(other, frozenset) else NotImplemented

    def __le__(self, other: Any) -> bool:
        return self._key() <= _as_comparable(other)._key() if isinstance(other, frozenset) else NotImplemented

    def __gt__(self, other: Any) -> bool:
        return self._key() > _as_comparable(other)._key() if isinstance(other, frozenset) else NotImplemented

    def __ge__(self, other: Any) -> bool:
        return self._key() >= _as_comparable(other)._key() if isinstance(other, frozenset) else NotImplemented

    def __repr__(self) -> str:
        return repr(frozenset(self))


def _as_comparable(value: frozenset) -> ComparableSet:
    return value if isinstance(value, ComparableSet) else ComparableSet(value)


def has_frozenset(value: Any) -> bool:
    """Whether ``value`` holds a plain frozenset at any depth of its tuples and sets."""
    cls = value.__class__
    if cls is frozenset:
        return True
    if isinstance(value, tuple) or cls is ComparableSet:
        return any(has_frozenset(v) for v in value)
    return False


def comparable(value: Any) -> Any:
    """``value`` (a message) with every frozenset in it, at any depth, a :class:`ComparableSet`."""
    if isinstance(value, frozenset):
        return ComparableSet(comparable(v) for v in value)
    if isinstance(value, tuple) and has_frozenset(value):
        items = [comparable(v) for v in value]
        return tuple(items) if value.__class__ is tuple else tuple.__new__(value.__class__, items)
    return value


class Message(tuple, metaclass=_MessageMeta):
    """Base class of protocol messages (and client requests): ``class Vote(Message): term: int``."""

    kind: ClassVar[str] = "Message"
    _fields: ClassVar[tuple[str, ...]] = ("kind",)
    __match_args__: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = [
            f for f, t in cls.__dict__.get("__annotations__", {}).items()
            if not str(t).startswith(("ClassVar", "typing.ClassVar"))
        ]
        inherited = [f for f in getattr(cls, "__match_args__", ())]
        fields = tuple(inherited + [f for f in own if f not in inherited])
        if "kind" in fields:
            raise TypeError(f"message {cls.__name__}: 'kind' is reserved (it is the class name)")
        cls.kind = cls.__name__
        cls._fields = ("kind",) + fields
        cls.__match_args__ = fields
        for i, f in enumerate(fields, 1):
            setattr(cls, f, property(itemgetter(i), doc=f"field {f!r}"))
        args = ", ".join(fields)
        body = f"({cls.kind!r}, {args},)" if fields else f"({cls.kind!r},)"
        namespace = {"_new": tuple.__new__}
        exec(f"def __new__(_cls, {args}):\n    return _new(_cls, {body})\n", namespace)
        new = namespace["__new__"]
        new.__qualname__ = f"{cls.__qualname__}.__new__"
        cls.__new__ = new

    def __repr__(self) -> str:
        return format_message(self)

    def __getnewargs__(self) -> tuple:
        return tuple(self[1:])

    def _replace(self, **changes: Any) -> "Message":
        """A copy with some fields changed (as ``NamedTuple._replace``)."""
        values = [changes.pop(f, v) for f, v in zip(self._fields[1:], self[1:])]
        if changes:
            raise TypeError(f"{self.kind} has no field {next(iter(changes))!r}")
        return type(self)(*values)


def format_value(value: Any) -> str:
    """A value as labels show it: strings bare (``b``, ``n3``), sets as ``{n1,n2}``."""
    if isinstance(value, str):
        return value
    if isinstance(value, Message):
        return format_message(value)
    if isinstance(value, (frozenset, set)):
        return "{" + ",".join(sorted(format_value(v) for v in value)) + "}"
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return "(" + ", ".join(format_value(v) for v in value) + ")"
    return str(value)


def format_message(msg: Any, sender: str | None = None) -> str:
    """``Vote(term=2, granted=True)``; with ``sender``, ``from=`` follows the first field
    (``Vote(term=2, from=n3, granted=True)``, as a term usually leads)."""
    fields = getattr(msg, "_fields", None)
    if isinstance(msg, Message):
        name, pairs = msg.kind, [f"{f}={format_value(v)}" for f, v in zip(fields[1:], msg[1:])]
    elif fields is not None and isinstance(msg, tuple):
        name, pairs = type(msg).__name__, [f"{f}={format_value(v)}" for f, v in zip(fields, msg)]
    elif isinstance(msg, tuple) and msg and isinstance(msg[0], str):
        name, pairs = msg[0], [format_value(v) for v in msg[1:]]
    else:
        return format_value(msg) + (f" (from={sender})" if sender else "")
    if sender is not None:
        pairs.insert(min(1, len(pairs)), f"from={sender}")
    return f"{name}({', '.join(pairs)})"


def format_call(req: Any) -> str:
    """A client request as a call, arguments by position: ``Put(x, 1)``."""
    if isinstance(req, tuple) and req:
        if isinstance(req, Message):
            return f"{req.kind}({', '.join(format_value(v) for v in req[1:])})"
        if hasattr(req, "_fields"):
            return f"{type(req).__name__}({', '.join(format_value(v) for v in req)})"
        if isinstance(req[0], str):
            return f"{req[0]}({', '.join(format_value(v) for v in req[1:])})"
    return format_value(req)


def message_kind(msg: Any) -> str:
    """The kind coverage counts a message under: its class name, or a tuple's leading string."""
    if isinstance(msg, Message):
        return msg.kind
    if isinstance(msg, str):
        return msg
    if isinstance(msg, tuple) and msg and isinstance(msg[0], str) and not hasattr(msg, "_fields"):
        return msg[0]
    return type(msg).__name__
