"""Settings as plain data: frozen dataclasses that round-trip through JSON dicts (run folders,
checkpoint metadata) and refuse keys they do not know and values of the wrong type."""
from __future__ import annotations

import dataclasses
import functools
import os
import types
import typing
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T", bound="PlainData")


def fits_type(value: Any, hint: Any) -> bool:
    """Whether a JSON value fits a field's type hint: int (not bool), float (int too), bool, str,
    None, unions of these and fixed-length tuples (a JSON list)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(fits_type(value, option) for option in typing.get_args(hint))
    if origin is tuple:
        items = typing.get_args(hint)
        return isinstance(value, (list, tuple)) and len(value) == len(items) and all(map(fits_type, value, items))
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def type_name(hint: Any) -> str:
    if typing.get_origin(hint) is None:
        return hint.__name__
    return str(hint).replace("typing.", "")


def plain_value(value: Any) -> Any:
    """``value`` with numpy numbers, alone or in a tuple, as Python's, and a path (``pathlib.Path``) as
    its string."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, tuple):
        return tuple(plain_value(item) for item in value)
    return value


@functools.cache
def field_types(cls: type) -> dict[str, Any]:
    """The type hint of each field of the dataclass ``cls``."""
    hints = typing.get_type_hints(cls)
    return {field.name: hints[field.name] for field in dataclasses.fields(cls)}


class PlainData:
    """Mixin for a frozen dataclass: ``to_dict``, ``from_dict`` and ``replace``. ``KIND`` names the
    settings in error messages; ``ERROR`` is the exception raised for an unknown key or a bad value."""

    KIND = "settings"
    ERROR: type[Exception] = ValueError

    def __post_init__(self) -> None:
        """Refuse a field of the wrong type (a batch size of 2.5 would fail only later, deep in torch);
        numpy's numbers are kept as Python's and paths as strings, which JSON can write."""
        for name, hint in field_types(type(self)).items():
            given = getattr(self, name)
            value = plain_value(given)
            if value is not given:
                object.__setattr__(self, name, value)
            if not fits_type(value, hint):
                raise self.ERROR(f"{self.KIND}: {name} must be {type_name(hint)}, got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        if not isinstance(data, dict):
            raise cls.ERROR(f"{cls.KIND} must be a JSON object, got {type(data).__name__}")
        unknown = sorted(set(data) - {field.name for field in dataclasses.fields(cls)})
        if unknown:
            raise cls.ERROR(f"unknown {cls.KIND}: {', '.join(unknown)}")
        try:
            return cls(**data)
        except TypeError as error:
            raise cls.ERROR(f"{cls.KIND}: {error}") from None

    def replace(self: T, **changes: Any) -> T:
        return dataclasses.replace(self, **changes)
