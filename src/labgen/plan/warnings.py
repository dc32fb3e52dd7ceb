"""Warnings: a spec that validates but will not do what its author wants (placeholders
left from `labgen init`, a gated model without a token). Reported by `validate` and
`plan`, positioned like errors; they never stop a render."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from labgen.data.models import find_model
from labgen.errors import Diagnostic, PathPart
from labgen.plan.model import LabPlan
from labgen.spec import LoadedLab

_PLACEHOLDER = re.compile(r"CHANGE[-_ ]?ME", re.IGNORECASE)


def spec_warnings(loaded: LoadedLab, plan: LabPlan) -> list[Diagnostic]:
    document = loaded.document
    found = [
        document.diagnostic(path, f"warning: placeholder {value!r}: replace it")
        for path, value in _strings(document.data, ())
        if _PLACEHOLDER.search(value)
    ]
    for index, model in enumerate(plan.models):
        if model.arch.gated and model.token_secret is None and model.uri.startswith("hf://"):
            found.append(
                document.diagnostic(
                    ("spec", "models", index, "model"),
                    f"warning: {model.arch.id} is gated on Hugging Face: without `tokenSecret` "
                    "(a Secret with HF_TOKEN) the download is refused",
                )
            )
    found += _cpu_speed(loaded, plan)
    served = {m.name for m in loaded.lab.spec.models}
    for m_index, matrix in enumerate(loaded.lab.spec.matrices):
        for e_index, entry in enumerate(matrix.models):
            name, token = (
                (entry, None) if isinstance(entry, str) else (entry.model, entry.tokenSecret)
            )
            arch = find_model(name)
            # a spec.models name reuses that model's tokenSecret, warned about above
            if arch is not None and arch.gated and token is None and name not in served:
                found.append(
                    document.diagnostic(
                        ("spec", "matrices", m_index, "models", e_index),
                        f"warning: {arch.id} is gated on Hugging Face: without `tokenSecret` "
                        "the download is refused",
                    )
                )
    return found


def _cpu_speed(loaded: LoadedLab, plan: LabPlan) -> list[Diagnostic]:
    """A model on a cpu pool runs, but slowly: say what bounds it, with no made-up figure."""
    index = {m.name: i for i, m in enumerate(loaded.lab.spec.models)}
    return [
        loaded.document.diagnostic(
            ("spec", "models", index[model.name], "pool"),
            f"warning: {model.arch.id} runs on vLLM's CPU backend: every generated token "
            f"reads all {model.fit.weights_gib:.1f} GiB of weights from RAM, so one sequence "
            f"decodes at most (the machine's memory bandwidth / {model.fit.weights_gib:.1f} "
            "GiB) tokens per second, and prompts are computed on the CPU cores; expect a "
            f"small fraction of a GPU's speed. Context is capped at {model.fit.max_model_len} "
            f"tokens, {model.fit.max_sequences} such sequences at once",
        )
        for model in plan.models
        if model.fit.cpu
    ]


def _strings(value: Any, path: tuple[PathPart, ...]) -> Iterator[tuple[tuple[PathPart, ...], str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))
    elif isinstance(value, str):
        yield path, value
