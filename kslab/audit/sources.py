"""Collect a component's configuration: static pod manifests, command lines, kubelet config files.

Collecting is kept apart from judging: everything here turns a file (or text, or a live object
passed in by :mod:`kslab.cluster.components`) into a :class:`ComponentInput` — the binary, its
arguments, and for the kubelet its config document — and nothing here decides PASS or FAIL.

>>> inp = from_command_line("kube-apiserver --authorization-mode=Node,RBAC \\\\\\n  --profiling=false")
>>> inp.binary, inp.argv
('kube-apiserver', ('--authorization-mode=Node,RBAC', '--profiling=false'))
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from kslab.errors import InputError
from kslab.manifests.load import load_text, read_source
from kslab.text import brief, clip

COMPONENTS = ("kube-apiserver", "kubelet")


@dataclass(frozen=True)
class ComponentInput:
    """What a component runs with, as collected: never judged here."""

    component: str
    source: str
    argv: tuple[str, ...] = ()
    binary: str = ""
    config: Mapping[str, Any] | None = None  # the kubelet's KubeletConfiguration, as written
    config_source: str = ""
    encryption_config: str | None = None  # the EncryptionConfiguration file's text, if given
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def command_line(self) -> str:
        """The process's command line as ``ps`` shows it (what kube-bench reads)."""
        return " ".join([self.binary or self.component, *self.argv])


def shown_name(path: str | Path, name: str) -> str:
    """How a file is named in reports: bundled inputs by their name (stable on every machine).

    >>> from kslab.audit.flags import DATA
    >>> shown_name(DATA / "kube-apiserver-2019.yaml", "/x/kube-apiserver-2019.yaml")
    'bundled kube-apiserver-2019.yaml'
    """
    from kslab.audit.flags import DATA  # noqa: PLC0415

    try:
        return f"bundled {Path(path).resolve().relative_to(DATA)}"
    except (ValueError, OSError):
        return name


