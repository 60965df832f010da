"""How a modernisation report reads: plain text for the terminal, a narrow HTML table for notebooks.

Both show, per finding, where it is, what it was, what replaces it, and whether kslab made the
change (``auto``) or a person must (``manual``). Notebooks get kslab's shared table
(:class:`kslab.views.tables.Table`: three columns that wrap inside a notebook column, aligned text
on GitHub); the terminal gets one block per finding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kslab.views.tables import Table

if TYPE_CHECKING:  # pragma: no cover
    from kslab.modernize.report import Report


def _where(f: object) -> str:
    file, line, kind, name = (getattr(f, a) for a in ("file", "line", "kind", "name"))
    head = f"{file}:{line}" if line else str(file)
    return f"{head} {kind} {name}".strip() if kind else head


def text_report(report: Report) -> str:
    """One block per finding, then the notes, then a summary line."""
    out = []
    for f in report.findings:
        mark = "auto" if f.automatic else "MANUAL"
        out.append(f"{_where(f)}: {f.rule.id} [{mark}]")
        out.append(f"    now: {f.replacement}")
        out.append(f"    why: {f.detail or f.rule.why}")
    for note in report.notes:
        out.append(f"note: {note}")
    total, manual = len(report.findings), len(report.manual())
    if total:
        out.append(f"{total} change{'s' if total != 1 else ''} for Kubernetes v1.{report.target}"
                   f" ({total - manual} automatic, {manual} for you to make)")
    else:
        out.append(f"nothing to change for Kubernetes v1.{report.target}")
    return "\n".join(out)


def html_report(report: Report) -> str:
    """Every finding as a table that fits a notebook column (kslab's shared :class:`~kslab.views.tables.Table`)."""
    return _finding_table(report).html()


def _finding_table(report: Report) -> Table:
    rows = [{"then": f"{f.rule.id}: {_where(f)}", "now": f.replacement + ("" if f.automatic else " (by hand)"),
             "why": f.detail or f.rule.why} for f in report.findings]
    return Table(rows, ["then", "now", "why"], ["THEN (RULE, WHERE)", "NOW", "WHY"],
                 wrap={"then": 26, "now": 34, "why": 36}, blank_between=True, note=_tail(report))


def _tail(report: Report) -> str:
    total, manual = len(report.findings), len(report.manual())
    if not total:
        return f"nothing to change for Kubernetes v1.{report.target}"
    return f"{total} changes for Kubernetes v1.{report.target}: {total - manual} made by kslab, {manual} for you"


class Summary:
    """One row per rule met: what it was (and how often), what replaces it, why — for a notebook cell.

    Short enough for a "then vs now" cell: the same rule met in five Deployments is one row. Shown as
    kslab's shared table (HTML in a notebook, aligned and wrapped text elsewhere).
    """

    def __init__(self, report: Report) -> None:
        self.report = report
        counts: dict[str, list[Any]] = {}
        for f in report.findings:
            if f.rule.id in counts:
                counts[f.rule.id][1] += 1
                counts[f.rule.id][4] = counts[f.rule.id][4] and f.automatic
            else:
                counts[f.rule.id] = [f.rule.id, 1, f.replacement, f.rule.why, f.automatic]
        self.rows = [tuple(v) for v in counts.values()]

    def table(self) -> Table:
        rows = [{"then": rule + (f" (x{count})" if count > 1 else ""),
                 "now": now + ("" if auto else " (by hand)"), "why": why}
                for rule, count, now, why, auto in self.rows]
        return Table(rows, ["then", "now", "why"], ["THEN (RULE)", "NOW", "WHY"],
                     wrap={"then": 26, "now": 34, "why": 36}, blank_between=True, note=_tail(self.report))

    def __str__(self) -> str:
        return self.table().text()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return self.table().html()
