"""How a cluster-wide operator gets installed: the three shapes every operator component
uses, so none builds its Application by hand.

- :func:`helm_operator_app`: the operator's pinned Helm chart on every platform (KEDA,
  LeaderWorkerSet, Kueue, prometheus-adapter).
- :class:`Operator`: through OLM where the platform installs operators that way
  (OpenShift), from the pinned Helm chart elsewhere (GPU Operator, NFD, cert-manager,
  CloudNativePG). A new operator of this kind is a release row
  (:class:`labgen.data.types.OlmRelease`, with both ``helm=`` and ``olm=``), a
  ``spec.operators`` field marked ``Enables("<key>")``, and a component module::

      OPERATOR = Operator(
          "kuadrant",
          olm_base="operators/kuadrant/olm",
          olm_description="Kuadrant from OLM (community-operators)",
          helm_namespace="kuadrant-system",
          release_name="kuadrant-operator",
      )

      def apps(plan: LabPlan) -> Iterator[App]:
          if plan.has(OPERATOR.key):
              yield OPERATOR.app(plan, values={...})  # the chart's values (Helm only)

      COMPONENT = Component(OPERATOR.key, lambda: [OPERATOR.catalog_base()], apps)

  ``OPERATOR.from_olm(plan)`` says which way it went (an OLM install needs its operand
  instance as a custom resource; a chart usually renders it), ``OPERATOR.namespace(plan)``
  where it runs.
- :func:`crds_from_git`: CRDs applied from a pinned path of a git repository (Gateway
  API, the Inference Extension), in the CRD wave.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from labgen.components.base import (
    WAVE_CRDS,
    WAVE_OPERATORS,
    App,
    CatalogBase,
    GitSource,
    HelmSource,
    K8sObject,
    KustomizeSource,
    webhook_ca_bundle_ignores,
)
from labgen.components.olm import olm_app, olm_objects
from labgen.data.releases import RELEASES, release_as
from labgen.data.types import GitRelease, HelmRelease, OlmRelease
from labgen.plan.model import LabPlan

CRD_KIND = ("apiextensions.k8s.io", "CustomResourceDefinition")


def helm_operator_app(
    plan: LabPlan,
    key: str,
    namespace: str,
    release_name: str,
    values: K8sObject | None = None,
    *,
    ignore_differences: tuple[K8sObject, ...] | None = None,
    extra_namespaces: tuple[str, ...] = (),
    extra_source: KustomizeSource | None = None,
    component: str | None = None,
) -> App:
    """An operator installed from its pinned Helm chart (release ``key``) in its own
    namespace, in the operators' wave, as Application ``<lab>-<component>`` (default: the
    key); webhook CA bundles are ignored unless told otherwise."""
    release = release_as(plan.releases, key, HelmRelease)
    return App(
        component or key,
        WAVE_OPERATORS,
        namespace,
        HelmSource(release.helm, release_name, values or {}),
        create_namespace=True,
        ignore_differences=webhook_ca_bundle_ignores()
        if ignore_differences is None
        else ignore_differences,
        extra_namespaces=extra_namespaces,
        extra_source=extra_source,
    )


@dataclass(frozen=True)
class Operator:
    """An operator installed through OLM on platforms that install operators that way
    (``Platform.operators_from_olm``) and from its Helm chart elsewhere; ``key`` is its
    release row (an :class:`OlmRelease`), Application and component name."""

    key: str
    olm_base: str
    """Catalog base (``catalog/<olm_base>``) with its Namespace, OperatorGroup and
    Subscription, built from labgen's default release row."""
    olm_description: str
    helm_namespace: str
    release_name: str
    """Helm release name of the chart."""
    namespace_labels: dict[str, str] = field(default_factory=dict)
    """Labels of the OLM install's own Namespace."""

    def catalog_base(self) -> CatalogBase:
        """The OLM install as a catalog base (a lab's channel or CSV is a patch of it)."""
        package = release_as(RELEASES, self.key, OlmRelease).olm
        objects = olm_objects(package, self.namespace_labels or None)
        return CatalogBase(self.olm_base, self.olm_description, tuple(objects))

    def from_olm(self, plan: LabPlan) -> bool:
        """The lab installs it through OLM (else from its chart)."""
        return plan.platform.operators_from_olm

    def namespace(self, plan: LabPlan) -> str:
        """Where the operator runs in the lab."""
        if self.from_olm(plan):
            return release_as(plan.releases, self.key, OlmRelease).olm.namespace
        return self.helm_namespace

    def app(
        self,
        plan: LabPlan,
        values: K8sObject | None = None,
        *,
        ignore_differences: tuple[K8sObject, ...] | None = None,
        extra_source: KustomizeSource | None = None,
    ) -> App:
        """The Application installing it: the catalog OLM base (moved to the lab's
        channel/CSV by a patch), or the chart with ``values``, ``ignore_differences``
        (default: webhook CA bundles) and ``extra_source`` beside it."""
        release = release_as(plan.releases, self.key, OlmRelease)
        if self.from_olm(plan):
            return olm_app(self.key, release, self.olm_base)
        return helm_operator_app(
            plan,
            self.key,
            self.helm_namespace,
            self.release_name,
            values,
            ignore_differences=ignore_differences,
            extra_source=extra_source,
        )


def crds_from_git(
    plan: LabPlan, key: str, *, cluster_kinds: tuple[tuple[str, str], ...] = ()
) -> App:
    """The Application applying release ``key``'s manifests from its git path in the CRD
    wave; ``cluster_kinds``: the cluster-scoped (group, kind) it creates besides CRDs."""
    git = release_as(plan.releases, key, GitRelease).git
    return App(
        key,
        WAVE_CRDS,
        "",
        GitSource(git.repo_url, git.path, git.ref),
        chart_cluster_kinds=(CRD_KIND, *cluster_kinds),
    )
