"""The benchmark's checks as data: loading and validating ``kslab/data/cis/*.yaml``.

A check has an id (the CIS id), a title, ``scored``, an optional ``type`` (``manual`` or ``skip``),
tests (``bin_op`` and items), a remediation and one sentence on why it matters. A test item names a
``flag`` (and, for the kubelet, a config ``path``), ``set`` (default true) and an optional
``compare`` with one operator from a small closed set.

>>> rules = load_rules("kube-apiserver")
>>> rules.benchmark, len(rules.checks), rules.check("1.2.7").tests.items[0].compare
('cis-1.12', 30, Compare(op='has', value='Node'))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from kslab.audit.flags import DATA
from kslab.errors import InputError
from kslab.text import brief

#: kube-bench's operators. ``bitmask`` compares file permission modes, so no flag rule may use it.
OPERATORS = ("eq", "noteq", "gt", "gte", "lt", "lte", "has", "nothave", "regex", "valid_elements",
             "bitmask")
BIN_OPS = ("and", "or")
TYPES = ("", "manual", "skip")
RULE_FILES = {"kube-apiserver": "apiserver.yaml", "kubelet": "kubelet.yaml"}


@dataclass(frozen=True)
class Compare:
    op: str
    value: str


@dataclass(frozen=True)
class Item:
    """One test item: a flag (or a config path) that must be absent, present, or compare true."""

    flag: str
    path: str = ""
    set: bool = True
    compare: Compare | None = None

    @property
    def setting(self) -> str:
        """The flag name without dashes (``anonymous-auth``), or a bare name like ``provider``."""
        return self.flag[2:] if self.flag.startswith("--") else self.flag


@dataclass(frozen=True)
class Tests:
    bin_op: str = "and"
    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    scored: bool
    tests: Tests | None
    remediation: str
    why: str
    type: str = ""
    source: str = "command line"  # or "encryption-config"
    strict: Tests | None = None  # kslab's stricter reading of the title, when kube-bench's is weaker
    strict_reason: str = ""


@dataclass(frozen=True)
class RuleSet:
    benchmark: str
    component: str
    section: str
    checks: tuple[Check, ...] = field(default_factory=tuple)

    def check(self, check_id: str) -> Check:
        for c in self.checks:
            if c.id == check_id:
                return c
        raise KeyError(check_id)


def _tests(raw: Any, where: str) -> Tests:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: tests must be a mapping")
    bin_op = str(raw.get("bin_op") or "and")
    if bin_op not in BIN_OPS:
        raise InputError(f"{where}: unknown bin_op {brief(bin_op)}", hint=f"use one of {BIN_OPS}")
    items = []
    for i, it in enumerate(raw.get("items") or []):
        here = f"{where} item {i + 1}"
        if not isinstance(it, dict) or not it.get("flag"):
            raise InputError(f"{here}: needs a flag")
        cmp = it.get("compare")
        compare = None
        if cmp is not None:
            op = str(cmp.get("op", ""))
            if op not in OPERATORS:
                raise InputError(f"{here}: unknown operator {brief(op)}", hint=f"use one of {OPERATORS}")
            if op == "bitmask":
                raise InputError(f"{here}: bitmask compares file permissions and does not apply to "
                                 f"flag {brief(it['flag'])}", hint="use eq, gte, has ... for flags")
            compare = Compare(op, str(cmp.get("value", "")).lower() if isinstance(cmp.get("value"), bool)
                              else str(cmp.get("value", "")))
        items.append(Item(str(it["flag"]), str(it.get("path") or ""), bool(it.get("set", True)), compare))
    return Tests(bin_op, tuple(items))


def parse_rules(data: dict[str, Any], source: str = "<rules>") -> RuleSet:
    """Build a :class:`RuleSet` from loaded YAML, refusing anything outside the closed vocabulary.

    >>> parse_rules({"benchmark": "x", "component": "kube-apiserver", "checks": [{"id": "9",
    ...   "title": "t", "scored": True, "tests": {"items": [{"flag": "--a",
    ...   "compare": {"op": "bitmask", "value": "600"}}]}}]})
    Traceback (most recent call last):
    ...
    kslab.errors.InputError: <rules> check 9 item 1: bitmask compares file permissions and does not apply to flag '--a'
    """
    checks = []
    seen: set[str] = set()
    for raw in data.get("checks") or []:
        cid = str(raw.get("id", ""))
        where = f"{source} check {cid or '?'}"
        if not cid or cid in seen:
            raise InputError(f"{where}: missing or repeated id")
        seen.add(cid)
        ctype = str(raw.get("type") or "")
        if ctype not in TYPES:
            raise InputError(f"{where}: unknown type {brief(ctype)}", hint="use manual or skip")
        tests = _tests(raw["tests"], where) if raw.get("tests") is not None else None
        strict = raw.get("kslab")
        checks.append(Check(
            id=cid, title=str(raw.get("title", "")), scored=bool(raw.get("scored", False)),
            tests=tests, remediation=" ".join(str(raw.get("remediation", "")).split()),
            why=" ".join(str(raw.get("why", "")).split()), type=ctype,
            source=str(raw.get("source") or "command line"),
            strict=_tests(strict, f"{where} (kslab)") if strict else None,
            strict_reason=str((strict or {}).get("reason", ""))))
    return RuleSet(str(data.get("benchmark", "")), str(data.get("component", "")),
                   str(data.get("section", "")), tuple(checks))


@cache
def load_rules(component: str) -> RuleSet:
    """The bundled rules for ``kube-apiserver`` or ``kubelet``."""
    import yaml  # noqa: PLC0415

    name = RULE_FILES[component]
    return parse_rules(yaml.safe_load((DATA / name).read_text(encoding="utf-8")), name)
