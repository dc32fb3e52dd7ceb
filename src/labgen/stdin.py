"""``-`` on a command line: read standard input instead of a file."""

from __future__ import annotations

from pathlib import Path

STDIN = Path("-")
"""The path that stands for standard input (``labgen validate -``, ``labgen check -``)."""
STDIN_ORIGIN = "<stdin>"
"""How messages name what was read from standard input."""
