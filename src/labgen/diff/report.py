"""A DiffResult as text (terminals), JSON (tools) or Markdown pieces (PR comments, cut into
parts by ``labgen.diff.split``)."""

from __future__ import annotations

import json
import re
from typing import Any

import jinja2

from labgen.diff.model import AppDiff, DiffResult, LabChange, ObjectChange, SourceChange
from labgen.diff.noise import DEFAULT_IGNORES
from labgen.diff.summary import summarize

MARKS = {"added": "+", "deleted": "-", "modified": "±"}
_ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _fence(lines: tuple[str, ...] | list[str], language: str = "diff") -> str:
    """A fenced block longer than any backtick run in its content."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n" + "\n".join(lines) + f"\n{ticks}"


def _cell(text: str) -> str:
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`" if text else ""


_ENV.filters["fence"] = _fence
_ENV.filters["cell"] = _cell
_ENV.globals["marks"] = MARKS


def counts(app: AppDiff) -> str:
    added, removed = app.lines
    return f"(+{added}|-{removed})"


_ENV.filters["counts"] = counts

# -- Markdown ------------------------------------------------------------------------------

MARKER = "<!-- labgen-diff -->"
"""First line of every Markdown part: lets a workflow find (and replace) earlier comments."""
_TITLE = _ENV.from_string(
    MARKER + "\n## labgen diff: `{{ base }}` → `{{ head }}`"
    "{% if total > 1 %} (part {{ part }}/{{ total }}){% endif %}\n"
)

_SUMMARY = _ENV.from_string(
    """\
{% if not r.apps %}
No Application's desired state changes ({{ r.unchanged }} compared).
{% else %}
```
{% for status, title in (("added", "Added"), ("deleted", "Deleted"), ("modified", "Modified")) %}
{% set apps = r.by_status(status) %}
{% if apps %}
{{ title }} ({{ apps | length }}):
{% for a in apps %}
{{ marks[status] }} {{ a.title }} {{ a | counts }}
{% endfor %}

{% endif %}
{% endfor %}
Objects: {{ o.added }} added, {{ o.deleted }} deleted, {{ o.modified }} modified, \
{{ o.renamed }} renamed; {{ r.unchanged }} Applications unchanged
```
{% endif %}
{% for a in r.by_status("deleted") if a.kind == "Application" %}

{% if a.cascade %}
> [!CAUTION]
> Application `{{ a.name }}` is **deleted** and has the `resources-finalizer.argocd.argoproj.io` \
finalizer: Argo CD deletes its {{ a.object_count - a.kept_on_delete }} objects from the cluster \
(cascade delete){% if a.kept_on_delete %}; {{ a.kept_on_delete }} more stay (`Delete=false`)\
{% endif %}.
{% else %}
> [!WARNING]
> Application `{{ a.name }}` is **deleted** without a resources finalizer: its \
{{ a.object_count }} objects stay in the cluster, no longer managed by Argo CD.
{% endif %}
{% endfor %}
{% for a in r.apps if a.status != "deleted" and a.empty %}

> [!WARNING]
> `{{ a.title }}` renders no resources.
{% endfor %}
{% for a in r.apps if a.errors %}

> [!CAUTION]
> `{{ a.title }}` does not build: {{ a.errors | join("; ") }}
{% endfor %}
{% if r.labs %}

### Spec changes
{% for lab in r.labs %}

{% if lab.status == "modified" %}
`{{ lab.file }}`:

| field | before | after |
| --- | --- | --- |
{% for f in lab.fields %}
| {{ f.path | cell }} | {{ f.old | cell if f.status != "added" else "(absent)" }} | \
{{ f.new | cell if f.status != "removed" else "(removed)" }} |
{% endfor %}
{% else %}
`{{ lab.file }}` is {{ lab.status }}.
{% endif %}

{% if lab.touched %}
Applications of `{{ lab.lab }}` that change: {% for n in lab.touched %}`{{ n }}`\
{{ ", " if not loop.last }}{% endfor %}.
{% else %}
No Application of `{{ lab.lab }}` changes: the edit renders nothing different (or the tree \
was not re-rendered: run `labgen render`).
{% endif %}
{% endfor %}
{% endif %}
"""
)

_SECTION = _ENV.from_string(
    """\
