"""Regenerate the bundled captures (``kslab mesh record --out kslab/data/captures``).

Each scenario of :data:`~kslab.mesh.demo.SCENARIOS` is run on the local mesh with the wire on port
9080 (the service port, as in the 2019 capture) and captured; then the README next to the
captures is rewritten from what actually happened: how each file was captured, by which tools,
and what it holds (checked by reading the capture back).
"""

from __future__ import annotations

import platform
import shutil
import ssl
from pathlib import Path

from kslab import programs
from kslab.mesh.demo import DemoResult, run
from kslab.mesh.scenarios import SCENARIOS
from kslab.pcap.summary import summarize

WIRE_PORT = 9080


def record(out_dir: str | Path, *, capture: str = "auto", names: list[str] | None = None) -> list[DemoResult]:
    """Run each scenario, write ``<name>.pcap`` into ``out_dir`` and a README.md describing them."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for name in names or list(SCENARIOS):
        results.append(run(name, capture=capture, pcap=out / f"{name}.pcap", wire_port=WIRE_PORT))
    (out / "README.md").write_text(readme(results), encoding="utf-8")
    return results


def _tcpdump_version() -> str:
    if not shutil.which("tcpdump"):
        return "not installed"
    done = programs.run(["tcpdump", "--version"], check=False, timeout=10)
    return (done.stdout or done.stderr).splitlines()[0].strip()


def readme(results: list[DemoResult]) -> str:
    """The captures' README: one section per capture, written from the results."""
    lines = [
        "# Bundled captures",
        "",
        "Small captures of the course's local mesh (`kslab.mesh`), made by `kslab mesh record --out "
        "kslab/data/captures` — run it again to regenerate every file here, this README included.",
        "Each is the traffic on the *wire* between the caller and the `details` service (TCP port "
        f"{WIRE_PORT} on 127.0.0.1); nothing else was captured.",
        "",
        f"Made with: Python {platform.python_version()}, {ssl.OPENSSL_VERSION}, tcpdump: {_tcpdump_version()}.",
        "Certificates come from a throw-away local CA (RSA 2048, workload certificates valid 24 hours); "
        "no private key or session secret is stored here.",
        "",
    ]
    for r in results:
        assert r.capture is not None
        cap = summarize(r.capture)
        sc = SCENARIOS[r.scenario]
        lines += [f"## {r.capture.name}", "", sc.description[:1].upper() + sc.description[1:] + ".", "",
                  f"- mesh: {r.settings}",
                  f"- captured with: {r.capture_method}",
                  f"- size: {r.capture.stat().st_size} bytes, {cap.totals.packets} packets, "
                  f"{cap.totals.flows} TCP flow(s)"]
        for call in r.calls:
            lines.append(f"- call: {call}")
        for row in cap.table().text().splitlines()[1:]:
            lines.append(f"- flow: `{' '.join(row.split())}`")
        lines.append("")
    return "\n".join(lines)
