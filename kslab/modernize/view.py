"""How a modernisation report reads: plain text for the terminal, a narrow HTML table for notebooks.

Both show, per finding, where it is, what it was, what replaces it, and whether kslab made the
change (``auto``) or a person must (``manual``). The HTML table has three columns so it fits a
notebook column; the text form wraps nothing and reads in a terminal or a GitHub rendering.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from kslab.modernize.run import Report


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
    """A three-column table (then / now / why) that fits a notebook column."""
    rows = []
    for f in report.findings:
        then = f"{f.kind} {f.name}".strip() or f"line {f.line}"
        mark = "" if f.automatic else " <b>(by hand)</b>"
        rows.append(f"<tr><td><code>{html.escape(f.rule.id)}</code><br>{html.escape(then)}</td>"
                    f"<td>{html.escape(f.replacement)}{mark}</td>"
                    f"<td>{html.escape(f.detail or f.rule.why)}</td></tr>")
    summary = f"{len(report.findings)} changes for Kubernetes v1.{report.target}, {len(report.manual())} by hand"
    return ("<table class='kslab-modernize' style='table-layout:fixed;width:100%'>"
            "<colgroup><col style='width:28%'><col style='width:30%'><col style='width:42%'></colgroup>"
            "<thead><tr><th>then (rule, object)</th><th>now</th><th>why</th></tr></thead><tbody>"
            + "".join(rows) + f"</tbody></table><p>{html.escape(summary)}</p>")


class Summary:
    """One row per rule met: what it was (and how often), what replaces it, why — for a notebook cell.

    Short enough for a "then vs now" cell: the same rule met in five Deployments is one row.
    """

    def __init__(self, report: Report) -> None:
        self.report = report
        self.rows: list[tuple[str, int, str, str, bool]] = []
        seen: dict[str, int] = {}
        for f in report.findings:
            if f.rule.id in seen:
                rule, count, now, why, auto = self.rows[seen[f.rule.id]]
                self.rows[seen[f.rule.id]] = (rule, count + 1, now, why, auto and f.automatic)
                continue
            seen[f.rule.id] = len(self.rows)
            self.rows.append((f.rule.id, 1, f.replacement, f.rule.why, f.automatic))

    def _tail(self) -> str:
        total, manual = len(self.report.findings), len(self.report.manual())
        return (f"{total} changes for Kubernetes v1.{self.report.target}: {total - manual} made by kslab, "
                f"{manual} for you")

    def __str__(self) -> str:
        lines = []
        for rule, count, now, _why, auto in self.rows:
            times = f" x{count}" if count > 1 else ""
            lines.append(f"{rule}{times} -> {now}{'' if auto else '  (by hand)'}")
        return "\n".join(lines + [self._tail()])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        # the course's table: it wraps inside its cells (long rule ids and commands break after - . /)
        from kslab.views.tables import Table  # noqa: PLC0415

        rows = [{"then (rule)": rule + (f" ×{count}" if count > 1 else ""),
                 "now": now + ("" if auto else " (by hand)"), "why": why}
                for rule, count, now, why, auto in self.rows]
        return Table(rows, ["then (rule)", "now", "why"], ["then (rule)", "now", "why"],
                     note=self._tail()).html()
