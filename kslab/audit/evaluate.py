"""Decide every check, the way kube-bench does, on the configuration the component really runs with.

For each check: each test item passes or fails (``set: false`` → the setting must be absent; no
compare → present; compare → present and the comparison holds); ``bin_op`` (``and`` unless ``or``)
combines them; a pass is PASS, a fail is FAIL when the check is scored and WARN when it is not;
``type: manual`` is always WARN and ``type: skip`` always INFO.

The same rules are also applied to kube-bench's own reading of the input, so every row says what
kube-bench would report, and why, when that differs.

>>> from kslab.audit.sources import from_command_line
>>> report = audit(from_command_line("kube-apiserver --authorization-mode=Node --authorization-mode=RBAC"))
>>> report.row("1.2.8").status, report.row("1.2.8").kube_bench
('PASS', 'FAIL')
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from kslab.audit.flags import DATA, show
from kslab.audit.operators import expected_text, kube_bench_compare, typed_compare
from kslab.audit.readings import ComponentReading, KubeBenchReading, Observation
from kslab.audit.report import AuditReport, AuditRow
from kslab.audit.rules import Check, Item, RuleSet, Tests, load_rules
from kslab.audit.sources import ComponentInput
from kslab.text import brief


def status_for(check: Check, passed: bool | None) -> str:
    """kube-bench's state for a check whose tests gave ``passed`` (None when they did not run).

    >>> from kslab.audit.rules import load_rules
    >>> rules = load_rules("kube-apiserver")
    >>> status_for(rules.check("1.2.2"), False), status_for(rules.check("1.2.1"), False)
    ('FAIL', 'WARN')
    >>> status_for(rules.check("1.2.20"), True)
    'WARN'
    """
    if check.type == "skip":
        return "INFO"
    if check.type == "manual":
        return "WARN"
    if check.tests is None:
        return "WARN"
    if not check.tests.items:
        return "FAIL" if check.scored else "WARN"
    if passed:
        return "PASS"
    return "FAIL" if check.scored else "WARN"


def item_passes(item: Item, obs: Observation, *, typed: bool) -> tuple[bool, str]:
    """Whether one item holds for one observation; returns (passed, why not)."""
    if not item.set:
        return (not obs.found), ""
    if not obs.found:
        return False, ""
    if item.compare is None:
        return True, ""
    if typed:
        return typed_compare(item.compare.op, obs.value, item.compare.value, obs.flag_type)
    ok = kube_bench_compare(item.compare.op, str(obs.value), item.compare.value)
    return ok, "" if ok else f"{obs.name} is {brief(obs.value)}"


def run_tests(tests: Tests, lookup: Callable[[Item], Observation], *, typed: bool
              ) -> tuple[bool, list[tuple[Item, Observation, bool, str]]]:
    """All items of a test block; returns the combined result and each item's outcome."""
    outcomes = []
    for item in tests.items:
        obs = lookup(item)
        ok, why = item_passes(item, obs, typed=typed)
        outcomes.append((item, obs, ok, why))
    results = [o[2] for o in outcomes]
    combined = any(results) if tests.bin_op == "or" else all(results)
    return combined, outcomes


def expected_for(tests: Tests | None) -> str:
    if tests is None or not tests.items:
        return "manual check: read the benchmark and decide"
    joiner = " OR " if tests.bin_op == "or" else " AND "
    parts = []
    for it in tests.items:
        name = it.flag + (f" (config {it.path})" if it.path else "")
        parts.append(expected_text(it.compare.op if it.compare else None, name,
                                   it.compare.value if it.compare else "", set_=it.set))
    return joiner.join(parts)


def observed_for(outcomes: list[tuple[Item, Observation, bool, str]]) -> str:
    seen: list[str] = []
    for _, obs, _, _ in outcomes:
        text = obs.describe()
        if text not in seen:
            seen.append(text)
    return "; ".join(seen)


