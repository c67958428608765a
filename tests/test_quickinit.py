"""quick_init: the same objects as the dataclass's own ``__init__``, still frozen."""

from __future__ import annotations

import dataclasses
from dataclasses import InitVar, dataclass, field
from typing import Any

import pytest
from memmap_lint.engine.findings import Finding, Location
from memmap_lint.engine.hostinput import Sources
from memmap_lint.engine.results import HostResult
from memmap_lint.inventory.model import Host, Pos, VarDef
from memmap_lint.inventory.textpos import MappedVarDef
from memmap_lint.quickinit import quick_init
from memmap_lint.rule import HostContext


def _pair(slots: bool) -> tuple[type[Any], type[Any]]:
    """The same frozen dataclass twice: with its own ``__init__`` and with quick_init's."""

    def make() -> type[Any]:
        @dataclass(frozen=True, slots=slots)
        class Record:
            a: int
            b: str = "b"
            c: list[int] = field(default_factory=list)
            d: Any = None

        return Record

    return make(), quick_init(make())


CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((1,), {}),
    ((1, "x"), {}),
    ((1, "x", [2]), {"d": 3}),
    ((), {"a": 1, "c": [4]}),
    ((), {"d": "d", "a": 0}),
]


@pytest.mark.parametrize("slots", [False, True])
def test_same_objects_as_the_dataclass_init(slots: bool) -> None:
    own, quick = _pair(slots)
    for args, kwargs in CALLS:
        expected, got = own(*args, **kwargs), quick(*args, **kwargs)
        assert dataclasses.astuple(got) == dataclasses.astuple(expected)
        assert repr(got).split("(", 1)[1] == repr(expected).split("(", 1)[1]
        assert hash(got.b) == hash(expected.b)
        with pytest.raises(dataclasses.FrozenInstanceError):
            got.a = 2
    assert quick(1).c is not quick(1).c  # a fresh default per instance
    for args, kwargs in [((), {}), ((1, "x", [], None, 5), {}), ((1,), {"e": 1}), ((1,), {"a": 1})]:
        with pytest.raises(TypeError) as own_error:
            own(*args, **kwargs)
        with pytest.raises(TypeError) as quick_error:
            quick(*args, **kwargs)
        assert str(quick_error.value).split("()", 1)[-1] == str(own_error.value).split("()", 1)[-1]


def test_refuses_what_it_does_not_handle() -> None:
    @dataclass
    class Mutable:
        a: int

    @dataclass(frozen=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclass(frozen=True)
    class KeywordOnly:
        a: int = field(kw_only=True)

    @dataclass(frozen=True)
    class InitOnly:
        a: int
        b: InitVar[int] = 0

    @dataclass(frozen=True)
    class NotInInit:
        a: int
        b: int = field(default=0, init=False)

    for cls in (Mutable, Checked, KeywordOnly, InitOnly, NotInInit, int):
        with pytest.raises(TypeError):
            quick_init(cls)


def test_the_classes_made_per_host_are_still_frozen_dataclasses() -> None:
    pos = Pos("inv.yaml", 3, 5)
    loc = Location("inv.yaml", 3, 5)
    host = Host("h", {"kernel": VarDef("6.12", pos, True)}, ("all",), pos)
    made = [
        pos,
        loc,
        Finding("MM101", "name", "error", "h", "message", location=loc),
        HostResult("h", None, ()),
        host,
        VarDef("6.12", pos, True),
        MappedVarDef("ro", pos, True, (4, 6)),
        Sources(host, "ro", lambda _offset: None),
        HostContext("h", None, None, None),  # type: ignore[arg-type]
    ]
    for obj in made:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, dataclasses.fields(obj)[0].name, None)
        again = type(obj)(**{f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)})
        assert again == obj
    assert Finding("MM101", "n", "error", "h", "m").extra == ()
    assert Sources(host, "", lambda _offset: None).facts == {}
    assert HostContext("h", None, None, None).options == {}  # type: ignore[arg-type]