<details>
<summary>{{ marks[a.status] }} <b>{{ a.title }}</b> {{ a.status }} {{ a | counts }}\
{% if piece %} · {{ piece }}{% endif %}</summary>
<br>

{% if a.paths %}
Source: {% for p in a.paths %}`{{ p }}`{{ ", " if not loop.last }}{% endfor %}
{{ "" }}

{% endif %}
{% if a.status == "deleted" and a.kind == "Application" %}
{% if a.cascade %}
**Deleted with a cascading finalizer: its {{ a.object_count - a.kept_on_delete }} objects are \
deleted{% if a.kept_on_delete %} ({{ a.kept_on_delete }} more stay: `Delete=false`){% endif %}.**
{% else %}
Deleted without a resources finalizer: its objects are orphaned, not deleted.
{% endif %}

{% endif %}
{% if a.status != "deleted" and a.empty %}
**Renders no resources.**

{% endif %}
{% for n in a.notes %}
_{{ n }}_

{% endfor %}
{% for e in a.errors %}
**Error:** {{ e }}

{% endfor %}
{% if summary %}
**Shared changes:**
{% for line in summary %}
- {{ line }}
{% endfor %}

{% endif %}
{% for block in blocks %}
{{ block }}

{% endfor %}
</details>
"""
)


def markdown_title(result: DiffResult, part: int = 1, total: int = 1) -> str:
    return _TITLE.render(base=str(result.base), head=str(result.head), part=part, total=total)


def markdown_summary(result: DiffResult) -> str:
    return _SUMMARY.render(r=result, o=result.object_counts())


def markdown_footer(result: DiffResult) -> str:
    extra = [f"`{t}`" for t in result.ignored if t not in DEFAULT_IGNORES]
    defaults = any(t in DEFAULT_IGNORES for t in result.ignored)
    ignored = ", ".join(
        [
            *(
                ["controller-owned fields (caBundle, `checksum/*` annotations, status)"]
                if defaults
                else []
            ),
            *extra,
        ]
    )
    return f"<sub>Ignored: {ignored or 'nothing'}. Made by `labgen diff`.</sub>\n"


def object_block(
    change: ObjectChange, lines: tuple[str, ...] | None = None, piece: str = ""
) -> str:
    diff = change.diff if lines is None else lines
    suffix = f" ({piece})" if piece else ""
    if change.kept:
        suffix += " · stays in the cluster: `Prune=false`"
    if change.status == "renamed":
        old = change.old_heading.removeprefix(f"{change.kind}: ")
        heading = f"#### Renamed: {change.heading.replace(': ', f': {old} → ', 1)}{suffix}"
    else:
        heading = f"#### {change.heading}{suffix}"
    body = _fence(diff) if diff else "_(only the name changed)_"
    return f"{heading}\n{body}"


def source_block(
    change: SourceChange, lines: tuple[str, ...] | None = None, piece: str = ""
) -> str:
    versions = (
        f"{change.old_version} → {change.new_version}"
        if change.old_version != change.new_version
        else change.new_version
    )
    suffix = f" ({piece})" if piece else ""
    heading = f"#### Helm source: {change.chart} {versions} (chart not rendered){suffix}"
    return f"{heading}\n{_fence(change.diff if lines is None else lines)}"


def app_blocks(app: AppDiff) -> list[str]:
    return [source_block(s) for s in app.sources] + [object_block(o) for o in app.objects]


def app_section(app: AppDiff, blocks: list[str] | None = None, piece: str = "") -> str:
    return _SECTION.render(
        a=app,
        blocks=app_blocks(app) if blocks is None else blocks,
        piece=piece,
        summary=summarize(app).lines(),
    )


# -- text ----------------------------------------------------------------------------------


def as_text(result: DiffResult) -> str:
    o = result.object_counts()
    out = [
        f"labgen diff: {result.base} -> {result.head}",
        f"Applications: {len(result.by_status('added'))} added, "
        f"{len(result.by_status('deleted'))} deleted, {len(result.by_status('modified'))} "
        f"modified, {result.unchanged} unchanged; objects: {o['added']} added, "
        f"{o['deleted']} deleted, {o['modified']} modified, {o['renamed']} renamed",
    ]
    for lab in result.labs:
        out += _text_lab(lab)
    for app in result.apps:
        out.append("")
        out += _text_app(app)
    return "\n".join(out) + "\n"


def _text_lab(lab: LabChange) -> list[str]:
    out = [f"{lab.file}: {lab.status}"]
    for f in lab.fields:
        value = {"added": f"added {f.new}", "removed": f"removed (was {f.old})"}.get(
            f.status, f"{f.old} -> {f.new}"
        )
        out.append(f"  {f.path}: {value}")
    touched = ", ".join(lab.touched) or "none (renders nothing different, or not re-rendered)"
    out.append(f"  Applications that change: {touched}")
    return out


def _text_app(app: AppDiff) -> list[str]:
    kind = "Application" if app.kind == "Application" else "bundle"
    paths = f" [{', '.join(app.paths)}]" if app.paths else ""
    out = [f"{MARKS[app.status]} {kind} {app.title} {app.status} {counts(app)}{paths}"]
    if app.status == "deleted" and app.kind == "Application":
        out.append(
            f"  ! cascade delete: Argo CD deletes its {app.object_count - app.kept_on_delete}"
            " objects"
            if app.cascade
            else f"  ! no resources finalizer: its {app.object_count} objects are orphaned"
        )
    if app.status != "deleted" and app.empty:
        out.append("  ! renders no resources")
    out += [f"  note: {n}" for n in app.notes]
    out += [f"  error: {e}" for e in app.errors]
    out += [f"  shared: {line}" for line in summarize(app).lines()]
    for source in app.sources:
        out.append(f"  Helm source {source.chart} (chart not rendered)")
        out += [f"    {line}" for line in source.diff]
    for change in app.objects:
        label = (
            f"renamed {change.old_heading} -> {change.heading.split(': ', 1)[1]}"
            if change.status == "renamed"
            else f"{change.status} {change.heading}"
        ) + (" (stays in the cluster: Prune=false)" if change.kept else "")
        out.append(f"  {label}")
        out += [f"    {line}" for line in change.diff]
    return out


# -- JSON ----------------------------------------------------------------------------------


def as_json(result: DiffResult) -> str:
    def side(s: Any) -> dict[str, Any]:
        return {"label": s.label, "commit": s.commit}

    data = {
        "base": side(result.base),
        "head": side(result.head),
        "changed": result.changed,
        "summary": {
            "applications": {s: len(result.by_status(s)) for s in ("added", "deleted", "modified")}
            | {"unchanged": result.unchanged},
            "objects": result.object_counts(),
        },
        "labs": [
            {
                "lab": lab.lab,
                "file": lab.file,
                "status": lab.status,
                "fields": [vars(f) for f in lab.fields],
                "applications": list(lab.touched),
            }
            for lab in result.labs
        ],
        "applications": [_json_app(a) for a in result.apps],
        "ignored": list(result.ignored),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _json_app(app: AppDiff) -> dict[str, Any]:
    added, removed = app.lines
    return {
        "kind": app.kind,
        "namespace": app.namespace,
        "name": app.name,
        "lab": app.lab,
        "status": app.status,
        "paths": list(app.paths),
        "lines": {"added": added, "removed": removed},
        "cascadeDelete": app.status == "deleted" and app.cascade,
        "empty": app.status != "deleted" and app.empty,
        "objectCount": app.object_count,
        "keptOnDelete": app.kept_on_delete,
        "notes": list(app.notes),
        "errors": list(app.errors),
        "sharedChanges": [{"change": c.text, "objects": c.objects} for c in summarize(app).changes],
        "helmSources": [
            {"chart": s.chart, "from": s.old_version, "to": s.new_version, "diff": list(s.diff)}
            for s in app.sources
        ],
        "objects": [
            {
                "status": o.status,
                "group": o.group,
                "kind": o.kind,
                "namespace": o.namespace,
                "name": o.name,
                **(
                    {"renamedFrom": {"namespace": o.old_namespace, "name": o.old_name}}
                    if o.status == "renamed"
                    else {}
                ),
                "keptInCluster": o.kept,
                "diff": list(o.diff),
            }
            for o in app.objects
        ],
    }
