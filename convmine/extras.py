"""Optional dependencies: import them through :func:`require` so a missing one names its extra."""

from __future__ import annotations

import importlib
from types import ModuleType

from convmine.errors import MissingExtraError


def require(module: str, extra: str, purpose: str = "") -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        what = f" for {purpose}" if purpose else ""
        raise MissingExtraError(
            f"{module!r} is needed{what} but is not installed. "
            f"Install the extra: pip install 'convmine[{extra}]'"
        ) from exc
