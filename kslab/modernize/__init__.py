"""``kslab modernize``: turn 2019-era manifests and commands into today's, and say why for each change.

Layer: a pure lesson (notebooks 03-05, ``kslab modernize``), above :mod:`kslab.manifests`, :mod:`kslab.istio` and :mod:`kslab.pss`.

Pure: rules are data (:mod:`~kslab.modernize.finding`, :mod:`~kslab.modernize.apis`) and small
functions over one document at a time. The parts, in reading order:

- :mod:`~kslab.modernize.apis` — every apiVersion removed since Kubernetes 1.16, with its releases;
- :mod:`~kslab.modernize.versions` — the rule that moves objects to the replacing version;
- :mod:`~kslab.modernize.psp` — PodSecurityPolicy -> the Pod Security level it matches, computed;
- :mod:`~kslab.modernize.pods` — settings in the wrong place, hostPort, seccomp annotations;
- :mod:`~kslab.modernize.tokens` — service-account token Secrets and kubeconfigs -> TokenRequest;
- :mod:`~kslab.modernize.istio` — Istio's alpha authentication and networking APIs;
- :mod:`~kslab.modernize.shell` — old commands and kube-apiserver flags in scripts;
- :mod:`~kslab.modernize.run` — reading inputs and running the rules into a
  :class:`~kslab.modernize.report.Report`; :mod:`~kslab.modernize.writer` writes the modern files
  (``--write DIR``) and validates them; :mod:`~kslab.modernize.view` shows the report.

>>> report = modernize_text("apiVersion: rbac.authorization.k8s.io/v1beta1\\nkind: Role\\n"
...                         "metadata: {name: r, namespace: lab}\\nrules: []\\n", source="role.yaml")
>>> [(f.rule.id, f.replacement) for f in report.findings]
[('removed-api/rbac.authorization.k8s.io/v1beta1/Role', 'rbac.authorization.k8s.io/v1')]
"""

from __future__ import annotations

from kslab.modernize.finding import RULES, Finding, Rule
from kslab.modernize.report import Report
from kslab.modernize.run import LATEST_TARGET, modernize, modernize_objects, modernize_text, parse_target

__all__ = ["LATEST_TARGET", "RULES", "Finding", "Report", "Rule", "modernize", "modernize_objects",
           "modernize_text", "parse_target"]
