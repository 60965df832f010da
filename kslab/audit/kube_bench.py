"""Read kube-bench's ``--json`` output into the same rows as kslab's own audit.

kube-bench prints ``{"Controls": [...], "Totals": {...}}`` (or a bare list of controls with
``--nototals``); each control has ``tests`` (groups) whose ``results`` are the checks, with
``test_number``, ``test_desc``, ``status``, ``actual_value``, ``expected_result``, ``remediation``
and ``scored``. Rows keep kube-bench's verdicts; for cis-1.12 checks kslab knows, the row also gets
kslab's one-sentence *why*.

>>> report = import_kube_bench(bundled_sample())
>>> report.row("1.2.15").status, report.row("1.2.15").expected
('FAIL', "'--profiling' is equal to 'false'")
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from kslab.audit.flags import DATA
from kslab.audit.report import STATUSES, AuditReport, AuditRow
from kslab.audit.rules import RULE_FILES, load_rules
from kslab.audit.sources import shown_name
from kslab.errors import InputError
from kslab.manifests.load import read_source
from kslab.text import brief


def bundled_sample() -> Path:
    """The hand-written kube-bench result shipped with kslab (see ``kslab/data/cis/README.md``)."""
    return DATA / "kube-bench-sample.json"


def _whys(version: str) -> dict[str, str]:
    if version not in ("cis-1.12", "1.12"):
        return {}
    return {c.id: c.why for component in RULE_FILES for c in load_rules(component).checks}


def _command_part(text: str) -> str:
    """From a ``ps -ef`` line keep the command (drop user, pid, times).

    >>> _command_part("root 2114 2011 5 09:12 ? 00:04:10 kube-apiserver --profiling=false")
    'kube-apiserver --profiling=false'
    """
    m = re.search(r"(?:^|\s)(\S*(?:kube-apiserver|kubelet|kube-controller-manager|kube-scheduler|"
                  r"kube-proxy|etcd)(?:\s|$))", text)
    return text[m.start(1):] if m else text


_FLAG_IN_EXPECTED = re.compile(r"'(--[a-z0-9-]+)'")
_PATH_IN_EXPECTED = re.compile(r"'(\{\.[A-Za-z0-9_.]+\})'")


def observed_value(actual: str, expected: str) -> str:
    """What kube-bench observed for a check, in a few words: for a flag check, each flag the check names
    as kube-bench reads it (its *first* occurrence on the command line), else kube-bench's own reading.
    kube-bench's ``actual_value`` for a flag check is the whole ``ps`` line, which says nothing by itself.

    >>> line = "root 2114 2011 5 09:12 ? 00:04:10 kube-apiserver --profiling=true --authorization-mode Node,RBAC"
    >>> observed_value(line, "'--profiling' is equal to 'false'")
    '--profiling=true'
    >>> observed_value(line, "'--authorization-mode' has 'Node'")
    '--authorization-mode=Node,RBAC'
    >>> observed_value(line, "'--audit-log-path' is present")
    '--audit-log-path not set'
    >>> observed_value("permissions=600", "permissions has permissions 600, expected 600 or more restrictive")
    'permissions=600'
    >>> observed_value("", "'{.readOnlyPort}' is equal to '0' OR '{.readOnlyPort}' is not present")
    '{.readOnlyPort} not set'
    >>> observed_value("", "'{.readOnlyPort}' is equal to '0' OR '{.readOnlyPort}' is not present")
    '{.readOnlyPort} not set'
    """
    flat = " ".join(actual.split())
    flags = list(dict.fromkeys(_FLAG_IN_EXPECTED.findall(expected)))
    command = _command_part(flat)
    if not flags or not re.search(r"(?:^|\s)--", command):
        paths = list(dict.fromkeys(_PATH_IN_EXPECTED.findall(expected)))
        if len(paths) == 1:  # a kubelet config field: say which, and its value
            return f"{paths[0]}: {command}" if command else f"{paths[0]} not set"
        return command
    tokens = command.split()
    shown = []
    for flag in flags:
        value = None
        for i, token in enumerate(tokens):
            if token == flag:
                nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
                value = "" if nxt.startswith("--") or not nxt else nxt
                break
            if token.startswith(flag + "="):
                value = token[len(flag) + 1:]
                break
        shown.append(f"{flag} not set" if value is None else (f"{flag}={value}" if value else flag))
    return "; ".join(shown)


def _controls(data: Any, source: str) -> list[dict[str, Any]]:
    if isinstance(data, dict) and isinstance(data.get("Controls"), list):
        return data["Controls"]
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and "tests" in data:
        return [data]
    raise InputError(f"{source}: not kube-bench JSON (no Controls)",
                     hint="run kube-bench with --json and give its output file")


def _objects(value: Any, name: str, field: str) -> list[dict[str, Any]]:
    """A list of JSON objects from kube-bench's output, or a one-line error saying which field is not."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InputError(f"{name}: {field} must be a list of objects, not {brief(value)}",
                         hint="give kube-bench's --json output")
    return value


def import_kube_bench(path: str | Path) -> AuditReport:
    """kube-bench's JSON result as an :class:`AuditReport` (``kslab audit import FILE``)."""
    text, name = read_source(path)
    name = shown_name(path, name)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}: line {exc.lineno}: not valid JSON ({exc.msg})",
                         hint="give the file kube-bench wrote with --json") from None
    rows: list[AuditRow] = []
    versions = []
    for control in _controls(data, name):
        if not isinstance(control, dict):
            raise InputError(f"{name}: a control is not an object", hint="give kube-bench's --json output")
        version = str(control.get("version") or "")
        versions.append(version)
        whys = _whys(version)
        for group in _objects(control.get("tests"), name, "tests"):
            section = f"{group.get('section', '')} {group.get('desc', '')}".strip()
            for res in _objects(group.get("results"), name, "results"):
                status = str(res.get("status", "")).upper()
                if status not in STATUSES:
                    raise InputError(f"{name}: check {res.get('test_number')}: unknown status {brief(status)}",
                                     hint="kube-bench statuses are PASS, FAIL, WARN, INFO")
                cid = str(res.get("test_number", ""))
                rows.append(AuditRow(
                    id=cid, title=str(res.get("test_desc", "")), status=status,
                    observed=observed_value(str(res.get("actual_value") or ""),
                                            str(res.get("expected_result") or "")),
                    expected=str(res.get("expected_result") or ""),
                    remediation=" ".join(str(res.get("remediation") or "").split()),
                    why=whys.get(cid, ""), scored=bool(res.get("scored")), kube_bench=status,
                    kube_bench_note="", section=section))
    if not rows:
        raise InputError(f"{name}: kube-bench JSON without any results", hint="was kube-bench run with --json?")
    benchmark = ", ".join(sorted({v for v in versions if v})) or "kube-bench"
    return AuditReport("kube-bench", name, rows,
                       ["imported from kube-bench: these are kube-bench's own verdicts and readings"],
                       benchmark)
