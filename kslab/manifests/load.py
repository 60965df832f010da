"""Read Kubernetes objects from YAML or JSON files (multi-document; ``-`` for standard input).

Every lab that takes a student's file goes through :func:`load_objects`, so a typo always gives the
same kind of one-line error with the file and the line, never a parser traceback.

>>> docs = load_text("kind: Pod\\nmetadata: {name: a}\\n---\\nkind: Role\\n", source="x.yaml")
>>> [(d.kind, d.name, d.line) for d in docs]
[('Pod', 'a', 1), ('Role', '', 4)]
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kslab.errors import InputError


@dataclass(frozen=True)
class Document:
    """One Kubernetes object read from a file, with where it came from."""

    obj: dict[str, Any]
    source: str
    line: int  # 1-based line of the document's start
    index: int = 0  # position among the file's documents

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind") or "")

    @property
    def name(self) -> str:
        meta = self.obj.get("metadata") or {}
        return str(meta.get("name") or "") if isinstance(meta, dict) else ""

    @property
    def namespace(self) -> str:
        meta = self.obj.get("metadata") or {}
        return str(meta.get("namespace") or "") if isinstance(meta, dict) else ""


@dataclass
class LoadResult:
    """Documents read, and notes about what was skipped (empty documents, non-objects)."""

    documents: list[Document] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _yaml_docs(text: str, source: str) -> Iterator[tuple[Any, int]]:
    import yaml  # noqa: PLC0415 - PyYAML is cheap but only needed here

    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_cls(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            line = node.start_mark.line + 1
            yield loader.construct_document(node), line
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f": line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{source}{where}: not valid YAML ({problem})",
                         hint="check indentation and quoting around that line") from None
    finally:
        loader.dispose()


def load_text(text: str, *, source: str = "<text>") -> list[Document]:
    """Parse YAML or JSON text into documents; list-kind objects (``kind: List``) are unpacked."""
    return _collect(text, source).documents


def _collect(text: str, source: str) -> LoadResult:
    result = LoadResult()
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}: line {exc.lineno}: not valid JSON ({exc.msg})",
                             hint="check the JSON syntax near that line") from None
        raw: Iterable[tuple[Any, int]] = [(item, 1) for item in (data if isinstance(data, list) else [data])]
    else:
        raw = _yaml_docs(text, source)
    for index, (obj, line) in enumerate(raw):
        if obj is None:
            continue
        if not isinstance(obj, dict):
            result.notes.append(f"{source}: line {line}: skipped a document that is not an object")
            continue
        items = obj.get("items") if str(obj.get("kind", "")).endswith("List") else None
        if isinstance(items, list):
            for item in items:
                if isinstance(item, dict):
                    result.documents.append(Document(item, source, line, index))
            continue
        result.documents.append(Document(obj, source, line, index))
    return result


def read_source(path: str | Path) -> tuple[str, str]:
    """Return ``(text, display_name)`` for a path, or standard input for ``-``."""
    if str(path) == "-":
        return sys.stdin.read(), "<stdin>"
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8"), str(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", hint="check the path; `-` reads standard input") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory", hint="give a YAML or JSON file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text file", hint="give a YAML or JSON file") from None


def load_objects(paths: Iterable[str | Path]) -> LoadResult:
    """Load every object from the given files (``-`` is standard input).

    An empty file is not an error: it yields no documents and a note saying so.
    """
    result = LoadResult()
    for path in paths:
        text, name = read_source(path)
        if not text.strip():
            result.notes.append(f"{name}: empty, nothing to read")
            continue
        part = _collect(text, name)
        result.documents.extend(part.documents)
        result.notes.extend(part.notes)
    return result