def _why_readings_differ(reading: ComponentReading, item: Item, mine: Observation,
                         theirs: Observation) -> tuple[str, bool]:
    """Why kube-bench's observation differs from the component's; (reason, only-a-default)."""
    if item.flag == "provider":
        return ("kube-bench takes the words on the line after the last 'providers:' in the file", False)
    cl = reading.command_line
    uses = cl.uses(item.setting) if item.flag.startswith("--") else []
    if theirs.found and not mine.found:
        if mine.detail and "empty value" in mine.detail:
            return (f"{item.flag}= is empty: the component treats it as unset, kube-bench reads "
                    f"'{theirs.value}'", False)
        return (f"kube-bench finds the text '{item.flag}' inside another argument of the command "
                "line", False)
    if mine.found and not theirs.found:
        if mine.name == "--admission-control":
            return ("kube-bench reads only --enable-admission-plugins; these plugins are given with the "
                    "2019 flag --admission-control, whose list replaces the default plugins", False)
        if mine.origin in ("default", "config default"):
            return (f"kube-bench sees no {mine.name} and applies the benchmark's rule for an absent "
                    f"setting; the component runs with its default {show(mine.value, mine.flag_type)}",
                    True)
        if any(o for o in cl.occurrences if o.name == item.setting) and item.flag not in reading.input.command_line:
            return (f"written with '_' instead of '-': the component reads it as {item.flag}, "
                    "kube-bench's text search does not find it", False)
        return f"kube-bench does not find {item.flag}", False
    # both found, different values
    if len(uses) > 1:
        kind = "accumulates every occurrence" if (mine.flag_type in ("strings", "array", "map")) \
            else "uses the last occurrence"
        return (f"{item.flag} is given {len(uses)} times: kube-bench reads the first "
                f"('{theirs.value}'), the component {kind} ({show(mine.value, mine.flag_type)})", False)
    if uses and uses[-1].form == "space" and theirs.value == "true":
        return (f"'{item.flag} {uses[-1].text}' (a space, not '='): kube-bench reads 'true', the "
                f"component reads {show(mine.value, mine.flag_type)}", False)
    if uses and uses[-1].form == "bare" or (mine.flag_type == "bool" and uses and uses[-1].form == "space"):
        return (f"'{item.flag}' without '=' is true for the component and for kube-bench", False)
    if mine.detail:
        return f"{mine.detail}; kube-bench compares the text '{theirs.value}'", False
    if mine.flag_type == "int" and uses:
        return (f"'{uses[-1].text}' is {show(mine.value)} to the component (Go reads a leading 0 as "
                f"octal, 0x as hex); kube-bench reads it as decimal text", False)
    if mine.flag_type == "duration":
        return (f"'{theirs.value}' is a duration of {show(mine.value, 'duration')}; kube-bench compares "
                "it as text", False)
    return (f"kube-bench reads '{theirs.value}', the component runs with "
            f"{show(mine.value, mine.flag_type)}", False)


def _note(reading: ComponentReading, kb_reading: KubeBenchReading, check: Check, status: str,
          kb_status: str, outcomes: list[tuple[Item, Observation, bool, str]]) -> str:
    reasons: list[str] = []
    only_defaults = True
    for item, mine, mine_ok, _ in outcomes:
        theirs = kb_reading.lookup(item)
        kb_ok, _ = item_passes(item, theirs, typed=False)
        same_reading = theirs.found == mine.found and (
            not mine.found or str(theirs.value).rstrip(",") == show(mine.value, mine.flag_type))
        if not same_reading:
            reason, default_only = _why_readings_differ(reading, item, mine, theirs)
        elif kb_ok != mine_ok and item.compare is not None:
            reason, default_only = (f"kube-bench compares text ({item.compare.op} "
                                    f"'{item.compare.value}' on '{theirs.value}'); the component's "
                                    f"value is {show(mine.value, mine.flag_type)}"), False
        else:
            continue
        only_defaults = only_defaults and default_only
        if reason not in reasons:
            reasons.append(reason)
    if check.strict is not None and status != kb_status:
        reasons.append(check.strict_reason)
    if status == kb_status and only_defaults:
        return ""
    if not reasons:
        return ""
    head = f"kube-bench would report {kb_status}: " if status != kb_status else "kube-bench agrees, but: "
    return head + "; ".join(r.rstrip(".") for r in reasons) + "."


