"""spec.benchmarks -> BenchmarkPlan: the target model, its in-cluster URL and the checks
a GuideLLM run needs before anything is rendered."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence

from labgen.errors import PathPart
from labgen.plan.endpoints import model_url, why_no_url
from labgen.plan.model import BenchmarkPlan, ModelPlan
from labgen.spec import Lab

Report = Callable[[tuple[PathPart, ...], str], None]

RATE_PROFILES = ("constant", "poisson", "concurrent")
MAX_NAME = 48
"""Job names are bench-<name>-<8 hex>, and must fit in 63 characters."""


def resolve_benchmarks(
    lab: Lab, models: Sequence[ModelPlan], gateway_class: str | None, error: Report
) -> tuple[BenchmarkPlan, ...]:
    by_name = {m.name: m for m in models}
    declared = [m.name for m in lab.spec.models]
    out = []
    seen: dict[str, int] = {}
    for i, spec in enumerate(lab.spec.benchmarks):
        at: tuple[PathPart, ...] = ("spec", "benchmarks", i)
        if spec.name in seen:
            error(
                (*at, "name"),
                f"duplicate benchmark {spec.name!r} (also benchmarks[{seen[spec.name]}])",
            )
        seen.setdefault(spec.name, i)
        if len(spec.name) > MAX_NAME:
            error((*at, "name"), f"at most {MAX_NAME} characters (its Job is bench-<name>-<hash>)")
        if spec.profile in RATE_PROFILES and not spec.rates:
            unit = "stream counts" if spec.profile == "concurrent" else "requests per second"
            error((*at, "rates"), f"profile {spec.profile} needs rates ({unit})")
        if spec.profile not in RATE_PROFILES and spec.rates:
            error((*at, "rates"), f"profile {spec.profile} takes no rates")
        if spec.profile == "concurrent" and any(r != int(r) or r < 1 for r in spec.rates):
            error((*at, "rates"), "concurrent streams are whole numbers of at least 1")
        if any(r <= 0 for r in spec.rates):
            error((*at, "rates"), "rates must be positive")
        model = by_name.get(spec.target)
        if model is None:
            if spec.target not in declared:  # an invalid model already has its own error
                match = difflib.get_close_matches(spec.target, declared, n=1)
                hint = f" (did you mean {match[0]!r}?)" if match else ""
                error((*at, "target"), f"no model named {spec.target!r} in spec.models{hint}")
            continue
        url = spec.url or model_url(model, gateway_class)
        if url is None:
            why = why_no_url(model, gateway_class)
            error((*at, "url"), f"required for target {model.name!r}: {why}")
            continue
        tokenizer = spec.tokenizer or (
            model.uri.removeprefix("hf://") if model.uri.startswith("hf://") else None
        )
        if tokenizer is None:
            error(
                (*at, "tokenizer"),
                f"required: target {model.name!r} loads from {model.uri}, not a Hugging Face id",
            )
            continue
        out.append(
            BenchmarkPlan(
                name=spec.name,
                namespace=model.namespace,
                model=model,
                url=url.rstrip("/"),
                profile=spec.profile,
                rates=tuple(spec.rates),
                sweep_size=spec.sweepSize,
                prompt_tokens=spec.data.promptTokens,
                output_tokens=spec.data.outputTokens,
                max_seconds=spec.maxSeconds,
                max_requests=spec.maxRequests,
                tokenizer=tokenizer,
                storage=spec.storage,
            )
        )
    return tuple(out)
