"""Commands and kube-apiserver flags from 2019: rules for lines of a script (and static pod commands).

Each rule looks at one line (or one argument) and returns the line as it should read today, plus
what changed and why. Lines are edited in place, never re-quoted, so the rest of a script stays
byte for byte as it was.

>>> new, hits = scan_line("kubectl exec -it webapp-123 sh")
>>> new, [h.rule.id for h in hits]
('kubectl exec -it webapp-123 -- sh', ['kubectl-exec-dashdash'])
>>> scan_line("kube-apiserver --insecure-port=0 --admission-control=NodeRestriction,DenyEscalatingExec")[0]
'kube-apiserver --enable-admission-plugins=NodeRestriction'
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from dataclasses import dataclass

from kslab.audit.sources import shell_words
from kslab.modernize.context import DocContext
from kslab.modernize.finding import RULES, Rule
from kslab.modernize.tokens import token_command

#: Admission plugins that no longer exist, with the rule that says so.
REMOVED_PLUGINS = {"DenyEscalatingExec": "admission-deny-escalating-exec",
                   "DenyExecOnPrivileged": "admission-deny-escalating-exec",
                   "PodSecurityPolicy": "admission-psp"}
#: kubectl exec options that take a value (the next word, unless written --opt=value).
EXEC_VALUE_FLAGS = {"-c", "--container", "-n", "--namespace", "-f", "--filename", "--pod-running-timeout",
                    "--context", "--kubeconfig", "-s", "--server", "--as", "--as-group", "--as-uid", "--cluster",
                    "--user", "--token", "--request-timeout", "--certificate-authority", "-v", "--v"}


@dataclass(frozen=True)
class Hit:
    """One rule met on one line."""

    rule: Rule
    replacement: str
    detail: str = ""
    automatic: bool = True


def _plugins(match: re.Match[str], hits: list[Hit]) -> str:
    flag, value = match.group(1), match.group(2)
    plugins = [p for p in value.split(",") if p]
    kept = []
    for plugin in plugins:
        if plugin in REMOVED_PLUGINS:
            extra = " The PodSecurity plugin is on by default: label namespaces instead." \
                if plugin == "PodSecurityPolicy" else ""
            hits.append(Hit(RULES[REMOVED_PLUGINS[plugin]], f"drop {plugin} from the list",
                            f"admission plugin {plugin} no longer exists; kube-apiserver refuses to start with it."
                            + extra))
        else:
            kept.append(plugin)
    if flag == "--admission-control":
        hits.append(Hit(RULES["apiserver-admission-control"], "--enable-admission-plugins",
                        "--admission-control replaced the whole default list; kslab renamed it to "
                        "--enable-admission-plugins, which adds to the defaults (check none was meant to be off)."))
        flag = "--enable-admission-plugins"
    return f"{flag}={','.join(kept)}" if kept else ""


_PLUGIN_FLAG = re.compile(r"(--admission-control|--enable-admission-plugins)=([\w,]+)")
_INSECURE = re.compile(r"\s*(--insecure-port|--insecure-bind-address)(=\S*|\s+(?!-)\S+)?")


def fix_flags(text: str, hits: list[Hit]) -> str:
    """kube-apiserver flags in one line or one argument, as they must be written today."""
    def insecure(match: re.Match[str]) -> str:
        hits.append(Hit(RULES["apiserver-insecure-port"], "delete the flag (nothing left to switch off)",
                        f"{match.group(1)} is gone with the insecure port; kube-apiserver stops with "
                        "\"unknown flag\"."))
        return ""
    text = _INSECURE.sub(insecure, text)
    return _PLUGIN_FLAG.sub(lambda m: _plugins(m, hits), text)


def _words(line: str) -> list[str]:
    # shell_words splits as shlex does, in one pass: shlex is quadratic in a long word (a 5 MiB line
    # took hours).
    try:
        return shell_words(line)
    except ValueError:  # an unbalanced quote: plain words are good enough to spot commands
        return line.split()


def _exec_fix(line: str, words: list[str], hits: list[Hit]) -> str:
    for i, word in enumerate(words[:-1]):
        if word != "kubectl" or words[i + 1] != "exec":
            continue
        rest = words[i + 2:]
        if "--" in rest:
            continue
        positional: list[str] = []
        j, pod = 0, ""
        while j < len(rest):
            w = rest[j]
            if w in EXEC_VALUE_FLAGS:
                j += 2
                continue
            if w.startswith("-") and len(positional) == 0:
                j += 1
                continue
            positional.append(w)
            if len(positional) == 1:
                pod = w
            j += 1
        if len(positional) < 2:
            continue
        at = line.find(pod, line.find("exec") + 4)
        if at < 0:
            continue
        line = line[:at + len(pod)] + " --" + line[at + len(pod):]
        hits.append(Hit(RULES["kubectl-exec-dashdash"], f"kubectl exec ... {pod} -- {' '.join(positional[1:])}",
                        f"`kubectl exec {pod} {' '.join(positional[1:])}` has no `--`: kubectl 1.31 and later "
                        "refuse it; kslab inserted `--` after the pod."))
    return line


def scan_line(line: str) -> tuple[str, list[Hit]]:
    """The line as it should read today, and every rule it met."""
    hits: list[Hit] = []
    words = _words(line)
    if not words:
        return line, hits
    new = fix_flags(line, hits) if "--" in line else line
    if re.search(r"\bistioctl\s+create\b", new):
        new = re.sub(r"\bistioctl\s+create\b", "kubectl apply", new)
        hits.append(Hit(RULES["istioctl-create"], "kubectl apply",
                        "Istio resources are ordinary Kubernetes objects; kslab wrote `kubectl apply`."))
    tls = re.search(r"\bistioctl\s+authn\s+tls-check\b\s*(\S+)?", new)
    if tls:
        pod = tls.group(1) if tls.group(1) and re.match(r"[\w<.$]", tls.group(1)) else None
        if pod:
            new = new[:tls.start()] + f"istioctl x describe pod {pod}" + new[tls.end():]
        hits.append(Hit(RULES["istioctl-tls-check"], f"istioctl x describe pod {pod or 'POD'}",
                        "`istioctl authn tls-check` is gone; `istioctl x describe pod` shows the effective "
                        "PeerAuthentication (and `istioctl proxy-config secret POD` the workload certificate).",
                        automatic=pod is not None))
    new = _exec_fix(new, _words(new), hits)
    if re.search(r"\.secrets\[", line) and "jq" in line or "jsonpath={.secrets" in line:
        account = next((w for i, w in enumerate(words) if i and words[i - 1] in ("sa", "serviceaccount",
                                                                                "serviceaccounts")), "")
        namespace = next((w for i, w in enumerate(words) if i and words[i - 1] in ("-n", "--namespace")), "")
        hits.append(Hit(RULES["sa-token-secret"], token_command(account, namespace),
                        "the service account's `.secrets` list is empty since v1.24: no token Secret is made "
                        "for it. Ask TokenRequest for a token instead.", automatic=False))
    if re.search(r"""\.data\[\\?["']token\\?["']\]|\.data\.token\b""", line):
        hits.append(Hit(RULES["sa-token-secret"], token_command(""),
                        "this reads the token out of a token Secret, a token that never expires.",
                        automatic=False))
    if "set-credentials" in words and any(w.startswith("--token") for w in words):
        hits.append(Hit(RULES["kubeconfig-static-token"],
                        "TOKEN=$(kubectl create token SA -n NS --duration=1h); kubectl config set-credentials "
                        "NAME --token=\"$TOKEN\" (kubeconfig 0600, outside any git work tree)",
                        "a kubeconfig with a copied Secret token never expires.", automatic=False))
    return new, hits


def apiserver_flags(ctx: DocContext) -> None:
    """A kube-apiserver static pod: its command and args get the same flag fixes as a script."""
    spec = ctx.pod_spec()
    if ctx.kind != "Pod" or spec is None:
        return
    for c in spec.get("containers") or []:
        if not isinstance(c, MutableMapping):
            continue
        argv = [str(a) for a in (c.get("command") or []) + (c.get("args") or [])]
        if not any("kube-apiserver" in a for a in argv):
            continue
        for key in ("command", "args"):
            if not isinstance(c.get(key), list):
                continue
            new_list: list[object] = []
            skip_value = False
            for arg in c[key]:
                if skip_value:  # the value of a removed flag written as a separate argument
                    skip_value = False
                    continue
                if arg in ("--insecure-port", "--insecure-bind-address"):
                    skip_value = True
                hits: list[Hit] = []
                fixed = fix_flags(str(arg), hits) if isinstance(arg, str) else arg
                for hit in hits:
                    ctx.report(hit.rule, hit.replacement, automatic=hit.automatic, detail=hit.detail)
                if fixed != "":
                    new_list.append(fixed)
            c[key][:] = new_list


RULE_FUNCTIONS = (apiserver_flags,)
