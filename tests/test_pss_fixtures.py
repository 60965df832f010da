"""Every Pod Security fixture must be judged as upstream's test suite expects.

Fixtures live in ``tests/upstream/pod-security-fixtures/<level>/<version>/{pass,fail}/*.yaml`` (a copy
of upstream's ``test/testdata``): a ``pass`` file is allowed at that level and version, a ``fail``
file is denied. Set ``KSLAB_PSA_TESTDATA`` to a checkout's ``test/testdata`` to run all versions
v1.0 … v1.37 the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from kslab.pss import evaluate
UPSTREAM = Path(__file__).resolve().parent / "upstream"

ROOTS = [UPSTREAM / "pod-security-fixtures"]
if os.environ.get("KSLAB_PSA_TESTDATA"):
    ROOTS.append(Path(os.environ["KSLAB_PSA_TESTDATA"]))

FIXTURES = sorted({p for root in ROOTS if root.is_dir() for p in root.glob("*/v1.*/*/*.yaml")})


def test_fixtures_are_there() -> None:
    # A missing fixture folder must fail loudly, not pass vacuously.
    assert len([p for p in FIXTURES if p.parent.parent.name == "v1.37"]) >= 140


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: "/".join(p.parts[-4:]))
def test_fixture(path: Path) -> None:
    level, version, outcome = path.parts[-4], path.parts[-3], path.parts[-2]
    verdict = evaluate(yaml.safe_load(path.read_text()), level, version)
    assert verdict.allowed is (outcome == "pass"), str(verdict)
    if outcome == "fail":
        # The file is named after the check it exercises; that check must be among the failures
        # (checks replaced at restricted by their restricted counterpart are named after the baseline id).
        stem = path.stem.rstrip("0123456789")
        failed = {c.lower() for c in verdict.checks}
        replaced = {"capabilities_baseline": "capabilities_restricted", "hostpathvolumes": "restrictedvolumes",
                    "seccompprofile_baseline": "seccompprofile_restricted", "procmount": "procmount_restricted"}
        assert stem in failed or replaced.get(stem) in failed, (stem, verdict.checks)
