"""The webapp image definition against its contract (COURSE.md), without a container engine.

The Dockerfile is read statically; ``become-root.c`` is compiled with the host's C compiler and
run for real as uid 1000 — with and without "no new privileges", the switch that Kubernetes'
``allowPrivilegeEscalation: false`` flips — when the host allows it (root, gcc, setpriv).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

WEBAPP = Path(__file__).resolve().parents[1] / "webapp"
DOCKERFILE = (WEBAPP / "Dockerfile").read_text()


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, comments and continuations handled."""
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            rows.append((word.upper(), rest.strip()))
    return rows


def final_stage() -> list[tuple[str, str]]:
    rows = instructions()
    last_from = max(i for i, (word, _) in enumerate(rows) if word == "FROM")
    return rows[last_from:]


def test_multi_stage_small_pinned_base_for_any_arch() -> None:
    froms = [args for word, args in instructions() if word == "FROM"]
    assert len(froms) == 2
    for base in froms:
        image = base.split()[0]
        assert re.fullmatch(r"alpine:3\.\d+", image), image  # small, pinned, published for amd64 and arm64
        assert "--platform" not in base  # each stage builds for the target platform: buildx multi-arch works


def test_runs_as_root_by_default() -> None:
    users = [args for word, args in final_stage() if word == "USER"]
    assert users in ([], ["root"], ["0"])


def test_serves_www_on_port_3000() -> None:
    stage = final_stage()
    assert ("EXPOSE", "3000") in stage
    cmd = next(args for word, args in stage if word == "CMD")
    argv = __import__("json").loads(cmd)
    assert argv[:2] == ["busybox", "httpd"] and "-f" in argv
    assert argv[argv.index("-p") + 1] == "3000" and argv[argv.index("-h") + 1] == "/www"


def test_page_is_root_owned_0644() -> None:
    copy = next(args for word, args in final_stage() if word == "COPY" and "/www/index.html" in args)
    assert "--chown=0:0" in copy and "--chmod=0644" in copy
    assert (WEBAPP / "www" / "index.html").read_text().lstrip().startswith("<!doctype html>")


def test_user_1000_exists_and_become_root_is_setuid_root() -> None:
    run = " ".join(args for word, args in final_stage() if word == "RUN")
    assert re.search(r"adduser -D -u 1000\b", run)
    copy = next(args for word, args in final_stage() if word == "COPY" and "become-root" in args)
    assert "--chown=0:0" in copy and "--chmod=4755" in copy and copy.endswith("/usr/local/bin/become-root")
    # COPY --chmod needs the BuildKit Dockerfile syntax, declared on the first line.
    assert DOCKERFILE.splitlines()[0] == "# syntax=docker/dockerfile:1"


def test_become_root_compiles_cleanly_for_the_build_stage() -> None:
    build = next(args for word, args in instructions() if word == "RUN" and "gcc -" in args)
    assert "-Wall" in build and "-Werror" in build and "-static" in build


needs_host = pytest.mark.skipif(
    not (shutil.which("gcc") and shutil.which("setpriv") and hasattr(os, "geteuid") and os.geteuid() == 0),
    reason="needs root, gcc and setpriv on this machine to run become-root as another user")


@pytest.fixture(scope="module")
def become_root() -> Path:
    """become-root compiled here, installed setuid root in a directory that honours setuid."""
    tmp = Path(tempfile.mkdtemp(prefix="kslab-become-root-", dir="/var/tmp" if Path("/var/tmp").is_dir() else None))
    binary = tmp / "become-root"
    subprocess.run(["gcc", "-Os", "-Wall", "-Werror", "-o", str(binary), str(WEBAPP / "become-root.c")], check=True)
    os.chown(binary, 0, 0)
    os.chmod(binary, 0o4755)
    os.chmod(tmp, 0o755)
    yield binary
    shutil.rmtree(tmp, ignore_errors=True)


def as_user_1000(binary: Path, *args: str, no_new_privs: bool) -> subprocess.CompletedProcess[str]:
    cmd = ["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups"]
    if no_new_privs:
        cmd.append("--no-new-privs")
    return subprocess.run([*cmd, str(binary), *args], capture_output=True, text=True, check=False)


@needs_host
def test_become_root_escalates_when_allowed(become_root: Path) -> None:
    proc = as_user_1000(become_root, "id", "-u", no_new_privs=False)
    if proc.returncode != 0 and "cannot become root" in proc.stderr:
        pytest.skip(f"this host's {become_root.parent} ignores setuid bits: {proc.stderr.strip()}")
    assert (proc.returncode, proc.stdout.strip()) == (0, "0")


@needs_host
def test_no_new_privileges_stops_become_root(become_root: Path) -> None:
    plain = as_user_1000(become_root, "id", "-u", no_new_privs=False)
    if plain.returncode != 0:
        pytest.skip("setuid does not work in this directory on this host")
    proc = as_user_1000(become_root, "id", "-u", no_new_privs=True)
    assert proc.returncode == 1
    assert proc.stdout == "" and proc.stderr.startswith("become-root: cannot become root: ")
