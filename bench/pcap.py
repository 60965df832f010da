"""`kslab pcap summary` against tshark, on captures the local mesh demo makes in a temporary directory.

Two captures, never committed, made by `kslab.mesh.demo.LocalMesh` with the relay tap (so the run
needs no root and is the same everywhere):

  (a) HANDSHAKES new mutual-TLS 1.3 connections, one request each (about 21 packets per connection);
  (b) at least PACKETS packets: keep-alive mTLS connections, 20 requests of ~40 KB each.

Wall time (best of RUNS, each run a fresh process) of
    kslab pcap summary F > /dev/null
against the reference measured in the same run,
    tshark -r F -d tcp.port==9080,tls -Y tls.handshake.type==1 -T fields -e tls.handshake.extensions_server_name
Target: ratio kslab / tshark <= 1.0 on both. ("-d tcp.port==9080,tls" tells tshark the wire's port
speaks TLS: without it, tshark picks a dissector by port number and now and then decodes a flow
whose ephemeral client port is a registered one — 44322 is "pmproxy" — as that protocol instead,
missing its ClientHello; the SNI counts printed show both tools found every ClientHello.)

Peak memory (max RSS of the process, from wait4) of `kslab pcap summary` on (b) and on a capture of
the same shape a quarter as long: target, the long one needs at most 1.25x the short one's.

    python bench/pcap.py                    # the issue's sizes (a few minutes, ~1 GB of temp disk)
    python bench/pcap.py --quick            # small sizes, a smoke run
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 3
WIRE_PORT = 9080
MEMORY_GROWTH_LIMIT = 1.25


def make_handshakes(path: Path, count: int) -> tuple[int, int]:
    """(packets, wire port) of a capture of ``count`` new mTLS connections."""
    from kslab.mesh.demo import LocalMesh
    from kslab.mesh.scenarios import Caller

    with LocalMesh(capture="tap", pcap=path, wire_port=WIRE_PORT, time_limit=3600) as mesh:
        caller = Caller("productpage")
        for i in range(count):
            mesh.call(caller, [f"/details/{i % 10}"])
        return mesh.tapped_packets or 0, mesh.wire_port


def make_bulk(path: Path, packets: int) -> tuple[int, int]:
    """(packets, wire port) of a capture of keep-alive mTLS connections, at least ``packets`` long."""
    from kslab.mesh.demo import LocalMesh
    from kslab.mesh.scenarios import Caller

    with LocalMesh(capture="tap", pcap=path, wire_port=WIRE_PORT, time_limit=3600) as mesh:
        caller = Caller("productpage")
        while (mesh.tapped_packets or 0) < packets:
            mesh.call(caller, ["/books?count=200"] * 20)
        return mesh.tapped_packets or 0, mesh.wire_port


def measure(argv: list[str]) -> tuple[float, int]:
    """(wall seconds, peak RSS in KiB) of one process, its output discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(argv)}")
    return wall, int(usage.ru_maxrss)


def best(argv: list[str]) -> tuple[float, int]:
    runs = [measure(argv) for _ in range(RUNS)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def kslab_argv(path: Path) -> list[str]:
    return [sys.executable, "-m", "kslab", "pcap", "summary", str(path)]


def tshark_argv(path: Path, port: int) -> list[str]:
    return ["tshark", "-r", str(path), "-d", f"tcp.port=={port},tls", "-Y", "tls.handshake.type==1",
            "-T", "fields", "-e", "tls.handshake.extensions_server_name"]


def agree(path: Path, port: int) -> tuple[int, int]:
    """SNIs found by tshark and by kslab (they must be equal for the comparison to be fair)."""
    from kslab.pcap.summary import iter_flows

    out = subprocess.run(tshark_argv(path, port), capture_output=True, text=True, check=True).stdout
    _, flows = iter_flows(path)
    return len(out.split()), sum(1 for f in flows if f.tls is not None and f.tls.sni)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--handshakes", type=int, default=2000)
    parser.add_argument("--packets", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="200 handshakes and 40,000 packets")
    parser.add_argument("--keep", action="store_true", help="keep the temporary captures")
    args = parser.parse_args()
    if args.quick:
        args.handshakes, args.packets = 200, 40_000
    if not shutil.which("tshark"):
        print("tshark is not installed: no reference to compare with (apt-get install tshark)")
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="kslab-bench-pcap-"))
    ok = True
    try:
        t0 = time.perf_counter()
        hs, bulk, small = tmp / "handshakes.pcap", tmp / "bulk.pcap", tmp / "bulk-quarter.pcap"
        made = {hs: make_handshakes(hs, args.handshakes), bulk: make_bulk(bulk, args.packets),
                small: make_bulk(small, args.packets // 4)}
        print(f"made the captures in {time.perf_counter() - t0:.0f} s (relay tap, in {tmp})")
        print(f"{'capture':<28}{'packets':>10}{'MB':>8}{'kslab s':>9}{'tshark s':>10}{'ratio':>7}"
              f"{'kslab RSS MiB':>15}{'SNIs kslab/tshark':>19}")
        peaks = {}
        for name, path in ((f"(a) {args.handshakes} handshakes", hs), ("(b) bulk", bulk),
                           ("(b) bulk, a quarter", small)):
            packets, port = made[path]
            k_wall, k_rss = best(kslab_argv(path))
            t_wall, _ = best(tshark_argv(path, port))
            theirs, ours = agree(path, port)
            peaks[path] = k_rss
            ratio = k_wall / t_wall
            print(f"{name:<28}{packets:>10,}{path.stat().st_size / 1e6:>8.0f}{k_wall:>9.2f}{t_wall:>10.2f}"
                  f"{ratio:>7.2f}{k_rss / 1024:>15.1f}{f'{ours}/{theirs}':>19}")
            if path is not small and ratio > 1.0:
                ok = False
            if ours != theirs:
                ok = False
        growth = peaks[bulk] / peaks[small]
        print(f"peak memory, bulk vs a quarter of it: {peaks[bulk] / 1024:.1f} MiB vs "
              f"{peaks[small] / 1024:.1f} MiB (x{growth:.2f}; target <= x{MEMORY_GROWTH_LIMIT})")
        ok = ok and growth <= MEMORY_GROWTH_LIMIT
        print(f"targets (ratio <= 1.0 on (a) and (b), memory flat): {'met' if ok else 'NOT met'}")
    finally:
        if args.keep:
            print(f"captures kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
