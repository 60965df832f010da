"""Read Kubernetes objects from YAML or JSON files (multi-document; ``-`` for standard input).

Every lab that takes a student's file goes through :func:`load_objects`, so a typo always gives the
same kind of one-line error with the file and the line, never a parser traceback.

>>> docs = load_text("kind: Pod\\nmetadata: {name: a}\\n---\\nkind: Role\\n", source="x.yaml")
>>> [(d.kind, d.name, d.line) for d in docs]
[('Pod', 'a', 1), ('Role', '', 4)]
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from kslab.errors import InputError, file_error


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


#: Characters read from a file at a time (YAML is parsed as it is read, document by document).
CHUNK = 1 << 12


class _Stream:
    """A text stream read in chunks (what CSafeLoader reads from), remembering whether it held
    anything but white space, with the first chunk put back after peeking at it."""

    def __init__(self, file: IO[str], name: str) -> None:
        self.file, self.name = file, name
        self.head = ""
        self.nonblank = False

    def first_char(self) -> str:
        """The first character that is not white space ("" for a blank stream); nothing is lost."""
        blank_lines = 0
        while True:
            chunk = self._read(CHUNK)
            if not chunk:
                self.head = "\n" * blank_lines
                return ""
            stripped = chunk.lstrip()
            if stripped:
                # Blank chunks before this one are kept only as their line breaks (line numbers).
                self.head = "\n" * blank_lines + chunk
                self.nonblank = True
                return stripped[0]
            blank_lines += chunk.count("\n")

    def _read(self, size: int) -> str:
        try:
            return self.file.read(size)
        except UnicodeDecodeError:
            raise InputError(f"{self.name}: not UTF-8 text", hint="give a YAML or JSON file") from None
        except OSError as exc:
            raise file_error(self.name, exc) from None

    def read_all(self) -> str:
        """The rest of the stream (the peeked chunk included) as one string."""
        parts = [self.head, self._read(-1)]
        self.head = ""
        if not self.nonblank and "".join(parts).strip():
            self.nonblank = True
        return "".join(parts)

    def read(self, size: int = -1) -> str:
        if self.head:
            out, self.head = self.head, ""
            return out
        chunk = self._read(size)
        if chunk and not self.nonblank and chunk.strip():
            self.nonblank = True
        return chunk


def _yaml_docs(stream: str | _Stream, source: str) -> Iterator[tuple[Any, int]]:
    """Each document's value and its first line, parsed and built one document at a time."""
    import yaml  # noqa: PLC0415 - PyYAML is cheap but only needed here

    from kslab.manifests.yaml_build import BuildError, build, loader_class  # noqa: PLC0415

    loader = loader_class()(stream)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            line = node.start_mark.line + 1
            value = build(node, loader)
            del node  # this document's nodes go before the next is read
            yield value, line
    except BuildError as exc:
        raise InputError(f"{source}: line {exc.line}: {exc.message}",
                         hint="kubectl refuses this too; fix the YAML at that line") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f": line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{source}{where}: not valid YAML ({str(problem)[:200]})",
                         hint="check indentation and quoting around that line") from None
    finally:
        loader.dispose()


class _DuplicateKey(Exception):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):  # json.loads would keep the last value silently
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


def _json_docs(text: str, source: str) -> list[tuple[Any, int]]:
    try:
        data = json.loads(text, object_pairs_hook=_object)
    except _DuplicateKey as exc:
        key = str(exc.args[0])
        shown = key if len(key) <= 60 else key[:60] + "…"
        raise InputError(f'{source}: key "{shown}" appears twice in one JSON object',
                         hint="kubectl refuses duplicate keys too; keep one") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: line {exc.lineno}: not valid JSON ({exc.msg})",
                         hint="check the JSON syntax near that line") from None
    except RecursionError:
        raise InputError(f"{source}: JSON nested too deeply", hint="Kubernetes objects are a few levels deep") from None
    except ValueError as exc:  # an integer of more digits than Python converts
        raise InputError(f"{source}: not valid JSON ({str(exc)[:80]})", hint="check the numbers in the file") from None
    return [(item, 1) for item in (data if isinstance(data, list) else [data])]


