"""The fact tables: internal consistency, and the release table against the upstream tags
the CRD schemas were taken from."""

from __future__ import annotations

import re

import pytest

from conftest import schemas_dir
from labgen.data.hardware import ACCELERATORS, INSTANCE_TYPES
from labgen.data.releases import RELEASES
from labgen.data.types import Accelerator, HelmRelease, OlmRelease


def test_g6e_12xlarge_has_four_gpus() -> None:
    # A known upstream catalog bug annotated it with 8; AWS sells it with 4 L40S.
    (row,) = [t for t in INSTANCE_TYPES if t.name == "g6e.12xlarge"]
    assert (row.accelerator, row.gpus) == ("L40S", 4)


def test_instance_types_are_unique_and_name_known_accelerators() -> None:
    names = [(t.provider, t.name) for t in INSTANCE_TYPES]
    assert len(names) == len(set(names))
    for row in INSTANCE_TYPES:
        assert row.accelerator in ACCELERATORS, row
        assert row.gpus >= 1
        assert row.vcpus >= row.gpus
        assert row.source.startswith("https://")


def test_only_datacenter_gpus_have_cloud_instance_types() -> None:
    # workstation cards and cpu are planned for nodes labgen does not make
    assert {ACCELERATORS[t.accelerator].kind for t in INSTANCE_TYPES} == {"datacenter"}
    cpu = ACCELERATORS["cpu"]
    assert (cpu.gpu, cpu.memory_gib, cpu.product_label, cpu.mig) == (False, 0, "", ())
    assert all(a.gpu and a.cuda_memory_mib for a in ACCELERATORS.values() if a.id != "cpu")


def test_ibm_profile_names_spell_their_shape() -> None:
    # IBM Cloud profile names are <family>-<vCPU>x<memory>x<GPUs><gpu>.
    for row in (t for t in INSTANCE_TYPES if t.provider == "ibmcloud"):
        match = re.fullmatch(r"gx3d?-(\d+)x(\d+)x(\d+)[a-z0-9]+", row.name)
        assert match, row.name
        assert tuple(map(int, match.groups())) == (row.vcpus, row.memory_gib, row.gpus)


def test_gcp_machine_names_spell_their_gpu_count() -> None:
    for row in (t for t in INSTANCE_TYPES if t.provider == "gcp" and t.name[:2] in ("a2", "a3")):
        assert row.name.endswith(f"-{row.gpus}g"), row.name


@pytest.mark.parametrize("accelerator", [a for a in ACCELERATORS.values() if a.mig])
def test_mig_profiles_fit_the_gpu(accelerator: Accelerator) -> None:
    for profile, instances in accelerator.mig:
        match = re.fullmatch(r"(\d)g\.(\d+)gb", profile)
        assert match, profile
        slices, memory = int(match[1]), int(match[2])
        # A GPU has 7 compute slices and (about) 8 memory slices: instances of a profile
        # never need more of either than the GPU has.
        assert slices * instances <= 7, profile
        # (names round memory up: two 3g.71gb on a 141 GB H200)
        assert memory * instances <= accelerator.memory_gib + instances, profile
    # The full-GPU profile is 7 compute slices with all of the memory, one per GPU.
    assert accelerator.mig[-1] == (f"7g.{accelerator.memory_gib}gb", 1)


def test_releases_are_pinned() -> None:
    for key, release in RELEASES.items():
        assert release.key == key
        assert re.fullmatch(r"v\d+\.\d+\.\d+", release.version), key
        if isinstance(release, HelmRelease):
            assert re.fullmatch(r"v?\d+\.\d+\.\d+", release.helm.version), key
            assert release.helm.repo_url.startswith(("https://", "oci://")), key
        if isinstance(release, OlmRelease):
            assert release.olm.channel, key
            assert release.olm.channel != "latest", key
            if release.olm.starting_csv:
                assert release.olm.starting_csv.startswith(release.olm.package), key
        for image in release.images.values():
            assert "latest" not in image, key


# Release rows whose `version` is the upstream tag of CRDs in ../shared/crds/SOURCES.md.
_CRD_SOURCES = {
    "gpu-operator": "NVIDIA/gpu-operator",
    "nfd": "kubernetes-sigs/node-feature-discovery",
    "cert-manager": "cert-manager/cert-manager",
    "keda": "kedacore/keda",
    "gateway-api": "kubernetes-sigs/gateway-api",
    "leaderworkerset": "kubernetes-sigs/lws",
    "cnpg": "cloudnative-pg/cloudnative-pg",
    "kube-prometheus-stack": "prometheus-operator/prometheus-operator",
    "karpenter": "aws/karpenter-provider-aws",
}


def test_release_versions_match_the_validated_crds() -> None:
    sources = schemas_dir().parent / "crds" / "SOURCES.md"
    if not sources.is_file():
        pytest.skip(f"{sources} not found: cannot compare release versions with CRD tags")
    tags: dict[str, set[str]] = {}
    for line in sources.read_text().splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 5 and cells[2].startswith("["):
            repo = cells[2][1 : cells[2].index("]")]
            tags.setdefault(repo, set()).add(cells[4])
    for key, repo in _CRD_SOURCES.items():
        assert RELEASES[key].version in tags.get(repo, set()), (key, repo, tags.get(repo))
