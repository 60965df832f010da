"""Packaging: one source of truth for dependencies, and the files derived from it agree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent


def test_derived_environment_files_match_pyproject() -> None:
    proc = subprocess.run([sys.executable, str(REPO / "tools" / "sync_envs.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_environment_yml_lists_exactly_the_pyproject_dependencies() -> None:
    sys.path.insert(0, str(REPO / "tools"))
    try:
        from sync_envs import project_dependencies
    finally:
        sys.path.pop(0)
    for rel in ("environment.yml", "binder/environment.yml"):
        env = yaml.safe_load((REPO / rel).read_text())
        pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
        listed = [p for p in pip if not p.startswith("--")]
        assert listed == project_dependencies(), rel
        assert any(str(d).startswith("python=") for d in env["dependencies"]), rel


def test_binder_postbuild_installs_kslab_and_fails_fast() -> None:
    post = (REPO / "binder" / "postBuild").read_text()
    assert post.splitlines()[0].startswith("#!") and "\nset -e\n" in post
    assert "pip install --no-deps --editable ." in post


def test_readme_starts_with_the_two_commands_ci_runs() -> None:
    readme = (REPO / "README.md").read_text()
    block = readme.split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in block.splitlines()[1:] if line.strip()]
    assert commands == ["make lab", "make test"]
    ci = (REPO / ".ci" / "run").read_text()
    assert "\nmake test\n" in ci


def test_readme_binder_badge_opens_notebook_00_in_jupyterlab() -> None:
    readme = (REPO / "README.md").read_text()
    first = sorted((REPO / "notebooks").glob("00-*.ipynb"))[0].name
    assert f"urlpath=lab/tree/notebooks/{first}" in readme
