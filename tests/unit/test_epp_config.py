"""Every key of the EndpointPickerConfig labgen renders is one the pinned EPP accepts.

llm-d-router v0.10.0 decodes its config strictly: the top level through a strict
Kubernetes codec (pkg/epp/config/loader/configloader.go, ``serializer.EnableStrict``) and
every plugin's ``parameters`` through ``plugin.StrictDecoder`` (``DisallowUnknownFields``,
pkg/epp/framework/interface/plugin/registry.go), so one unknown key stops the EPP at
start-up. The tables below were extracted by hand from the Go structs at the tag
(github.com/llm-d/llm-d-router, tag v0.10.0); the paths are in the comments. There is no
published schema for this file, so the test carries the upstream facts itself: when the
``llm-d-router`` release is bumped, re-read those files and update the tables.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from test_serving import PD, PRECISE, find, objects_of

from labgen.components.serving.common import Versions
from labgen.data.releases import RELEASES
from support import serving_plan as plan_of

UPSTREAM_TAG = "v0.10.0"

Keys = dict[str, Any]
"""Accepted JSON keys; a nested dict for a struct whose keys are checked too, None for a
value that is not a struct (or whose contents labgen does not emit)."""

# apix/config/v1alpha1/endpointpickerconfig_types.go: EndpointPickerConfig, PluginSpec,
# SchedulingProfile, SchedulingPlugin, DataLayerConfig, DataLayerSource, DataLayerExtractor
_DATA_LAYER: Keys = {
    "injectDefaults": None,
    "sources": {"pluginRef": None, "extractors": {"pluginRef": None}},
    "discovery": {"pluginRef": None},
    "crossReplicaSyncerPluginRef": None,
    "crossReplicaSyncInterval": None,
}
TOP_LEVEL: Keys = {
    "apiVersion": None,
    "kind": None,
    "featureGates": None,
    "plugins": {"name": None, "type": None, "parameters": None},
    "schedulingProfiles": {"name": None, "plugins": {"pluginRef": None, "weight": None}},
    "dataLayer": _DATA_LAYER,
    "flowControl": None,
    "requestHandler": None,
    "saturationDetector": None,
    "parser": None,
}

# Plugin types registered by cmd/epp/runner/runner.go (registerInTreePlugins) that labgen
# uses, with the parameters each factory decodes. {} = the factory ignores its decoder.
PLUGINS: dict[str, Keys] = {
    # scheduling/scorer/queuedepth/queue.go, kvcacheutilization/kvcache_utilization.go,
    # picker/maxscore/picker.go, filter/bylabel/roles.go
    "queue-scorer": {},
    "kv-cache-utilization-scorer": {},
    "max-score-picker": {},
    "decode-filter": {},
    "prefill-filter": {},
    # datalayer/source/notifications/factory.go (EndpointSourceFactory)
    "endpoint-notification-source": {},
    # scheduling/scorer/prefix/plugin.go (Config)
    "prefix-cache-scorer": {
        "prefixMatchInfoProducerName": None,
        "matchLengthWeight": None,
        "matchLengthScaleTokens": None,
    },
    # requestcontrol/dataproducer/tokenizer/tokenizer.go (tokenizerPluginConfig, vllmConfig)
    "token-producer": {
        "udsTokenizerConfig": None,
        "vllm": {"url": None, "timeout": None, "mmTimeout": None},
        "estimate": None,
        "modelName": None,
    },
    # requestcontrol/dataproducer/preciseprefixcache/producer.go (PluginConfig);
    # pkg/kvcache/kvblock/token_processor.go, pkg/kvcache/indexer.go,
    # pkg/kvcache/kvblock/index.go, pkg/kvevents/pool.go (Config, PodDiscoveryConfig).
    # indexerConfig.tokenizersPoolConfig still parses but the factory rejects it, so it
    # is left out here.
    "precise-prefix-cache-producer": {
        "tokenProcessorConfig": {"blockSize": None, "blockSizeTokens": None, "hashSeed": None},
        "indexerConfig": {
            "kvBlockIndexConfig": {
                "inMemoryConfig": None,
                "redisConfig": None,
                "costAwareMemoryConfig": None,
                "enableMetrics": None,
                "metricsLoggingInterval": None,
            },
            "kvCacheBackendConfigs": None,
        },
        "kvEventsConfig": {
            "zmqEndpoint": None,
            "topicFilter": None,
            "concurrency": None,
            "engineType": None,
            "discoverPods": None,
            "podDiscoveryConfig": {
                "podLabelSelector": None,
                "podNamespace": None,
                "socketPort": None,
                "replaySocketPort": None,
            },
        },
        "speculativeIndexing": None,
        "speculativeTTL": None,
    },
    # scheduling/profilehandler/disagg/disagg_profile_handler.go
    # (DisaggProfileHandlerParameters)
    "disagg-profile-handler": {
        "stageOrder": None,
        "profiles": {"decode": None, "prefill": None, "encode": None},
        "deciders": {"prefill": None, "encode": None},
    },
    # scheduling/profilehandler/disagg/prefix_based_pd_decider.go
    "prefix-based-pd-decider": {"nonCachedTokens": None, "promptTokens": None},
}


def unknown_keys(value: Any, accepted: Keys, path: str) -> list[str]:
    """Paths of keys in ``value`` (a mapping or a list of them) that ``accepted`` lacks."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        assert isinstance(item, dict), f"{path}: expected an object"
        for key, child in item.items():
            if key not in accepted:
                out.append(f"{path}.{key}")
            elif isinstance(accepted[key], dict):
                out += unknown_keys(child, accepted[key], f"{path}.{key}")
    return out


