"""``seccompProfile: RuntimeDefault`` as an OCI ``linux.seccomp`` section, from kslab's own data.

The profile (``kslab/data/sandbox/seccomp-runtime-default.json``) holds the facts of containerd's
default profile: an allow-list (everything else fails with EPERM), syscalls allowed only on some
architectures or kernels, syscalls allowed only when the container keeps a capability, argument
conditions on ``socket`` and ``personality``, and namespace-creating ``clone`` refused without
CAP_SYS_ADMIN. :func:`runtime_default` builds the section the way containerd builds it.

>>> section = runtime_default(("CAP_CHOWN",), arch="x86_64", kernel=(6, 1))
>>> section["defaultAction"], "mount" in _allowed(section), "arch_prctl" in _allowed(section)
('SCMP_ACT_ERRNO', False, True)
>>> "mount" in _allowed(runtime_default(("CAP_SYS_ADMIN",), arch="x86_64", kernel=(6, 1)))
True
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

#: errno values the profile names (Linux).
ERRNO = {"ENOSYS": 38}


@lru_cache(maxsize=1)
def profile() -> dict[str, Any]:
    """The RuntimeDefault facts, loaded once."""
    text = resources.files("kslab.data").joinpath("sandbox/seccomp-runtime-default.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _allow(names: list[str], args: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"names": sorted(names), "action": "SCMP_ACT_ALLOW", **({"args": args} if args else {})}


def runtime_default(bounding: tuple[str, ...] | list[str], *, arch: str, kernel: tuple[int, int]) -> dict[str, Any]:
    """The OCI seccomp section containerd would give a container with this bounding capability set."""
    data = profile()
    if arch not in data["architectures"]:
        from kslab.sandbox.security import SandboxRefused

        raise SandboxRefused(f"no RuntimeDefault seccomp facts for the {arch} architecture",
                             hint="the sandbox knows x86_64 and aarch64")
    rules = [_allow(list(data["allow"]))]
    for since, names in data["allowFromKernel"].items():
        major, minor = (int(p) for p in since.split("."))
        if kernel >= (major, minor):
            rules.append(_allow(list(names)))
    rules.append(_allow(list(data["allowOnArch"].get(arch, []))))
    refused = data["socketFamiliesRefused"]
    alg, vsock = int(refused["AF_ALG"]), int(refused["AF_VSOCK"])
    # every address family but AF_ALG and AF_VSOCK: below the first, between them, above the second
    rules += [_allow(["socket"], [{"index": 0, "value": alg, "op": "SCMP_CMP_LT"}]),
              _allow(["socket"], [{"index": 0, "value": alg + 1, "op": "SCMP_CMP_EQ"}]),
              _allow(["socket"], [{"index": 0, "value": vsock, "op": "SCMP_CMP_GT"}])]
    rules += [_allow(["personality"], [{"index": 0, "value": v, "op": "SCMP_CMP_EQ"}])
              for v in data["personalityAllowed"]]
    for cap in bounding:
        if cap in data["allowWithCapability"]:
            rules.append(_allow(list(data["allowWithCapability"][cap])))
    if "CAP_SYS_ADMIN" not in bounding:
        rule = data["withoutSysAdmin"]
        flags = int(rule["cloneNamespaceFlagsRefused"])
        rules.append(_allow(["clone"], [{"index": 0, "value": flags, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]))
        rules.append({"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": ERRNO[rule["clone3Errno"]]})
    return {"defaultAction": data["defaultAction"], "architectures": list(data["architectures"][arch]),
            "syscalls": rules}


def _allowed(section: dict[str, Any]) -> set[str]:
    """Syscalls a section allows unconditionally (for tests and doctests)."""
    return {n for r in section["syscalls"] if r["action"] == "SCMP_ACT_ALLOW" and not r.get("args") for n in r["names"]}
