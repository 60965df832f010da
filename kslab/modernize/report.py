"""What a modernisation produced: per document, per input, and the report over all inputs (data only).

:mod:`~kslab.modernize.run` fills these in, :mod:`~kslab.modernize.writer` writes them out (``--write DIR``)
and :mod:`~kslab.modernize.view` shows them; all three import this module, none of them each other.

>>> r = Report(36, [FileResult("a.yaml", False)])
>>> r.exit_code, r.findings, to_plain({"a": [1]})
(0, [], {'a': [1]})
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kslab.modernize.finding import Finding

if TYPE_CHECKING:  # pragma: no cover - for the type checker only: the command line imports lazily
    from kslab.modernize.view import Summary


@dataclass
class ModernDoc:
    """One document: where it was, its modern form (None: not written), what was found."""

    source: str
    document: int
    line: int
    kind: str
    name: str
    obj: MutableMapping[str, Any] | None
    added: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    known: bool = True


@dataclass
class FileResult:
    """One input: its documents (manifests) or its lines (a script or text), modernised."""

    source: str
    text_input: bool
    documents: list[ModernDoc] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # a text input's lines as they should read now
    findings: list[Finding] = field(default_factory=list)  # a text input's line findings
    notes: list[str] = field(default_factory=list)
    text: str = field(default="", repr=False)  # the input as read (the writer reads it again to keep comments)

    def all_findings(self) -> list[Finding]:
        return sorted(self.findings + [f for d in self.documents for f in d.findings],
                      key=lambda f: (f.line, f.document))


def to_plain(obj: Any) -> Any:
    """Plain dicts and lists all the way down (a ruamel.yaml CommentedMap becomes a dict), for JSON and PyYAML."""
    if isinstance(obj, Mapping):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_plain(v) for v in obj]
    return obj


@dataclass
class Report:
    """Everything ``kslab modernize`` found, per input, for one target release.

    :func:`kslab.modernize.writer.write` writes its modern files (``--write DIR``)."""

    target: int
    files: list[FileResult]

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.files for f in r.all_findings()]

    @property
    def notes(self) -> list[str]:
        return [n for r in self.files for n in r.notes + [n for d in r.documents for n in d.notes]]

    @property
    def exit_code(self) -> int:
        """0 nothing to change, 1 findings (the CLI contract)."""
        return 1 if self.findings else 0

    def rows(self) -> list[dict[str, Any]]:
        """The JSON rows, one per finding."""
        return [f.as_dict() for f in self.findings]

    def manual(self) -> list[Finding]:
        """What kslab cannot change by itself: a person must."""
        return [f for f in self.findings if not f.automatic]

    def modern_objects(self) -> list[dict[str, Any]]:
        """Every document in its modern form (plus the Services written for hostPorts), as plain dicts."""
        return [to_plain(o) for r in self.files for d in r.documents
                for o in ([d.obj] if d.obj is not None else []) + d.added]

    def summary(self) -> Summary:
        """One row per rule met, for a notebook's "then vs now" cell (:class:`~kslab.modernize.view.Summary`)."""
        from kslab.modernize.view import Summary  # noqa: PLC0415

        return Summary(self)

    def __str__(self) -> str:
        from kslab.modernize.view import text_report  # noqa: PLC0415

        return text_report(self)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        from kslab.modernize.view import html_report  # noqa: PLC0415

        return html_report(self)