def config_problems(config: dict[str, Any]) -> list[str]:
    problems = unknown_keys(config, TOP_LEVEL, "config")
    names = set()
    for plugin in config["plugins"]:
        kind = plugin["type"]
        names.add(plugin.get("name", kind))
        if kind not in PLUGINS:
            problems.append(f"plugin type {kind!r} is not one labgen checked upstream")
            continue
        params = plugin.get("parameters", {})
        if params and not PLUGINS[kind]:
            problems.append(f"{kind}: takes no parameters")
        problems += unknown_keys(params, PLUGINS[kind], kind)
    refs = [p["pluginRef"] for profile in config["schedulingProfiles"] for p in profile["plugins"]]
    for source in config.get("dataLayer", {}).get("sources", []):
        refs += [source["pluginRef"], *(e["pluginRef"] for e in source["extractors"])]
    problems += [f"pluginRef {ref!r} names no plugin" for ref in refs if ref not in names]
    return problems


def test_the_tables_describe_the_pinned_router() -> None:
    assert RELEASES["llm-d-router"].version == UPSTREAM_TAG


ROUTINGS = {
    "load": PRECISE.replace("precise-prefix-cache", "load"),
    "prefix-cache": PRECISE.replace("precise-prefix-cache", "prefix-cache"),
    "precise-prefix-cache": PRECISE,
    "pd": PD,
}


@pytest.mark.parametrize("routing", sorted(ROUTINGS))
def test_every_key_is_one_the_pinned_epp_decodes(routing: str) -> None:
    plan = plan_of(ROUTINGS[routing])
    assert Versions.of(plan).epp_version == UPSTREAM_TAG
    config = yaml.safe_load(find(objects_of(plan), "ConfigMap", "m-epp")["data"]["config.yaml"])
    assert config_problems(config) == []


def test_the_checker_sees_what_the_epp_would_refuse() -> None:
    """The regression of issue 14: the old scorer's tokenizer pool is refused."""
    legacy = {
        "apiVersion": "llm-d.ai/v1alpha1",
        "kind": "EndpointPickerConfig",
        "plugins": [
            {
                "type": "precise-prefix-cache-producer",
                "parameters": {"indexerConfig": {"tokenizersPoolConfig": {"modelName": "m"}}},
            },
            {"type": "precise-prefix-cache-scorer"},
        ],
        "schedulingProfiles": [{"name": "default", "plugins": [{"pluginRef": "nope"}]}],
    }
    assert config_problems(legacy) == [
        "precise-prefix-cache-producer.indexerConfig.tokenizersPoolConfig",
        "plugin type 'precise-prefix-cache-scorer' is not one labgen checked upstream",
        "pluginRef 'nope' names no plugin",
    ]
