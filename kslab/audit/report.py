"""Audit results: one :class:`Row` per check, and the :class:`AuditReport` that holds them.

A report reads as plain text (a table with the words PASS/FAIL/WARN/INFO, for terminals, logs and
nbval) and as a colour-coded HTML table in a notebook; ``to_json()`` gives the CLI's rows.

>>> r = AuditReport("kube-apiserver", "example", [Row("1.2.7", "includes Node", "FAIL", "--authorization-mode=RBAC",
...     "'--authorization-mode' has 'Node'", "Set --authorization-mode=Node,RBAC.", scored=True)])
>>> r.counts(), r.exit_code
({'PASS': 0, 'FAIL': 1, 'WARN': 0, 'INFO': 0}, 1)
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from kslab.views.tables import format_table

STATUSES = ("PASS", "FAIL", "WARN", "INFO")
COLOURS = {"PASS": "#1a7f37", "FAIL": "#cf222e", "WARN": "#9a6700", "INFO": "#6e7781"}


@dataclass(frozen=True)
class Row:
    """One audit row: the CLI's JSON fields first, then kslab's extras."""

    id: str
    title: str
    status: str
    observed: str
    expected: str
    remediation: str
    why: str = ""
    scored: bool = False
    kube_bench: str | None = None  # the status kube-bench would report for the same input
    kube_bench_note: str = ""  # why kube-bench's reading differs, when it does
    section: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AuditReport:
    """Every row of one audit, with where the input came from."""

    component: str
    source: str
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    benchmark: str = "cis-1.12"

    # ---- questions -------------------------------------------------------------------------------
    def row(self, row_id: str) -> Row:
        for r in self.rows:
            if r.id == row_id:
                return r
        raise KeyError(row_id)

    def statuses(self) -> dict[str, str]:
        """``{id: status}`` for every row."""
        return {r.id: r.status for r in self.rows}

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for r in self.rows if r.status == s) for s in STATUSES}

    @property
    def failed(self) -> list[Row]:
        """Scored checks that fail: what makes ``kslab audit`` exit 1."""
        return [r for r in self.rows if r.status == "FAIL"]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def disagreements(self) -> list[Row]:
        """Rows where kube-bench would report a different status."""
        return [r for r in self.rows if r.kube_bench is not None and r.kube_bench != r.status]

    # ---- views -----------------------------------------------------------------------------------
    def summary(self) -> str:
        c = self.counts()
        return (f"{self.component} audit ({self.benchmark}) of {self.source}: "
                f"{c['PASS']} PASS, {c['FAIL']} FAIL, {c['WARN']} WARN, {c['INFO']} INFO")

    def table(self, rows: Iterable[Row] | None = None, *, width: int = 60) -> str:
        """A plain-text table: id, status, what kube-bench would say, and what was observed."""
        def cut(text: str) -> str:
            return text if len(text) <= width else text[: width - 1] + "…"

        data = [{"id": r.id, "status": r.status,
                 "kube-bench": "" if r.kube_bench in (None, r.status) else r.kube_bench,
                 "observed": cut(r.observed)} for r in (self.rows if rows is None else rows)]
        return format_table(data, ["id", "status", "kube-bench", "observed"],
                            ["ID", "STATUS", "KUBE-BENCH", "OBSERVED"])

    def __str__(self) -> str:
        parts = [self.summary(), self.table()]
        notes = [f"{r.id}: {r.kube_bench_note}" for r in self.rows if r.kube_bench_note]
        if notes:
            parts.append("Where kube-bench reads it differently:\n" + "\n".join(f"  {n}" for n in notes))
        parts.extend(f"note: {n}" for n in self.notes)
        return "\n".join(parts)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left'>{h}</th>" for h in
                       ("ID", "Status", "Check", "Observed", "Remediation", "kube-bench"))
        body = []
        for r in self.rows:
            colour = COLOURS.get(r.status, "#6e7781")
            kb = "" if r.kube_bench in (None, r.status) else f"<b>{html.escape(r.kube_bench)}</b> "
            body.append(
                f"<tr><td>{html.escape(r.id)}</td>"
                f"<td style='color:white;background:{colour};font-weight:bold;text-align:center'>"
                f"{r.status}</td><td title='{html.escape(r.why)}'>{html.escape(r.title)}</td>"
                f"<td><code>{html.escape(r.observed)}</code></td><td>{html.escape(r.remediation)}</td>"
                f"<td>{kb}{html.escape(r.kube_bench_note)}</td></tr>")
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (f"<div><b>{html.escape(self.summary())}</b>"
                f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
                f"{'<ul>' + notes + '</ul>' if notes else ''}</div>")

    def to_json(self) -> list[dict[str, Any]]:
        """The rows as the CLI prints them with ``--json``."""
        return [r.as_dict() for r in self.rows]
