"""`labgen check`: validate a GitOps tree the way Argo CD would build it.

Works on the committed files, not on specs, so it also catches hand edits and checks trees
labgen did not write: every kustomization directory under the given paths is built with the
pinned kubectl, every object is validated strictly (a kind without a schema is an error
unless skipped), Argo CD Applications are followed to their sources, and lab-aware rules run
(`labgen.check.rules`). Helm sources are rendered with the pinned `helm template` from a
chart cache (``--chart-dir``); with a cache, a Helm source whose chart is not in it is an
error, not a note.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

from labgen.buildcache import BuildStore
from labgen.check.argocd import check_applications
from labgen.check.attribution import Sources, locate_errors
from labgen.check.builds import build_problem, render_charts
from labgen.check.clusters import shared_cluster_findings
from labgen.check.discover import display, kustomization_dirs, plain_files
from labgen.check.files import Progress, check_file, check_object
from labgen.check.labs import Labs, apply_waivers, lab_directory
from labgen.check.model import Report
from labgen.check.options import DEFAULT_PATHS, CheckOptions
from labgen.check.rules import GpuPool, gpu_placement_rules, skipped_rules
from labgen.desired import SourceError, build_kustomizations
from labgen.errors import LabgenError
from labgen.schemas import SchemaSet
from labgen.stdin import STDIN
from labgen.yamlio import YamlSyntaxError

__all__ = ["DEFAULT_PATHS", "CheckOptions", "check_tree"]


def check_tree(
    root: Path,
    paths: Iterable[Path],
    options: CheckOptions,
    progress: Progress | None = None,
    stdin: BinaryIO | None = None,
) -> Report:
    """Check the kustomizations and plain manifest files under ``paths``; ``-`` (STDIN) is
    a manifest stream read from ``stdin`` (default: standard input), reported as
    ``<stdin>``. It is copied to a temporary file first, so that it is checked in chunks
    on every core like a plain file."""
    paths = list(paths)
    if STDIN not in paths:
        return _check_tree(root, paths, options, progress, {})
    with tempfile.TemporaryDirectory(prefix="labgen-stdin-") as tmp:
        copy = Path(tmp) / "stdin.yaml"
        with copy.open("wb") as file:
            shutil.copyfileobj(stdin or sys.stdin.buffer, file)
        return _check_tree(root, paths, options, progress, {STDIN: copy})


def _check_tree(
    root: Path,
    paths: list[Path],
    options: CheckOptions,
    progress: Progress | None,
    streams: dict[Path, Path],
) -> Report:
    """``check_tree``; ``streams`` maps a path that is not a file (STDIN) to a copy."""
    report = Report()
    directories = kustomization_dirs(root, paths)
    files = plain_files(root, paths)
    if not directories and not files:
        raise LabgenError(f"no kustomization.yaml or YAML file in {', '.join(map(str, paths))}")
    schema_sets: dict[str, SchemaSet] = {}
    labs = Labs(root)
    built: dict[Path, list[dict[str, Any]]] = {}
    sources = Sources(root)
    store = BuildStore(options.build_cache) if options.build_cache is not None else None
    outputs = build_kustomizations(
        directories, root, _stage(progress, "building kustomizations"), store
    )
    for done, directory in enumerate(directories, 1):
        origin = display(root, directory)
        output = outputs[directory]
        if isinstance(output, SourceError):
            report.problems.append(build_problem(root, origin, output))
            continue
        built[directory] = output
        version = labs.of(directory).kubernetes_version or options.kubernetes_version
        schemas = schema_sets.setdefault(version, SchemaSet(version, options.schema_dirs))
        located = sources.of(directory)
        for obj in built[directory]:
            resource = check_object(origin, obj, schemas, options.skip_kinds, report)
            resource.file, resource.line = located.find(obj)
            report.resources.append(resource)
        if progress:
            progress("validating builds", done, len(directories))
    for file in files:
        origin = display(root, file)
        version = labs.of(file).kubernetes_version or options.kubernetes_version
        try:
            result = check_file(
                streams.get(file, file),
                origin,
                version,
                options.schema_dirs,
                options.skip_kinds,
                progress,
            )
        except YamlSyntaxError as exc:
            report.problems.append(build_problem(root, origin, exc))
            continue
        built[file] = result.kept
        report.resources += result.resources
        report.skipped_kinds |= result.skipped_kinds
    if progress:
        progress("checking Applications and rules", 0, 0)
    render_charts(root, built, report, labs, options, schema_sets, store)
    check_applications(root, built, report, labs, options)
    apps = (o for objs in built.values() for o in objs if o.get("kind") == "Application")
    report.problems += shared_cluster_findings(apps)
    _check_gpu_placement(root, built, report)
    apply_waivers(root, report, labs)
    locate_errors(root, report, {display(root, path): copy for path, copy in streams.items()})
    return report


def _check_gpu_placement(
    root: Path, built: dict[Path, list[dict[str, Any]]], report: Report
) -> None:
    """GPU workloads against the GPU pools their own lab declares (``overlays/<lab>`` and
    ``apps/<lab>`` together; a lab whose node pools are made outside the tree has none,
    and is not checked: another lab's pools are another cluster's)."""
    by_lab: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for directory, objs in built.items():
        origin = display(root, directory)
        if origin.startswith("catalog/"):
            continue  # lab-independent bases: placed by GPU product label, not by pools
        lab = lab_directory(origin.split("/")) or ""  # plain trees and charts: one group
        by_lab.setdefault(lab, []).extend((origin, obj) for obj in objs)
    by_identity = {(r.origin, r.kind, r.namespace, r.name): r for r in report.resources}
    for objects in by_lab.values():
        pools = [pool for _, obj in objects if (pool := GpuPool.of(obj)) is not None]
        gpu_pools = [p for p in pools if p.taints or p.gpus]
        if not gpu_pools:
            continue  # node pools are made outside this tree: nothing to check against
        for origin, obj in objects:
            findings = list(gpu_placement_rules(obj, gpu_pools))
            if not findings:
                continue
            meta = obj.get("metadata") or {}
            resource = by_identity.get(
                (origin, str(obj.get("kind")), meta.get("namespace"), str(meta.get("name")))
            )
            if resource is not None:
                opted_out = skipped_rules(obj)
                resource.findings += [f for f in findings if f.rule not in opted_out]


def _stage(progress: Progress | None, stage: str) -> Callable[[int, int], None] | None:
    """A progress callback for one stage, or None without progress."""
    if progress is None:
        return None
    return lambda done, total: progress(stage, done, total)
