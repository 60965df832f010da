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

from typing import Any


#: The longest message a one-line error shows: the messages quote input through
#: :func:`kslab.text.brief`, and this is the backstop for any that does not.
MAX_LINE = 600


class KslabError(Exception):
    """Base class: a message for the student and a hint saying what to do about it."""

    default_hint = "see the notebook's text above this cell, or run `kslab doctor`"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint

    def one_line(self) -> str:
        """The message and its hint on one line, as the CLI prints it: at most :data:`MAX_LINE`
        characters of message, control characters shown as escapes (the message may quote input)."""
        from kslab.text import printable

        text = printable(" ".join(self.message.split()), keep_newlines=False)
        if len(text) > MAX_LINE:
            text = f"{text[:MAX_LINE]}… ({len(text)} chars)"
        return f"{text} (hint: {self.hint})" if self.hint else text

    def _render_traceback_(self) -> list[str]:
        # IPython shows these lines instead of a traceback: the error's name in red (kslab.views.styles'
        # "bad"; errors sit below views, so the code is spelled here), none with NO_COLOR set.
        import os

        name = type(self).__name__
        if not os.environ.get("NO_COLOR"):
            name = f"\x1b[31m{name}\x1b[0m"
        return [f"{name}: {self.message}", f"hint: {self.hint}"]


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


#: What to do about an operating-system error, by its errno name.
_OS_HINTS = {
    "EACCES": "check the file's permissions (ls -l), or run as a user who may read it",
    "EPERM": "check the file's permissions (ls -l), or run as a user who may read it",
    "EISDIR": "give a file, not a directory",
    "ENOTDIR": "a part of the path is a file, not a directory",
    "ENOENT": "check the path (ls it)",
    "EROFS": "that file system is read-only: choose a path you may write",
    "ENOSPC": "the disk is full: free some space or choose another path",
    "EEXIST": "it exists already: choose another path or remove it",
}


def file_error(path: object, exc: OSError) -> InputError:
    """The one-line error for an OS error on the file ``path``: it always names the file, even when
    the error came from a read (which, unlike ``open``, does not say which file it was reading).

    >>> file_error("/proc/self/mem", OSError(5, "Input/output error")).one_line()
    '/proc/self/mem: Input/output error (hint: check the path and that it is a regular file you may read)'
    """
    if exc.filename is None:
        exc.filename = str(path)
    error = from_exception(exc)
    assert isinstance(error, InputError)  # an OSError always has one
    return error


def from_exception(exc: BaseException) -> KslabError | None:
    """The :class:`KslabError` that an error from reading a student's input stands for, or None.

    The one place where the command line turns the errors of the operating system (a file that
    may not be read, a directory given as a file), of decoding (bytes that are not UTF-8) and of
    parsing (input nested too deep for the parser, integers Python will not convert, input too large
    for memory) into a one-line error with a hint; anything else is a bug in kslab.

    >>> from_exception(PermissionError(13, "Permission denied", "pod.yaml")).one_line()
    "pod.yaml: Permission denied (hint: check the file's permissions (ls -l), or run as a user who may read it)"
    >>> from_exception(RecursionError("maximum recursion depth exceeded")).message
    'the input is nested too deeply to read'
    >>> from_exception(KeyError("x")) is None
    True
    """
    import errno as errno_mod

    from kslab.text import brief

    if isinstance(exc, KslabError):
        return exc
    if isinstance(exc, OSError):
        name = errno_mod.errorcode.get(exc.errno or 0, "")
        where = exc.filename if exc.filename is not None else ""
        what = exc.strerror or type(exc).__name__
        where_text = (brief(str(where), limit=200)[1:-1] + ": ") if where != "" else ""
        default = "check the path and that it is a regular file you may read" if where_text else \
            "check the input and the connection"
        hint = _OS_HINTS.get(name, default)
        return InputError(f"{where_text}{what}", hint=hint)
    if isinstance(exc, UnicodeDecodeError):
        return InputError(f"the input is not UTF-8 text (byte {exc.start}: {exc.object[exc.start:exc.start + 1]!r})",
                          hint="give a UTF-8 text file (YAML or JSON); `iconv -t utf-8` converts one")
    if isinstance(exc, UnicodeEncodeError):
        return InputError("the input holds characters that cannot be written out (a lone surrogate?)",
                          hint="check the names in the input for invalid \\u escapes")
    if isinstance(exc, RecursionError):
        return InputError("the input is nested too deeply to read",
                          hint="no Kubernetes object nests that deep: check the file is what you meant")
    if isinstance(exc, MemoryError):
        return InputError("the input is too large to read in memory",
                          hint="give a smaller file (one object or one capture at a time)")
    if isinstance(exc, ValueError) and "embedded null byte" in str(exc):  # open() of a path with NUL in it
        return InputError("a file name holds a NUL byte, which no file name can",
                          hint="check the path you gave")
    if isinstance(exc, ValueError) and "integer string conversion" in str(exc):
        return InputError("the input holds an integer with more than 4,300 digits",
                          hint="no Kubernetes field takes a number that long: check the file")
    return None


class NamedReader:
    """A binary file whose read errors carry ``name``: ``open()`` puts the file's name in its
    ``OSError``, a later ``read()`` does not (``[Errno 5] Input/output error`` on ``/proc/self/mem``, a
    disk going away), and the one-line error must say which file failed. Otherwise the file itself.

    >>> import io
    >>> class Failing(io.RawIOBase):
    ...     def readinto(self, b): raise OSError(5, "Input/output error")
    >>> NamedReader(Failing(), "/proc/self/mem").read(4)
    Traceback (most recent call last):
    ...
    OSError: [Errno 5] Input/output error: '/proc/self/mem'
    """

    def __init__(self, file: Any, name: str) -> None:
        self.file, self.name = file, name

    def read(self, size: int = -1) -> bytes:
        return self._named(self.file.read, size)

    def readinto(self, buffer: Any) -> int | None:
        return self._named(self.file.readinto, buffer)

    def _named(self, call: Any, arg: Any) -> Any:
        try:
            return call(arg)
        except OSError as exc:
            if exc.filename is None:  # the OS said what went wrong, not to which file
                exc.filename = self.name
            raise

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> NamedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.file, attr)
