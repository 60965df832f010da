"""The hack of notebook 03, run for real in the sandbox: each step exec'd in the running webapp.

The steps and the reading of their output are :mod:`kslab.hack`'s (the same as in a live pod), so a
sandbox run and a cluster run print the same table, with the prediction beside what was observed.

>>> LABEL_KIND
'observed in a local sandbox'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kslab import hack as model

LABEL_KIND = "observed in a local sandbox"


def observe(obj: Mapping[str, Any], container: str | None = None) -> model.HackReport:
    """Run the hack's steps in the sandbox; raises when it cannot run (see :func:`session.prepare`).

    The result has the prediction and the observation side by side, and says where it was observed:
    a local sandbox, not a Kubernetes node."""
    from kslab.sandbox import session

    predicted = model.predict(obj, container)
    with session.webapp(obj, container) as running:
        rows = []
        for row in predicted.rows:
            result = running.exec(list(row.step.command))
            rows.append(model.Row(row.step, row.predicted,
                                  model.observe_step(row.step, result.returncode, result.stdout, result.stderr)))
        label = f"{running.runtime.label}"
    where = f"a local sandbox ({label}), not a Kubernetes node"
    return model.HackReport(tuple(rows), predicted.context, observed_from=where,
                            extra={"runtime": label, "observed": "sandbox"})


def as_json(report: model.HackReport) -> dict[str, Any]:
    """``{runtime, observed: true, where, rows: [{step, works, output}]}`` for ``--json``."""
    return {"runtime": report.extra.get("runtime", ""), "observed": True, "where": report.observed_from,
            "rows": [{"step": r.step.id, "works": r.observed.works if r.observed else None,
                      "output": r.observed.shown if r.observed else "not run",
                      "predicted": r.predicted.shown, "agrees": r.agrees} for r in report.rows]}
