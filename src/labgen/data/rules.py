"""The rule ids of `labgen check`, with what each catches. Stable: specs disable rules by
id (``spec.check.disable``) and objects by annotation, so ids are never renamed."""

from __future__ import annotations

RULES: dict[str, str] = {
    "schema/missing": "no schema for the kind (add a --schema-location or --skip it)",
    "build/kustomize": "a kustomization does not build",
    "build/helm": "a Helm chart does not template, or is not in the chart cache",
    "hygiene/status-committed": "a `status` field is committed",
    "hygiene/inline-secret": "a Secret with inline data is committed",
    "hygiene/image-pinned": "an image has no tag, or `latest`",
    "hygiene/resource-requests": "a container has no CPU or memory request",
    "hygiene/namespace": "a namespace is neither declared nor created by its Application",
    "argocd/app-name-length": "an Application name is longer than 63 characters",
    "argocd/sync-wave": "a sync wave is not an integer",
    "argocd/default-project": "an Application uses the `default` project",
    "argocd/project-missing": "an Application's AppProject is not in the tree",
    "argocd/project-source": "a source repository is not allowed by the project",
    "argocd/project-destination": "a destination is not allowed by the project",
    "argocd/project-cluster-kind": "a cluster-scoped kind is not in the project's whitelist",
    "argocd/duplicate-app-name": "two different Applications have one name",
    "argocd/duplicate-resource": "two Applications deploy the same object",
    "argocd/source-path": "a source path does not exist in the repository",
    "argocd/orphan": "an overlay is not the source of any Application",
    "argocd/crd-order": "a custom resource syncs no later than the Application providing its CRD",
    "argocd/app-cycle": "the app-of-apps graph has a cycle",
    "argocd/shared-cluster": "labs sharing a cluster both install a cluster-wide operator",
    "gateway/class": "a Gateway does not use the lab's gateway.className",
    "network/unreachable": "a declared client cannot reach its Service under the NetworkPolicies",
    "gpu/no-pool": "a GPU pod selects no GPU pool",
    "gpu/untolerated-taint": "a GPU pod does not tolerate its pool's taint",
    "gpu/too-many-gpus": "a GPU pod requests more GPUs than its pool's nodes have",
    "gpu/mig-profile": "a MIG resource does not match the pool's MIG configuration",
}
"""Every rule id with what it catches (README's table is generated from the same ids)."""
