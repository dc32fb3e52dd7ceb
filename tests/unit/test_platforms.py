"""The platform table, the typed release rows, the operator helpers and the error root:
what makes a platform, an operator or an error kind one obvious change."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import get_args

import pytest

import labgen
from labgen.bench.analyze import analyze
from labgen.bench.report import ReportError
from labgen.components import REGISTRY, cert_manager, gateway_api, gpu_operator
from labgen.components.base import GitSource, HelmSource, KustomizeSource
from labgen.components.operators import crds_from_git, helm_operator_app
from labgen.data.platforms import PLATFORMS, Provisioner
from labgen.data.releases import RELEASES, release_as
from labgen.data.types import GitRelease, HelmRelease, OlmRelease, Platform, Provider
from labgen.errors import LabgenError
from labgen.plan import build_plan
from labgen.plan.model import LabPlan
from labgen.spec import OPERATOR_FIELDS, Operators, parse_lab

SPEC = """\
apiVersion: labgen.dev/v1alpha1
kind: Lab
metadata: {{name: house}}
spec:
  cluster: {{platform: {platform}, provider: baremetal, kubernetesVersion: "1.33"}}
  gitops: {{repoURL: https://github.com/example/lab.git}}
  operators: {{gpuOperator: {{}}, nfd: {{}}, certManager: {{}}, gatewayApi: {{}}}}
"""


def plan_on(platform: str) -> LabPlan:
    return build_plan(parse_lab(SPEC.format(platform=platform), "lab.yaml"), "lab.yaml")


def test_every_spec_platform_has_a_row_and_only_those() -> None:
    assert set(PLATFORMS) == set(get_args(Platform))
    for name, platform in PLATFORMS.items():
        assert platform.name == name
        assert platform.providers <= set(get_args(Provider))
        assert set(platform.provisioners) <= platform.providers
        assert set(platform.provisioners.values()) <= set(get_args(Provisioner))


def test_every_provider_runs_some_platform() -> None:
    covered = {p for platform in PLATFORMS.values() for p in platform.providers}
    assert covered == set(get_args(Provider))


def test_the_plan_carries_the_platform_row() -> None:
    for name in PLATFORMS:
        assert plan_on(name).platform is PLATFORMS[name]


ON_PROVIDER = """\
apiVersion: labgen.dev/v1alpha1
kind: Lab
metadata: {{name: driver}}
spec:
  cluster: {{platform: {platform}, provider: {provider},{region} kubernetesVersion: "1.33"}}
  gitops: {{repoURL: https://github.com/example/lab.git}}
  operators: {{gpuOperator: {{}}, nfd: {{}}}}
"""


@pytest.mark.parametrize(
    ("platform", "provider", "driver", "toolkit"),
    [
        # RHCOS has no NVIDIA driver anywhere: the operator builds it (Driver Toolkit)
        ("openshift", "gcp", True, True),
        ("openshift", "baremetal", True, True),
        # GKE nodes and EKS accelerated AMIs come with the driver, EKS's with the toolkit
        ("kubernetes", "gcp", False, True),
        ("kubernetes", "aws", False, False),
        ("kubernetes", "ibmcloud", True, True),
    ],
)
def test_the_gpu_operator_installs_what_the_node_image_lacks(
    platform: str, provider: str, driver: bool, toolkit: bool
) -> None:
    region = "" if provider == "baremetal" else " region: r1,"
    spec = ON_PROVIDER.format(platform=platform, provider=provider, region=region)
    options = build_plan(parse_lab(spec, "lab.yaml"), "lab.yaml").gpu_operator
    assert options is not None
    assert (options.driver, options.toolkit) == (driver, toolkit)


def test_every_operator_field_names_a_registered_component() -> None:
    assert set(OPERATOR_FIELDS) == set(Operators.model_fields)
    assert set(OPERATOR_FIELDS.values()) <= {c.name for c in REGISTRY}


def test_release_as_narrows_or_refuses() -> None:
    assert isinstance(release_as(RELEASES, "gpu-operator", OlmRelease), OlmRelease)
    assert isinstance(release_as(RELEASES, "gpu-operator", HelmRelease), HelmRelease)
    assert isinstance(release_as(RELEASES, "gateway-api", GitRelease), GitRelease)
    with pytest.raises(TypeError, match="release keda is a HelmRelease, not a OlmRelease"):
        release_as(RELEASES, "keda", OlmRelease)
    with pytest.raises(TypeError, match="release vllm is a Release, not a HelmRelease"):
        release_as(RELEASES, "vllm", HelmRelease)


def test_an_operator_comes_from_olm_or_its_chart_by_platform() -> None:
    for name, platform in PLATFORMS.items():
        plan = plan_on(name)
        app = cert_manager.OPERATOR.app(plan)
        package = release_as(RELEASES, "cert-manager", OlmRelease).olm
        if platform.operators_from_olm:
            assert isinstance(app.source, KustomizeSource)
            assert app.source.bases == (cert_manager.OPERATOR.olm_base,)
            assert app.namespace == package.namespace
        else:
            assert isinstance(app.source, HelmSource)
            assert app.source.chart.chart == "cert-manager"
            assert app.namespace == cert_manager.OPERATOR.helm_namespace
        assert cert_manager.OPERATOR.namespace(plan) == app.namespace
        assert gpu_operator.OPERATOR.from_olm(plan) == platform.operators_from_olm


def test_operator_instances_follow_the_olm_install() -> None:
    for name, platform in PLATFORMS.items():
        components = {a.component for a in gpu_operator.apps(plan_on(name))}
        expected = {"gpu-operator", "gpu-operator-instance"}
        assert components == (expected if platform.operators_from_olm else {"gpu-operator"})


def test_crds_from_git_and_a_builtin_gateway() -> None:
    for name, platform in PLATFORMS.items():
        (app,) = gateway_api.apps(plan_on(name))
        if platform.gateway is not None:
            assert isinstance(app.source, KustomizeSource)
            continue
        assert isinstance(app.source, GitSource)
        git = release_as(RELEASES, "gateway-api", GitRelease).git
        assert (app.source.repo_url, app.source.path, app.source.revision) == (
            git.repo_url,
            git.path,
            git.ref,
        )
        assert ("apiextensions.k8s.io", "CustomResourceDefinition") in app.chart_cluster_kinds
    plan = plan_on("kubernetes")
    with pytest.raises(TypeError):
        crds_from_git(plan, "keda")
    with pytest.raises(TypeError):
        helm_operator_app(plan, "gateway-api", "x", "x")


def test_every_labgen_exception_is_a_labgen_error() -> None:
    """The CLI's clean-error path catches LabgenError: an exception class of labgen's own
    outside that root would reach users as an 'unexpected error'."""
    outside = []
    for info in pkgutil.walk_packages(labgen.__path__, "labgen."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
                and not issubclass(value, LabgenError)
            ):
                outside.append(f"{module.__name__}.{name}")
    assert not outside


def test_weights_without_a_positive_one_are_a_user_error() -> None:
    with pytest.raises(ReportError, match="at least one weight must be positive"):
        analyze([], weights=[("output_tps", 0.0)])
