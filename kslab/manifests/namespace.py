"""A namespace that asks Pod Security admission for a level: the ``pod-security.kubernetes.io/*`` labels.

``enforce`` rejects pods that violate the level; ``warn`` returns a warning to the client;
``audit`` records the violation in the audit log. Each mode can pin a policy version.

>>> ns = psa_namespace("lab", enforce="restricted", warn="restricted", version="v1.30")
>>> ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"]
'v1.30'
"""

from __future__ import annotations

from typing import Any

from kslab.pss.levels import LEVEL_LABELS, VERSION_LABELS, parse_level, parse_version


def psa_labels(*, enforce: str | None = None, warn: str | None = None, audit: str | None = None,
               version: str = "latest") -> dict[str, str]:
    """The labels for the modes given (each with ``version``, checked like the API server checks them)."""
    labels: dict[str, str] = {}
    v = str(parse_version(version))
    for mode, level in (("enforce", enforce), ("audit", audit), ("warn", warn)):
        if level is not None:
            labels[LEVEL_LABELS[mode]] = parse_level(level)
            labels[VERSION_LABELS[mode]] = v
    return labels


def psa_namespace(name: str, *, enforce: str | None = None, warn: str | None = None, audit: str | None = None,
                  version: str = "latest", labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A Namespace object carrying Pod Security labels."""
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {**(labels or {}),
                                                  **psa_labels(enforce=enforce, warn=warn, audit=audit,
                                                               version=version)}}}
