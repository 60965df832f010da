"""Exercises of notebook 00 (set up): the ways to run the course, and what the course cluster's
configuration enforces — checked against the configuration files themselves
(:mod:`kslab.course.kind_config`), so the answers and the cluster cannot drift apart.

>>> check_psa_default("Baseline")
CheckResult(passed=True, reason='baseline: pods that break the baseline standard are refused; restricted is only warned and audited')
>>> check_webapp_address("0.0.0.0:30080").passed
False
"""

from __future__ import annotations

from typing import Any

from kslab.exercises.model import CheckResult, Exercise

#: Situations and the way to run the course that fits each (see the notebook's Background).
SITUATIONS: dict[str, str] = {
    "a laptop with Docker or Podman": "kind",
    "a cloud cluster your instructor gave you": "existing",
    "Binder, or a train with no network": "offline",
}
WAYS = ("kind", "existing", "offline")


def check_three_ways(answer: Any) -> CheckResult:
    """A dict {situation: way} for every situation in :data:`SITUATIONS`."""
    if not isinstance(answer, dict):
        return CheckResult(False, "answer with a dict {situation: way}; the ways are " + ", ".join(WAYS))
    wrong = [s for s, way in SITUATIONS.items() if str(answer.get(s, "")).strip().lower() != way]
    if not wrong:
        return CheckResult(True, "each situation has the way that fits it")
    return CheckResult(False, f"not right yet for: {'; '.join(wrong)}")


def check_psa_default(answer: Any) -> CheckResult:
    """The level the course cluster enforces in a namespace without Pod Security labels."""
    from kslab.course.kind_config import describe

    defaults = describe().psa_defaults
    got = str(answer).strip().lower()
    if got == defaults["enforce"]:
        return CheckResult(True, f"{got}: pods that break the {got} standard are refused; "
                                 f"{defaults['warn']} is only warned and audited")
    if got == defaults["warn"]:
        return CheckResult(False, f"{got} is what the cluster warns and audits about, not what it enforces")
    return CheckResult(False, f"{got!r}: look at the `enforce` line of the cluster's design")


def check_read_only_port(answer: Any) -> CheckResult:
    """The kubelet's unauthenticated read-only port, which the configuration keeps closed."""
    from kslab.course.kind_config import describe

    try:
        port = int(answer)
    except (TypeError, ValueError):
        return CheckResult(False, "answer with a port number")
    if port == 10255 and describe().kubelet_read_only_port == 0:
        return CheckResult(True, "10255 — closed by `readOnlyPort: 0`; the kubelet's API is on 10250, "
                                 "with authentication and authorization")
    if port == 10250:
        return CheckResult(False, "10250 is the kubelet's authenticated API; it must stay open")
    return CheckResult(False, f"{port} is not the kubelet's read-only port")


def check_webapp_address(answer: Any) -> CheckResult:
    """``address:port`` where the laptop reaches the webapp's NodePort."""
    from kslab.course.kind_config import cluster_config

    mapping = next(pm for n in cluster_config()["nodes"] for pm in n.get("extraPortMappings", []))
    want = f"{mapping['listenAddress']}:{mapping['hostPort']}"
    got = str(answer).strip().removeprefix("http://").rstrip("/")
    if got == want:
        return CheckResult(True, f"{want}: only programs on this laptop can reach it, not the network")
    if got.endswith(f":{mapping['hostPort']}"):
        return CheckResult(False, "right port; which address does the mapping listen on?")
    return CheckResult(False, f"{got!r}: look at the `ports on the laptop` line")


EXERCISES = [
    Exercise("00.three-ways", "Three ways to run",
             "Match each situation in `SITUATIONS` to the way to run the course that fits it: 'kind', "
             "'existing' or 'offline'.",
             hints=("kind needs a container engine on your own machine.",
                    "Binder has no container engine and no cluster."),
             solution="{'a laptop with Docker or Podman': 'kind', 'a cloud cluster your instructor gave you': "
                      "'existing', 'Binder, or a train with no network': 'offline'}",
             checker=check_three_ways,
             answer_form="a dict {situation: way} with every situation of SITUATIONS and 'kind', 'existing' "
                         "or 'offline' as each way"),
    Exercise("00.psa-default", "The default Pod Security level",
             "A namespace has no pod-security.kubernetes.io labels. Which Pod Security level does the course "
             "cluster enforce there?",
             hints=("The answer is in the cluster's design printed above.",
                    "Three levels exist: privileged, baseline, restricted. Two appear in the defaults."),
             solution="'baseline'", explanation="restricted is only warned about and audited",
             checker=check_psa_default, answer_form="a string, the level's name"),
    Exercise("00.read-only-port", "The closed kubelet port",
             "Which port did the kubelet serve without any authentication, until `readOnlyPort: 0` closed it?",
             hints=("It is five digits and starts with 1025.",
                    "10250 is the kubelet's authenticated API; the other one is five higher."),
             solution="10255",
             checker=check_read_only_port, answer_form="a port number, an int"),
    Exercise("00.webapp-address", "Where the webapp is reachable",
             "At which address:port does your laptop reach the webapp's NodePort?",
             hints=("Look at `ports on the laptop` in the design.",),
             solution="'127.0.0.1:30080'",
             checker=check_webapp_address, answer_form="a string 'address:port', as in http://address:port/"),
]
