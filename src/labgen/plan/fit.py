"""Will a model fit? GPU memory arithmetic for vLLM, from the model's architecture facts.

Per GPU of one replica (tensor parallel ``tp`` x pipeline parallel ``pp`` GPUs)::

    weights/GPU   = params x bytes_per_param(dtype) / (tp x pp)
    usable/GPU    = device memory x gpu-memory-utilization - OVERHEAD_GIB
    KV budget/GPU = usable/GPU - weights/GPU
    KV/sequence/GPU at L tokens
                  = 2 (K and V) x ceil(kv_heads / tp) x head_dim x kv_bytes
                    x (full_layers/pp x L + sliding_layers/pp x min(L, window))
    max concurrent sequences = floor(KV budget/GPU / KV/sequence/GPU at maxModelLen)

A configuration fits when at least one sequence of ``maxModelLen`` tokens fits (vLLM
refuses to start otherwise). ``full_layers/pp`` and ``sliding_layers/pp`` are rounded up:
the largest pipeline stage is the bottleneck. KV heads are replicated when ``tp`` exceeds
them (vLLM does the same), hence the ``ceil``. ``OVERHEAD_GIB`` stands for what vLLM's
profiling run finds besides weights: the CUDA context, NCCL buffers, peak activations and
CUDA graphs; it is an estimate, so planned figures are a floor for the real KV cache
to within about a GiB per GPU, not a promise. Memory is in GiB (2^30 bytes); device
memory is what CUDA reports (``nvidia-smi``), not the marketing figure.

On a node without a GPU (``accelerator: cpu``, vLLM's CPU image) the one device is the
node's RAM, and the KV cache is a fixed size vLLM takes from ``VLLM_CPU_KVCACHE_SPACE``
(whole GiB)::

    usable      = node memory - CPU_NODE_RESERVE_GIB - CPU_OVERHEAD_GIB
    KV budget   = usable - weights
    KV space    = min(floor(KV budget), ceil(CPU_KV_SEQUENCES x KV/sequence at maxModelLen))
    pod memory  = ceil(weights + KV space + CPU_OVERHEAD_GIB)

It fits when the KV space holds one ``maxModelLen`` sequence. Nothing here estimates speed:
decoding reads every weight once per step, so memory bandwidth bounds a CPU's tokens/s, and
labgen knows no bandwidth figure for a machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from labgen.data.models import ModelArch
from labgen.data.types import BYTES_PER_PARAM

GIB = 1024**3
OVERHEAD_GIB = 2.0
"""Per-GPU memory vLLM needs besides weights and KV cache (estimate)."""
DEFAULT_GPU_MEMORY_UTILIZATION = 0.9

CPU_NODE_RESERVE_GIB = 6.0
"""RAM of a cpu node left to everything but the model server: the OS, the kubelet and
container runtime, and the lab's other pods (Argo CD, Open WebUI, a database, Prometheus).
An estimate: lower it by giving the pool a larger ``memoryGiB`` only if the machine has it."""
CPU_OVERHEAD_GIB = 2.0
"""RAM vLLM's CPU server needs besides weights and KV cache: the Python process, torch and
its OpenMP runtime, the tokenizer, activations of a batch (estimate)."""
CPU_KV_SEQUENCES = 4
"""Full-length sequences the KV space is sized for on a cpu node, when the RAM allows: CPU
decoding is slow enough that more concurrent sequences mostly wait."""

KvCacheDtype = Literal["auto", "fp8"]


def kv_bytes(dtype: str, kv_cache_dtype: str) -> int:
    """Bytes per cached K or V element: vLLM keeps the KV cache in the activation dtype
    (16-bit for every weight format here) unless ``--kv-cache-dtype fp8``."""
    return 1 if kv_cache_dtype == "fp8" else 2


@dataclass(frozen=True)
class Device:
    """What one replica's GPUs are: a whole GPU or a MIG slice."""

    name: str
    memory_gib: float


