"""The lab's Argo CD tree: AppProject, root Application, children, bootstrap bundle.

Finalizer policy: the root Application and every operator/CRD Application carry no
resources finalizer, so deleting them (or removing an operator from the spec) orphans
what they installed instead of deleting CRDs and every custom resource with them.
Applications whose resources are safe and desirable to delete with them (GPU pools:
removing a pool must stop paying for its nodes) carry
``resources-finalizer.argocd.argoproj.io``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from labgen.components.base import (
    App,
    GitSource,
    HelmSource,
    K8sObject,
    KustomizeSource,
    obj,
)
from labgen.data.charts import chart_inventory
from labgen.plan.model import LabPlan

APPLICATION_API = "argoproj.io/v1alpha1"
RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
IN_CLUSTER = "https://kubernetes.default.svc"
CLUSTER_SCOPED_NAMESPACE = "default"
LAB_LABEL = "labgen.dev/lab"
COMPONENT_LABEL = "labgen.dev/component"
SINGLE_NODE_LABEL = "labgen.dev/single-node"
"""On the Applications of a single-node lab: its in-cluster destination is the lab's own
machine, with an Argo CD of its own (``labgen check`` counts it as a cluster apart)."""

# Application health, removed from Argo CD's built-ins in 1.8; without it a parent
# Application does not wait for a child of an earlier wave to become healthy.
APPLICATION_HEALTH_LUA = """\
hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil then
  if obj.status.health ~= nil then
    hs.status = obj.status.health.status
    if obj.status.health.message ~= nil then
      hs.message = obj.status.health.message
    end
  end
end
return hs
"""


def app_name(plan: LabPlan, component: str) -> str:
    return f"{plan.name}-{component}"


def overlay_dir(plan: LabPlan, component: str) -> str:
    return f"overlays/{plan.name}/{component}"


def _sync_policy(options: Iterable[str]) -> K8sObject:
    return {
        "automated": {"prune": True, "selfHeal": True, "allowEmpty": False},
        "syncOptions": sorted(options),
        "retry": {"limit": 10, "backoff": {"duration": "15s", "factor": 2, "maxDuration": "5m"}},
    }


def _git_source(plan: LabPlan, path: str) -> K8sObject:
    return {
        "repoURL": plan.gitops.repo_url,
        "targetRevision": plan.gitops.target_revision,
        "path": path,
    }


def _source(plan: LabPlan, app: App) -> K8sObject:
    source = app.source
    if isinstance(source, KustomizeSource):
        return _git_source(plan, overlay_dir(plan, app.component))
    if isinstance(source, HelmSource):
        return _helm_source(source)
    assert isinstance(source, GitSource)
    return {"repoURL": source.repo_url, "targetRevision": source.revision, "path": source.path}


def _helm_source(source: HelmSource) -> K8sObject:
    helm: K8sObject = {"releaseName": source.release_name}
    if source.values:
        helm["valuesObject"] = source.values
    if source.chart.oci:
        # The artifact is the chart itself; path "." selects its root.
        return {
            "repoURL": source.chart.source_repo,
            "path": ".",
            "targetRevision": source.chart.version,
            "helm": helm,
        }
    return {
        "repoURL": source.chart.repo_url,
        "chart": source.chart.chart,
        "targetRevision": source.chart.version,
        "helm": helm,
    }


def destination_namespace(app: App) -> str:
    return app.namespace or CLUSTER_SCOPED_NAMESPACE


def application(plan: LabPlan, app: App) -> K8sObject:
    options = {"ServerSideApply=true"}
    if app.create_namespace:
        options.add("CreateNamespace=true")
    if app.ignore_differences:
        options.add("RespectIgnoreDifferences=true")
    spec: dict[str, Any] = {"project": plan.gitops.project}
    if app.extra_source is not None or app.extra_charts:
        spec["sources"] = [_source(plan, app), *map(_helm_source, app.extra_charts)]
        if app.extra_source is not None:
            spec["sources"].append(_git_source(plan, overlay_dir(plan, app.component)))
    else:
        spec["source"] = _source(plan, app)
    spec["destination"] = plan.gitops.destination(destination_namespace(app))
    spec["syncPolicy"] = _sync_policy(options)
    if app.ignore_differences:
        spec["ignoreDifferences"] = list(app.ignore_differences)
    spec["info"] = [{"name": "Rendered from", "value": plan.spec_file}]
    application = obj(
        APPLICATION_API,
        "Application",
        app_name(plan, app.component),
        plan.gitops.argocd_namespace,
        labels=_labels(plan, app.component),
        annotations={SYNC_WAVE: str(app.wave)},
        spec=spec,
    )
    if app.cascade_delete:
        application["metadata"]["finalizers"] = [RESOURCES_FINALIZER]
    return application


def _labels(plan: LabPlan, component: str) -> dict[str, str]:
    labels = {LAB_LABEL: plan.name, COMPONENT_LABEL: component}
    if plan.single_node is not None:
        labels[SINGLE_NODE_LABEL] = "true"
    return labels


def root_application(plan: LabPlan) -> K8sObject:
    return obj(
        APPLICATION_API,
        "Application",
        app_name(plan, "root"),
        plan.gitops.argocd_namespace,
        labels=_labels(plan, "root"),
        spec={
            "project": plan.gitops.project,
            "source": _git_source(plan, f"apps/{plan.name}/children"),
            "destination": {"server": IN_CLUSTER, "namespace": plan.gitops.argocd_namespace},
            "syncPolicy": _sync_policy(["ServerSideApply=true"]),
            "info": [{"name": "Rendered from", "value": plan.spec_file}],
        },
    )


def app_project(
    plan: LabPlan,
    apps: list[App],
    objects: Iterable[K8sObject],
    cluster_scoped: set[tuple[str, str]],
) -> K8sObject:
    """AppProject allowing exactly the lab's repos, destinations and cluster-scoped kinds."""
    repos = {plan.gitops.repo_url}
    for app in apps:
        if isinstance(app.source, HelmSource):
            repos.add(app.source.chart.source_repo)
        elif isinstance(app.source, GitSource):
            repos.add(app.source.repo_url)
        repos.update(chart.chart.source_repo for chart in app.extra_charts)
    namespaces: set[str] = set()
    kinds: set[tuple[str, str]] = set()
    for app in apps:
        namespaces.add(destination_namespace(app))
        namespaces.update(app.extra_namespaces)
        kinds.update(app.chart_cluster_kinds)
        charts = [app.source] if isinstance(app.source, HelmSource) else []
        for chart in [*charts, *app.extra_charts]:
            kinds.update(_chart_cluster_kinds(chart))
        if app.create_namespace:  # Argo CD checks the Namespace it creates against the project
            kinds.add(("", "Namespace"))
    for item in objects:
        meta = item["metadata"]
        if "namespace" in meta:
            namespaces.add(meta["namespace"])
        group = item["apiVersion"].rpartition("/")[0]
        if (group, item["kind"]) in cluster_scoped:
            kinds.add((group, item["kind"]))
    destinations = [plan.gitops.destination(ns) for ns in sorted(namespaces)]
    own = {"server": IN_CLUSTER, "namespace": plan.gitops.argocd_namespace}
    if own not in destinations:
        destinations.insert(0, own)
    return obj(
        APPLICATION_API,
        "AppProject",
        plan.gitops.project,
        plan.gitops.argocd_namespace,
        labels={LAB_LABEL: plan.name},
        spec={
            "description": plan.description or f"labgen lab {plan.name}",
            "sourceRepos": sorted(repos),
            "destinations": destinations,
            "clusterResourceWhitelist": [{"group": g, "kind": k} for g, k in sorted(kinds)],
        },
    )


