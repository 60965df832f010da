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
        raise ValueError_(f"{text!r} is not a boolean") from None


_INT_FORMS = ((re.compile(r"0[xX]_?[0-9a-fA-F]+(_[0-9a-fA-F]+)*"), 16, 2),
              (re.compile(r"0[oO]_?[0-7]+(_[0-7]+)*"), 8, 2),
              (re.compile(r"0[bB]_?[01]+(_[01]+)*"), 2, 2),
              (re.compile(r"0_?[0-7]+(_[0-7]+)*"), 8, 1),
              (re.compile(r"[0-9]+(_[0-9]+)*"), 10, 0))


def go_int(text: str) -> int:
    """Go's ``strconv.ParseInt(text, 0, 64)``: a base prefix is honoured, a leading 0 means octal.

    >>> go_int("30"), go_int("030"), go_int("0x1e"), go_int("1_000")
    (30, 24, 30, 1000)
    >>> go_int("30d")
    Traceback (most recent call last):
    ...
    kslab.audit.flags.ValueError_: '30d' is not an integer
    """
    sign = -1 if text.startswith("-") else 1
    body = text[1:] if text[:1] in "+-" else text
    for pattern, base, prefix in _INT_FORMS:
        if pattern.fullmatch(body):
            return sign * int(body[prefix:].replace("_", "") or "0", base)
    raise ValueError_(f"{text!r} is not an integer")


_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0,
                   "m": 60.0, "h": 3600.0}
_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def go_duration(text: str) -> float:
    """Go's ``time.ParseDuration``, in seconds. ``"0"`` is the only number allowed without a unit.

    >>> go_duration("4h0m0s"), go_duration("1.5m"), go_duration("0")
    (14400.0, 90.0, 0.0)
    """
    s = text.strip()
    sign = -1.0 if s.startswith("-") else 1.0
    s = s.lstrip("+-")
    if s == "0":
        return 0.0
    if not s:
        raise ValueError_(f"{text!r} is not a duration")
    total, pos = 0.0, 0
    for m in _DURATION_PART.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
        pos = m.end()
    if pos != len(s):
        raise ValueError_(f"{text!r} is not a duration (missing unit?)")
    return sign * total


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
        raise ValueError_(f"{text!r} is not a comma-separated list ({exc})") from None


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
            raise ValueError_(f"{text!r} is not a number") from None
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
                raise ValueError_(f"{part!r} is not key=value")
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
                out.problems.append(f"bad flag syntax: {s}")
                continue
        else:  # a shorthand such as -v=2, -v 2, -v2
            short = s[1]
            name = cat.shorthands.get(short, "")
            rest = s[2:]
            sep, text = ("=", rest[1:]) if rest.startswith("=") else (("=", rest) if rest else ("", ""))
            if not name:
                out.problems.append(f"unknown shorthand flag: {short!r} in {s}")
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
            out.problems.append(f"flag needs an argument: --{name}")
            continue
        if flag_type is None:
            out.unknown.append(occ)
            continue
        out.occurrences.append(occ)
        try:
            value = True if occ.text is None else convert(flag_type, occ.text)
        except ValueError_ as exc:
            # The component would stop here; keep the text so the audit shows what was written.
            out.problems.append(f'invalid argument {occ.text!r} for "--{name}" flag: {exc}')
            out.values[name] = occ.text
            continue
        if flag_type in ("strings", "array") and name in out.values:
            out.values[name] = [*out.values[name], *cast("list[str]", value)]
        elif flag_type in ("map", "mapstring") and name in out.values:
            out.values[name] = {**out.values[name], **cast("dict[str, str]", value)}
        else:
            out.values[name] = value
    for p in out.positionals:
        if p:
            out.problems.append(f"stray argument {p!r}: {component} takes no positional arguments "
                                "and would refuse to start")
    for occ in out.unknown:
        out.problems.append(f"unknown flag: --{occ.name}")
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
