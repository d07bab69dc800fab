"""Settings as plain data: frozen dataclasses that round-trip through JSON dicts (run folders,
checkpoint metadata) and refuse keys they do not know and values of the wrong type."""
from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, TypeVar

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


class PlainData:
    """Mixin for a frozen dataclass: ``to_dict``, ``from_dict`` and ``replace``. ``KIND`` names the
    settings in error messages; ``ERROR`` is the exception raised for an unknown key or a bad value."""

    KIND = "settings"
    ERROR: type[Exception] = ValueError

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        if not isinstance(data, dict):
            raise cls.ERROR(f"{cls.KIND} must be a JSON object, got {type(data).__name__}")
        unknown = sorted(set(data) - {field.name for field in dataclasses.fields(cls)})
        if unknown:
            raise cls.ERROR(f"unknown {cls.KIND}: {', '.join(unknown)}")
        hints = typing.get_type_hints(cls)
        for name, value in data.items():
            if not fits_type(value, hints[name]):
                raise cls.ERROR(f"{cls.KIND}: {name} must be {type_name(hints[name])}, got {value!r}")
        try:
            return cls(**data)
        except TypeError as error:
            raise cls.ERROR(f"{cls.KIND}: {error}") from None

    def replace(self: T, **changes: Any) -> T:
        return dataclasses.replace(self, **changes)
