"""Help pages: metavars instead of Python types."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import typer.core

_METAVARS = {
    "skip": "KIND",
    "assume_crd": "GROUP",
    "kubernetes_version": "VERSION",
    "output": "FORMAT",
    "base": "REF",
    "head": "REF",
    "ignore": "FIELD",
}


def plain_help(command: Any) -> Any:
    """Help pages show metavars (DIR, FILE, N, FORMAT), not the Python types typer prints
    by default (`<list[Path]>`, `<bool>`); flags and arguments show no type column."""
    for param in command.params:
        desc = param.type_descriptor
        if param.metavar is None and not getattr(param, "is_flag", False):
            element = get_args(desc.annotation)[0] if desc.is_list else desc.annotation
            if param.name in _METAVARS:
                param.metavar = _METAVARS[param.name]
            elif element is Path:
                param.metavar = {"dir": "DIR", "file": "FILE"}.get(desc.path_type, "PATH")
            elif element in (int, float):
                param.metavar = "N"
            else:
                param.metavar = param.name.upper().replace("_", "-")
    for sub in getattr(command, "commands", {}).values():
        plain_help(sub)
    return command


def _option_type(self: typer.core.TyperOption, ctx: object) -> str | None:
    return None if self.is_flag else self.metavar


typer.core.TyperOption.display_type_rich = _option_type  # type: ignore[method-assign]
typer.core.TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]
