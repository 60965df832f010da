"""``--write DIR``: the modern files, comments kept where possible, each document validated.

Safety first, because these are the user's files:

- DIR may not be the folder of any input (so an input is never overwritten, and modern files never
  mix with the originals), and kslab only replaces files in DIR that it wrote itself (they start
  with :data:`MARKER`); anything else already there stops the run before a byte is written.
- A kubeconfig is never copied into DIR (it holds credentials); PodSecurityPolicies and other
  documents with no modern form are left out and listed, never dropped silently.

Documents are read a second time with ruamel.yaml's round-trip loader, so comments and key order
survive; the same rules then edit those copies. Each written document is validated against the
target release's schemas (kubernetes-validate) or, for Istio kinds, kslab's bundled CRD schemas.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kslab.errors import InputError, UsageError
from kslab.modernize.report import FileResult, ModernDoc, Report, to_plain
from kslab.modernize.run import looks_like_manifests, modernize_documents

MARKER = "# Modernised by kslab"


@dataclass
class Written:
    """One file written: where, how many documents, schema problems, what was left out and why."""

    path: Path
    source: str
    documents: int
    problems: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    script: bool = False  # a script or text, rewritten line by line


def _round_trip_docs(text: str) -> list[Any] | None:
    """The documents as ruamel.yaml CommentedMaps, or None when they do not pair with the plain ones."""
    try:
        from ruamel.yaml import YAML  # noqa: PLC0415 - only --write needs it
    except ImportError:
        return None
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    try:
        docs = [d for d in yaml.load_all(text) if d is not None]
    except Exception:  # noqa: BLE001 - ruamel is stricter than PyYAML in places: fall back to plain output
        return None
    if any(not hasattr(d, "items") or str(d.get("kind", "")).endswith("List") for d in docs):
        return None
    return docs


def _dump(objs: list[Any], round_trip: bool) -> str:
    if round_trip:
        from ruamel.yaml import YAML  # noqa: PLC0415

        yaml = YAML(typ="rt")
        yaml.preserve_quotes = True
        yaml.width = 4096  # never fold a long line: the file should read as its author wrote it
        yaml.indent(mapping=2, sequence=4, offset=2)
        out = io.StringIO()
        yaml.dump_all(objs, out)
        return out.getvalue()
    import yaml as pyyaml  # noqa: PLC0415

    return pyyaml.safe_dump_all([to_plain(o) for o in objs], sort_keys=False)


def validate_documents(objs: list[Any], target: int) -> tuple[list[str], list[str]]:
    """Schema problems of the modern documents, and the kinds that could not be checked."""
    from kslab.istio.validate import ISTIO_KINDS, group_of, is_istio, validate_istio  # noqa: PLC0415
    from kslab.manifests.validate import validate  # noqa: PLC0415 - kubernetes-validate is slow to import

    problems: list[str] = []
    unchecked: list[str] = []
    core = []
    for obj in objs:
        plain = to_plain(obj)
        kind = str(plain.get("kind") or "")
        if is_istio(plain):
            if (group_of(plain), kind) in ISTIO_KINDS:
                problems += [str(p) for p in validate_istio(plain)]
            else:
                unchecked.append(f"{plain.get('apiVersion')} {kind}: kslab has no schema for it")
        else:
            core.append(plain)
    if core:
        version = _schema_version(target)
        for problem in validate(core, kubernetes_version=version):
            if "no schema for" in problem.message:
                unchecked.append(f"{problem.kind} {problem.name}: {problem.message}")
            else:
                problems.append(str(problem))
    return problems, unchecked


def _schema_version(target: int) -> str:
    """The kubernetes-validate schema release nearest the target (it ships v1.25 and later)."""
    from kubernetes_validate.utils import all_versions  # noqa: PLC0415

    minors = sorted({int(v.split(".")[1]) for v in all_versions()})
    return f"1.{min(max(target, minors[0]), minors[-1])}.0"


def check_destination(report_sources: list[str], out_dir: Path) -> None:
    """Refuse a DIR that is an input's folder (or inside nothing writable)."""
    out = out_dir.expanduser().resolve()
    for source in report_sources:
        if source.startswith("<"):
            continue
        folder = Path(source).expanduser().resolve().parent
        if folder == out:
            raise UsageError(f"--write {out_dir}: that is the folder of {source}; kslab never writes next to "
                             "(or over) its input", hint="name a new, empty folder, e.g. --write modern/")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--write {out_dir}: not a folder", hint="name a new or empty folder")


