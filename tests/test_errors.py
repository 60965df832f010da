"""Errors: one family with hints; in a notebook the message shows, not a traceback."""

from __future__ import annotations

import pytest

from kslab.errors import ApiError, InputError, KslabError, NotALabContext


def test_every_error_has_a_hint_by_default() -> None:
    for cls in KslabError.__subclasses__():
        err = cls("something went wrong")
        assert err.hint and err.hint != "", cls.__name__
        assert err.one_line().startswith("something went wrong (hint: ")


def test_one_line_folds_newlines() -> None:
    assert "\n" not in InputError("a\nb", hint="c").one_line()


def test_api_error_keeps_the_servers_status_and_words() -> None:
    err = ApiError("creating pod: 403 nope", status=403, server_message='pods "x" is forbidden: nope')
    assert err.status == 403 and err.server_message.startswith('pods "x"')


def test_ipython_shows_message_and_hint_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.user_ns["NotALabContext"] = NotALabContext
    result = shell.run_cell("raise NotALabContext('lab 03 refuses context prod', hint='name it')")
    out = capsys.readouterr()
    shown = out.out + out.err
    assert result.error_in_exec is not None
    assert "lab 03 refuses context prod" in shown and "hint: name it" in shown
    assert "Traceback" not in shown and "File " not in shown


def test_ipython_shows_the_name_in_red_unless_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    from kslab.errors import UsageError

    err = UsageError("no lab 'x'", hint="one of 00..05")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert err._render_traceback_() == ["\x1b[31mUsageError\x1b[0m: no lab 'x'", "hint: one of 00..05"]
    monkeypatch.setenv("NO_COLOR", "1")
    assert err._render_traceback_() == ["UsageError: no lab 'x'", "hint: one of 00..05"]


def test_terminal_colours_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from kslab.views.styles import terminal_colours

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert terminal_colours(Tty()) and not terminal_colours(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not terminal_colours(Tty())
