"""The external programs kslab drives — kind, docker or podman, kubectl, istioctl, helm, tcpdump — and
the one way it runs them.

Every program runs from an argument list, never through a shell, so nothing a student types can
become a command; every run has a time limit or streams its lines as they come. A program that is not
installed raises :class:`~kslab.errors.ToolMissing` with how to install it on Linux and on macOS; one
that fails raises :class:`ToolFailed` with its last error line. Versions are read the way each tool
offers most robustly (JSON where it has it).

Layer: the ground floor (local programs are not cluster I/O): the local mesh starts tcpdump through
:func:`start` as the cluster layer runs kind through :func:`run` (:mod:`kslab.cluster.tools` adds the
container engine kind runs on), and the sandbox drives runc, the C compiler and the user-namespace
tools through :func:`run`, :func:`run_into_files`, :func:`interactive` and :func:`start`. A program past
its time limit raises :class:`TimedOut` (a :class:`ToolFailed`), so a caller may say it in its own words.

>>> TOOLS["kind"].install_hint().startswith("Linux: ")
True
>>> parse_version("kind", "kind v0.33.0 go1.25.1 linux/amd64")
'v0.33.0'
>>> parse_version("docker", '{"Client": {"Version": "28.2.2"}, "Server": null}')
'28.2.2'
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from kslab.errors import KslabError, ToolMissing

#: Seconds a version or health probe may take before the tool counts as not answering.
PROBE_TIMEOUT = 15.0

#: A finished program's exit code and captured output (text).
Completed = subprocess.CompletedProcess[str]

#: What a program reads: the caller's standard input, or nothing at all (``/dev/null``).
Stdin = Literal["inherit", "null"]


class ToolFailed(KslabError):
    """An external program ran and exited with an error."""

    default_hint = "read the program's own message above; `kslab doctor` checks your setup"

    def __init__(self, message: str, *, returncode: int | None = None, output: str = "",
                 hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.returncode = returncode
        self.output = output


class TimedOut(ToolFailed):
    """An external program did not finish within its time limit (it was killed)."""

    def __init__(self, message: str, *, timeout: float | None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.timeout = timeout


def _stdin(stdin: Stdin) -> int | None:
    return subprocess.DEVNULL if stdin == "null" else None


@dataclass(frozen=True)
class Tool:
    """One external program: what the course uses it for and how to install it."""

    name: str
    purpose: str
    linux: str
    macos: str
    #: Arguments (after the program's name) that print its version.
    version_args: tuple[str, ...]
    #: Where the version sits in that output: a JSON path, or () to take the first x.y.z found.
    version_json: tuple[str, ...] = ()

    def install_hint(self) -> str:
        return f"Linux: {self.linux}; macOS: {self.macos}"


#: The programs the course can use, with install instructions for Linux and macOS.
TOOLS: dict[str, Tool] = {t.name: t for t in (
    Tool("kind", "creating the course's local cluster",
         linux="download the kind binary for your CPU from the kind releases page "
               "(https://kind.sigs.k8s.io/docs/user/quick-start/#installation) and put it on PATH",
         macos="brew install kind",
         version_args=("version",)),
    Tool("docker", "running kind's nodes as containers",
         linux="install Docker Engine (https://docs.docker.com/engine/install/) and start it, "
               "or use podman instead (sudo apt install podman / sudo dnf install podman)",
         macos="install and start Docker Desktop, or brew install podman && podman machine init && "
               "podman machine start",
         version_args=("version", "--format", "json"), version_json=("Client", "Version")),
    Tool("podman", "running kind's nodes as containers (instead of docker)",
         linux="sudo apt install podman (Debian/Ubuntu) or sudo dnf install podman (Fedora)",
         macos="brew install podman, then podman machine init && podman machine start",
         version_args=("version", "--format", "json"), version_json=("Client", "Version")),
    Tool("kubectl", "talking to the cluster by hand",
         linux="https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/",
         macos="brew install kubectl",
         version_args=("version", "--client", "-o", "json"), version_json=("clientVersion", "gitVersion")),
    Tool("istioctl", "installing Istio for lab 05",
         linux="download istioctl from https://istio.io/latest/docs/setup/install/istioctl/ "
               "and put it on PATH",
         macos="brew install istioctl",
         version_args=("version", "--remote=false", "-o", "json"), version_json=("clientVersion", "version")),
    Tool("helm", "installing charts (classroom mode)",
         linux="https://helm.sh/docs/intro/install/", macos="brew install helm",
         version_args=("version", "--short")),
    Tool("tcpdump", "capturing traffic in lab 05",
         linux="sudo apt install tcpdump / sudo dnf install tcpdump", macos="it ships with macOS",
         version_args=("--version",)),
)}

_SEMVER = re.compile(r"v?\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.+-]+)?")


def parse_version(name: str, text: str) -> str | None:
    """The version in a tool's version output, or None if there is none.

    >>> parse_version("kubectl", '{"clientVersion": {"gitVersion": "v1.32.4"}}')
    'v1.32.4'
    >>> parse_version("helm", "v3.16.2+g13654a5")
    'v3.16.2+g13654a5'
    >>> parse_version("istioctl", "no version here") is None
    True
    """
    tool = TOOLS[name]
    if tool.version_json:
        try:
            value: Any = json.loads(text)
            for key in tool.version_json:
                value = value[key]
            if value:
                return str(value)
        except (ValueError, KeyError, TypeError):
            pass  # older releases print text: fall back to the first version-looking word
    match = _SEMVER.search(text)
    return match.group(0) if match else None


def which(name: str) -> str | None:
    """The program's full path on ``PATH``, or None."""
    return shutil.which(name)