@dataclass(frozen=True)
class Fit:
    """The memory plan of one model on ``tp x pp`` devices."""

    model: ModelArch
    dtype: str
    kv_cache_dtype: str
    tp: int
    pp: int
    device: Device
    gpu_memory_utilization: float
    max_model_len: int

    @property
    def cpu(self) -> bool:
        """Served by vLLM's CPU backend from a node's RAM (:class:`CpuFit`)."""
        return False

    @property
    def gpus(self) -> int:
        return self.tp * self.pp

    @property
    def weights_gib(self) -> float:
        return self.model.params_b * 1e9 * BYTES_PER_PARAM[self.dtype] / GIB

    @property
    def weights_per_gpu_gib(self) -> float:
        return self.weights_gib / self.gpus

    @property
    def usable_per_gpu_gib(self) -> float:
        return self.device.memory_gib * self.gpu_memory_utilization - OVERHEAD_GIB

    @property
    def kv_budget_per_gpu_gib(self) -> float:
        return self.usable_per_gpu_gib - self.weights_per_gpu_gib

    @property
    def kv_bytes_per_token(self) -> int:
        """KV cache of one token over all layers of the whole model (within the window
        for sliding layers): the usual "KV bytes per token" figure."""
        element = kv_bytes(self.dtype, self.kv_cache_dtype)
        return 2 * self.model.kv_heads * self.model.head_dim * element * self.model.layers

    def kv_per_sequence_per_gpu_bytes(self, tokens: int) -> int:
        m = self.model
        element = kv_bytes(self.dtype, self.kv_cache_dtype)
        heads = math.ceil(m.kv_heads / self.tp)
        full = math.ceil(m.full_layers / self.pp)
        sliding = math.ceil(m.sliding_layers / self.pp)
        window = min(tokens, m.sliding_window)
        return 2 * heads * m.head_dim * element * (full * tokens + sliding * window)

    @property
    def kv_per_sequence_gib(self) -> float:
        """KV cache one ``maxModelLen`` sequence takes on each GPU of the replica."""
        return self.kv_per_sequence_per_gpu_bytes(self.max_model_len) / GIB

    @property
    def kv_bytes_available(self) -> float:
        """Bytes per GPU the KV cache can have."""
        return self.kv_budget_per_gpu_gib * GIB

    @property
    def max_sequences(self) -> int:
        """Sequences of ``maxModelLen`` tokens the KV cache holds at once (0: no fit)."""
        budget = self.kv_bytes_available
        if budget <= 0:
            return 0
        return int(budget // self.kv_per_sequence_per_gpu_bytes(self.max_model_len))

    @property
    def fits(self) -> bool:
        return self.max_sequences >= 1

    def longest_fitting_len(self) -> int:
        """The largest ``maxModelLen`` (a multiple of 256 when above it) for which one
        sequence's KV cache fits next to the weights; 0 when the weights alone do not fit."""
        budget = self.kv_bytes_available
        low, high = 0, self.max_model_len
        while low < high:  # the KV cache grows with the tokens
            middle = (low + high + 1) // 2
            if self.kv_per_sequence_per_gpu_bytes(middle) <= budget:
                low = middle
            else:
                high = middle - 1
        return low - low % 256 if low >= 256 else low

    def remedy(self, others: str) -> str:
        """What would make a failed fit fit: a shorter maxModelLen (the longest that fits)
        or an fp8 KV cache only when the weights leave room for some KV cache; ``others``
        are the remedies that change the weights or the hardware."""
        if self.kv_bytes_available <= 0:
            if self.cpu:
                return f"The weights leave no whole GiB of RAM for KV cache; use {others}"
            return f"The weights alone exceed the GPUs' memory; use {others}"
        longest = self.longest_fitting_len()
        shorter = (
            f"maxModelLen {longest} (the longest that fits)" if longest else "a shorter maxModelLen"
        )
        fp8 = ", kvCacheDtype: fp8" if self.kv_cache_dtype != "fp8" and not self.cpu else ""
        return f"Use {shorter}{fp8}, or {others}"

    def explain(self) -> str:
        """The numbers behind the verdict, for error messages."""
        parallel = f"TP {self.tp}" + (f" x PP {self.pp}" if self.pp > 1 else "")
        return (
            f"weights {self.weights_gib:.1f} GiB in {self.dtype} = "
            f"{self.weights_per_gpu_gib:.1f} GiB per GPU at {parallel}; each {self.device.name} "
            f"gives {self.usable_per_gpu_gib:.1f} GiB at gpu-memory-utilization "
            f"{self.gpu_memory_utilization:.2f} (less {OVERHEAD_GIB:.1f} GiB overhead), "
            f"leaving {self.kv_budget_per_gpu_gib:.1f} GiB for KV cache; one "
            f"{self.max_model_len}-token sequence needs {self.kv_per_sequence_gib:.2f} GiB "
            "per GPU"
        )


@dataclass(frozen=True)
class CpuFit(Fit):
    """The RAM plan of one model on a node without a GPU: ``device`` is the node (its
    memory), ``tp``/``pp`` are 1 and ``gpu_memory_utilization`` has no meaning (1.0)."""

    @property
    def cpu(self) -> bool:
        return True

    @property
    def usable_per_gpu_gib(self) -> float:
        return self.device.memory_gib - CPU_NODE_RESERVE_GIB - CPU_OVERHEAD_GIB

    @property
    def kv_bytes_available(self) -> float:
        """vLLM's CPU backend takes its KV space in whole GiB."""
        return float(max(0, math.floor(self.kv_budget_per_gpu_gib)) * GIB)

    @property
    def kv_space_gib(self) -> int:
        """``VLLM_CPU_KVCACHE_SPACE``: room for ``CPU_KV_SEQUENCES`` sequences of
        ``maxModelLen``, or what the node has left when that is less."""
        wanted = math.ceil(CPU_KV_SEQUENCES * self.kv_per_sequence_gib)
        return max(0, min(int(self.kv_bytes_available // GIB), wanted))

    @property
    def max_sequences(self) -> int:
        """Sequences of ``maxModelLen`` tokens the KV space holds at once (0: no fit)."""
        per_sequence = self.kv_per_sequence_per_gpu_bytes(self.max_model_len)
        return self.kv_space_gib * GIB // per_sequence

    @property
    def memory_gib(self) -> int:
        """The server pod's memory (request and limit): weights, KV space and overhead."""
        return math.ceil(self.weights_gib + self.kv_space_gib + CPU_OVERHEAD_GIB)

    def explain(self) -> str:
        return (
            f"weights {self.weights_gib:.1f} GiB in {self.dtype}; the node's "
            f"{self.device.memory_gib:g} GiB less {CPU_NODE_RESERVE_GIB:g} GiB for the rest of "
            f"the machine and {CPU_OVERHEAD_GIB:g} GiB for vLLM leave "
            f"{self.usable_per_gpu_gib:.1f} GiB, {self.kv_budget_per_gpu_gib:.1f} GiB of it "
            f"for KV cache (whole GiB: {int(self.kv_bytes_available // GIB)}); one "
            f"{self.max_model_len}-token sequence needs {self.kv_per_sequence_gib:.2f} GiB"
        )


def cpu_fit(model: ModelArch, dtype: str, node_memory_gib: float, max_model_len: int) -> CpuFit:
    """The RAM plan of ``model`` on a node of ``node_memory_gib`` without a GPU."""
    node = Device("cpu", node_memory_gib)
    return CpuFit(model, dtype, "auto", 1, 1, node, 1.0, max_model_len)


def tp_problem(model: ModelArch, tp: int) -> str | None:
    """Why vLLM cannot shard ``model`` over ``tp`` GPUs, or None."""
    if model.heads % tp:
        return f"{tp} does not divide the {model.heads} attention heads of {model.id}"
    if model.kv_heads % tp and tp % model.kv_heads:
        return f"{tp} and the {model.kv_heads} KV heads of {model.id} do not divide one another"
    return None


def tp_candidates(limit: int) -> list[int]:
    """Powers of two up to ``limit``."""
    out, tp = [], 1
    while tp <= limit:
        out.append(tp)
        tp *= 2
    return out
