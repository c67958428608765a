"""A faster ``__init__`` for the frozen dataclasses that a run makes for every host.

``@dataclass(frozen=True)`` stores each field through ``object.__setattr__``, about three times
the cost of a plain dataclass's ``__init__``; a 100k-host run makes over a million such objects.
``quick_init`` gives the class an ``__init__`` that writes the fields straight into the instance
(its ``__dict__``, or its slots through their descriptors): the same parameters, defaults and
default factories, and the instance is as frozen afterwards as before.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def quick_init(cls: type[T]) -> type[T]:
    """Replace frozen dataclass ``cls``'s ``__init__`` (apply above ``@dataclass``).

    TypeError for what it does not handle: a class that is not a frozen dataclass, or that has
    ``__post_init__``, init-only, keyword-only or ``init=False`` fields.
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or hasattr(cls, "__post_init__"):
        raise TypeError(
            f"{cls.__name__}: quick_init takes a frozen dataclass without __post_init__"
        )
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    own = cls.__init__.__code__
    names = tuple(f.name for f in fields)
    if own.co_kwonlyargcount or own.co_varnames[1 : own.co_argcount] != names:
        # keyword-only, init-only (InitVar) or init=False fields
        raise TypeError(f"{cls.__name__}: quick_init takes plain fields only")
    in_slots = "__slots__" in cls.__dict__
    # generated names start with "_", which no field name does
    env: dict[str, Any] = {"_MISSING": dataclasses.MISSING}
    args: list[str] = []
    body: list[str] = [] if in_slots else ["    _d = self.__dict__"]
    for f in fields:
        if f.name.startswith("_") or f.name == "self":  # would clash with generated names
            raise TypeError(f"{cls.__name__}.{f.name}: quick_init takes plain fields only")
        name = f.name
        if f.default is not dataclasses.MISSING:
            env[f"_default_{name}"] = f.default
            args.append(f"{name}=_default_{name}")
        elif f.default_factory is not dataclasses.MISSING:
            env[f"_factory_{name}"] = f.default_factory
            args.append(f"{name}=_MISSING")
            body.append(f"    if {name} is _MISSING: {name} = _factory_{name}()")
        else:
            args.append(name)
        if in_slots:
            env[f"_set_{name}"] = getattr(cls, name).__set__
            body.append(f"    _set_{name}(self, {name})")
        else:
            body.append(f"    _d[{name!r}] = {name}")
    source = f"def __init__(self, {', '.join(args)}):\n" + "\n".join(body or ["    pass"]) + "\n"
    exec(source, env)
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
