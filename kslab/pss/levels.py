"""The vocabulary of Pod Security Admission: levels, policy versions and namespace labels.

A *level* is one of the three Pod Security Standards (privileged ⊂ baseline ⊂ restricted, from the
most to the least permissive). A *policy version* names the rules as they were in a Kubernetes minor
release: ``v1.0`` … ``v1.37``, or ``latest``. A namespace chooses both with labels such as
``pod-security.kubernetes.io/enforce: restricted`` and ``…/enforce-version: v1.30``.

>>> parse_version("v1.25")
Version('v1.25')
>>> parse_version("latest") > parse_version("v1.99")
True
>>> str(LevelVersion("restricted", parse_version("latest")))
'restricted:latest'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import total_ordering

from kslab.errors import UsageError
from kslab.text import brief

PRIVILEGED = "privileged"
BASELINE = "baseline"
RESTRICTED = "restricted"
#: From the most permissive to the least.
LEVELS: tuple[str, ...] = (PRIVILEGED, BASELINE, RESTRICTED)

#: The newest policy version whose rules kslab knows (upstream pod-security-admission, 2026-07).
NEWEST_KNOWN_MINOR = 37

#: Namespace labels read by the PodSecurity admission plugin (mode -> (level label, version label)).
LABEL_PREFIX = "pod-security.kubernetes.io/"
MODES: tuple[str, ...] = ("enforce", "audit", "warn")
LEVEL_LABELS = {mode: f"{LABEL_PREFIX}{mode}" for mode in MODES}
VERSION_LABELS = {mode: f"{LABEL_PREFIX}{mode}-version" for mode in MODES}

# Exactly the grammar the API server accepts: "latest" or "v1.<minor>" without leading zeros.
_VERSION_RE = re.compile(r"^v1\.(0|[1-9][0-9]*)$")


@total_ordering
@dataclass(frozen=True)
class Version:
    """A policy version: ``v1.<minor>``, or ``latest`` (``minor is None``), newer than any other."""

    minor: int | None

    @property
    def latest(self) -> bool:
        return self.minor is None

    def __str__(self) -> str:
        return "latest" if self.minor is None else f"v1.{self.minor}"

    def __repr__(self) -> str:
        return f"Version({brief(str(self))})"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        if self.minor is None:
            return False
        return other.minor is None or self.minor < other.minor


LATEST = Version(None)


def parse_version(text: str | Version) -> Version:
    """Parse ``latest`` or ``v1.N`` the way the API server parses a ``…-version`` label.

    >>> parse_version("v1.0").minor
    0
    >>> parse_version("1.25")
    Traceback (most recent call last):
    ...
    kslab.errors.UsageError: unknown Pod Security version '1.25': must be "latest" or "v1.x"
    """
    if isinstance(text, Version):
        return text
    value = str(text).strip()
    if value == "latest":
        return LATEST
    match = _VERSION_RE.match(value)
    if not match:
        raise UsageError(f'unknown Pod Security version {brief(value)}: must be "latest" or "v1.x"',
                         hint=f"use latest, or v1.0 … v1.{NEWEST_KNOWN_MINOR}")
    return Version(int(match.group(1)))


def parse_level(text: str) -> str:
    """Check a level name (``privileged``, ``baseline`` or ``restricted``).

    >>> parse_level("baseline")
    'baseline'
    >>> parse_level("strict")
    Traceback (most recent call last):
    ...
    kslab.errors.UsageError: unknown Pod Security level 'strict': must be one of privileged, baseline, restricted
    """
    value = str(text).strip()
    if value not in LEVELS:
        raise UsageError(f"unknown Pod Security level {brief(value)}: must be one of {', '.join(LEVELS)}",
                         hint="restricted is the one to aim for; baseline blocks known escalations")
    return value


def compare_levels(a: str, b: str) -> int:
    """-1, 0 or 1 as level ``a`` is more permissive than, equal to, or stricter than ``b``.

    >>> compare_levels("restricted", "baseline")
    1
    """
    return (LEVELS.index(a) > LEVELS.index(b)) - (LEVELS.index(a) < LEVELS.index(b))


@dataclass(frozen=True)
class LevelVersion:
    """A level at a version, written the way the API server writes it: ``restricted:latest``."""

    level: str
    version: Version = LATEST

    def __str__(self) -> str:
        return f"{self.level}:{self.version}"


@dataclass(frozen=True)
class NamespacePolicy:
    """What a namespace's labels ask for, per mode (enforce rejects, audit records, warn warns)."""

    enforce: LevelVersion
    audit: LevelVersion
    warn: LevelVersion
    errors: tuple[str, ...] = ()


def namespace_policy(labels: Mapping[str, str] | None) -> NamespacePolicy:
    """The policy the API server derives from a namespace's labels (defaults: privileged:latest).

    As upstream: a bad enforce level fails closed (restricted), bad audit/warn levels fail open
    (privileged), a bad version means ``latest``; and when ``enforce`` is set but ``warn`` is
    not, warn follows enforce (so users see warnings for what will be rejected).

    >>> p = namespace_policy({"pod-security.kubernetes.io/enforce": "restricted",
    ...                       "pod-security.kubernetes.io/enforce-version": "v1.30"})
    >>> str(p.enforce), str(p.warn), str(p.audit)
    ('restricted:v1.30', 'restricted:v1.30', 'privileged:latest')
    """
    labels = labels or {}
    found: dict[str, LevelVersion] = {}
    errors: list[str] = []
    for mode in MODES:
        level, version = PRIVILEGED, LATEST
        if LEVEL_LABELS[mode] in labels:
            raw = labels[LEVEL_LABELS[mode]]
            if raw in LEVELS:
                level = raw
            else:
                level = RESTRICTED if mode == "enforce" else PRIVILEGED
                errors.append(f"{LEVEL_LABELS[mode]}={brief(raw)}: must be one of {', '.join(LEVELS)}")
        if VERSION_LABELS[mode] in labels:
            raw = labels[VERSION_LABELS[mode]]
            try:
                version = parse_version(raw)
            except UsageError:
                errors.append(f'{VERSION_LABELS[mode]}={brief(raw)}: must be "latest" or "v1.x"')
        found[mode] = LevelVersion(level, version)
    enforce_ok = LEVEL_LABELS["enforce"] in labels and labels[LEVEL_LABELS["enforce"]] in LEVELS
    if (enforce_ok and LEVEL_LABELS["warn"] not in labels
            and compare_levels(found["enforce"].level, found["warn"].level) > 0):
        version = found["warn"].version if VERSION_LABELS["warn"] in labels else found["enforce"].version
        found["warn"] = LevelVersion(found["enforce"].level, version)
    return NamespacePolicy(found["enforce"], found["audit"], found["warn"], tuple(errors))
