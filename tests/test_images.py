"""Building the webapp image and loading it into kind, with stand-in docker/podman/kind programs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import fake_tools
from kslab.cli.main import main
from kslab.cluster import images, kind
from kslab.errors import ClusterUnreachable, InputError

IMAGE = "localhost/kslab/webapp:1.0"


@pytest.fixture()
def webapp(tmp_path: Path) -> Path:
    folder = tmp_path / "webapp"
    folder.mkdir()
    (folder / "Dockerfile").write_text("FROM busybox\n")
    return folder


def test_build_with_docker_then_load_into_an_existing_cluster(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                              webapp: Path) -> None:
    state = fake_tools.environment(monkeypatch, tmp_path)
    kind.up(progress=lambda line: None)
    lines: list[str] = []
    outcome = images.build_and_load(context=webapp, progress=lines.append)
    work = [a for a in fake_tools.argvs(state, "docker") if a[:1] != ["version"]]  # not the engine probes
    assert work == [
        ["image", "inspect", IMAGE],  # `up` looked for the image: not built yet
        ["build", "--tag", IMAGE, "--file", str(webapp / "Dockerfile"), str(webapp)],
        ["image", "inspect", IMAGE]]
    assert fake_tools.argvs(state, "kind")[-1] == ["load", "docker-image", IMAGE, "--name", "kslab"]
    assert str(outcome) == f"built {IMAGE} with docker\nloaded {IMAGE} into kind cluster 'kslab'"
    assert any("not yet present on node" in line for line in lines)


def test_podman_saves_an_archive_and_loads_that(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                webapp: Path) -> None:
    state = fake_tools.environment(monkeypatch, tmp_path, docker=None, podman="running")
    kind.up(progress=lambda line: None)
    images.build_and_load(context=webapp, progress=lambda line: None)
    save = fake_tools.argvs(state, "podman")[-1]
    assert save[:3] == ["save", "--output", save[2]] and save[3] == IMAGE and save[2].endswith("webapp.tar")
    load = [c for c in fake_tools.calls(state, "kind") if c["argv"][:2] == ["load", "image-archive"]]
    assert [c["argv"] for c in load] == [["load", "image-archive", save[2], "--name", "kslab"]]
    assert load[0]["provider"] == "podman"
    assert not Path(save[2]).exists()  # the archive is temporary


def test_build_without_a_cluster_says_up_will_load_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                      webapp: Path) -> None:
    state = fake_tools.environment(monkeypatch, tmp_path)
    outcome = images.build_and_load(context=webapp, progress=lambda line: None)
    assert outcome.details == ["no kind cluster 'kslab' yet: `kslab cluster up` loads it"]
    assert not any(a[:1] == ["load"] for a in fake_tools.argvs(state, "kind"))
    # ... and it does: up finds the image and loads it.
    up = kind.up(progress=lambda line: None)
    assert f"loaded {IMAGE} into kind cluster 'kslab'" in up.details
    assert fake_tools.argvs(state, "kind")[-1] == ["load", "docker-image", IMAGE, "--name", "kslab"]


def test_up_before_any_build_notes_the_missing_image(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_tools.environment(monkeypatch, tmp_path)
    up = kind.up(progress=lambda line: None)
    assert up.changed and f"{IMAGE} is not built yet; `kslab webapp build` builds and loads it" in up.details


def test_a_registry_image_needs_no_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, webapp: Path) -> None:
    state = fake_tools.environment(monkeypatch, tmp_path)
    monkeypatch.setenv("KSLAB_WEBAPP_IMAGE", "ghcr.io/acme/kslab-webapp:1.0")
    outcome = images.build_and_load(context=webapp)
    assert not outcome.changed and "is a registry image: nothing to build or load" in outcome.message
    assert fake_tools.calls(state) == []  # no engine, no kind: nothing ran


def test_load_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_tools.environment(monkeypatch, tmp_path)
    with pytest.raises(ClusterUnreachable, match="no kind cluster named 'kslab'"):
        images.load()
    kind.up(progress=lambda line: None)
    with pytest.raises(InputError, match=f"docker has no image {IMAGE}"):
        images.load()


def test_missing_dockerfile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_tools.environment(monkeypatch, tmp_path)
    with pytest.raises(InputError, match="no Dockerfile in"):
        images.build(context=tmp_path)


def test_cli_build_json(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, webapp: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    fake_tools.environment(monkeypatch, tmp_path)
    assert main(["webapp", "build", "--context", str(webapp), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["message"] == f"built {IMAGE} with docker"
    assert captured.err.startswith(f"running: docker build --tag {IMAGE}")
    assert main(["webapp", "load"]) == 2
    assert capsys.readouterr().err.startswith("kslab webapp: error: no kind cluster named 'kslab'")