def shell_words(text: str) -> list[str]:
    """Split a command line into words as a POSIX shell (and ``shlex.split(comments=True)``) does:
    quotes, backslashes, ``#`` comments at the start of a word (a ``#`` inside a word is part of it, as in
    a shell; shlex would start a comment there). One pass, linear in the text
    (``shlex`` grows each word one character at a time, quadratic in a long word).

    >>> shell_words("kube-apiserver --a='x y' --b=c\\\\ d # a comment")
    ['kube-apiserver', '--a=x y', '--b=c d']
    """
    words: list[str] = []
    word: list[str] = []
    in_word = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\r\n":
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
            i += 1
        elif c == "#" and not in_word:
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c == "\\":
            if i + 1 >= n:
                raise ValueError("No escaped character")
            word.append(text[i + 1])
            in_word = True
            i += 2
        elif c == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise ValueError("No closing quotation")
            word.append(text[i + 1:end])
            in_word = True
            i = end + 1
        elif c == '"':
            i += 1
            while True:
                if i >= n:
                    raise ValueError("No closing quotation")
                c = text[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\" and i + 1 < n and text[i + 1] in '"\\':
                    word.append(text[i + 1])
                    i += 2
                    continue
                start = i
                while i < n and text[i] not in '"\\':
                    i += 1
                if start == i:  # a backslash that escapes nothing stays
                    word.append(c)
                    i += 1
                else:
                    word.append(text[start:i])
            in_word = True
        else:
            start = i
            while i < n and text[i] not in " \t\r\n\\'\"":
                i += 1
            word.append(text[start:i])
            in_word = True
    if in_word:
        words.append("".join(word))
    return words


def _split(text: str, source: str) -> list[str]:
    try:
        # A backslash before a newline continues the line, as in a shell script.
        return shell_words(text.replace("\\\r\n", " ").replace("\\\n", " "))
    except ValueError as exc:
        raise InputError(f"{source}: cannot split the command line ({exc})",
                         hint="check the quotes") from None


def _strip_binary(tokens: list[str], component: str, source: str) -> tuple[str, list[str]]:
    if not tokens or tokens[0].startswith("-"):
        return "", tokens
    first = PurePosixPath(tokens[0]).name
    if first == "hyperkube" and len(tokens) > 1:  # the 2019 all-in-one binary: hyperkube kube-apiserver ...
        return f"{tokens[0]} {tokens[1]}", tokens[2:]
    if first != component:
        raise InputError(f"{source}: this command line runs {brief(first)}, not {component}",
                         hint=f"give the {component} command line (it starts with {component} or --)")
    return tokens[0], tokens[1:]


def from_command_line(text: str, *, component: str = "kube-apiserver",
                      source: str = "<command line>") -> ComponentInput:
    """A command line as text (shell quoting, ``\\`` line continuations and ``#`` comments allowed)."""
    tokens = _split(text, source)
    if not tokens:
        raise InputError(f"{source}: empty command line", hint=f"give the {component} command line")
    binary, argv = _strip_binary(tokens, component, source)
    return ComponentInput(component, source, tuple(argv), binary or component)


def _containers(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    spec = obj.get("spec") or {}
    if isinstance(spec, Mapping) and isinstance(spec.get("template"), Mapping):  # a Deployment or DaemonSet
        spec = spec["template"].get("spec") or {}
    containers = spec.get("containers") if isinstance(spec, Mapping) else None
    return [c for c in containers if isinstance(c, Mapping)] if isinstance(containers, list) else []


def _words(value: Any, where: str) -> list[str]:
    """A container's ``command`` or ``args``: a list of strings (numbers are written as YAML reads them)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(x, (str, int, float)) for x in value):
        raise InputError(f"{where} must be a list of strings, not {brief(value)}",
                         hint="e.g. command: [kube-apiserver, --authorization-mode=Node,RBAC]")
    return [str(x) for x in value]


def from_pod(obj: Mapping[str, Any], *, component: str = "kube-apiserver",
             source: str = "<pod>") -> ComponentInput:
    """The component's container in a pod (a static pod manifest, or the live mirror pod)."""
    containers = _containers(obj)
    for c in containers:
        command = _words(c.get("command"), f"{source}: container {clip(str(c.get('name')))}: command")
        if c.get("name") == component or (command and PurePosixPath(command[0]).name == component):
            args = _words(c.get("args"), f"{source}: container {clip(str(c.get('name')))}: args")
            tokens = command + args
            binary, argv = _strip_binary(tokens, component, source) if tokens else ("", [])
            meta = obj.get("metadata")
            name = clip(str(meta.get("name", ""))) if isinstance(meta, Mapping) else ""
            notes = () if command else (f"{source}: the container has no command; its image's entrypoint "
                                        "is assumed to be the binary",)
            return ComponentInput(component, f"{source} (pod {name}, container {c.get('name')})",
                                  tuple(argv), binary or component, notes=notes)
    names = clip(", ".join(str(c.get("name")) for c in containers), limit=200) or "none"
    raise InputError(f"{source}: no {component} container in this manifest (containers: {names})",
                     hint=f"give the {component} static pod manifest, e.g. "
                          f"/etc/kubernetes/manifests/{component}.yaml, or a file with its command line")


def _looks_like_yaml_object(text: str) -> bool:
    stripped = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    first = stripped.lstrip()
    return first.startswith(("{", "apiVersion", "kind", "---", "metadata")) or "\nkind:" in stripped


def read_apiserver(path: str | Path, *, encryption_config: str | Path | None = None) -> ComponentInput:
    """Read a kube-apiserver static pod manifest, or a file holding its command line.

    >>> from kslab.audit import bundled
    >>> inp = read_apiserver(bundled("kube-apiserver-kubeadm.yaml"))
    >>> inp.binary, len(inp.argv) > 20
    ('kube-apiserver', True)
    """
    text, name = read_source(path)
    name = shown_name(path, name)
    if not text.strip():
        raise InputError(f"{name}: empty file", hint="give a kube-apiserver manifest or command line")
    if _looks_like_yaml_object(text):
        docs = load_text(text, source=name)
        pods = [d for d in docs if d.kind in ("Pod", "Deployment", "DaemonSet") or "spec" in d.obj]
        if not pods:
            kinds = ", ".join(sorted({d.kind or "?" for d in docs})) or "nothing"
            raise InputError(f"{name}: no pod in this file (found {kinds})",
                             hint="give the kube-apiserver static pod manifest")
        errors = []
        for doc in pods:
            try:
                inp = from_pod(doc.obj, source=name)
                break
            except InputError as exc:
                errors.append(exc)
        else:
            raise errors[0]
    else:
        inp = from_command_line(text, source=name)
    if encryption_config is not None:
        enc_text, _ = read_source(encryption_config)
        inp = ComponentInput(inp.component, inp.source, inp.argv, inp.binary, None, "", enc_text,
                             inp.notes)
    return inp


def kubelet_config(obj: Mapping[str, Any], source: str) -> Mapping[str, Any]:
    """The KubeletConfiguration inside a document (also unwraps ``/configz``'s ``kubeletconfig``)."""
    if isinstance(obj.get("kubeletconfig"), Mapping):  # the node's /configz answer
        return obj["kubeletconfig"]
    kind = obj.get("kind")
    if kind not in (None, "KubeletConfiguration"):
        raise InputError(f"{source}: a {kind}, not a KubeletConfiguration",
                         hint="give the kubelet's config file, e.g. /var/lib/kubelet/config.yaml")
    return obj


def read_kubelet(config: str | Path | None = None, *, command_line: str | Path | None = None
                 ) -> ComponentInput:
    """Read a KubeletConfiguration file (YAML or JSON) and/or a file holding the kubelet's flags.

    Flags override the file, as they do on a real node.

    >>> from kslab.audit import bundled
    >>> read_kubelet(bundled("kubelet-config-kubeadm.yaml")).config["authorization"]["mode"]
    'Webhook'
    """
    if config is None and command_line is None:
        raise InputError("nothing to read", hint="give a KubeletConfiguration file or --cmdline FILE")
    argv: tuple[str, ...] = ()
    binary, sources = "kubelet", []
    cfg: Mapping[str, Any] | None = None
    cfg_source = ""
    if config is not None:
        text, name = read_source(config)
        name = shown_name(config, name)
        if _looks_like_yaml_object(text) or text.lstrip().startswith("{"):
            docs = load_text(text, source=name)
            if not docs:
                raise InputError(f"{name}: no document in this file", hint="give a KubeletConfiguration")
            cfg, cfg_source = kubelet_config(docs[0].obj, name), name
            sources.append(name)
        else:  # a command line given as the only file
            inp = from_command_line(text, component="kubelet", source=name)
            argv, binary = inp.argv, inp.binary
            sources.append(name)
    if command_line is not None:
        text, name = read_source(command_line)
        inp = from_command_line(text, component="kubelet", source=shown_name(command_line, name))
        argv, binary = inp.argv, inp.binary
        sources.append(name)
    return ComponentInput("kubelet", " + ".join(sources), argv, binary, cfg, cfg_source)


def from_configz(payload: str | bytes | Mapping[str, Any], *, node: str,
                 argv: tuple[str, ...] = ()) -> ComponentInput:
    """The kubelet configuration a node reports at ``/configz`` (already defaulted by the kubelet)."""
    data = json.loads(payload) if isinstance(payload, (str, bytes)) else payload
    cfg = kubelet_config(data, f"node {node} /configz")
    return ComponentInput("kubelet", f"node {node} (/configz through the API server proxy)", argv,
                          "kubelet", cfg, f"node {node} /configz",
                          notes=("/configz shows the configuration after the kubelet applied its "
                                 "defaults and flags, so every setting appears as set",))
