"""The webapp's filesystem, built on this machine from ``webapp/`` and cached under ``KSLAB_HOME``.

What the image contract (COURSE.md, "The webapp image") promises, made from parts Debian and Ubuntu ship:
a statically linked busybox (package ``busybox-static``: ``sh``, ``id``, ``whoami``, ``cat``, ``touch``,
``vi``, ``httpd``), ``/usr/local/bin/become-root`` compiled statically from ``webapp/become-root.c``
and installed setuid root, ``/www/index.html`` owned by root with mode 0644, ``/tmp`` mode 1777, and
an ``/etc/passwd`` that knows root and ``webapp`` (uid 1000). Building needs a static busybox and a C
compiler (:func:`missing` says which are absent). As root the files belong to root; rootless they belong
to the caller, who is root inside the sandbox's user namespace, so become-root is setuid to mapped root.

The cache key is a hash of every input, so a changed page or helper rebuilds; each run gets its own
copy (:func:`copy_for_run`), so nothing a hack writes reaches the cache.

>>> layout_problems({"/": (0, 0o040755), "/www/index.html": (0, 0o100644), "/usr/local/bin/become-root": (0, 0o104755)})
[]
>>> layout_problems({"/": (0, 0o040700), "/www/index.html": (1000, 0o100664)})[:2]
['/: owner 0, mode 0700 (the contract: owner 0, mode 0755)', '/www/index.html: owner 1000, mode 0664 (the contract: owner 0, mode 0644)']
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

from kslab import programs, settings
from kslab.errors import KslabError

LAYOUT_VERSION = "2"
BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox")
#: Applets the contract needs (and httpd, which serves the page); every other applet is linked too.
NEEDED_APPLETS = ("sh", "id", "whoami", "cat", "touch", "vi", "httpd")
#: Path -> (owner uid, st_mode) the contract fixes.
CONTRACT = {"/": (0, 0o040755), "/www/index.html": (0, 0o100644), "/usr/local/bin/become-root": (0, 0o104755)}

PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
          "webapp:x:1000:1000:webapp:/home/webapp:/bin/sh\n"
          "nobody:x:65534:65534:nobody:/:/sbin/nologin\n")
GROUP = "root:x:0:root\nwebapp:x:1000:\nnogroup:x:65534:\n"


class RootfsError(KslabError):
    """The webapp's filesystem cannot be built here."""

    default_hint = "install busybox-static and gcc (apt install busybox-static gcc) and run as root"


def webapp_dir() -> Path:
    """The repository's ``webapp/`` folder (the image's sources)."""
    return Path(__file__).resolve().parent.parent.parent / "webapp"


def _is_static(path: str) -> bool:
    """True for an ELF executable without a program interpreter (statically linked)."""
    try:
        data = Path(path).read_bytes()[:4096]
    except OSError:
        return False
    if data[:4] != b"\x7fELF" or data[4] != 2:  # 64-bit ELF only
        return False
    phoff = int.from_bytes(data[32:40], "little")
    phentsize, phnum = int.from_bytes(data[54:56], "little"), int.from_bytes(data[56:58], "little")
    for i in range(phnum):
        off = phoff + i * phentsize
        if off + 4 > len(data):
            return False
        if int.from_bytes(data[off:off + 4], "little") == 3:  # PT_INTERP
            return False
    return True


def busybox() -> str | None:
    """A statically linked busybox on this machine, or None."""
    return next((p for p in BUSYBOX_CANDIDATES if os.access(p, os.X_OK) and _is_static(p)), None)


def compiler() -> str | None:
    return shutil.which("cc") or shutil.which("gcc")


def missing() -> list[str]:
    """What building the filesystem needs and this machine lacks (empty: it can be built)."""
    out = []
    if busybox() is None:
        out.append("a static busybox (Debian/Ubuntu: apt install busybox-static)")
    if compiler() is None:
        out.append("a C compiler for become-root (apt install gcc)")
    if not (webapp_dir() / "become-root.c").is_file():
        out.append("webapp/become-root.c (the repository's webapp sources)")
    return out


def layout_problems(found: dict[str, tuple[int, int]], root_uid: int = 0) -> list[str]:
    """Where a filesystem's (owner, mode) facts break the image contract (``root_uid``: the host uid that
    is root in the container, the caller's own uid for a rootless run)."""
    problems = []
    for path, (_, mode) in CONTRACT.items():
        uid = root_uid
        if path not in found:
            problems.append(f"{path}: missing")
        elif found[path] != (uid, mode):
            have_uid, have_mode = found[path]
            problems.append(f"{path}: owner {have_uid}, mode {stat.S_IMODE(have_mode):04o} "
                            f"(the contract: owner {uid}, mode {stat.S_IMODE(mode):04o})")
    return problems


