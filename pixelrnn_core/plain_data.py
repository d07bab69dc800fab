"""Settings as plain data: frozen dataclasses that round-trip through JSON dicts (run folders,
checkpoint metadata) and refuse keys they do not know."""
from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T", bound="PlainData")


class PlainData:
    """Mixin for a frozen dataclass: ``to_dict``, ``from_dict`` and ``replace``. ``KIND`` names the
    settings in error messages; ``ERROR`` is the exception raised for an unknown key."""

    KIND = "settings"
    ERROR: type[Exception] = ValueError

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        unknown = sorted(set(data) - {field.name for field in dataclasses.fields(cls)})
        if unknown:
            raise cls.ERROR(f"unknown {cls.KIND}: {', '.join(unknown)}")
        return cls(**data)

    def replace(self: T, **changes: Any) -> T:
        return dataclasses.replace(self, **changes)