def _target_name(source: str, used: set[str]) -> str:
    base = "stdin.yaml" if source.startswith("<") else Path(source).name
    name, n = base, 2
    while name in used:
        stem, dot, suffix = base.rpartition(".")
        name = f"{stem or base}-{n}{dot}{suffix}" if dot else f"{base}-{n}"
        n += 1
    used.add(name)
    return name


def write(report: Report, out_dir: str | Path) -> list[Written]:
    """Write every input's modern form into ``out_dir``; returns what was written and checked.

    >>> import pathlib, tempfile
    >>> from kslab.modernize import modernize_text
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "modern"
    >>> report = modernize_text("apiVersion: batch/v1beta1  # 2019\\nkind: CronJob\\nmetadata: {name: c}\\n"
    ...                         "spec: {schedule: '@daily', jobTemplate: {spec: {template: {spec: "
    ...                         "{restartPolicy: Never, containers: [{name: c, image: x}]}}}}}\\n", source="cj.yaml")
    >>> [(w.path.name, w.problems) for w in write(report, out)]
    [('cj.yaml', [])]
    >>> (out / "cj.yaml").read_text().splitlines()[1].split()
    ['apiVersion:', 'batch/v1', '#', '2019']
    """
    out = Path(out_dir)
    check_destination([r.source for r in report.files], out)
    used: set[str] = set()
    plans = [(r, out / _target_name(r.source, used)) for r in report.files]
    for _, path in plans:  # refuse before writing anything
        if path.exists() and not _written_by_kslab(path):
            raise UsageError(f"--write {out_dir}: {path.name} exists and kslab did not write it",
                             hint="choose an empty folder, or move that file away first")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for result, path in plans:
        written.append(_write_one(result, result.text, path, report.target))
    return written


def _written_by_kslab(path: Path) -> bool:
    """The marker on the first line (or the second, after a script's shebang)."""
    head = path.read_text(encoding="utf-8", errors="replace").split("\n", 2)[:2]
    return any(line.startswith(MARKER) for line in head)


def _header(result: FileResult, target: int) -> str:
    return f"{MARKER} for Kubernetes v1.{target} from {result.source}; `kslab modernize` lists every change.\n"


def _write_one(result: FileResult, text: str, path: Path, target: int) -> Written:
    if result.text_input:
        body = "".join(result.lines)
        objs = [o for d in result.documents for o in ([d.obj] if d.obj is not None else []) + d.added]
        w = Written(path, result.source, len(objs), script=True)
        w.left_out = _left_out(result.documents)
        w.problems, w.unchecked = validate_documents(objs, target) if objs else ([], [])
        # After a shebang line, so a script stays runnable.
        first, rest = (body.split("\n", 1) + [""])[:2] if body.startswith("#!") else ("", body)
        path.write_text((first + "\n" if first else "") + _header(result, target) + rest, encoding="utf-8")
        return w
    docs: list[ModernDoc] = result.documents
    round_trip = False
    rt = _round_trip_docs(text) if text and looks_like_manifests(result.source, text) else None
    if rt is not None and len(rt) == len(docs):
        try:
            docs = modernize_documents(text, result.source, target, replacements=rt)
            round_trip = True
        except InputError:
            docs = result.documents
    objs = [o for d in docs for o in ([d.obj] if d.obj is not None else []) + d.added]
    w = Written(path, result.source, len(objs))
    w.left_out = _left_out(docs)
    w.problems, w.unchecked = validate_documents(objs, target) if objs else ([], [])
    w.unchecked += [n for d in docs for n in d.notes if "no rules for this kind" in n]
    path.write_text(_header(result, target) + (_dump(objs, round_trip) if objs else ""), encoding="utf-8")
    return w


def _left_out(docs: list[ModernDoc]) -> list[str]:
    out = []
    for d in docs:
        if d.obj is None:
            reason = "a kubeconfig holds credentials; kslab does not copy it" if d.kind == "Config" else \
                "no modern form of its own; see its findings"
            out.append(f"{d.source}: line {d.line}: {d.kind} {d.name}: {reason}")
    return out
