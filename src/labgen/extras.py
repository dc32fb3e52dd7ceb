"""Optional dependencies (``pip install 'labgen[EXTRA]'``): a command that needs one says
how to install it instead of failing with an ImportError."""

from __future__ import annotations

import importlib

from labgen.errors import LabgenError

EXTRAS = {"kubernetes": "cluster", "matplotlib": "plot"}
"""Module -> the extra of labgen's package that installs it (pyproject.toml)."""


def require(module: str, needed_by: str) -> None:
    """Import ``module``, or raise a LabgenError naming the extra that installs it."""
    try:
        importlib.import_module(module)
    except ImportError:
        raise LabgenError(
            f"{needed_by} needs the {module} package, an optional dependency: install it "
            f"with `pip install 'labgen[{EXTRAS[module]}]'`"
        ) from None
