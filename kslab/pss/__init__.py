"""Pod Security Standards, judged exactly as the API server's PodSecurity admission judges them.

Layer: a pure lesson (notebook 03) just above the ground floor; it imports only :mod:`kslab.errors`.

The package is pure Python and cheap to import (no Kubernetes client). Its parts, in reading order:

- :mod:`~kslab.pss.levels` — levels, policy versions, namespace labels;
- :mod:`~kslab.pss.pod` — what a check sees (the visitor over init, regular and ephemeral containers);
- :mod:`~kslab.pss.checks` — one module per check, its versioned rules as data;
- :mod:`~kslab.pss.registry` — which checks run at which level and version, in which order;
- :mod:`~kslab.pss.defaults` — what the API server changes before admission;
- :mod:`~kslab.pss.workloads` — where the pod template is in each workload kind;
- :mod:`~kslab.pss.evaluate` — the verdict, worded as the API server words it;
- :mod:`~kslab.pss.admission` — the API server's answer in a namespace with Pod Security labels.

>>> from kslab import pss
>>> pod = {"kind": "Pod", "metadata": {"name": "web"},
...        "spec": {"containers": [{"name": "web", "image": "nginx"}]}}
>>> pss.evaluate(pod, "baseline").allowed
True
>>> pss.evaluate(pod).checks
['allowPrivilegeEscalation', 'capabilities_restricted', 'runAsNonRoot', 'seccompProfile_restricted']
"""

from __future__ import annotations

from kslab.pss.evaluate import Verdict, Violation, evaluate, evaluate_pod
from kslab.pss.levels import (
    BASELINE,
    LEVELS,
    PRIVILEGED,
    RESTRICTED,
    LevelVersion,
    NamespacePolicy,
    Version,
    namespace_policy,
    parse_level,
    parse_version,
)
from kslab.pss.registry import NEWEST_MINOR, check_ids
from kslab.pss.workloads import NOT_A_POD, POD_KINDS

__all__ = [
    "BASELINE", "LEVELS", "NEWEST_MINOR", "NOT_A_POD", "POD_KINDS", "PRIVILEGED", "RESTRICTED",
    "LevelVersion", "NamespacePolicy", "Verdict", "Version", "Violation", "check_ids", "evaluate",
    "evaluate_pod", "namespace_policy", "parse_level", "parse_version",
]
