"""Audit results: one :class:`AuditRow` per check, and the :class:`AuditReport` that holds them.

A report reads as plain text (a table with the words PASS/FAIL/WARN/INFO, for terminals, logs and
nbval) and as a colour-coded HTML table in a notebook; ``to_json()`` gives the CLI's rows.

>>> r = AuditReport("kube-apiserver", "example", [AuditRow("1.2.7", "includes Node", "FAIL", "--authorization-mode=RBAC",
...     "'--authorization-mode' has 'Node'", "Set --authorization-mode=Node,RBAC.", scored=True)])
>>> r.counts(), r.exit_code
({'PASS': 0, 'FAIL': 1, 'WARN': 0, 'INFO': 0}, 1)
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from kslab.views.tables import Table
from kslab.views.styles import STATUS_COLOURS

STATUSES = ("PASS", "FAIL", "WARN", "INFO")
COLOURS = STATUS_COLOURS


def _status_style(status: Any) -> str:
    """Bold, in the status colour (the word itself says PASS/FAIL/WARN/INFO)."""
    colour = COLOURS.get(str(status))
    return f"color:{colour};font-weight:bold" if colour else ""


@dataclass(frozen=True)
class AuditRow:
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
    rows: list[AuditRow]
    notes: list[str] = field(default_factory=list)
    benchmark: str = "cis-1.12"

    # ---- questions -------------------------------------------------------------------------------
    def row(self, row_id: str) -> AuditRow:
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
    def failed(self) -> list[AuditRow]:
        """Scored checks that fail: what makes ``kslab audit`` exit 1."""
        return [r for r in self.rows if r.status == "FAIL"]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def disagreements(self) -> list[AuditRow]:
        """Rows where kube-bench would report a different status."""
        return [r for r in self.rows if r.kube_bench is not None and r.kube_bench != r.status]

    # ---- views -----------------------------------------------------------------------------------
    def summary(self) -> str:
        c = self.counts()
        return (f"{self.component} audit ({self.benchmark}) of {self.source}: "
                f"{c['PASS']} PASS, {c['FAIL']} FAIL, {c['WARN']} WARN, {c['INFO']} INFO")

    def view(self, rows: Iterable[AuditRow] | None = None, *, full: bool = False, title: str = "") -> Table:
        """The rows as a :class:`~kslab.views.tables.Table` (HTML in a notebook, text elsewhere): id,
        status (with what kube-bench would say when it differs) and what was observed; ``full`` adds the
        check's title, the remediation and kube-bench's note."""
        chosen = list(self.rows if rows is None else rows)
        data = [{"id": r.id, "status": r.status, "check": r.title,
                 "kube-bench": "" if r.kube_bench in (None, r.status) else r.kube_bench,
                 "observed": r.observed, "remediation": r.remediation, "note": r.kube_bench_note}
                for r in chosen]
        if full:
            columns, headers = (["id", "status", "check", "observed", "remediation", "kube-bench", "note"],
                                ["ID", "STATUS", "CHECK", "OBSERVED", "REMEDIATION", "KUBE-BENCH", "WHY IT DIFFERS"])
        else:
            columns, headers = ["id", "status", "kube-bench", "observed"], ["ID", "STATUS", "KUBE-BENCH", "OBSERVED"]
        return Table(data, columns, headers, title=title, wrap={"observed": 60, "check": 40, "remediation": 40, "note": 40},
                     style={"status": _status_style, "kube-bench": _status_style},
                     row_class=lambda row: f"kslab-audit-{row['status'].lower()}")

    def table(self, rows: Iterable[AuditRow] | None = None) -> str:
        """A plain-text table: id, status, what kube-bench would say, and what was observed."""
        return self.view(rows).text()

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
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (f"<div><b>{html.escape(self.summary())}</b>{self.view(full=True).html()}"
                f"{'<ul>' + notes + '</ul>' if notes else ''}</div>")

    def to_json(self) -> list[dict[str, Any]]:
        """The rows as the CLI prints them with ``--json``."""
        return [r.as_dict() for r in self.rows]