def require(name: str) -> str:
    """The program's full path; :class:`ToolMissing` with install instructions if it is absent.

    >>> require("no-such-tool-kslab")
    Traceback (most recent call last):
    ...
    kslab.errors.ToolMissing: no-such-tool-kslab is not installed (or not on PATH)
    """
    path = which(name)
    if path:
        return path
    tool = TOOLS.get(name)
    if tool is None:
        raise ToolMissing(f"{name} is not installed (or not on PATH)")
    raise ToolMissing(f"{name} is not installed (or not on PATH); kslab needs it for {tool.purpose}",
                      hint=tool.install_hint())


def _environ(extra: Mapping[str, str] | None) -> dict[str, str] | None:
    return {**os.environ, **extra} if extra else None


def _last_error_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for line in reversed(lines):
        if line.upper().startswith("ERROR") or "error" in line.lower():
            return line
    return lines[-1] if lines else "(no output)"


def run(argv: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None,
        check: bool = True, timeout: float | None = None,
        input: str | None = None, stdin: Stdin = "inherit") -> subprocess.CompletedProcess[str]:
    """Run a program (an argument list, never a shell) and capture its output.

    ``env`` adds variables to the current environment. With ``check`` a non-zero exit raises
    :class:`ToolFailed` carrying the program's last error line; past ``timeout`` seconds it is killed
    and :class:`TimedOut` raised. ``input`` is text for its standard input; without it the program
    reads the caller's (``stdin="inherit"``) or nothing (``stdin="null"``).

    >>> import sys
    >>> run([sys.executable, "-c", "print(6 * 7)"], stdin="null").stdout
    '42\\n'
    """
    args = [require(argv[0]), *argv[1:]]
    try:
        proc = subprocess.run(args, capture_output=True, text=True, env=_environ(env), cwd=cwd, timeout=timeout,
                              input=input, stdin=None if input is not None else _stdin(stdin), check=False)
    except subprocess.TimeoutExpired:
        raise TimedOut(f"`{' '.join(argv)}` did not finish within {timeout:.0f}s", timeout=timeout) from None
    except OSError as exc:
        raise ToolFailed(f"`{argv[0]}` could not be started: {exc.strerror or exc}") from None
    if check and proc.returncode != 0:
        raise ToolFailed(f"`{' '.join(argv)}` failed (exit {proc.returncode}): "
                         f"{_last_error_line(proc.stderr or proc.stdout)}",
                         returncode=proc.returncode, output=proc.stdout + proc.stderr)
    return proc


