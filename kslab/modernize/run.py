"""Run every rule over files, text or objects, and collect the report.

Input is read as Kubernetes manifests (YAML or JSON, multi-document) when the file is named
``.yaml``/``.yml``/``.json`` or its documents are mappings with ``apiVersion``/``kind``; anything else
is a script or a text (shell, Markdown, slides): each line is checked for old commands and flags,
and manifests embedded as here-documents (``cat <<EOF | kubectl apply -f -``) are checked as manifests.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

from kslab.errors import InputError, UsageError
from kslab.modernize import istio, pods, psp, shell, tokens, versions
from kslab.modernize.context import DocContext
from kslab.modernize.finding import RULES, Finding
from kslab.modernize.report import FileResult, ModernDoc, Report, to_plain
from kslab.text import brief

#: The release ``latest`` means (the newest the course targets).
LATEST_TARGET = 36
OLDEST_TARGET = 16

RuleFn = Callable[[DocContext], None]
#: Every document rule, in the order they run (PSP and Istio first: they change the kind).
DOCUMENT_RULES: tuple[RuleFn, ...] = (psp.RULE_FUNCTIONS + istio.RULE_FUNCTIONS + pods.RULE_FUNCTIONS
                                      + tokens.RULE_FUNCTIONS + shell.RULE_FUNCTIONS + versions.RULE_FUNCTIONS)

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")
#: API groups whose kinds kslab knows (built-in Kubernetes, Istio); others pass through with a note.
_BUILTIN_GROUPS = {"", "apps", "batch", "policy", "autoscaling", "extensions"}


def parse_target(text: str | int | None) -> int:
    """``latest`` (v1.36), ``v1.N`` or ``1.N`` -> N.

    >>> parse_target("v1.25"), parse_target("latest")
    (25, 36)
    """
    if text is None or text == "latest":
        return LATEST_TARGET
    if isinstance(text, int):
        minor = text
    else:
        match = re.fullmatch(r"v?1\.(\d{1,4})(\.\d{1,4})?", str(text).strip())  # no 5,000-digit minor
        if not match:
            raise UsageError(f"unknown target version {brief(text)}: must be latest or v1.N",
                             hint=f"e.g. --target-version v1.{LATEST_TARGET}")
        minor = int(match.group(1))
    if not OLDEST_TARGET <= minor <= LATEST_TARGET + 1:
        raise UsageError(f"target version v1.{minor} is outside what kslab knows (v1.{OLDEST_TARGET} … "
                         f"v1.{LATEST_TARGET + 1})", hint=f"use latest (v1.{LATEST_TARGET})")
    return minor


def known_kind(ctx: DocContext) -> bool:
    """Kinds kslab has rules or schemas for: built-in Kubernetes groups, Istio, kubeconfigs."""
    group = ctx.group
    return (group in _BUILTIN_GROUPS or group.endswith(".k8s.io") or group.endswith(".istio.io")
            or (ctx.kind == "Config" and ctx.api_version == "v1"))


def modernize_document(obj: Mapping[str, Any], *, target: int, source: str = "", document: int = 1,
                       line: int = 1, services: Mapping[str, Mapping[str, Any]] | None = None,
                       in_place: bool = False) -> ModernDoc:
    """Run every rule on one object (a copy, unless ``in_place``: the writer's comment-keeping copy)."""
    work = obj if in_place and isinstance(obj, MutableMapping) else copy.deepcopy(dict(obj))
    ctx = DocContext(work, target, source, document, line, services=services or {})
    for rule in DOCUMENT_RULES:
        try:
            rule(ctx)
        except (TypeError, AttributeError, ValueError, KeyError, IndexError) as exc:
            # Rules read documents as the API defines them; a field of another type is bad input.
            where = f"{source}: document {document}, line {line}" if line else f"{source}: document {document}"
            raise InputError(f"{where}: {ctx.kind or 'object'} {ctx.name or '(unnamed)'}: a field does not have "
                             f"the type the API gives it ({rule.__name__}: {exc})",
                             hint="check that document against `kubectl explain <kind>.<field>`") from None
    doc = ModernDoc(source, document, line, ctx.kind, ctx.name, None if ctx.drop else ctx.obj, ctx.added,
                    ctx.findings, ctx.notes, known_kind(ctx))
    if not doc.known:
        doc.notes.append(f"{source}: line {line}: {ctx.api_version} {ctx.kind} {ctx.name}: kslab has no rules for "
                         "this kind; it passes through unchanged")
    return doc


def service_selectors(objs: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Services of an input by name (with namespace too, ``ns/name``) -> their selector."""
    found: dict[str, Mapping[str, Any]] = {}
    for o in objs:
        raw = o.get("metadata")
        meta: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        if o.get("kind") == "Service" and meta.get("name"):
            spec = o.get("spec") if isinstance(o.get("spec"), Mapping) else {}
            selector = (spec or {}).get("selector")
            selector = dict(selector) if isinstance(selector, Mapping) else {}
            found[str(meta["name"])] = selector
            if meta.get("namespace"):
                found[f"{meta['namespace']}/{meta['name']}"] = selector
    return found


def modernize_documents(text: str, source: str, target: int, line_offset: int = 0,
               replacements: list[MutableMapping[str, Any]] | None = None) -> list[ModernDoc]:
    from kslab.manifests.load import load_text  # noqa: PLC0415

    try:
        docs = load_text(text, source=source)
    except InputError as exc:
        raise _with_document(exc, text, line_offset) from None
    services = service_selectors([d.obj for d in docs])
    out = []
    for i, doc in enumerate(docs):
        obj: Mapping[str, Any] = replacements[i] if replacements is not None else doc.obj
        out.append(modernize_document(obj, target=target, source=source, document=doc.index + 1,
                                      line=doc.line + line_offset, services=services,
                                      in_place=replacements is not None))
    _namespace_labels([d.obj for d in docs], out, target)
    return out


def _namespace_labels(objs: list[Mapping[str, Any]], out: list[ModernDoc], target: int) -> None:
    """Across documents: the namespaces that RoleBindings let use PSPs get their Pod Security labels."""
    for i, (replacement, detail, _exact) in psp.namespace_plan(objs, target).items():
        d = out[i]
        d.findings.append(Finding(RULES["psp-use-grant"], replacement, d.source, d.document, d.line, d.kind,
                                  d.name, str(objs[i].get("apiVersion") or ""), False, detail))


def _with_document(exc: InputError, text: str, line_offset: int) -> InputError:
    """Say which document (1-based, counting ``---`` separators) the bad line is in."""
    match = re.search(r": line (\d+):", exc.message)
    if not match:
        return exc
    line = int(match.group(1))
    lines = text.splitlines()[:line]
    document = sum(1 for i, ln in enumerate(lines) if ln.startswith("---") and i > 0) + 1
    message = exc.message.replace(f": line {line}:", f": document {document}, line {line + line_offset}:", 1)
    return InputError(message, hint=exc.hint)


def looks_like_manifests(name: str, text: str) -> bool:
    """Manifests by file name, else by content: every document a mapping with apiVersion or kind."""
    if name.lower().endswith(MANIFEST_SUFFIXES):
        return True
    if name.lower().endswith((".sh", ".bash", ".txt", ".md", ".markdown")):
        return False
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return True
    from kslab.manifests.load import load_text  # noqa: PLC0415

    try:
        docs = load_text(text, source=name)
    except InputError:
        # Broken YAML that still reads like a manifest (stdin has no file name): say so, exit 2.
        return bool(re.search(r"^(apiVersion|kind):", text, re.M)) and not _HEREDOC.search(text)
    return bool(docs) and all(d.obj.get("apiVersion") or d.obj.get("kind") for d in docs)


def _text(text: str, source: str, target: int) -> FileResult:
    result = FileResult(source, True)
    lines = text.splitlines(keepends=True)
    i, embedded = 0, 0
    while i < len(lines):
        line = lines[i]
        new, hits = shell.scan_line(line)
        for hit in hits:
            result.findings.append(Finding(hit.rule, hit.replacement, source, 0, i + 1, automatic=hit.automatic,
                                           detail=hit.detail))
        result.lines.append(new)
        here = _HEREDOC.search(line)
        i += 1
        if not here:
            continue
        end = next((j for j in range(i, len(lines)) if lines[j].strip() == here.group(2)), None)
        if end is None:
            continue
        body = "".join(lines[i:end])
        try:
            docs = modernize_documents(body, source, target, line_offset=i) if looks_like_manifests("", body) else []
        except InputError as exc:
            result.notes.append(f"{source}: line {i + 1}: embedded manifest not read ({exc.message})")
            docs = []
        if docs:
            embedded += 1
            for d in docs:
                d.document = embedded
            result.documents += docs
            result.lines.append(_dump_plain(docs, original=body))
        else:
            result.lines += lines[i:end]
        i = end
    return result


def _dump_plain(docs: list[ModernDoc], original: str) -> str:
    """The modern form of an embedded manifest, for the rewritten script."""
    import yaml  # noqa: PLC0415

    if not any(d.findings for d in docs):
        return original
    objs = [o for d in docs for o in ([d.obj] if d.obj is not None else []) + d.added]
    return yaml.safe_dump_all([to_plain(o) for o in objs], sort_keys=False) if objs else ""


def modernize_source(text: str, source: str, target: int) -> FileResult:
    """One input's text, read as manifests or as a script."""
    result = _modernize_source(text, source, target)
    result.text = text
    return result


def _modernize_source(text: str, source: str, target: int) -> FileResult:
    if not text.strip():
        result = FileResult(source, False)
        result.notes.append(f"{source}: empty, nothing to read")
        return result
    if looks_like_manifests(source, text):
        result = FileResult(source, False)
        result.documents = modernize_documents(text, source, target)
        return result
    return _text(text, source, target)


def modernize(*paths: str | Path, target_version: str | int | None = "latest") -> Report:
    """Modernise files (``-`` is standard input) for a Kubernetes release.

    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cj.yaml"
    >>> _ = p.write_text("apiVersion: batch/v1beta1\\nkind: CronJob\\nmetadata: {name: x}\\n")
    >>> [f.rule.id for f in modernize(p).findings]
    ['removed-api/batch/v1beta1/CronJob']
    """
    from kslab.manifests.load import read_source  # noqa: PLC0415

    target = parse_target(target_version)
    if not paths:
        raise UsageError("no files given", hint="name one or more files; - reads standard input")
    results = []
    for path in paths:
        text, name = read_source(path)
        results.append(modernize_source(text, name, target))
    return Report(target, results)


def modernize_text(text: str, *, source: str = "<text>", target_version: str | int | None = "latest") -> Report:
    """Modernise manifests or a script given as text.

    >>> modernize_text("kubectl exec -it web sh", source="steps.sh").findings[0].rule.id
    'kubectl-exec-dashdash'
    """
    return Report(parse_target(target_version), [modernize_source(text, source, parse_target(target_version))])


def modernize_objects(objects: Iterable[Mapping[str, Any]], *, source: str = "<objects>",
                      target_version: str | int | None = "latest") -> Report:
    """Modernise objects already in memory (e.g. ``kslab.manifests.webapp.seed_deployment(as_written=True)``)."""
    target = parse_target(target_version)
    objs = list(objects)
    services = service_selectors(objs)
    result = FileResult(source, False)
    result.documents = [modernize_document(o, target=target, source=source, document=i + 1, line=0,
                                           services=services) for i, o in enumerate(objs)]
    _namespace_labels(objs, result.documents, target)
    return Report(target, [result])
