"""Finding and running external programs: argument lists, install hints, versions, engine choice."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import fake_tools
from kslab.cluster import tools
from kslab.errors import ToolMissing


@pytest.mark.parametrize(("name", "output", "expected"), [
    ("kind", "kind v0.33.0 go1.25.1 linux/amd64", "v0.33.0"),
    ("kind", "kind version 0.20.0", "0.20.0"),
    ("docker", '{"Client":{"Version":"28.2.2","ApiVersion":"1.50"},"Server":null}', "28.2.2"),
    ("docker", "Docker version 20.10.7, build f0df350", "20.10.7"),  # an old client without JSON
    ("podman", '{"Client":{"APIVersion":"4.3.1","Version":"4.3.1"}}', "4.3.1"),
    ("kubectl", '{"clientVersion":{"major":"1","gitVersion":"v1.32.4-dispatcher"}}', "v1.32.4-dispatcher"),
    ("istioctl", '{"clientVersion":{"version":"1.27.1","revision":"x"}}', "1.27.1"),
    ("helm", "v3.16.2+g13654a5\n", "v3.16.2+g13654a5"),
    ("tcpdump", "tcpdump version 4.99.3\nlibpcap version 1.10.3", "4.99.3"),
    ("istioctl", "", None),
])
def test_parse_version(name: str, output: str, expected: str | None) -> None:
    assert tools.parse_version(name, output) == expected


def test_missing_tool_names_it_and_says_how_to_install_on_linux_and_macos(monkeypatch: pytest.MonkeyPatch,
                                                                        tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissing) as info:
        tools.require("kind")
    err = info.value
    assert "kind is not installed" in err.message
    assert "Linux: " in err.hint and "macOS: brew install kind" in err.hint
    assert "\n" not in err.one_line()


def test_run_passes_an_argument_list_without_a_shell(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    state = fake_tools.environment(monkeypatch, tmp_path)
    seen: dict[str, object] = {}
    real_run = subprocess.run

    def spy(args, **kwargs):  # type: ignore[no-untyped-def]
        seen.update(args=args, **kwargs)
        return real_run(args, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    # A value with shell metacharacters reaches the program as one argument, untouched.
    tools.run(["kind", "get", "nodes", "--name", "x; touch /tmp/pwned $(id)"], check=False)
    assert isinstance(seen["args"], list) and not seen.get("shell")
    assert fake_tools.argvs(state, "kind") == [["get", "nodes", "--name", "x; touch /tmp/pwned $(id)"]]


def test_run_failure_carries_the_tools_error_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_tools.environment(monkeypatch, tmp_path)
    with pytest.raises(tools.ToolFailed) as info:
        tools.run(["kind", "bogus"])
    assert info.value.returncode == 1
    assert "ERROR: unknown command ['bogus']" in info.value.message


def test_version_reads_docker_json_even_when_the_engine_is_down(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    state = fake_tools.environment(monkeypatch, tmp_path, docker="stopped")
    assert tools.version("docker") == "28.2.2"
    assert tools.version("kind") == "v0.33.0"
    assert tools.version("helm") is None  # not installed
    assert ["version", "--format", "json"] in fake_tools.argvs(state, "docker")


def test_stream_delivers_lines_while_the_program_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    state = fake_tools.environment(monkeypatch, tmp_path)
    gate = tmp_path / "first-line-seen"
    monkeypatch.setenv("FAKE_KIND_WAIT_FOR", str(gate))
    config = tmp_path / "c.yaml"
    config.write_text("nodes: [{image: 'kindest/node:v1'}]\n")
    got: list[str] = []

    def on_line(line: str) -> None:
        got.append(line)
        gate.touch()  # the fake kind goes on only once the first line has reached us

    code, lines = tools.stream(["kind", "create", "cluster", "--name", "s", "--config", str(config)],
                               on_line=on_line)
    assert code == 0, lines
    assert got[0] == 'Creating cluster "s" ...' and got == lines
    assert " ✓ Installing CNI 🔌" in got
    assert state.exists()


@pytest.mark.parametrize(("explicit", "states", "expected"), [
    (None, {"docker": "running", "podman": "running"}, "docker"),
    (None, {"docker": "absent", "podman": "running"}, "podman"),
    (None, {"docker": "stopped", "podman": "running"}, "podman"),
    ("podman", {"docker": "running", "podman": "running"}, "podman"),
    ("docker", {"docker": "running", "podman": "absent"}, "docker"),
])
def test_decide_provider(explicit: str | None, states: dict[str, str], expected: str) -> None:
    assert tools.decide_provider(explicit, states) == expected


@pytest.mark.parametrize(("explicit", "states", "message", "hint"), [
    (None, {"docker": "stopped", "podman": "absent"}, "docker is installed, but its engine is not running",
     "systemctl start docker"),
    (None, {"docker": "absent", "podman": "stopped"}, "podman is installed, but its engine is not running",
     "podman machine start"),
    (None, {"docker": "absent", "podman": "absent"}, "neither docker nor podman is installed", "Docker Desktop"),
    ("podman", {"docker": "running", "podman": "absent"}, "KIND_EXPERIMENTAL_PROVIDER=podman, but podman is not",
     "brew install podman"),
    ("nerdctl", {}, "not an engine kslab supports", "docker or podman"),
])
def test_decide_provider_errors_say_what_to_do(explicit: str | None, states: dict[str, str], message: str,
                                               hint: str) -> None:
    with pytest.raises(ToolMissing) as info:
        tools.decide_provider(explicit, states)
    assert message in info.value.message and hint in info.value.hint


def test_provider_detection_with_real_programs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # docker's client is installed but its engine is down (as on this CI machine); podman runs.
    state = fake_tools.environment(monkeypatch, tmp_path, docker="stopped", podman="running")
    chosen = tools.provider()
    assert (chosen.name, chosen.version, chosen.env) == ("podman", "4.3.1", {"KIND_EXPERIMENTAL_PROVIDER": "podman"})
    assert fake_tools.argvs(state, "podman") == [["version", "--format", "json"], ["info", "--format", "json"]]


def test_provider_docker_needs_no_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    state = fake_tools.environment(monkeypatch, tmp_path, docker="running", podman="running")
    assert tools.provider().env == {}
    assert fake_tools.argvs(state, "podman") == []  # docker answered first, like kind's own order


def test_provider_honours_kind_experimental_provider(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    state = fake_tools.environment(monkeypatch, tmp_path, docker="running", podman="running")
    monkeypatch.setenv("KIND_EXPERIMENTAL_PROVIDER", "podman")
    assert tools.provider().name == "podman"
    assert fake_tools.argvs(state, "docker") == []


def test_lab_settings_install_turns_news_and_update_checks_off(tmp_path, monkeypatch) -> None:
    """The course's JupyterLab overrides land where JupyterLab reads them, merged with what is there."""
    import importlib.util
    import json as _json

    spec = importlib.util.spec_from_file_location("lab_settings", Path(__file__).resolve().parent.parent /
                                                  "tools" / "lab_settings.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    monkeypatch.setattr(mod.sys, "prefix", str(tmp_path))
    target = mod.target(tmp_path)
    target.parent.mkdir(parents=True)
    target.write_text(_json.dumps({"@jupyterlab/other:plugin": {"x": 1}}))
    assert mod.main(["--check"]) == 1
    assert mod.main([]) == 0 and mod.main(["--check"]) == 0
    got = _json.loads(target.read_text())
    assert got["@jupyterlab/apputils-extension:notification"] == {"fetchNews": "false", "checkForUpdates": False}
    assert got["@jupyterlab/other:plugin"] == {"x": 1}
