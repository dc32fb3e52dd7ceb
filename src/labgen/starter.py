"""``labgen init``: a commented starter spec for a platform and provider."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from labgen.data import platforms
from labgen.data.single_node import single_node
from labgen.data.types import Platform, Provider
from labgen.errors import LabgenError

PLATFORMS: tuple[str, ...] = get_args(Platform)
PROVIDERS: tuple[str, ...] = get_args(Provider)

_CLUSTER = {
    ("openshift", "aws"): """\
    platform: openshift
    provider: aws
    kubernetesVersion: "1.33"          # OpenShift 4.20
    region: us-east-2
    zones: [us-east-2a]
    # CHANGE ME: oc get infrastructure cluster -o jsonpath='{.status.infrastructureName}'
    infrastructureId: change-me-abcde
    # CHANGE ME: the worker AMI, oc -n openshift-machine-api get machineset
    #   -o jsonpath='{.items[0].spec.template.spec.providerSpec.value.ami.id}'
    machineImage: ami-0123456789abcdef0
""",
    ("openshift", "ibmcloud"): """\
    platform: openshift
    provider: ibmcloud
    kubernetesVersion: "1.33"          # OpenShift 4.20
    region: us-south
    zones: [us-south-1]
    # CHANGE ME: oc get infrastructure cluster -o jsonpath='{.status.infrastructureName}'
    infrastructureId: change-me-abcde
""",
    ("openshift", "gcp"): """\
    platform: openshift
    provider: gcp                      # GPU MachineSets are made outside labgen on GCP
    kubernetesVersion: "1.33"          # OpenShift 4.20
    region: us-central1
""",
    ("kubernetes", "aws"): """\
    platform: kubernetes
    provider: aws                      # GPU pools become Karpenter NodePools
    kubernetesVersion: "1.33"
    region: us-east-2
    zones: [us-east-2a, us-east-2b]
    clusterName: change-me             # EKS cluster: karpenter.sh/discovery tag, node role
""",
    ("kubernetes", "gcp"): """\
    platform: kubernetes
    provider: gcp                      # `labgen plan` prints the gcloud node-pool commands
    kubernetesVersion: "1.33"
    region: us-central1
""",
}

_REGIONS = {"aws": "us-east-2", "gcp": "us-central1", "ibmcloud": "us-south"}

_POOLS = {
    "aws": "{name: l4, accelerator: L4, gpusPerNode: 1, nodes: {min: 0, max: 2}}",
    "gcp": "{name: l4, accelerator: L4, gpusPerNode: 1, nodes: {min: 0, max: 2}}",
    "ibmcloud": "{name: l4, accelerator: L4, gpusPerNode: 1, nodes: {min: 0, max: 2}}",
    "baremetal": "{name: gpu, accelerator: A100-80GB, gpusPerNode: 8, nodes: {min: 1, max: 1}}",
    "kind": "{name: gpu, accelerator: L4, gpusPerNode: 1, nodes: {min: 1, max: 1}}",
    "k3s": "{name: gpu, accelerator: L40S, gpusPerNode: 1, nodes: {min: 1, max: 1}}",
}

_DESTINATION = """\
    # One cluster per lab: two labs on one cluster would both install its operators and
    # fight over them. Argo CD deploys this lab to the cluster it knows by this name
    # (`argocd cluster add CONTEXT --name {name}`); for the cluster Argo CD itself runs
    # in, use `server: https://kubernetes.default.svc` instead, in one lab only.
    destination:
      name: {name}
"""
_LOCAL_DESTINATION = """\
    # One machine: Argo CD runs in the lab's own cluster (`labgen plan {name}` installs it).
    destination:
      server: https://kubernetes.default.svc
"""


def starter_spec(name: str, platform: str, provider: str) -> str:
    """A spec that validates as written for ``platform`` on ``provider``."""
    region = _REGIONS.get(provider)
    cluster = _CLUSTER.get(
        (platform, provider),
        f"""\
    platform: {platform}
    provider: {provider}
    kubernetesVersion: "1.33"
"""
        + (f"    region: {region}\n" if region else ""),
    )
    # the GPU Operator's OLM package, unlike its chart, comes without NFD
    olm = {p.name for p in platforms.PLATFORMS.values() if p.operators_from_olm}
    nfd = "    nfd: {}                            # the GPU Operator needs it on OpenShift\n"
    local = single_node(provider) is not None
    destination = (_LOCAL_DESTINATION if local else _DESTINATION).format(name=name)
    return f"""\
# yaml-language-server: $schema=../schemas/lab.schema.json
# A labgen lab. Validate: `labgen validate {name}`; inspect: `labgen plan {name}`;
# render: `labgen render {name}`; then commit and push for Argo CD.
apiVersion: labgen.dev/v1alpha1
kind: Lab
metadata:
  name: {name}
  description: CHANGE ME - what this lab is for
spec:
  cluster:
{cluster}  gitops:
    repoURL: https://github.com/CHANGE-ME/llm-lab.git   # where this repo is pushed
    targetRevision: main
{destination}  gpuPools:
    - {_POOLS[provider]}
  operators:
    gpuOperator: {{}}
{nfd if platform in olm else ""}    certManager: {{}}
    gatewayApi: {{}}
    monitoring: {{}}
"""


def check_starter(text: str, file: str) -> None:
    """Raise the SpecError `labgen validate` would raise for a starter spec."""
    from labgen.plan import build_plan
    from labgen.spec import parse_lab

    build_plan(parse_lab(text, file), file)


def write_starter(root: Path, name: str, platform: str, provider: str, *, force: bool) -> Path:
    """Write ``labs/<name>.yaml`` under ``root`` and return its path; a spec `labgen
    validate` would reject (a SpecError with its messages) or an existing file without
    ``force`` is refused, with nothing written."""
    text = starter_spec(name, platform, provider)
    target = root / "labs" / f"{name}.yaml"
    check_starter(text, f"labs/{name}.yaml")
    if target.exists() and not force:
        raise LabgenError(f"{target} exists; pass --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target
