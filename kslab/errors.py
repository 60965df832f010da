"""One family of errors, each with a hint that says what to do next.

Every error a student can cause (a typo in a file, a cluster that is not there, a tool that is not
installed) is a :class:`KslabError`. The command line prints it as one line and exits 2; in a
notebook it shows as the message and the hint, not as a traceback (IPython calls
``_render_traceback_``).

>>> err = InputError("pod.yaml: line 3: mapping values are not allowed here",
...                  hint="check the indentation around line 3")
>>> str(err)
'pod.yaml: line 3: mapping values are not allowed here'
>>> err.one_line()
'pod.yaml: line 3: mapping values are not allowed here (hint: check the indentation around line 3)'
"""

from __future__ import annotations


class KslabError(Exception):
    """Base class: a message for the student and a hint saying what to do about it."""

    default_hint = "see the notebook's text above this cell, or run `kslab doctor`"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint

    def one_line(self) -> str:
        """The message and its hint on one line, as the CLI prints it."""
        text = " ".join(self.message.split())
        return f"{text} (hint: {self.hint})" if self.hint else text

    def _render_traceback_(self) -> list[str]:
        # IPython shows these lines instead of a traceback.
        return [f"\x1b[31m{type(self).__name__}\x1b[0m: {self.message}", f"hint: {self.hint}"]


class UsageError(KslabError):
    """The command or function was called with arguments it cannot use."""

    default_hint = "run the command with --help"


class InputError(KslabError):
    """A file or value the student gave cannot be read as what it should be."""

    default_hint = "check the file's syntax; `-` reads standard input"


class ToolMissing(KslabError):
    """A program kslab needs (kind, docker, istioctl, tcpdump ...) is not installed."""

    default_hint = "run `kslab doctor` to see what to install"


class ClusterUnreachable(KslabError):
    """Live mode was asked for but the cluster does not answer."""

    default_hint = "start the course cluster with `kslab cluster up`, or use KSLAB_MODE=offline"


class NotALabContext(KslabError):
    """A lab that creates or attacks things was pointed at a context that is not a lab context."""

    default_hint = "name the context explicitly: KSLAB_CONTEXT=<context> or kslab.connect(context=...)"


class OfflineOnly(KslabError):
    """A step needs a live cluster and kslab is offline."""

    default_hint = "this step needs a cluster; offline, the notebook shows the predicted result instead"


class ApiError(KslabError):
    """The API server refused or failed a request; keeps the server's status code and reason."""

    default_hint = "read the server's message above; `kslab doctor` checks your access"

    def __init__(self, message: str, *, status: int | None = None, reason: str = "",
                 hint: str | None = None, server_message: str = "") -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.reason = reason
        #: The API server's own words, e.g. ``pods "x" is forbidden: violates PodSecurity ...``.
        self.server_message = server_message
