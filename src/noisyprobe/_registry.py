"""A small name -> factory registry, one per kind (datasets, backbones, methods)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from noisyprobe.errors import NoisyProbeError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to factories and reports unknown names with the list of known ones.

    Example:
        >>> reg = Registry("method")
        >>> @reg.register("double")
        ... def make_double():
        ...     return lambda x: 2 * x
        >>> reg.get("double")()(3)
        6
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        def decorator(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._factories:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._factories[name] = factory
            return factory

        return decorator

    def names(self) -> list[str]:
        return sorted(self._factories)

    def __contains__(self, name: str) -> bool:
        return name in self._factories

    def get(self, name: str) -> Callable[..., T]:
        try:
            return self._factories[name]
        except KeyError:
            known = ", ".join(self.names())
            raise NoisyProbeError(
                f"unknown {self.kind} {name!r}; expected one of: {known}"
            ) from None
