"""The seed's security contexts × the hack's steps: what the shell shows, in one table (notebook 03).

Offline the cells are observed in the local sandbox where one runs here, and predicted otherwise;
the two must be the same text (a test and notebook 03's checked cell hold them to it), so the table
reads the same on any machine.

>>> t = outcomes(observe=False)
>>> t.cells["all three"]["edit-page"], t.cells["readOnlyRootFilesystem"]["edit-page"]
('Permission denied', 'Read-only file system')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kslab import hack
from kslab.views.tables import Table


def seed_cases() -> dict[str, dict[str, Any]]:
    """The seed's five steps (as the 2019 workshop deployed them) and today's restricted webapp."""
    from kslab.manifests.webapp import RESTRICTED_CONTEXT, SEED_STEPS, seed_deployment, webapp_deployment

    cases = {step: seed_deployment(step) for step in SEED_STEPS}
    cases["restricted + emptyDir /tmp"] = webapp_deployment(RESTRICTED_CONTEXT, tmp_volume=True)
    return cases


COLUMNS = {"id": "id", "edit-page": "edit the page", "write-tmp": "write /tmp", "become-root": "become root"}


@dataclass(frozen=True)
class Outcomes:
    """Case → step id → what the shell shows; ``source`` says where the cells come from."""

    cells: dict[str, dict[str, str]]
    source: str

    def view(self) -> Table:
        """Case × step as a :class:`~kslab.views.tables.Table` (HTML in a notebook, text elsewhere)."""
        rows = [{"securityContext": case, **{COLUMNS[k]: v for k, v in steps.items()}}
                for case, steps in self.cells.items()]
        columns = ["securityContext", *COLUMNS.values()]
        return Table(rows, columns, headers=columns, wrap={"securityContext": 26, "become root": 22})

    def table(self) -> str:
        """The aligned text form (what ``repr`` shows)."""
        return self.view().text()

    def __repr__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        return self.view().html()


def outcomes(*, observe: bool = True, run: Callable[[dict[str, Any]], hack.HackReport] | None = None) -> Outcomes:
    """The table; observed in the sandbox when ``observe`` and a sandbox runs here, else predicted."""
    from kslab.sandbox import available

    use_sandbox = observe and available().ok
    runner = run or (hack.sandboxed if use_sandbox else hack.predict)
    cells = {}
    for case, obj in seed_cases().items():
        report = runner(obj)
        cells[case] = {r.step.id: (r.observed or r.predicted).shown for r in report.rows}
    return Outcomes(cells, "sandbox" if use_sandbox else "prediction")
