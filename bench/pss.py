"""Pod Security evaluations per second, against reading the same pod from YAML, measured in the same run.

The workload: the course's webapp Deployment as a Pod (three containers: an init container, the app
and a sidecar) judged at restricted:latest — every check runs, most fail, so every message is
built. The reference is ``yaml.safe_load`` (the C loader when available) of the same pod's YAML: the
cheapest way any tool gets a pod to judge. A ratio above 1 means judging a pod costs less than
reading it. Target: at least 20,000 evaluations per second.

    python bench/pss.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

import yaml

from kslab.pss import evaluate

TARGET = 20_000
POD_YAML = """\
apiVersion: v1
kind: Pod
metadata:
  name: webapp
  labels: {app: webapp}
  annotations: {container.apparmor.security.beta.kubernetes.io/webapp: runtime/default}
spec:
  volumes:
  - {name: www, emptyDir: {}}
  - {name: config, configMap: {name: webapp}}
  initContainers:
  - name: fetch
    image: registry.local/fetch:1.0
    volumeMounts: [{name: www, mountPath: /www}]
  containers:
  - name: webapp
    image: registry.local/webapp:1.0
    ports: [{containerPort: 3000, hostPort: 3000}]
    securityContext: {runAsUser: 1000, readOnlyRootFilesystem: true}
    readinessProbe: {httpGet: {path: /, port: 3000}}
  - name: sidecar
    image: registry.local/proxy:1.0
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL], add: [NET_ADMIN]}
"""


def rate(fn: Callable[[], object], seconds: float = 1.0) -> float:
    """Calls per second: best of three timed runs of about ``seconds`` each."""
    best = 0.0
    for _ in range(3):
        count, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds:
            for _ in range(200):
                fn()
            count += 200
        best = max(best, count / elapsed)
    return best


def main() -> int:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    pod = yaml.load(POD_YAML, Loader=loader)
    verdict = evaluate(pod)
    assert not verdict.allowed and len(verdict.violations) >= 5, verdict  # the work is real
    evals = rate(lambda: evaluate(pod, "restricted", "latest"))
    loads = rate(lambda: yaml.load(POD_YAML, Loader=loader))
    print(f"evaluate(pod, restricted:latest)  {evals:10,.0f} evaluations/s  ({len(verdict.violations)} violations)")
    print(f"yaml load of the same pod ({loader.__name__})  {loads:10,.0f} loads/s  (reference, same run)")
    print(f"ratio evaluations / yaml loads = {evals / loads:.2f}")
    ok = evals >= TARGET
    print(f"target >= {TARGET:,} evaluations/s: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
