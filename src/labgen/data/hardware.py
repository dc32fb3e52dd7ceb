"""Hardware facts: NVIDIA accelerators and the cloud machine types that carry them.

Besides the datacenter GPUs clouds sell, the table has the workstation cards a lab is tried
on before it gets cluster time (no instance types, no serving catalog entry points), and
``cpu``: a node without a GPU, served by vLLM's CPU image from the node's RAM (the pool
gives that memory; :mod:`labgen.plan.fit` plans it).

Every row names the vendor page its numbers were checked against. GPU counts matter most:
they size tensor parallelism, the scale-from-zero capacity annotations and the
ClusterAutoscaler's GPU limits (one upstream catalog annotated ``g6e.12xlarge`` with 8 GPUs;
it has 4, and ``test_hardware`` pins that).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from labgen.data.types import Accelerator, InstanceType

_NVIDIA_MIG = "https://docs.nvidia.com/datacenter/tesla/mig-user-guide/supported-mig-profiles.html"
_GKE_GPUS = "https://cloud.google.com/compute/docs/gpus"

ACCELERATORS: dict[str, Accelerator] = {
    a.id: a
    for a in (
        Accelerator(
            "L4",
            24,
            "NVIDIA-L4",
            "nvidia-l4",
            (),
            "https://www.nvidia.com/en-us/data-center/l4/",
            cuda_memory_mib=23034,
        ),
        Accelerator(
            "L40S",
            48,
            "NVIDIA-L40S",
            None,
            (),
            "https://www.nvidia.com/en-us/data-center/l40s/",
            cuda_memory_mib=46068,
        ),
        Accelerator(
            "A100-40GB",
            40,
            "NVIDIA-A100-SXM4-40GB",
            "nvidia-tesla-a100",
            (
                ("1g.5gb", 7),
                ("1g.10gb", 4),
                ("2g.10gb", 3),
                ("3g.20gb", 2),
                ("4g.20gb", 1),
                ("7g.40gb", 1),
            ),
            _NVIDIA_MIG,
            cuda_memory_mib=40960,
        ),
        Accelerator(
            "A100-80GB",
            80,
            "NVIDIA-A100-SXM4-80GB",
            "nvidia-a100-80gb",
            (
                ("1g.10gb", 7),
                ("1g.20gb", 4),
                ("2g.20gb", 3),
                ("3g.40gb", 2),
                ("4g.40gb", 1),
                ("7g.80gb", 1),
            ),
            _NVIDIA_MIG,
            cuda_memory_mib=81920,
        ),
        Accelerator(
            "H100-80GB",
            80,
            "NVIDIA-H100-80GB-HBM3",
            "nvidia-h100-80gb",
            (
                ("1g.10gb", 7),
                ("1g.20gb", 4),
                ("2g.20gb", 3),
                ("3g.40gb", 2),
                ("4g.40gb", 1),
                ("7g.80gb", 1),
            ),
            _NVIDIA_MIG,
            cuda_memory_mib=81559,
        ),
        Accelerator(
            "H200-141GB",
            141,
            "NVIDIA-H200",
            "nvidia-h200-141gb",
            (
                ("1g.18gb", 7),
                ("1g.35gb", 4),
                ("2g.35gb", 3),
                ("3g.71gb", 2),
                ("4g.71gb", 1),
                ("7g.141gb", 1),
            ),
            _NVIDIA_MIG,
            cuda_memory_mib=143771,
        ),
        # Workstation cards: the product label is GFD's rendering of the NVML name
        # ("NVIDIA GeForce RTX 4090" -> NVIDIA-GeForce-RTX-4090), memory.total as nvidia-smi
        # prints it on these cards (24564 and 49140 MiB).
        Accelerator(
            "RTX-4090",
            24,
            "NVIDIA-GeForce-RTX-4090",
            None,
            (),
            "https://www.nvidia.com/en-us/geforce/graphics-cards/40-series/rtx-4090/",
            cuda_memory_mib=24564,
            kind="workstation",
        ),
        Accelerator(
            "RTX-6000-Ada",
            48,
            "NVIDIA-RTX-6000-Ada-Generation",
            None,
            (),
            "https://www.nvidia.com/en-us/products/workstations/rtx-6000/",
            cuda_memory_mib=49140,
            kind="workstation",
        ),
        Accelerator(
            "cpu",
            0,
            "",
            None,
            (),
            "https://docs.vllm.ai/en/latest/getting_started/installation/cpu.html",
            kind="cpu",
        ),
    )
}
CPU = ACCELERATORS["cpu"]

# The spec's type of an accelerator name: pydantic reads the Literal built from the table
# (allowed values, JSON Schema enum, error messages); mypy sees a plain string.
if TYPE_CHECKING:
    AcceleratorName = str
else:
    AcceleratorName = Literal[tuple(ACCELERATORS)]

_AWS_G6 = "https://aws.amazon.com/ec2/instance-types/g6/"
_AWS_G6E = "https://aws.amazon.com/ec2/instance-types/g6e/"
_AWS_P4 = "https://aws.amazon.com/ec2/instance-types/p4/"
_AWS_P5 = "https://aws.amazon.com/ec2/instance-types/p5/"
_GCP_ACCEL = "https://cloud.google.com/compute/docs/accelerator-optimized-machines"
_IBM_GPU = "https://cloud.ibm.com/docs/vpc?topic=vpc-profiles&interface=ui#gpu"


def _rows(
    provider: str, accelerator: str, source: str, rows: tuple[tuple[str, int, int, int], ...]
) -> tuple[InstanceType, ...]:
    return tuple(
        InstanceType(provider, name, accelerator, gpus, vcpus, memory, source)  # type: ignore[arg-type]
        for name, gpus, vcpus, memory in rows
    )


INSTANCE_TYPES: tuple[InstanceType, ...] = (
    # AWS: (name, GPUs, vCPUs, memory GiB)
    *_rows(
        "aws",
        "L4",
        _AWS_G6,
        (
            ("g6.xlarge", 1, 4, 16),
            ("g6.2xlarge", 1, 8, 32),
            ("g6.4xlarge", 1, 16, 64),
            ("g6.8xlarge", 1, 32, 128),
            ("g6.16xlarge", 1, 64, 256),
            ("g6.12xlarge", 4, 48, 192),
            ("g6.24xlarge", 4, 96, 384),
            ("g6.48xlarge", 8, 192, 768),
        ),
    ),
    *_rows(
        "aws",
        "L40S",
        _AWS_G6E,
        (
            ("g6e.xlarge", 1, 4, 32),
            ("g6e.2xlarge", 1, 8, 64),
            ("g6e.4xlarge", 1, 16, 128),
            ("g6e.8xlarge", 1, 32, 256),
            ("g6e.16xlarge", 1, 64, 512),
            ("g6e.12xlarge", 4, 48, 384),
            ("g6e.24xlarge", 4, 96, 768),
            ("g6e.48xlarge", 8, 192, 1536),
        ),
    ),
    *_rows("aws", "A100-40GB", _AWS_P4, (("p4d.24xlarge", 8, 96, 1152),)),
    *_rows("aws", "A100-80GB", _AWS_P4, (("p4de.24xlarge", 8, 96, 1152),)),
    *_rows(
        "aws", "H100-80GB", _AWS_P5, (("p5.4xlarge", 1, 16, 256), ("p5.48xlarge", 8, 192, 2048))
    ),
    *_rows(
        "aws",
        "H200-141GB",
        _AWS_P5,
        (("p5e.48xlarge", 8, 192, 2048), ("p5en.48xlarge", 8, 192, 2048)),
    ),
    # GCP: (name, GPUs, vCPUs, memory GB as Google lists it)
    *_rows(
        "gcp",
        "L4",
        _GCP_ACCEL,
        (
            ("g2-standard-4", 1, 4, 16),
            ("g2-standard-8", 1, 8, 32),
            ("g2-standard-12", 1, 12, 48),
            ("g2-standard-16", 1, 16, 64),
            ("g2-standard-32", 1, 32, 128),
            ("g2-standard-24", 2, 24, 96),
            ("g2-standard-48", 4, 48, 192),
            ("g2-standard-96", 8, 96, 384),
        ),
    ),
    *_rows(
        "gcp",
        "A100-40GB",
        _GCP_ACCEL,
        (
            ("a2-highgpu-1g", 1, 12, 85),
            ("a2-highgpu-2g", 2, 24, 170),
            ("a2-highgpu-4g", 4, 48, 340),
            ("a2-highgpu-8g", 8, 96, 680),
            ("a2-megagpu-16g", 16, 96, 1360),
        ),
    ),
    *_rows(
        "gcp",
        "A100-80GB",
        _GCP_ACCEL,
        (
            ("a2-ultragpu-1g", 1, 12, 170),
            ("a2-ultragpu-2g", 2, 24, 340),
            ("a2-ultragpu-4g", 4, 48, 680),
            ("a2-ultragpu-8g", 8, 96, 1360),
        ),
    ),
    *_rows(
        "gcp",
        "H100-80GB",
        _GCP_ACCEL,
        (
            ("a3-highgpu-1g", 1, 26, 234),
            ("a3-highgpu-2g", 2, 52, 468),
            ("a3-highgpu-4g", 4, 104, 936),
            ("a3-highgpu-8g", 8, 208, 1872),
        ),
    ),
    *_rows("gcp", "H200-141GB", _GCP_ACCEL, (("a3-ultragpu-8g", 8, 224, 2952),)),
    # IBM Cloud VPC: profile names spell vCPUs x memory GiB x GPUs
    *_rows(
        "ibmcloud",
        "L4",
        _IBM_GPU,
        (
            ("gx3-16x80x1l4", 1, 16, 80),
            ("gx3-32x160x2l4", 2, 32, 160),
            ("gx3-64x320x4l4", 4, 64, 320),
        ),
    ),
    *_rows(
        "ibmcloud",
        "L40S",
        _IBM_GPU,
        (("gx3-24x120x1l40s", 1, 24, 120), ("gx3-48x240x2l40s", 2, 48, 240)),
    ),
    *_rows("ibmcloud", "H100-80GB", _IBM_GPU, (("gx3d-160x1792x8h100", 8, 160, 1792),)),
    *_rows("ibmcloud", "H200-141GB", _IBM_GPU, (("gx3d-160x1792x8h200", 8, 160, 1792),)),
)
