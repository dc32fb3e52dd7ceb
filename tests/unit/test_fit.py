"""The fit planner against figures computed by hand from docs/serving.md's formula.

Device memory is what CUDA reports (MiB): L4 23034, L40S 46068, A100-80GB 81920,
H100-80GB 81559. usable/GPU = MiB/1024 x 0.9 - 2 GiB overhead.
"""

from __future__ import annotations

import re

import pytest

from conftest import GOLDEN, REPO
from labgen.data.hardware import ACCELERATORS
from labgen.data.models import MODELS
from labgen.plan.fit import Device, Fit, tp_problem

GIB = 1024**3


def fit(model: str, dtype: str, gpu: str, tp: int, length: int, kv: str = "auto") -> Fit:
    accelerator = ACCELERATORS[gpu]
    device = Device(gpu, accelerator.cuda_memory_mib / 1024)
    return Fit(MODELS[model], dtype, kv, tp, 1, device, 0.9, length)


# (model, dtype, GPU, TP, maxModelLen) -> weights/GPU GiB, KV budget/GPU GiB,
# KV per sequence per GPU (bytes), max sequences
CASES = [
    # 8.03e9 x 2 B = 14.957 GiB; 23034/1024 x 0.9 - 2 = 18.245; KV/token 2x8x128x2x32 =
    # 128 KiB, x 8192 = 1 GiB; floor(3.288 / 1) = 3
    (("meta-llama/Llama-3.1-8B-Instruct", "bf16", "L4", 1, 8192), 14.957, 3.288, 2**30, 3),
    # 32.76e9 x 2 / 2 GPUs = 30.510; 81559/1024 x 0.9 - 2 = 69.683; 8 KV heads / TP 2 = 4:
    # 2x4x128x2x64 x 16384 = 2 GiB; floor(39.173 / 2) = 19
    (("Qwen/Qwen3-32B", "bf16", "H100-80GB", 2, 16384), 30.510, 39.173, 2 * 2**30, 19),
    # MoE: all 235e9 parameters are resident; fp8 1 B each / 8 = 27.357; 4 KV heads over
    # TP 8 are replicated (1 per GPU): 2x1x128x2x94 x 32768 = 1.46875 GiB; floor(28.8) = 28
    (("Qwen/Qwen3-235B-A22B", "fp8", "H100-80GB", 8, 32768), 27.357, 42.326, 1577058304, 28),
    # MXFP4 4.25 bits: 117e9 x 0.53125 = 57.887; 18 full layers x 131072 tokens + 18
    # sliding layers x 128: 2x8x64x2 x (2359296 + 2304) = 4836556800 B; floor(2.62) = 2
    (("openai/gpt-oss-120b", "mxfp4", "H100-80GB", 1, 131072), 57.887, 11.796, 4836556800, 2),
    # 27e9 x 2 = 50.291; 81920/1024 x 0.9 - 2 = 70; 10 global layers x 32768 + 52 sliding
    # x 1024: 2x16x128x2 x 380928 = 3120562176 B (2.906 GiB); floor(6.78) = 6
    (("google/gemma-3-27b-it", "bf16", "A100-80GB", 1, 32768), 50.291, 19.709, 3120562176, 6),
    # int4 0.5 B: 46.7e9 x 0.5 / 2 = 10.873; 46068/1024 x 0.9 - 2 = 38.490; 4 KV heads per
    # GPU: 2x4x128x2x32 x 32768 = 2 GiB; floor(13.8) = 13
    (("mistralai/Mixtral-8x7B-Instruct-v0.1", "int4", "L40S", 2, 32768), 10.873, 27.616, 2**31, 13),
    # no GQA: 2x32x96x2x32 x 131072 = 48 GiB per sequence: does not fit
    (("microsoft/Phi-3.5-mini-instruct", "fp16", "L4", 1, 131072), 7.078, 11.167, 48 * 2**30, 0),
]


@pytest.mark.parametrize(("config", "weights", "budget", "per_seq", "seqs"), CASES)
def test_hand_computed_memory_plan(
    config: tuple[str, str, str, int, int], weights: float, budget: float, per_seq: int, seqs: int
) -> None:
    planned = fit(*config)
    assert planned.weights_per_gpu_gib == pytest.approx(weights, abs=1e-3)
    assert planned.kv_budget_per_gpu_gib == pytest.approx(budget, abs=1e-3)
    assert planned.kv_per_sequence_per_gpu_bytes(planned.max_model_len) == per_seq
    assert planned.max_sequences == seqs
    assert planned.fits == (seqs > 0)


def test_fp8_kv_cache_halves_the_kv_per_sequence() -> None:
    full = fit("meta-llama/Llama-3.1-8B-Instruct", "bf16", "L4", 1, 8192)
    half = fit("meta-llama/Llama-3.1-8B-Instruct", "bf16", "L4", 1, 8192, kv="fp8")
    assert half.kv_per_sequence_per_gpu_bytes(8192) * 2 == full.kv_per_sequence_per_gpu_bytes(8192)
    assert half.max_sequences == 6


def test_tensor_parallel_must_divide_heads() -> None:
    assert tp_problem(MODELS["Qwen/Qwen2.5-7B-Instruct"], 8) == (
        "8 does not divide the 28 attention heads of Qwen/Qwen2.5-7B-Instruct"
    )
    assert tp_problem(MODELS["deepseek-ai/DeepSeek-R1-Distill-Qwen-32B"], 16) is not None
    assert tp_problem(MODELS["deepseek-ai/DeepSeek-R1-Distill-Qwen-32B"], 8) is None
    assert tp_problem(MODELS["Qwen/Qwen3-235B-A22B"], 8) is None  # KV heads replicated


def test_catalog_has_every_model_the_labs_serve() -> None:
    specs = [*(REPO / "labs").glob("*.yaml"), *GOLDEN.glob("*/lab.yaml")]
    served = {m for p in specs for m in re.findall(r"model: ([\w.-]+/[\w.-]+)", p.read_text())}
    assert served
    assert served <= set(MODELS), sorted(served - set(MODELS))
    for model in MODELS.values():
        assert model.heads % model.kv_heads == 0, model.id
        assert model.sliding_layers < model.layers
        assert model.moe == (model.active_params_b is not None)
    assert sum(m.moe for m in MODELS.values()) >= 4
