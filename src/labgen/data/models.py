"""The model catalog: architecture facts of popular open models, from their published
``config.json`` (and model cards for parameter counts).

These are the numbers the fit planner (:mod:`labgen.plan.fit`) needs: parameters (total,
and active for mixture-of-experts models), layers, hidden size, attention and KV heads,
head dimension, context length, and which layers use sliding-window attention (their KV
cache stops growing at the window). A spec can describe a model that is not here with
``architecture:``.

``head_dim`` is taken from the config, never derived: Qwen3-32B has 64 heads of 128 on a
5120 hidden size, so hidden/heads (80) would be wrong. ``max_context`` is the config's
``max_position_embeddings`` (Qwen3 says 40960, although its card quotes 32,768 native).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

NativeDtype = Literal["bf16", "mxfp4"]


@dataclass(frozen=True)
class ModelArch:
    """Architecture facts of one model checkpoint."""

    id: str
    """Hugging Face repository id, e.g. ``Qwen/Qwen3-32B``."""
    slug: str
    """Short DNS-label name used in catalog paths (``qwen3-32b``)."""
    params_b: float
    """Total parameters, billions."""
    active_params_b: float | None
    """Parameters active per token (mixture-of-experts), billions; None for dense models."""
    layers: int
    hidden: int
    heads: int
    """Attention (query) heads."""
    kv_heads: int
    """Key/value heads (grouped-query attention); equal to ``heads`` without GQA."""
    head_dim: int
    max_context: int
    """``max_position_embeddings``."""
    native_dtype: NativeDtype = "bf16"
    """How the published checkpoint stores its weights."""
    sliding_layers: int = 0
    """Layers with sliding-window attention (their KV stops at ``sliding_window`` tokens)."""
    sliding_window: int = 0
    gated: bool = False
    """The Hugging Face repository requires accepting a licence (pass a token Secret)."""
    source: str = ""

    @property
    def moe(self) -> bool:
        return self.active_params_b is not None

    @property
    def full_layers(self) -> int:
        return self.layers - self.sliding_layers


_MLC = "mlc-ai/mlc-llm python/mlc_llm/model/model_preset.py"
_LITGPT = "Lightning-AI/litgpt litgpt/config.py"
_MAXTEXT = "AI-Hypercomputer/maxtext src/MaxText/utils/ckpt_conversion/utils/hf_model_configs.py"
_LLMPROF = "citsjtu2020/LLM-Prof sglang/Model_Config.md"

# fmt: off
MODELS: dict[str, ModelArch] = {
    m.id: m
    for m in (
        ModelArch(
            "meta-llama/Llama-3.1-8B-Instruct", "llama-3-1-8b", 8.03, None, 32, 4096, 32, 8,
            128, 131072, gated=True, source=f"{_MLC} [llama3_1_8b]; {_MAXTEXT}",
        ),
        ModelArch(
            "meta-llama/Llama-3.1-70B-Instruct", "llama-3-1-70b", 70.6, None, 80, 8192, 64, 8,
            128, 131072, gated=True, source=f"{_MLC} [llama3_1_70b]; {_MAXTEXT}",
        ),
        ModelArch(
            "meta-llama/Llama-3.3-70B-Instruct", "llama-3-3-70b", 70.6, None, 80, 8192, 64, 8,
            128, 131072, gated=True, source=f"{_LITGPT} [Llama-3.3-70B-Instruct]",
        ),
        ModelArch(
            "meta-llama/Llama-3.2-3B-Instruct", "llama-3-2-3b", 3.21, None, 28, 3072, 24, 8,
            128, 131072, gated=True, source=f"{_MLC} [llama3_2_3b]",
        ),
        ModelArch(
            "Qwen/Qwen3-8B", "qwen3-8b", 8.2, None, 36, 4096, 32, 8, 128, 40960,
            source=f"{_LLMPROF} [Qwen3-8B]; {_MAXTEXT}",
        ),
        ModelArch(
            "Qwen/Qwen3-32B", "qwen3-32b", 32.76, None, 64, 5120, 64, 8, 128, 40960,
            source=f"{_LLMPROF} [Qwen3-32B]; {_LITGPT}",
        ),
        ModelArch(
            "Qwen/Qwen3-30B-A3B", "qwen3-30b-a3b", 30.5, 3.3, 48, 2048, 32, 4, 128, 40960,
            source=f"{_LLMPROF} [Qwen3-30B-A3B]; {_LITGPT}",
        ),
        ModelArch(
            "Qwen/Qwen3-235B-A22B", "qwen3-235b-a22b", 235, 22, 94, 4096, 64, 4, 128, 40960,
            source=f"{_LITGPT} [Qwen3-235B-A22B]",
        ),
        ModelArch(
            "Qwen/Qwen2.5-7B-Instruct", "qwen2-5-7b", 7.61, None, 28, 3584, 28, 4, 128, 32768,
            source=f"{_LITGPT} [Qwen2.5-7B]",
        ),
        ModelArch(
            "mistralai/Mistral-7B-Instruct-v0.3", "mistral-7b", 7.25, None, 32, 4096, 32, 8,
            128, 32768, gated=True, source=f"{_MLC} [mistral_7b_v03]; {_LITGPT}",
        ),
        ModelArch(
            "mistralai/Mixtral-8x7B-Instruct-v0.1", "mixtral-8x7b", 46.7, 12.9, 32, 4096, 32,
            8, 128, 32768, gated=True, source=f"{_MAXTEXT} [mixtral_8x7b_dict]",
        ),
        ModelArch(
            # 5 of every 6 layers slide over 1024 tokens; max_position_embeddings and the
            # vocabulary are Gemma3TextConfig's defaults (absent from the config).
            "google/gemma-3-27b-it", "gemma-3-27b", 27, None, 62, 5376, 32, 16, 128, 131072,
            sliding_layers=52, sliding_window=1024, gated=True,
            source=f"{_LITGPT} [Gemma-3-27b-it]; {_MAXTEXT} [gemma3_27b_config]",
        ),
        ModelArch(
            "google/gemma-3-12b-it", "gemma-3-12b", 12, None, 48, 3840, 16, 8, 256, 131072,
            sliding_layers=40, sliding_window=1024, gated=True,
            source=f"{_LITGPT} [Gemma-3-12b-it]; {_MAXTEXT} [gemma3_12b_config]",
        ),
        ModelArch(
            "ibm-granite/granite-3.3-8b-instruct", "granite-3-3-8b", 8.17, None, 40, 4096, 32,
            8, 128, 131072, source="ibm-granite/granite-3.3-8b-instruct config.json",
        ),
        ModelArch(
            # MXFP4 experts, BF16 attention; layers alternate sliding-128 and full attention.
            "openai/gpt-oss-20b", "gpt-oss-20b", 21, 3.6, 24, 2880, 64, 8, 64, 131072,
            native_dtype="mxfp4", sliding_layers=12, sliding_window=128,
            source=f"{_MAXTEXT} [gpt_oss_20b_dict]; model card",
        ),
        ModelArch(
            "openai/gpt-oss-120b", "gpt-oss-120b", 117, 5.1, 36, 2880, 64, 8, 64, 131072,
            native_dtype="mxfp4", sliding_layers=18, sliding_window=128,
            source=f"{_MAXTEXT} [gpt_oss_120b_dict]; model card",
        ),
        ModelArch(
            "deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "deepseek-r1-distill-llama-8b", 8.03,
            None, 32, 4096, 32, 8, 128, 131072, source=f"{_LITGPT} [R1-Distill-Llama-8B]",
        ),
        ModelArch(
            "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", "deepseek-r1-distill-qwen-32b", 32.76,
            None, 64, 5120, 40, 8, 128, 131072, source="Qwen2.5-32B architecture; model card",
        ),
        ModelArch(
            # Multi-head attention (no GQA): the largest KV cache per token here.
            "microsoft/Phi-3.5-mini-instruct", "phi-3-5-mini", 3.8, None, 32, 3072, 32, 32, 96,
            131072, source=f"{_MLC} [phi-3_5]",
        ),
    )
}
# fmt: on


def find_model(name: str) -> ModelArch | None:
    """A catalog model by its Hugging Face id or its short name (``qwen3-32b``): the one
    naming rule of ``models[].model``, ``matrices[].models`` and ``labgen models``."""
    return MODELS.get(name) or _BY_SLUG.get(name)


def model_names() -> list[str]:
    """Every name ``find_model`` accepts (for did-you-mean hints)."""
    return [*MODELS, *_BY_SLUG]


_BY_SLUG = {m.slug: m for m in MODELS.values()}
