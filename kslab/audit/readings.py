"""Two readings of the same input: what the component runs with, and what kube-bench sees.

:class:`ComponentReading` is kslab's: the command line parsed as pflag parses it (last value wins,
lists accumulate, ``--flag value`` works), the kubelet's config file under its flags, and the
component's documented default for anything left unset. :class:`KubeBenchReading` is kube-bench's:
the command line as one string, the first substring match of the flag name, ``--flag value`` read
as ``true``, then the config file's raw text. The evaluator asks both the same questions.

>>> from kslab.audit.sources import from_command_line
>>> from kslab.audit.rules import Item
>>> inp = from_command_line("kube-apiserver --profiling=true --profiling=false")
>>> ComponentReading(inp).lookup(Item("--profiling")).value, KubeBenchReading(inp).lookup(Item("--profiling")).value
(False, 'true')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from kslab.audit.flags import (ValueError_, _catalog_data, catalog, format_duration, go_duration,
                               parse_args, show)
from kslab.audit.rules import Item
from kslab.audit.sources import ComponentInput
from kslab.text import brief


@dataclass(frozen=True)
class Observation:
    """What one reading found for one test item."""

    found: bool
    value: Any  # typed for kslab's reading, text for kube-bench's
    name: str  # the flag or config path it was found under (for messages)
    origin: str  # "flag", "config file", "default", "config default", "encryption config", "" (absent)
    flag_type: str | None = None
    detail: str = ""  # why the value is what it is (e.g. "zero means the default")

    def describe(self) -> str:
        """The observation in words, for the ``observed`` column."""
        if self.origin in ("flag",):
            return f"{self.name}={show(self.value, self.flag_type)}"
        if self.origin == "config file":
            extra = f" [{self.detail}]" if self.detail else ""
            return f"{self.name}: {show(self.value, self.flag_type)} (config file){extra}"
        if self.origin in ("default", "config default"):
            where = "default" if self.origin == "default" else "config-file default"
            return f"{self.name} not set ({where}: {show(self.value, self.flag_type)})"
        if self.origin == "encryption config":
            return f"first provider for secrets: {show(self.value)}"
        return f"{self.name} not set" + (f" ({self.detail})" if self.detail else "")


def dig(doc: Mapping[str, Any] | None, path: str) -> Any:
    """The value at a dotted path in a document, or None.

    >>> dig({"a": {"b": False}}, "a.b"), dig({"a": {}}, "a.b")
    (False, None)
    """
    cur: Any = doc
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return None
        cur = cur[part]
    return cur


def first_secret_providers(text: str) -> list[str] | None:
    """The first (writing) provider for ``secrets`` in an EncryptionConfiguration, or None.

    >>> first_secret_providers("kind: EncryptionConfiguration\\nresources:\\n- resources: [secrets]\\n"
    ...                        "  providers:\\n  - identity: {}\\n  - aescbc: {keys: []}\\n")
    ['identity']
    """
    from kslab.manifests.load import load_text  # noqa: PLC0415

    docs = load_text(text, source="encryption config")
    if not docs:
        return None
    firsts = []
    for res in docs[0].obj.get("resources") or []:
        names = [str(r) for r in (res.get("resources") or [])]
        if any(n in ("secrets", "*.*", "*.") or n == "secrets." for n in names):
            providers = res.get("providers") or []
            if providers and isinstance(providers[0], Mapping):
                firsts.append(next(iter(providers[0])))
            break  # the first matching entry is the one the API server uses
    return firsts


class ComponentReading:
    """kslab's reading: the configuration the component actually runs with."""

    def __init__(self, inp: ComponentInput) -> None:
        self.input = inp
        self.catalog = catalog(inp.component)
        self.component_data = _catalog_data()[inp.component]

    @cached_property
    def command_line(self) -> Any:
        return parse_args(self.input.argv, self.input.component)

    @property
    def uses_config_file(self) -> bool:
        return self.input.config is not None or self.command_line.has("config")

    def _typed(self, setting: str, raw: Any) -> Any:
        flag_type = self.catalog.type_of(setting)
        if flag_type == "duration" and isinstance(raw, str):
            try:
                return go_duration(raw)
            except ValueError_:
                return raw
        return raw

    def lookup(self, item: Item) -> Observation:
        """What the component runs with for this item's flag (or config path)."""
        if item.flag == "provider":  # 1.2.28 reads the encryption config file, not a flag
            return self._encryption_provider()
        if not item.flag.startswith("--"):  # a feature gate, e.g. RotateKubeletServerCertificate
            return self._feature_gate(item)
        setting = item.setting
        flag_type = self.catalog.type_of(setting)
        cl = self.command_line
        if setting == "enable-admission-plugins" and cl.has("admission-control") and not cl.has(setting):
            # The 2019 flag: its list *is* the set of plugins that run (it replaces the defaults).
            return Observation(True, cl.value("admission-control"), "--admission-control", "flag",
                               "strings")
        if cl.has(setting):
            value = cl.value(setting)
            if flag_type == "string" and value == "":
                return Observation(False, value, item.flag, "", flag_type,
                                   f"{item.flag} is given an empty value, which the component treats as unset")
            return Observation(True, value, item.flag, "flag", flag_type)
        if item.path and self.input.config is not None:
            raw = dig(self.input.config, item.path)
            if raw is not None and raw != "":
                value = self._typed(setting, raw)
                zero_default = self.component_data.get("zero_means_default") or []
                if item.path in zero_default and value in (0, 0.0):
                    default = self._typed(setting, self.component_data["config_defaults"][item.path])
                    return Observation(True, default, item.path, "config file", flag_type,
                                       f"the file says {brief(raw)}; the kubelet replaces a zero value by "
                                       f"its default {show(default, flag_type)}")
                return Observation(True, value, item.path, "config file", flag_type)
        if item.path and self.uses_config_file:
            defaults = self.component_data.get("config_defaults") or {}
            if item.path in defaults:
                return Observation(True, self._typed(setting, defaults[item.path]), item.path,
                                   "config default", flag_type)
            return Observation(False, None, item.path, "", flag_type)
        if setting in self.catalog.defaults:
            return Observation(True, self._typed(setting, self.catalog.defaults[setting]), item.flag,
                               "default", flag_type)
        return Observation(False, None, item.flag, "", flag_type)

    def _feature_gate(self, item: Item) -> Observation:
        gates = self.command_line.value("feature-gates") or {}
        if item.flag in gates:
            return Observation(True, gates[item.flag], f"--feature-gates {item.flag}", "flag", "bool")
        if item.path and self.input.config is not None:
            raw = dig(self.input.config, item.path)
            if raw is not None:
                return Observation(True, raw, item.path, "config file", "bool")
        defaults = self.component_data.get("feature_gates") or {}
        if item.flag in defaults:
            return Observation(True, defaults[item.flag], f"feature gate {item.flag}", "default", "bool")
        return Observation(False, None, item.flag, "", "bool")

    def _encryption_provider(self) -> Observation:
        path = self.command_line.value("encryption-provider-config")
        if not path:
            return Observation(False, None, "--encryption-provider-config", "", None,
                               "no encryption configuration, so Secrets are stored unencrypted")
        if self.input.encryption_config is None:
            return Observation(False, None, str(path), "", None,
                               f"{path} is on the control-plane node and was not given to the audit")
        firsts = first_secret_providers(self.input.encryption_config)
        if not firsts:
            return Observation(False, None, str(path), "", None, "no provider covers secrets")
        return Observation(True, firsts, str(path), "encryption config", "strings")


