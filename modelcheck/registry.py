"""From a name and parameters to a spec.

A spec reference is one of:

* a library name (``twophase``), found among the modules of ``modelcheck.specs``;
* a Python file, ``./my_protocol.py`` or ``./my_protocol.py:MySpec``;
* a module path, ``package.module:MySpec``.

Where a file or module holds exactly one Spec subclass the class name may be left out.
The reference is stored in results and counterexamples so a trace can be rebuilt.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import pkgutil
import sys
from typing import TYPE_CHECKING, Any

from .spec import Spec, SpecError

if TYPE_CHECKING:  # pathlib is imported where a spec file is loaded: library names start faster
    from pathlib import Path

__all__ = ["library", "resolve", "build", "split", "is_file"]


def library() -> dict[str, type[Spec]]:
    """Every spec shipped in ``modelcheck.specs``, by name, sorted."""
    import modelcheck.specs as pkg

    found: dict[str, type[Spec]] = {}
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        for cls in _spec_classes(module):
            if cls.name:
                found[cls.name] = cls
    return dict(sorted(found.items()))


def _own_module(name: str) -> type[Spec] | None:
    """Library spec ``name`` from the module named after it (``raft-election`` in
    raft_election.py) without importing the whole library, which takes longer than
    a small search; None if it lives elsewhere."""
    module_name = name.replace("-", "_")
    if not module_name.isidentifier() or module_name.startswith("_"):
        return None
    try:
        module = importlib.import_module(f"modelcheck.specs.{module_name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"modelcheck.specs.{module_name}":
            raise  # the module exists but imports something missing: say so
        return None
    return next((cls for cls in _spec_classes(module) if cls.name == name), None)


def _spec_classes(module: Any) -> list[type[Spec]]:
    return [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, Spec)
        and obj is not Spec
        and obj.__module__ == module.__name__
        and not inspect.isabstract(obj)
        and not getattr(obj, "abstract", False)
    ]


def resolve(ref: str) -> type[Spec]:
    """The spec class a reference names; SpecError with a hint when it names none."""
    target, _, cls_name = split(ref)
    if is_file(target):
        from pathlib import Path

        module = _load_file(Path(target))
    elif cls_name:
        try:
            module = import_module(target)
        except ImportError as exc:
            raise SpecError(f"cannot import module {target!r} for spec {ref!r}: {exc}") from None
    else:
        own = _own_module(ref)
        if own is not None:
            return own
        specs = library()
        if ref in specs:
            return specs[ref]
        raise SpecError(
            f"unknown spec {ref!r}; library specs: {', '.join(specs)} "
            "(or give a file, ./my_protocol.py, or module:Class)"
        )
    classes = _spec_classes(module)
    if cls_name:
        obj = getattr(module, cls_name, None)
        if not (inspect.isclass(obj) and issubclass(obj, Spec)):
            names = ", ".join(c.__name__ for c in classes) or "none"
            raise SpecError(f"{target!r} has no Spec subclass {cls_name!r}; it defines: {names}")
        return obj
    if len(classes) != 1:
        names = ", ".join(c.__name__ for c in classes) or "none"
        raise SpecError(
            f"{target!r} defines {len(classes)} Spec subclasses ({names}); name one as {target}:Class"
        )
    return classes[0]


def import_module(name: str) -> Any:
    """Import module ``name``, also from the working directory, as ``python -m`` would (the
    ``modelcheck`` script's own directory is on the path instead)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        here = os.getcwd()
        if exc.name != name.partition(".")[0] or here in sys.path or "" in sys.path:
            raise
        sys.path.insert(0, here)
        return importlib.import_module(name)


def split(ref: str) -> tuple[str, str, str]:
    """``(target, ":", Class)`` of a reference (``("x.py", "", "")`` without a class); the
    colon of a Windows drive (``C:\\proj\\m.py:Counter``) is part of the target."""
    if not _is_windows_drive(ref):
        return ref.partition(":")
    target, colon, cls_name = ref[2:].partition(":")
    return ref[:2] + target, colon, cls_name


def is_file(target: str) -> bool:
    """Whether a reference's target names a spec file rather than a module or library spec."""
    return target.endswith(".py") or "/" in target or "\\" in target


def _is_windows_drive(ref: str) -> bool:
    return len(ref) > 2 and ref[1] == ":" and ref[2] in "/\\"


def _load_file(path: Path) -> Any:
    if path.is_dir():
        raise SpecError(f"spec file {str(path)!r} is a directory; give a Python file in it "
                        f"(e.g. {str(path / 'my_protocol.py')!r}), a library name or module:Class")
    if not path.is_file():
        where = "" if path.is_absolute() else f" (looked for {str(path.absolute())!r}, from the working directory)"
        raise SpecError(f"spec file {str(path)!r} does not exist{where}")
    path = path.resolve()
    import hashlib  # here: only file specs need it, and it takes a few ms to import

    mod_name = f"_modelcheck_user_{hashlib.sha256(str(path).encode()).hexdigest()[:16]}"  # same in every process
    if mod_name in sys.modules:
        return sys.modules[mod_name]
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise SpecError(f"cannot load {str(path)!r} as a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    except SpecError:
        raise
    except Exception as exc:  # the user's file failed to import: say where
        del sys.modules[mod_name]
        raise SpecError(f"error while importing {str(path)!r}: {type(exc).__name__}: {exc}") from exc
    finally:
        sys.path.remove(str(path.parent))
    return module


def build(ref: str, params: dict[str, Any] | None = None, faults: Any = None) -> Spec:
    """Resolve ``ref`` and construct the spec with ``params`` (strings are converted).

    ``faults`` (a fault model, its text form or its summary dict) is passed on to specs
    that take one (actor protocols); a plain spec given faults is an error.
    """
    cls = resolve(ref)
    kwargs = dict(params or {})
    if faults:
        if not getattr(cls, "supports_faults", False):
            raise SpecError(f"spec {ref!r} is not an actor protocol; it takes no faults")
        kwargs["faults"] = faults
    spec = cls(**kwargs)
    spec.ref = ref if ref != cls.name else cls.name
    return spec


def spec_of(spec: Spec | str, params: dict[str, Any] | None = None, faults: Any = None) -> Spec:
    """A spec object, or a reference (``"twophase"``, ``./my.py:Spec``) built with ``params``
    and ``faults`` (the fault model of actor protocols, passed through)."""
    if isinstance(spec, Spec):
        if params or faults:
            raise TypeError("params and faults are for a spec given by name; "
                            "pass them to the spec's constructor instead")
        return spec
    if isinstance(spec, type) and issubclass(spec, Spec):
        raise SpecError(f"give a spec object, not its class: {spec.__name__}() (or {spec.__name__}(param=...))")
    if not isinstance(spec, str):
        raise SpecError(f"give a spec object or a reference such as 'twophase' or './my.py:MySpec', "
                        f"not a value of type {type(spec).__name__}")
    return build(spec, params, faults=faults)


def reference(spec: Spec) -> str:
    """How to name ``spec`` again: its reference, else its library name, else module:Class."""
    ref = getattr(spec, "ref", None)
    if ref:
        return ref
    cls = type(spec)
    if cls.name and cls.__module__.startswith("modelcheck.specs."):
        return cls.name
    return f"{cls.__module__}:{cls.__qualname__}"