def evaluate_check(check: Check, reading: ComponentReading, kb_reading: KubeBenchReading,
                   section: str = "") -> AuditRow:
    """One check → one row (status, observed, expected, kube-bench's status and note)."""
    if check.type in ("manual", "skip") or check.tests is None or not check.tests.items:
        status = status_for(check, None)
        observed = "not evaluated automatically (manual check)"
        if check.type == "manual" and check.id == "1.2.20":
            obs = reading.lookup(Item("--request-timeout"))
            observed = obs.describe()
        return AuditRow(check.id, check.title, status, observed, expected_for(check.tests),
                   check.remediation, check.why, check.scored, status, "", section)
    tests = check.strict or check.tests
    passed, outcomes = run_tests(tests, reading.lookup, typed=True)
    kb_passed, _ = run_tests(check.tests, kb_reading.lookup, typed=False)
    status, kb_status = status_for(check, passed), status_for(check, kb_passed)
    kb_known = not (check.source == "encryption-config" and reading.input.encryption_config is None
                    and reading.command_line.has("encryption-provider-config"))
    note = _note(reading, kb_reading, check, status, kb_status, outcomes) if kb_known else \
        "kube-bench reads this file on the control-plane node; give it with --encryption-config to check it here."
    observed = observed_for(outcomes)
    reason = next((why for _, _, ok, why in outcomes if not ok and why), "")
    if not passed and reason:
        observed += f" — {reason}"
    return AuditRow(check.id, check.title, status, observed, expected_for(tests), check.remediation,
               check.why, check.scored, kb_status if kb_known else None, note, section)


# ---- then vs now, and what the component would not accept ----------------------------------------

@cache
def then_vs_now() -> dict[str, Any]:
    """The removed and renamed flags and admission plugins (``kslab/data/cis/then-vs-now.yaml``)."""
    import yaml  # noqa: PLC0415

    return yaml.safe_load((DATA / "then-vs-now.yaml").read_text(encoding="utf-8"))


def _history_row(row_id: str, title: str, observed: str, entry: dict[str, Any], expected: str) -> AuditRow:
    return AuditRow(row_id, title, "INFO", observed, expected, " ".join(entry["remediation"].split()),
               why=f"Then: {entry['then']} Now: {entry['now']}", scored=False, kube_bench=None,
               kube_bench_note="", section="then vs now")