class KubeBenchReading:
    """kube-bench's reading: substring search in the ``ps`` line, then the config file's text."""

    def __init__(self, inp: ComponentInput) -> None:
        self.input = inp
        self.text = inp.command_line

    def lookup(self, item: Item) -> Observation:
        if item.flag == "provider":
            return self._encryption_provider()
        found, value = flag_value(self.text, item.flag)
        if found:
            return Observation(True, value, item.flag, "flag")
        if item.path and self.input.config is not None:
            text = jsonpath_text(dig(self.input.config, item.path))
            if text != "":
                return Observation(True, text, item.path, "config file")
            return Observation(False, "", item.path, "")
        return Observation(False, "", item.flag, "")

    def _encryption_provider(self) -> Observation:
        # kube-bench: the line after the last "providers:" in the file, its words as provider=WORD.
        found, path = flag_value(self.text, "--encryption-provider-config")
        if not found or self.input.encryption_config is None:
            return Observation(False, "", "provider", "")
        lines = self.input.encryption_config.splitlines()
        after = [lines[i + 1] for i, line in enumerate(lines[:-1]) if "providers:" in line]
        if not after:
            return Observation(False, "", "provider", "")
        words = [w for w in re.findall(r"[A-Za-z]*", after[-1]) if w]
        output = "\n".join(f"provider={w}" for w in words)
        found, value = flag_value(output, "provider")
        return Observation(found, value, "provider", "encryption config" if found else "")


def flag_value(text: str, flag: str) -> tuple[bool, str]:
    """kube-bench's flag lookup: substring presence, then the first ``flag(=|: *)*value`` match.

    >>> flag_value("kube-apiserver --anonymous-auth false", "--anonymous-auth")
    (True, 'true')
    >>> flag_value("kube-apiserver --audit-log-path=/a --audit-log-path=/b", "--audit-log-path")
    (True, '/a')
    """
    if not text or flag not in text:
        return False, ""
    m = re.search("(" + re.escape(flag) + r")(=|: *)*([^\s]*) *", text)
    if m is None:
        return True, ""
    if m.group(3):
        return True, m.group(3)
    return True, "true" if flag.startswith("--") else m.group(1)


def jsonpath_text(value: Any) -> str:
    """A config value printed the way kube-bench's JSONPath output shows it.

    >>> jsonpath_text(False), jsonpath_text(0), jsonpath_text(["a", "b"]), jsonpath_text(None)
    ('false', '0', 'a,b,', '')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "".join(f"{jsonpath_text(v)}," for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


__all__ = ["ComponentReading", "KubeBenchReading", "Observation", "dig", "first_secret_providers",
           "flag_value", "format_duration", "jsonpath_text"]
