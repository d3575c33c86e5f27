"""Tests of optional extras skip where the extra is not installed — but never in CI, which installs them."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def need(module: str, extra: str) -> ModuleType:
    """Import ``module``; without it skip the test module, except under CI where that is a failure."""
    if os.environ.get("CI"):
        return importlib.import_module(module)
    return pytest.importorskip(module, reason=f"the {extra} extra is not installed")
