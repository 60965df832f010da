"""Start one container of the webapp for a pod's effective security settings, and always clean up.

The bundle (the webapp's filesystem copied, the pod's own ``/etc/hosts`` and friends, each emptyDir's
mountpoint), its ``config.json`` and the container itself; rootless inside a user namespace that maps
every id the pod needs (:func:`userns_plan`), refused when one cannot be mapped. Below both
:mod:`kslab.sandbox.host` (whose check starts :func:`probe`) and :mod:`kslab.sandbox.session`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from kslab.sandbox import defaults, machine, rootfs, runtime, security, userns
from kslab.sandbox.spec import IMAGE, BundlePaths, oci_spec


def _bundle() -> Path:
    base = runtime.bundles_dir()
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o700)
    return Path(tempfile.mkdtemp(prefix="run-", dir=base))


def _pod_files(bundle: Path) -> dict[str, str]:
    """The sandbox's own /etc/hosts, /etc/hostname, /etc/resolv.conf and /dev/termination-log."""
    out = {}
    (bundle / "pod").mkdir()
    for target, (_, content) in defaults.POD_FILES.items():
        path = bundle / "pod" / target.strip("/").replace("/", "_")
        path.write_text(content, encoding="utf-8")
        os.chmod(path, 0o644 if target != "/dev/termination-log" else 0o666)
        out[target] = str(path)
    return out


def _empty_dir_mountpoints(root: Path, eff: security.Effective) -> None:
    """Give each emptyDir's mountpoint the mode the kubelet gives the volume (0777; 2777 and group
    fsGroup with fsGroup): runc hands a tmpfs the mode of the directory it covers."""
    for vol in eff.empty_dirs:
        point = root / vol.path.lstrip("/")
        if point.is_symlink() or not point.resolve().is_relative_to(root.resolve()):
            raise security.SandboxRefused(f"emptyDir mount path {vol.path} leaves the container's filesystem")
        point.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:  # rootless the caller's own directory is root's inside; the tmpfs gets gid=fsGroup
            os.chown(point, 0, eff.fs_group if eff.fs_group is not None else 0)
        os.chmod(point, 0o2777 if eff.fs_group is not None else 0o777)


def userns_plan(eff: security.Effective) -> userns.Plan | None:
    """None as root; rootless, the plan mapping every id this case needs (refused if one cannot be)."""
    if os.geteuid() == 0:
        return None
    plan = machine.rootless_plan(*userns.needed_ids(eff))
    if not plan.ok:
        raise security.SandboxRefused(f"no faithful rootless sandbox for this pod: {plan.reason}")
    return plan


@contextlib.contextmanager
def started(eff: security.Effective, rt: runtime.Runtime, args: tuple[str, ...] | None) -> Iterator[runtime.Running]:
    """Bundle, spec and container for ``eff``; rootless inside a user namespace mapping every id it needs."""
    plan = userns_plan(eff)
    source = rootfs.ensure()
    with contextlib.ExitStack() as stack:
        if plan is not None:
            rt = stack.enter_context(runtime.user_namespace(rt, plan))
        bundle = _bundle()
        try:
            root = rootfs.copy_for_run(source, bundle)
            _empty_dir_mountpoints(root, eff)
            if plan is not None:
                # The caller cannot give a file to a subordinate id; the namespace's root can.
                rt.as_namespace_root("chown", "1000:1000", str(root / "home/webapp"))
                for vol in eff.empty_dirs:
                    gid = eff.fs_group if eff.fs_group is not None else 0
                    rt.as_namespace_root("chown", f"0:{gid}", str(root / vol.path.lstrip("/")))
                    rt.as_namespace_root("chmod", "2777" if eff.fs_group is not None else "0777",
                                         str(root / vol.path.lstrip("/")))
            spec = oci_spec(eff, IMAGE, machine.host_facts(), BundlePaths(str(root), _pod_files(bundle)), args=args,
                            rootless=plan is not None)
        except BaseException:
            if plan is not None:
                with contextlib.suppress(runtime.RuntimeError_):
                    rt.as_namespace_root("rm", "-rf", str(bundle))
            shutil.rmtree(bundle, ignore_errors=True)
            raise
        with runtime.container(rt, bundle, spec) as running:
            yield running


def probe(rt: runtime.Runtime) -> None:
    """Start the plainest container (the webapp as deployed, running ``true``) and remove it."""
    from kslab.manifests.webapp import webapp_pod

    with started(security.effective(webapp_pod()), rt, ("sleep", "5")) as running:
        result = running.exec(["true"])
        if result.returncode != 0:
            raise runtime.RuntimeError_(f"a process in the container failed: {result.stderr.strip()[-200:]}")