def load_text(text: str, *, source: str = "<text>") -> list[Document]:
    """Parse YAML or JSON text into documents; list-kind objects (``kind: List``) are unpacked."""
    notes: list[str] = []
    return list(_documents(text, source, notes))


def _documents(text: str | _Stream, source: str, notes: list[str]) -> Iterator[Document]:
    """The objects of one source, as they are parsed; notes on what was skipped go to ``notes``."""
    first = text.lstrip()[:1] if isinstance(text, str) else text.first_char()
    if first in ("{", "["):  # JSON: read whole (the standard library has no streaming parser)
        whole = text if isinstance(text, str) else text.read_all()
        raw: Iterable[tuple[Any, int]] = _json_docs(whole, source)
    else:
        raw = _yaml_docs(text, source)
    for index, (obj, line) in enumerate(raw):
        if obj is None:
            continue
        if not isinstance(obj, dict):
            notes.append(f"{source}: line {line}: skipped a document that is not an object")
            continue
        items = obj.get("items") if str(obj.get("kind", "")).endswith("List") else None
        if isinstance(items, list):
            for item in items:
                if isinstance(item, dict):
                    yield Document(item, source, line, index)
            continue
        yield Document(obj, source, line, index)


def _open(path: str | Path) -> tuple[IO[str], str]:
    if str(path) == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is None:  # a replaced sys.stdin (a test, a notebook) is already text
            return sys.stdin, "<stdin>"
        return io.TextIOWrapper(buffer, encoding="utf-8", errors="strict"), "<stdin>"
    try:
        return open(path, encoding="utf-8"), str(path)  # noqa: SIM115 - closed by the caller
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", hint="check the path; `-` reads standard input") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory", hint="give a YAML or JSON file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied", hint="check the file's permissions") from None
    except OSError as exc:
        raise file_error(path, exc) from None


#: Characters a file read whole may have (a component's configuration or command line, kube-bench's
#: output): a bound on memory and time. Files of objects are streamed instead (:func:`iter_objects`).
MAX_WHOLE = 16 << 20


def read_source(path: str | Path, *, limit: int = MAX_WHOLE) -> tuple[str, str]:
    """Return ``(text, display_name)`` for a path, or standard input for ``-``, read whole: for
    small inputs such as one component's configuration. Longer than ``limit`` characters is a
    one-line error; files of objects are streamed by :func:`iter_objects`."""
    file, name = _open(path)
    try:
        stream = _Stream(file, name)
        text = stream.head + stream._read(limit + 1)
        if len(text) > limit:
            raise InputError(f"{name}: longer than {limit:,} characters: not read",
                             hint="give the component's own file (configurations are a few kB)")
        return text, name
    finally:
        if file is not sys.stdin:
            file.close()


def iter_objects(paths: Iterable[str | Path], notes: list[str]) -> Iterator[Document]:
    """Every object of the given files (``-`` is standard input), one document at a time.

    A file is parsed as it is read, so a huge multi-document file is judged in bounded memory if
    the caller keeps only what it needs of each document. Notes (empty files, skipped documents)
    are appended to ``notes`` as they arise. An empty file is not an error: it gives a note.
    """
    for path in paths:
        file, name = _open(path)
        try:
            stream = _Stream(file, name)
            yield from _documents(stream, name, notes)
            if not stream.nonblank:
                notes.append(f"{name}: empty, nothing to read")
        finally:
            if file is not sys.stdin:
                file.close()


def load_objects(paths: Iterable[str | Path]) -> LoadResult:
    """Load every object from the given files (``-`` is standard input), all at once.

    An empty file is not an error: it yields no documents and a note saying so.
    """
    result = LoadResult()
    result.documents = list(iter_objects(paths, result.notes))
    return result