def history_rows(reading: ComponentReading) -> list[AuditRow]:
    """Rows for every 2019-era flag or plugin in the input, and for unknown flags."""
    data = then_vs_now().get(reading.input.component, {})
    flags_hist = data.get("flags", {})
    plugins_hist = data.get("admission_plugins", {})
    cl = reading.command_line
    rows: list[AuditRow] = []
    seen_flags: set[str] = set()
    for occ in [*cl.unknown, *cl.occurrences]:
        if occ.name in flags_hist and occ.name not in seen_flags:
            seen_flags.add(occ.name)
            entry = flags_hist[occ.name]
            written = f"--{occ.name}" + (f"={occ.text}" if occ.text is not None else "")
            verb = "still accepted" if (entry.get("still_valid") or occ.name == "admission-control") \
                else "removed"
            rows.append(_history_row(f"then-vs-now: --{occ.name}", f"--{occ.name} ({verb})",
                                     written, entry, "not needed today" if verb == "removed"
                                     else "see the explanation"))
    cfg = reading.input.config or {}
    if "protectKernelDefaults" in cfg and "protect-kernel-defaults" in flags_hist \
            and "protect-kernel-defaults" not in seen_flags:
        entry = flags_hist["protect-kernel-defaults"]
        rows.append(_history_row("then-vs-now: protectKernelDefaults", "protectKernelDefaults (no longer a CIS check)",
                                 f"protectKernelDefaults: {show(cfg['protectKernelDefaults'])}", entry,
                                 "see the explanation"))
    named: list[tuple[str, str]] = []
    for flag in ("admission-control", "enable-admission-plugins", "disable-admission-plugins"):
        for plugin in cl.value(flag) or []:
            named.append((flag, plugin))
    known_plugins = set(reading.component_data.get("admission_plugins") or [])
    for flag, plugin in named:
        if plugin in plugins_hist:
            rows.append(_history_row(f"then-vs-now: {plugin}", f"admission plugin {plugin} (removed)",
                                     f"--{flag}=...{plugin}...", plugins_hist[plugin],
                                     "not named in any admission flag"))
        elif known_plugins and plugin not in known_plugins:
            rows.append(AuditRow(f"unknown-plugin: {plugin}", f"admission plugin {plugin} is not known",
                            "WARN", f"--{flag}=...{plugin}...", f"a plugin kube-apiserver {reading.catalog.version} knows",
                            f"Check the spelling; a kube-apiserver refuses to start with: {flag} plugin "
                            f"\"{plugin}\" is unknown.", section="input"))
    if cl.has("admission-control") and (cl.has("enable-admission-plugins") or cl.has("disable-admission-plugins")):
        rows.append(AuditRow("conflict: --admission-control", "--admission-control with --enable/--disable-admission-plugins",
                        "WARN", "both given", "only --enable-admission-plugins / --disable-admission-plugins",
                        "Drop --admission-control; kube-apiserver refuses to start with both "
                        "(\"admission-control and enable-admission-plugins/disable-admission-plugins flags "
                        "are mutually exclusive\").", section="input"))
    for occ in cl.unknown:
        if occ.name in flags_hist:
            continue
        written = f"--{occ.name}" + (f"={occ.text}" if occ.text is not None else "")
        rows.append(AuditRow(f"unknown-flag: --{occ.name}", f"--{occ.name} is not a flag kslab knows", "WARN",
                        written, f"a {reading.input.component} {reading.catalog.version} flag",
                        f"Check the spelling against `{reading.input.component} --help`; a component "
                        f"that does not know a flag stops with: unknown flag: --{occ.name}.",
                        why="kslab's catalog (kslab/data/cis/flags.yaml) may also be missing a rare flag.",
                        section="input"))
    for problem in cl.problems:
        if problem.startswith("unknown flag"):
            continue
        rows.append(AuditRow(f"invalid: {problem.split(':')[0]}", "the command line has a problem", "WARN",
                        problem, "a command line the component accepts",
                        "Fix the argument; the component would refuse to start.", section="input"))
    return rows


def audit(inp: ComponentInput, rules: RuleSet | None = None) -> AuditReport:
    """Audit one component input against its rules (the bundled cis-1.12 ones by default)."""
    rules = rules or load_rules(inp.component)
    reading = ComponentReading(inp)
    kb_reading = KubeBenchReading(inp)
    rows = [evaluate_check(c, reading, kb_reading, rules.section) for c in rules.checks]
    rows.extend(history_rows(reading))
    notes = list(inp.notes)
    if inp.component == "kubelet":
        if inp.config is None and reading.command_line.has("config"):
            notes.append(f"the kubelet reads {reading.command_line.value('config')}, which was not "
                         "given: unset fields are shown with their config-file defaults")
        elif inp.config is None:
            notes.append("no config file: the kubelet uses its command-line defaults (anonymous auth "
                         "on, AlwaysAllow, read-only port 10255)")
    return AuditReport(inp.component, inp.source, rows, notes, rules.benchmark)
