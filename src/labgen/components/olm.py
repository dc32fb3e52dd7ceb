"""OLM building blocks (OpenShift): Namespace, OperatorGroup and a pinned Subscription.

Install plan policy: ``Automatic`` on a channel that is pinned to one release stream
(e.g. ``v26.7``), with ``startingCSV`` naming the exact first version. Only z-stream
fixes of that stream arrive on their own; moving to another stream is a reviewed change of
the channel in the release table or ``spec.versions``. ``Manual`` approval would block
the very first install of a GitOps sync until someone approves it by hand.
"""

from __future__ import annotations

from labgen.components.base import WAVE_OPERATORS, App, K8sObject, KustomizeSource, obj
from labgen.data.releases import RELEASES, release_as
from labgen.data.types import OlmPackage, OlmRelease

GLOBAL_OPERATORS_NAMESPACE = "openshift-operators"


def olm_objects(
    package: OlmPackage, namespace_labels: dict[str, str] | None = None
) -> list[K8sObject]:
    """Namespace (unless shared), OperatorGroup (unless global) and Subscription."""
    objects: list[K8sObject] = []
    shared = package.namespace == GLOBAL_OPERATORS_NAMESPACE
    if not shared:
        objects.append(obj("v1", "Namespace", package.namespace, labels=namespace_labels))
        spec: K8sObject = {"upgradeStrategy": "Default"}
        if not package.all_namespaces:
            spec["targetNamespaces"] = [package.namespace]
        objects.append(
            obj(
                "operators.coreos.com/v1",
                "OperatorGroup",
                package.package,
                package.namespace,
                spec=spec,
            )
        )
    objects.append(subscription(package))
    return objects


def subscription(package: OlmPackage) -> K8sObject:
    spec: K8sObject = {
        "channel": package.channel,
        "installPlanApproval": "Automatic",
        "name": package.package,
        "source": package.source,
        "sourceNamespace": "openshift-marketplace",
    }
    if package.starting_csv:
        spec["startingCSV"] = package.starting_csv
    return obj(
        "operators.coreos.com/v1alpha1",
        "Subscription",
        package.package,
        package.namespace,
        spec=spec,
    )


def subscription_patch(default: OlmPackage, chosen: OlmPackage) -> K8sObject | None:
    """A patch moving the catalog Subscription to the lab's channel/CSV, if they differ."""
    if (default.channel, default.starting_csv) == (chosen.channel, chosen.starting_csv):
        return None
    spec: K8sObject = {"channel": chosen.channel}
    if chosen.starting_csv:
        spec["startingCSV"] = chosen.starting_csv
    return obj(
        "operators.coreos.com/v1alpha1", "Subscription", chosen.package, chosen.namespace, spec=spec
    )


def olm_app(key: str, chosen: OlmRelease, base: str) -> App:
    """The Application installing ``key`` from its catalog OLM base, moved to the lab's
    channel/CSV by a patch when ``spec.versions`` overrides them."""
    default = release_as(RELEASES, key, OlmRelease).olm
    patch = subscription_patch(default, chosen.olm)
    return App(
        key,
        WAVE_OPERATORS,
        chosen.olm.namespace,
        KustomizeSource(bases=(base,), patches=(patch,) if patch else ()),
    )
