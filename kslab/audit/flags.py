"""Read a component's command line the way the component itself does (spf13/pflag).

Kubernetes components parse their flags with pflag, and a few of its rules decide what a server
really runs with:

* ``--flag=value`` and ``--flag value`` both set a value, except for booleans: ``--flag`` alone
  means true, and ``--flag false`` sets true and leaves ``false`` behind as a stray argument
  (the API server then refuses to start).
* A repeated scalar flag: the last occurrence wins. A list flag (``--enable-admission-plugins``,
  ``--tls-cipher-suites``, ``--authorization-mode``) accumulates: the first use replaces the
  default, later uses append. Lists are comma-separated (read as one CSV record).
* Integers are read by Go's ``strconv.ParseInt(s, 0, ...)``: ``030`` is octal 24, ``0x1e`` is 30.
* ``_`` in a flag name counts as ``-`` (Kubernetes' word-separator normalisation).

Which flags exist and what type each has comes from :data:`CATALOG` (``kslab/data/cis/flags.yaml``).

>>> cl = parse_args(["--authorization-mode=Node", "--authorization-mode", "RBAC",
...                  "--profiling=false", "--profiling"], "kube-apiserver")
>>> cl.value("authorization-mode"), cl.value("profiling")
(['Node', 'RBAC'], True)
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, cast

from kslab.text import brief, clip

DATA = Path(__file__).resolve().parent.parent / "data" / "cis"

#: Flag types whose repeated use accumulates instead of replacing.
LIST_TYPES = {"strings", "array", "map"}


# ---- Go value syntax ------------------------------------------------------------------------------

class ValueError_(ValueError):
    """A value the component itself would reject (it would refuse to start)."""


_GO_BOOL = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
            "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}


def go_bool(text: str) -> bool:
    """Go's ``strconv.ParseBool``.

    >>> go_bool("T"), go_bool("0")
    (True, False)
    """
    try:
        return _GO_BOOL[text]
    except KeyError:
        raise ValueError_(f"{brief(text)} is not a boolean") from None


_INT_FORMS = ((re.compile(r"0[xX]_?[0-9a-fA-F]+(_[0-9a-fA-F]+)*"), 16, 2),
              (re.compile(r"0[oO]_?[0-7]+(_[0-7]+)*"), 8, 2),
              (re.compile(r"0[bB]_?[01]+(_[01]+)*"), 2, 2),
              (re.compile(r"0_?[0-7]+(_[0-7]+)*"), 8, 1),
              (re.compile(r"[0-9]+(_[0-9]+)*"), 10, 0))

#: Go's int64 bounds (``strconv.ParseInt(s, 0, 64)`` refuses anything outside them).
_INT64_MAX = (1 << 63) - 1
#: The most significant digits an int64 has in each base: a longer number is out of range, and is
#: refused before Python is asked to convert it (it will not convert more than 4,300 digits).
_INT64_DIGITS = {2: 64, 8: 22, 10: 19, 16: 16}  # enough for -2**63 too


def go_int(text: str) -> int:
    """Go's ``strconv.ParseInt(text, 0, 64)``: a base prefix is honoured, a leading 0 means octal,
    and a value outside int64 is out of range (the component would refuse it).

    >>> go_int("30"), go_int("030"), go_int("0x1e"), go_int("1_000")
    (30, 24, 30, 1000)
    >>> go_int("30d")
    Traceback (most recent call last):
    ...
    kslab.audit.flags.ValueError_: '30d' is not an integer
    >>> go_int("9" * 5000)
    Traceback (most recent call last):
    ...
    kslab.audit.flags.ValueError_: '99999999999999999999999999999999999999999999999999999999999999999999'… (5000 chars) is out of range for a 64-bit integer
    """
    sign = -1 if text.startswith("-") else 1
    body = text[1:] if text[:1] in "+-" else text
    for pattern, base, prefix in _INT_FORMS:
        if pattern.fullmatch(body):
            digits = body[prefix:].replace("_", "").lstrip("0")
            if len(digits) > _INT64_DIGITS[base]:
                raise ValueError_(f"{brief(text, limit=68)} is out of range for a 64-bit integer")
            value = sign * int(digits or "0", base)
            if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
                raise ValueError_(f"{brief(text)} is out of range for a 64-bit integer")
            return value
    raise ValueError_(f"{brief(text)} is not an integer")


#: Go's ``time`` unit table, in nanoseconds (``µs`` is U+00B5 MICRO SIGN, ``μs`` U+03BC GREEK MU).
_DURATION_UNITS_NS = {"ns": 1, "us": 1_000, "\u00b5s": 1_000, "\u03bcs": 1_000, "ms": 1_000_000,
                      "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}
_DURATION_UNITS = {unit: ns / 1e9 for unit, ns in _DURATION_UNITS_NS.items()}
_DIGITS = frozenset("0123456789")
_NS_LIMIT = 1 << 63


def go_duration(text: str) -> float:
    """Go's ``time.ParseDuration``, in seconds. ``"0"`` is the only number allowed without a unit.

    A plain left-to-right reader (as Go's own is), so its time is linear in the text; like Go it
    refuses a duration past int64 nanoseconds (about 292 years).

    >>> go_duration("4h0m0s"), go_duration("1.5m"), go_duration("0"), go_duration(".5s")
    (14400.0, 90.0, 0.0, 0.5)
    >>> go_duration("30")
    Traceback (most recent call last):
    ...
    kslab.audit.flags.ValueError_: '30' is not a duration (missing unit)
    """
    s = text.strip()
    neg = s[:1] == "-"
    if s[:1] in ("-", "+"):
        s = s[1:]
    if s == "0":
        return 0.0
    if not s:
        raise ValueError_(f"{brief(text)} is not a duration")
    total, i, n = 0, 0, len(s)
    while i < n:
        if s[i] != "." and s[i] not in _DIGITS:
            raise ValueError_(f"{brief(text)} is not a duration")
        start = i
        while i < n and s[i] in _DIGITS:
            i += 1
        whole_text = s[start:i]
        fraction_text = ""
        has_fraction = False
        if i < n and s[i] == ".":
            i += 1
            f_start = i
            while i < n and s[i] in _DIGITS:
                i += 1
            fraction_text, has_fraction = s[f_start:i], i > f_start
        if not whole_text and not has_fraction:
            raise ValueError_(f"{brief(text)} is not a duration")
        u_start = i
        while i < n and s[i] != "." and s[i] not in _DIGITS:
            i += 1
        if i == u_start:
            raise ValueError_(f"{brief(text)} is not a duration (missing unit)")
        unit_ns = _DURATION_UNITS_NS.get(s[u_start:i])
        if unit_ns is None:
            raise ValueError_(f"{brief(text)} is not a duration (unknown unit {brief(s[u_start:i])})")
        whole_digits = whole_text.lstrip("0")
        if len(whole_digits) > 19:  # past int64 whatever the unit: do not convert it
            raise ValueError_(f"{brief(text)} is not a duration (out of range)")
        value = int(whole_digits or "0") * unit_ns
        if fraction_text:
            # Go keeps the fraction's first 19 digits or so; more cannot change the nanoseconds.
            digits = fraction_text[:20]
            value += int(int(digits) * unit_ns / 10 ** len(digits))
        total += value
        if total > _NS_LIMIT or (total == _NS_LIMIT and not neg):
            raise ValueError_(f"{brief(text)} is not a duration (out of range)")
    seconds = total / 1e9
    return -seconds if neg else seconds


def format_duration(seconds: float) -> str:
    """A duration the way Go prints it (``4h0m0s``, ``30s``, ``0s``).

    >>> format_duration(14400), format_duration(90), format_duration(0)
    ('4h0m0s', '1m30s', '0s')
    """
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    rest = abs(seconds)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    s_text = f"{s:g}s"
    if h:
        return f"{sign}{int(h)}h{int(m)}m{s_text}"
    if m:
        return f"{sign}{int(m)}m{s_text}"
    return f"{sign}{s_text}"


def csv_list(text: str) -> list[str]:
    """A comma-separated list read as one CSV record (pflag's ``readAsCSV``); ``""`` is empty.

    >>> csv_list('Node,RBAC'), csv_list(''), csv_list('"a,b",c')
    (['Node', 'RBAC'], [], ['a,b', 'c'])
    """
    if text == "":
        return []
    try:
        return next(csv.reader([text], strict=True))
    except (csv.Error, StopIteration) as exc:
        raise ValueError_(f"{brief(text)} is not a comma-separated list ({exc})") from None


def convert(flag_type: str, text: str) -> Any:
    """Convert one occurrence's text to the flag's type (as pflag's ``Set`` would).

    >>> convert("map", "RotateKubeletServerCertificate=true,Foo=false")
    {'RotateKubeletServerCertificate': True, 'Foo': False}
    """
    if flag_type == "bool":
        return go_bool(text)
    if flag_type == "int":
        return go_int(text)
    if flag_type == "duration":
        return go_duration(text)
    if flag_type == "float":
        try:
            return float(text)
        except ValueError:
            raise ValueError_(f"{brief(text)} is not a number") from None
    if flag_type == "strings":
        return csv_list(text)
    if flag_type == "array":
        return [text]
    if flag_type in ("map", "mapstring"):
        out: dict[str, Any] = {}
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            key, sep, val = part.partition("=")
            if not sep:
                raise ValueError_(f"{brief(part)} is not key=value")
            out[key.strip()] = go_bool(val.strip()) if flag_type == "map" else val.strip()
        return out
    return text  # string, ip, and anything else kept as written


# ---- the catalog ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Catalog:
    """What kslab knows about one component's flags: types, defaults, removed flags."""

    component: str
    version: str
    types: dict[str, str]
    defaults: dict[str, Any]
    shorthands: dict[str, str]

    def type_of(self, name: str) -> str | None:
        return self.types.get(name)


@cache
def _catalog_data() -> dict[str, Any]:
    import yaml  # noqa: PLC0415 - only when a catalog is needed

    return yaml.safe_load((DATA / "flags.yaml").read_text(encoding="utf-8"))


@cache
def catalog(component: str) -> Catalog:
    """The flag catalog of ``kube-apiserver`` or ``kubelet``.

    >>> catalog("kube-apiserver").type_of("enable-admission-plugins")
    'strings'
    """
    data = _catalog_data()[component]
    types: dict[str, str] = {}
    for flag_type, names in data["flags"].items():
        for name in names:
            types[name] = flag_type
    return Catalog(component, str(data["version"]), types, dict(data.get("defaults") or {}),
                   dict(data.get("shorthands") or {}))


# ---- parsing ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Occurrence:
    """One use of a flag on the command line, as written."""

    name: str
    text: str | None  # the value text; None for a bare boolean flag
    form: str  # "=", "space", "bare"
    index: int  # position in argv


@dataclass
class CommandLine:
    """A parsed command line: every occurrence, the resulting values, and what did not fit."""

    component: str
    argv: list[str]
    occurrences: list[Occurrence] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    unknown: list[Occurrence] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what would stop the component starting
    positionals: list[str] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return name in self.values

    def value(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def uses(self, name: str) -> list[Occurrence]:
        """Every occurrence of a flag, in order."""
        return [o for o in self.occurrences if o.name == name]


def normalise(name: str) -> str:
    """Kubernetes' flag-name normalisation: ``_`` is a word separator like ``-``.

    >>> normalise("anonymous_auth")
    'anonymous-auth'
    """
    return name.replace("_", "-")


def parse_args(argv: list[str] | tuple[str, ...], component: str) -> CommandLine:
    """Parse flags (the arguments after the binary) as pflag does for this component.

    Unknown flags are recorded, not fatal: their value is taken from ``=`` or, when the next
    argument is not a flag, from that argument (these servers take no positional arguments).

    >>> cl = parse_args(["--anonymous-auth", "false", "--audit-log-maxage", "030"], "kube-apiserver")
    >>> cl.value("anonymous-auth"), cl.value("audit-log-maxage"), cl.positionals
    (True, 24, ['false'])
    """
    cat = catalog(component)
    out = CommandLine(component, list(argv))
    args = list(argv)
    i = 0
    while i < len(args):
        s = args[i]
        i += 1
        if s == "--":
            out.positionals.extend(args[i:])
            break
        if not s.startswith("-") or s == "-":
            out.positionals.append(s)
            continue
        if s.startswith("--"):
            raw = s[2:]
            name, sep, text = raw.partition("=")
            if not name or name.startswith(("-", "=")):
                out.problems.append(f"bad flag syntax: {clip(s)}")
                continue
        else:  # a shorthand such as -v=2, -v 2, -v2
            short = s[1]
            name = cat.shorthands.get(short, "")
            rest = s[2:]
            sep, text = ("=", rest[1:]) if rest.startswith("=") else (("=", rest) if rest else ("", ""))
            if not name:
                out.problems.append(f"unknown shorthand flag: {short!r} in {clip(s)}")
                continue
        name = normalise(name)
        flag_type = cat.type_of(name)
        index = i - 1
        if sep:
            occ = Occurrence(name, text, "=", index)
        elif flag_type == "bool":
            occ = Occurrence(name, None, "bare", index)
        elif flag_type is None and (i >= len(args) or args[i].startswith("-")):
            occ = Occurrence(name, None, "bare", index)
        elif i < len(args):
            occ = Occurrence(name, args[i], "space", index)
            i += 1
        else:
            out.problems.append(f"flag needs an argument: --{clip(name)}")
            continue
        if flag_type is None:
            out.unknown.append(occ)
            continue
        out.occurrences.append(occ)
        try:
            value = True if occ.text is None else convert(flag_type, occ.text)
        except ValueError_ as exc:
            # The component would stop here; keep the text so the audit shows what was written.
            out.problems.append(f'invalid argument {brief(occ.text)} for "--{clip(name)}" flag: {exc}')
            out.values[name] = occ.text
            continue
        before = out.values.get(name)
        # (an earlier invalid occurrence left its text: a later valid one starts the value afresh)
        if flag_type in ("strings", "array") and isinstance(before, list):
            out.values[name] = [*before, *cast("list[str]", value)]
        elif flag_type in ("map", "mapstring") and isinstance(before, dict):
            out.values[name] = {**before, **cast("dict[str, str]", value)}
        else:
            out.values[name] = value
    for p in out.positionals:
        if p:
            out.problems.append(f"stray argument {brief(p)}: {component} takes no positional arguments "
                                "and would refuse to start")
    for occ in out.unknown:
        out.problems.append(f"unknown flag: --{clip(occ.name)}")
    return out


def show(value: Any, flag_type: str | None = None) -> str:
    """A value as it would be written on a command line.

    >>> show(['Node', 'RBAC']), show(False), show(14400.0, "duration")
    ('Node,RBAC', 'false', '4h0m0s')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if flag_type == "duration" and isinstance(value, (int, float)):
        return format_duration(float(value))
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}={show(v)}" for k, v in value.items())
    return str(value)