def stream(argv: Sequence[str], *, on_line: Callable[[str], None], env: Mapping[str, str] | None = None,
           cwd: Path | None = None) -> tuple[int, list[str]]:
    """Run a long program, passing each output line (stdout and stderr) to ``on_line`` as it comes.

    Returns the exit code and every line, for the caller to explain a failure.
    """
    args = [require(argv[0]), *argv[1:]]
    lines: list[str] = []
    try:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                encoding="utf-8", errors="replace", bufsize=1, env=_environ(env), cwd=cwd)
    except OSError as exc:
        raise ToolFailed(f"`{argv[0]}` could not be started: {exc.strerror or exc}") from None
    assert proc.stdout is not None
    try:
        for raw in proc.stdout:
            line = raw.rstrip("\r\n")
            lines.append(line)
            on_line(line)
    except BaseException:  # Ctrl-C in a notebook: stop the child too
        proc.kill()
        proc.wait()
        raise
    return proc.wait(), lines


def version(name: str) -> str | None:
    """The installed version of a tool, or None when it is missing or says nothing readable.

    Some tools exit non-zero while still printing their own version (``docker version`` without a
    running engine does), so the output is read whatever the exit code.
    """
    if name not in TOOLS or not which(name):
        return None
    try:
        proc = run([name, *TOOLS[name].version_args], check=False, timeout=PROBE_TIMEOUT)
    except ToolFailed:
        return None
    return parse_version(name, proc.stdout) or parse_version(name, proc.stderr)


def start(argv: Sequence[str], *, env: Mapping[str, str] | None = None,
          stdin: Stdin = "inherit") -> subprocess.Popen[str]:
    """Start a long-running program in the background (an argument list, never a shell), its stdout
    discarded and its stderr a pipe of text lines; the caller stops it (``terminate``/``wait``)."""
    args = [require(argv[0]), *argv[1:]]
    try:
        return subprocess.Popen(args, stdin=_stdin(stdin), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, env=_environ(env))
    except OSError as exc:
        raise ToolFailed(f"`{argv[0]}` could not be started: {exc.strerror or exc}") from None


def run_into_files(argv: Sequence[str], *, stdout: Path, stderr: Path, timeout: float,
                   stdin: Stdin = "null") -> int:
    """Run a program whose output goes to two files, not pipes; its exit code.

    For a program that hands its output on to a child that outlives it (``runc create`` gives the
    container's init its stdio): a pipe would stay open as long as that child runs. Past ``timeout``
    seconds it is killed and :class:`TimedOut` raised.
    """
    args = [require(argv[0]), *argv[1:]]
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        try:
            return subprocess.run(args, stdin=_stdin(stdin), stdout=out, stderr=err, timeout=timeout,
                                  check=False).returncode
        except subprocess.TimeoutExpired:
            raise TimedOut(f"`{' '.join(argv)}` did not finish within {timeout:g}s", timeout=timeout) from None
        except OSError as exc:
            raise ToolFailed(f"`{argv[0]}` could not be started: {exc.strerror or exc}") from None


def interactive(argv: Sequence[str], *, timeout: float) -> int:
    """Run a program attached to this terminal (the caller's stdin, stdout and stderr); its exit code.

    For a shell a student types into; past ``timeout`` seconds it is killed and :class:`TimedOut` raised.
    """
    args = [require(argv[0]), *argv[1:]]
    try:
        return subprocess.run(args, timeout=timeout, check=False).returncode
    except subprocess.TimeoutExpired:
        raise TimedOut(f"`{' '.join(argv)}` did not finish within {timeout:g}s", timeout=timeout) from None
    except OSError as exc:
        raise ToolFailed(f"`{argv[0]}` could not be started: {exc.strerror or exc}") from None
