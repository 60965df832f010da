"""procMount_restricted (restricted, v1.35+): default /proc masks, even in a user namespace.

The standard: every container's ``securityContext.procMount`` must be ``Default`` or unset,
whatever ``hostUsers`` says. Replaces the baseline procMount check (and its v1.35 user-namespace
relaxation) at restricted.
"""

from __future__ import annotations

from kslab.pss.check import Check, VersionedCheck, since
from kslab.pss.checks.proc_mount import ID as BASELINE_ID
from kslab.pss.checks.proc_mount import run_1_0
from kslab.pss.levels import RESTRICTED

CHECK = Check("procMount_restricted", RESTRICTED,
              (VersionedCheck(since(35), run_1_0, overrides=(BASELINE_ID,)),))
