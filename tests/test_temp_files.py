"""Temporary folders that may hold secrets are removed: the test suite's own KSLAB_HOME when the session
ends, and notebook 05's key-log folder (TLS session secrets) at the end of its cell (issue #15)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_the_test_sessions_kslab_home_is_removed_when_it_ends(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop("KSLAB_HOME", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-header",
         "tests/test_progress_store.py::test_kslab_progress_reads_without_moving_and_warns_on_stderr"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert list(tmp_path.glob("kslab-test-home-*")) == []


def test_notebook_05_keeps_its_key_log_only_inside_the_cell() -> None:
    source = (REPO / "notebooks" / "src" / "05-mtls-istio.py").read_text(encoding="utf-8")
    assert "mkdtemp" not in source
    cell = source[source.index("### Whoever has the keys"):source.index("### Byte entropy")]
    assert 'with tempfile.TemporaryDirectory(prefix="kslab-keylog-") as tmp:' in cell
    # the capture and the key log are made and read inside the with-block, shown after it
    body = cell.split("as tmp:", 1)[1].split("# %% [markdown]")[0]
    assert "keylog=keys_dir" in body and body.rstrip().endswith("decrypted")