def inspect(root: Path) -> dict[str, tuple[int, int]]:
    """The (owner, mode) of the contract's paths under ``root``."""
    out = {}
    for path in CONTRACT:
        try:
            st = os.lstat(root / path.lstrip("/"))
        except FileNotFoundError:
            continue
        out[path] = (st.st_uid, st.st_mode)
    return out


def _key(bb: str) -> str:
    h = hashlib.sha256(f"{LAYOUT_VERSION}:{os.geteuid()}".encode())
    for path in (Path(bb), webapp_dir() / "become-root.c", webapp_dir() / "www" / "index.html"):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    return settings.state_dir() / "sandbox" / "rootfs"


def _compile(src: Path, out: Path, timeout: int = 120) -> None:
    cc = compiler()
    assert cc is not None
    try:
        result = programs.run([cc, "-static", "-Os", "-Wall", "-Werror", "-o", str(out), str(src)], check=False,
                              timeout=timeout)
    except programs.TimedOut as exc:
        raise RootfsError(f"compiling become-root took more than {timeout} s") from exc
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise RootfsError(f"compiling become-root failed: {last}",
                          hint="a static build needs the C library's static archive (Debian: libc6-dev)")


def _applets(bb: str) -> list[str]:
    result = programs.run([bb, "--list"], check=False, timeout=10)
    names = [n for n in result.stdout.split() if n and "/" not in n and n != "busybox"]
    return sorted(set(names) | set(NEEDED_APPLETS))


def _build(into: Path, bb: str) -> None:
    os.chmod(into, 0o755)  # the build directory starts private; the image's / is world-searchable
    for d, mode in (("bin", 0o755), ("sbin", 0o755), ("usr/bin", 0o755), ("usr/local/bin", 0o755), ("etc", 0o755),
                    ("www", 0o755), ("tmp", 0o1777), ("root", 0o700), ("home/webapp", 0o755), ("proc", 0o555),
                    ("sys", 0o555), ("dev", 0o755), ("run", 0o755), ("var/tmp", 0o1777)):
        (into / d).mkdir(parents=True, exist_ok=True)
        os.chmod(into / d, mode)
    shutil.copy2(bb, into / "bin/busybox")
    os.chmod(into / "bin/busybox", 0o755)
    for name in _applets(bb):
        link = into / "bin" / name
        if not link.exists():
            link.symlink_to("busybox")
    _compile(webapp_dir() / "become-root.c", into / "usr/local/bin/become-root")
    (into / "etc/passwd").write_text(PASSWD, encoding="utf-8")
    (into / "etc/group").write_text(GROUP, encoding="utf-8")
    for f in ("etc/passwd", "etc/group"):
        os.chmod(into / f, 0o644)
    shutil.copyfile(webapp_dir() / "www" / "index.html", into / "www/index.html")
    if os.geteuid() == 0:
        for dirpath, dirnames, filenames in os.walk(into):
            for name in [*dirnames, *filenames]:
                os.lchown(os.path.join(dirpath, name), 0, 0)
        os.chown(into / "home/webapp", 1000, 1000)
    # Rootless, every file stays the caller's: the caller is root inside the user namespace, so this is
    # the image's root-owned layout there. Only /home/webapp then belongs to root, not webapp: the caller
    # cannot give a file to a subordinate uid from outside the namespace (none of the hack's steps uses it).
    os.chmod(into / "www/index.html", 0o644)
    os.chmod(into / "usr/local/bin/become-root", 0o4755)  # after chown: chown clears the setuid bit


def ensure() -> Path:
    """The cached filesystem (built on first use); raises :class:`RootfsError` when it cannot be."""
    lacking = missing()
    if lacking:
        raise RootfsError("cannot build the webapp's filesystem: missing " + "; ".join(lacking))
    bb = busybox()
    assert bb is not None
    target = cache_dir() / _key(bb)
    if target.is_dir() and not layout_problems(inspect(target), os.geteuid()):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(target.parent, 0o700)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    try:
        _build(work, bb)
        problems = layout_problems(inspect(work), os.geteuid())
        if problems:
            raise RootfsError("the built filesystem breaks the image contract: " + "; ".join(problems))
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return target


def copy_for_run(source: Path, into: Path) -> Path:
    """A private copy of the filesystem for one run (owners, modes and the setuid bit kept)."""
    dest = into / "rootfs"
    shutil.copytree(source, dest, symlinks=True, copy_function=shutil.copy2)
    for dirpath, dirnames, filenames in os.walk(source):
        rel = os.path.relpath(dirpath, source)
        for name in [*dirnames, *filenames]:
            st = os.lstat(os.path.join(dirpath, name))
            dst = os.path.join(dest, rel, name)
            os.lchown(dst, st.st_uid, st.st_gid)
            if not stat.S_ISLNK(st.st_mode):
                os.chmod(dst, stat.S_IMODE(st.st_mode))
    return dest
