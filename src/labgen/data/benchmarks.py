"""GuideLLM command-line generations, keyed by the pinned (or overridden) release.

Checked against the real CLIs (``--help`` and runs against ``guidellm mock-server``):
0.3.1 and 0.6.1 take ``guidellm benchmark`` with ``--target``, ``--rate-type`` / ``--rate`` /
``--max-seconds`` flags and ``--output-path``; 0.8.1 is ``guidellm run`` with ``kind=...`` specs for
``--backend``, ``--profile``, ``--constraint``, ``--tokenizer``, ``--data`` and ``--output``,
``--override profile.rate|profile.streams`` for several load levels, and ``--label``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GuidellmGeneration:
    since: str
    until: str | None
    run_command: bool
    """``guidellm run`` with kind= specs (0.7+), else ``guidellm benchmark`` flags."""


GUIDELLM: tuple[GuidellmGeneration, ...] = (
    GuidellmGeneration("v0.3.0", "v0.7.0", run_command=False),
    GuidellmGeneration("v0.7.0", None, run_command=True),
)