def _chart_cluster_kinds(source: HelmSource) -> tuple[tuple[str, str], ...]:
    """Cluster-scoped kinds the chart renders, as measured (``labgen.data.charts``)."""
    inventory = chart_inventory(source.chart.chart, source.chart.version)
    return inventory.cluster_kinds if inventory is not None else ()


def health_customization(plan: LabPlan) -> K8sObject:
    """Application health for Argo CD, without which a wave does not wait for the child
    Applications of the previous wave to become healthy.

    Plain Argo CD reads it from ``argocd-cm``; the object is partial and merges into the
    live ConfigMap on apply. OpenShift GitOps' operator rewrites ``argocd-cm`` from its
    ``ArgoCD`` resource, so there the same key goes into that resource's ``extraConfig``
    (a map, so applying it touches no other setting of the instance).
    """
    key = "resource.customizations.health.argoproj.io_Application"
    namespace = plan.gitops.argocd_namespace
    if uses_openshift_gitops(plan):
        return obj(
            "argoproj.io/v1beta1",
            "ArgoCD",
            namespace,
            namespace,
            spec={"extraConfig": {key: APPLICATION_HEALTH_LUA}},
        )
    return obj(
        "v1",
        "ConfigMap",
        "argocd-cm",
        namespace,
        labels={"app.kubernetes.io/name": "argocd-cm", "app.kubernetes.io/part-of": "argocd"},
        data={key: APPLICATION_HEALTH_LUA},
    )


def uses_openshift_gitops(plan: LabPlan) -> bool:
    """The lab is driven by OpenShift GitOps' default instance (named like its namespace)."""
    return plan.gitops.argocd_namespace == plan.platform.argocd_operator_instance


def openshift_gitops_controller_binding(plan: LabPlan) -> K8sObject:
    """cluster-admin for OpenShift GitOps' default controller, which installs operators."""
    namespace = plan.gitops.argocd_namespace
    return obj(
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
        f"labgen-{plan.name}-argocd-application-controller",
        labels={LAB_LABEL: plan.name},
        roleRef={
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "cluster-admin",
        },
        subjects=[
            {
                "kind": "ServiceAccount",
                "namespace": namespace,
                "name": f"{namespace}-argocd-application-controller",
            }
        ],
    )
