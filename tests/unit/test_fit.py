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
from labgen.plan.fit import Device, Fit, cpu_fit, tp_problem

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


# Workstation cards: memory.total as nvidia-smi prints it, RTX 4090 24564 MiB, RTX 6000 Ada
# 49140 MiB. usable/GPU = MiB/1024 x 0.9 - 2: 24564/1024 = 23.98828125 x 0.9 = 21.589453
# - 2 = 19.589453; 49140/1024 = 47.98828125 x 0.9 = 43.189453 - 2 = 41.189453.
WORKSTATION_CASES = [
    # 8.2e9 x 2 B = 16.4e9 B = 15.2737 GiB; 19.5895 - 15.2737 = 4.3158; KV/token
    # 2x8x128x2x36 = 147456 B, x 16384 = 2415919104 B (2.25 GiB); floor(4.3158 / 2.25) = 1
    (("Qwen/Qwen3-8B", "bf16", "RTX-4090", 1, 16384), 15.2737, 4.3158, 2415919104, 1),
    # int4: 32.76e9 x 0.5 = 16.38e9 B = 15.2551 GiB; 19.5895 - 15.2551 = 4.3344;
    # 2x8x128x2x64 = 262144 B/token x 16384 = 4294967296 B (4 GiB); floor(1.08) = 1
    (("Qwen/Qwen3-32B", "int4", "RTX-4090", 1, 16384), 15.2551, 4.3344, 2**32, 1),
    # 41.1895 - 15.2737 = 25.9158; 147456 x 40960 = 6039797760 B (5.625 GiB);
    # floor(25.9158 / 5.625) = 4
    (("Qwen/Qwen3-8B", "bf16", "RTX-6000-Ada", 1, 40960), 15.2737, 25.9158, 6039797760, 4),
    # 32.76e9 x 2 / 2 GPUs = 32.76e9 B = 30.5101 GiB; 41.1895 - 30.5101 = 10.6793; 8 KV heads
    # / TP 2 = 4: 2x4x128x2x64 = 131072 B/token x 16384 = 2 GiB; floor(5.34) = 5
    (("Qwen/Qwen3-32B", "bf16", "RTX-6000-Ada", 2, 16384), 30.5101, 10.6793, 2**31, 5),
]


@pytest.mark.parametrize(("config", "weights", "budget", "per_seq", "seqs"), WORKSTATION_CASES)
def test_hand_computed_workstation_gpus(
    config: tuple[str, str, str, int, int], weights: float, budget: float, per_seq: int, seqs: int
) -> None:
    test_hand_computed_memory_plan(config, weights, budget, per_seq, seqs)


def test_workstation_gpus_carry_the_facts_gfd_and_nvidia_smi_report() -> None:
    rtx4090, rtx6000 = ACCELERATORS["RTX-4090"], ACCELERATORS["RTX-6000-Ada"]
    assert (rtx4090.product_label, rtx4090.cuda_memory_mib) == ("NVIDIA-GeForce-RTX-4090", 24564)
    assert (rtx6000.product_label, rtx6000.cuda_memory_mib) == (
        "NVIDIA-RTX-6000-Ada-Generation",
        49140,
    )
    for card in (rtx4090, rtx6000):
        assert card.kind == "workstation"
        assert not card.mig
        assert card.gke_label is None
        # nvidia-smi's figure is below the marketing GiB, never above
        assert card.cuda_memory_mib <= card.memory_gib * 1024


# cpu: the node's RAM is the device. usable = memoryGiB - 6 (rest of the machine) - 2 (vLLM);
# KV space = min(floor(budget), ceil(4 x KV/sequence)) whole GiB; pod memory =
# ceil(weights + KV space + 2).
# (model, memoryGiB, maxModelLen) -> weights GiB, KV budget GiB, KV/sequence bytes, KV space
# GiB, max sequences, pod memory GiB, longest fitting maxModelLen
CPU_CASES = [
    # 3.8e9 x 2 = 7.6e9 B = 7.0781 GiB; 32 - 8 = 24; 24 - 7.0781 = 16.9219 (16 whole GiB);
    # no GQA: 2x32x96x2x32 = 393216 B/token x 8192 = 3 GiB; ceil(4 x 3) = 12 <= 16: 12 GiB,
    # 12 / 3 = 4 sequences; ceil(7.0781 + 12 + 2) = 22 GiB
    (("microsoft/Phi-3.5-mini-instruct", 32, 8192), 7.0781, 16.9219, 3 * 2**30, 12, 4, 22, 8192),
    # 16 - 8 - 7.0781 = 0.9219: no whole GiB for the KV cache, nothing fits
    (("microsoft/Phi-3.5-mini-instruct", 16, 8192), 7.0781, 0.9219, 3 * 2**30, 0, 0, 10, 0),
    # 131072 tokens x 393216 B = 48 GiB > 16: no fit; the longest: 16 GiB / 393216 B =
    # 43690.7 tokens, down to a multiple of 256: 43520
    (
        ("microsoft/Phi-3.5-mini-instruct", 32, 131072),
        7.0781,
        16.9219,
        48 * 2**30,
        16,
        0,
        26,
        43520,
    ),
    # 8.2e9 x 2 = 15.2737 GiB; 24 - 15.2737 = 8.7263 (8 whole); 147456 B/token x 40960 =
    # 5.625 GiB; ceil(4 x 5.625) = 23 > 8: 8 GiB, floor(8 / 5.625) = 1 sequence;
    # ceil(15.2737 + 8 + 2) = 26 GiB
    (("Qwen/Qwen3-8B", 32, 40960), 15.2737, 8.7263, 6039797760, 8, 1, 26, 40960),
]


@pytest.mark.parametrize(
    ("config", "weights", "budget", "per_seq", "space", "seqs", "memory", "longest"), CPU_CASES
)
def test_hand_computed_ram_plan(
    config: tuple[str, int, int],
    weights: float,
    budget: float,
    per_seq: int,
    space: int,
    seqs: int,
    memory: int,
    longest: int,
) -> None:
    model, node_gib, length = config
    planned = cpu_fit(MODELS[model], "bf16", node_gib, length)
    assert planned.weights_gib == pytest.approx(weights, abs=1e-4)
    assert planned.kv_budget_per_gpu_gib == pytest.approx(budget, abs=1e-4)
    assert planned.kv_per_sequence_per_gpu_bytes(length) == per_seq
    assert planned.kv_space_gib == space
    assert planned.max_sequences == seqs
    assert planned.memory_gib == memory
    assert planned.fits == (seqs > 0)
    assert planned.longest_fitting_len() == longest


def test_ram_plan_explains_itself_and_its_remedy() -> None:
    too_long = cpu_fit(MODELS["microsoft/Phi-3.5-mini-instruct"], "bf16", 32, 131072)
    assert "the node's 32 GiB less 6 GiB" in too_long.explain()
    assert too_long.remedy("more RAM") == (
        "Use maxModelLen 43520 (the longest that fits), or more RAM"
    )  # no fp8 KV cache offered on cpu
    small = cpu_fit(MODELS["microsoft/Phi-3.5-mini-instruct"], "bf16", 16, 8192)
    assert small.remedy("more RAM").startswith("The weights leave no whole GiB of RAM")
