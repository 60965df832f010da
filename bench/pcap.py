"""`kslab pcap summary` against tshark: CPU time and peak memory on captures of three shapes.

The captures are written here, in a temporary directory (never committed), from the real bytes of the
bundled ``mtls-tls13.pcap`` (an Istio mTLS 1.3 connection: ClientHello, ServerHello, encrypted
certificates, one HTTP request and response) replayed with :class:`kslab.pcap.write.TcpConversation`,
so each looks like the mesh demo's relay tap at a size the demo would take hours to make:

  (a) handshake-heavy: 20,000 connections, each the whole 21-packet conversation, opened and closed (420,000
      packets: the issue's 20,000 flows, in more packets than its 300,000);
  (b) never closing: ~92,000 connections that open, a third of them send a ClientHello, none closes
      (~300,000 packets): the flow table itself is the load;
  (c) bulk: a few keep-alive connections carrying 16 KiB application-data records (1,000,000 packets);
  (c/4) the same shape a quarter as long: peak memory must not grow with the capture.

Measured for each, in the same run: CPU time (user + system, from ``os.wait4``) and peak RSS of
``kslab pcap summary F > /dev/null`` against tshark reading the same file for the same fact
(``tshark -r F -d tcp.port==9080,tls -Y tls.handshake.type==1 -T fields -e tls.handshake.extensions_server_name``),
RUNS times each, taking turns (kslab, tshark, kslab, tshark ...), so a spell of other work on this shared
machine slows both rather than one; the ratio of the cheapest kslab run to the cheapest tshark run is
judged, and the range of the ratios of each kslab run to the tshark run after it is shown (``pairs``)
to say how steady the measurement was. Also the CPU time of reading and decoding alone
(:meth:`kslab.pcap.capture.CaptureReader.in_place` and :func:`kslab.pcap.layers.decode_at`, in a child,
best of RUNS) and its share of kslab's, and the load average (1 minute) when each capture was measured.
Only ratios measured in the same run are compared; wall time is shown, not judged.

kslab runs from compiled bytecode, as an installed package does: its children get a bytecode cache in
the temporary directory (``PYTHONPYCACHEPREFIX``), filled by one untimed run before any measurement, so
an environment with ``PYTHONDONTWRITEBYTECODE`` set does not make every timed run compile kslab's
source again (about 0.06 s of CPU a run on the 2-core machine).

Targets: (a) <= 0.35x, (b) <= 0.5x and <= 200 MB, (c) <= 0.2x, RSS(c) <= 1.25 x RSS(c/4).

    python bench/pcap.py             # the issue's sizes (about seven minutes, ~1.3 GB of temporary disk)
    python bench/pcap.py --quick     # a tenth of each
    python bench/pcap.py --only c    # some of the captures (a, b, c, c4)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _measure import Cost, child, compiled_env

RUNS = 5
WIRE_PORT = 9080
TARGETS = {"a": 0.35, "b": 0.5, "c": 0.2}
RSS_LIMIT_MB = 200
MEMORY_GROWTH_LIMIT = 1.25


def conversation() -> list[tuple[int, bytes]]:
    """(side, bytes) of the bundled mTLS 1.3 capture's first flow, in order."""
    from kslab.pcap import bundled, summarize
    from kslab.pcap.flows import Analysis

    first = summarize(bundled("mtls-tls13.pcap")).flows[0]
    chunks: list[tuple[int, bytes]] = []
    for flow in Analysis(bundled("mtls-tls13.pcap"), watch=first.id, watch_limit=10_000):
        if flow.id == first.id and flow.trace:
            chunks = [(side, payload) for _ts, side, _f, _s, _a, payload in flow.trace if payload]
    return chunks


def _client(i: int) -> tuple[str, int]:
    return f"10.{(i >> 14) & 0xFF}.{(i >> 7) & 0x7F}.{1 + (i & 0x7F)}", 20000 + i % 40000


def make_handshakes(path: Path, connections: int) -> int:
    from kslab.pcap.write import PcapWriter, TcpConversation

    conv = conversation()
    with path.open("wb") as fh:
        w = PcapWriter(fh)
        ts = 1_700_000_000.0
        for i in range(connections):
            c = TcpConversation(w, _client(i), ("10.200.0.1", WIRE_PORT))
            c.open(ts)
            for side, data in conv:
                ts += 0.0002
                c.send(side, data, ts)
            c.close(0, ts)
            c.close(1, ts)
            ts += 0.001
        return w.packets


def make_never_closing(path: Path, connections: int) -> int:
    from kslab.pcap.write import PcapWriter, TcpConversation

    hello = conversation()[0][1]
    with path.open("wb") as fh:
        w = PcapWriter(fh)
        ts = 1_700_000_000.0
        for i in range(connections):
            c = TcpConversation(w, _client(i), ("10.200.0.1", WIRE_PORT))
            c.open(ts)
            if i % 3 == 0:
                c.send(0, hello, ts + 0.0001)
            ts += 0.0005
        return w.packets


def make_bulk(path: Path, packets: int, connections: int = 8) -> int:
    import random

    from kslab.pcap.write import PcapWriter, TcpConversation

    conv = conversation()
    handshake = [(s, d) for s, d in conv if d[0] != 0x17]  # everything but application data
    body = random.Random(1).randbytes(16384)
    record = b"\x17\x03\x03\x40\x00" + body
    with path.open("wb") as fh:
        w = PcapWriter(fh)
        ts = 1_700_000_000.0
        convs = []
        for i in range(connections):
            c = TcpConversation(w, _client(i), ("10.200.0.1", WIRE_PORT))
            c.open(ts)
            for side, data in handshake:
                c.send(side, data, ts)
            convs.append(c)
        i = 0
        while w.packets < packets:
            ts += 0.0005
            convs[i % connections].send(1 if i % 4 else 0, record, ts)
            i += 1
        for c in convs:
            c.close(0, ts)
            c.close(1, ts)
        return w.packets


#: The environment of the Python children: bytecode cached in the bench's temporary directory (see above).
CHILD_ENV: dict[str, str] | None = None


def taking_turns(ours: list[str], reference: list[str]) -> tuple[list[Cost], list[Cost]]:
    """RUNS runs of each command, alternating (ours first): their costs, in order."""
    mine, theirs = [], []
    for _ in range(RUNS):
        mine.append(child(ours, env=CHILD_ENV)[0])
        theirs.append(child(reference, env=CHILD_ENV)[0])
    return mine, theirs


#: Run in a child: read and decode every packet of a capture, print the CPU seconds that took.
READ_AND_DECODE = """
import resource, sys
from kslab.pcap.capture import open_capture
from kslab.pcap.layers import LINK_TYPES, decode_at
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
start = cpu()
stream, reader = open_capture(sys.argv[1])
decoders = {}
for _ts, link, block, begin, end in reader.in_place():
    decoder = decoders.get(link)
    if decoder is None:
        decoder = decoders[link] = LINK_TYPES[link][1]
    decode_at(decoder, block, begin, end)
print(cpu() - start)
"""


def read_and_decode(path: Path) -> float:
    """CPU seconds of reading and decoding the capture alone (no flow analysis), best of RUNS."""
    runs = []
    for _ in range(RUNS):
        out = subprocess.run([sys.executable, "-c", READ_AND_DECODE, str(path)], capture_output=True,
                             text=True, check=True, timeout=3600, env=CHILD_ENV)
        runs.append(float(out.stdout))
    return min(runs)


def kslab_argv(path: Path) -> list[str]:
    return [sys.executable, "-m", "kslab", "pcap", "summary", str(path)]


def tshark_argv(path: Path) -> list[str]:
    return ["tshark", "-r", str(path), "-d", f"tcp.port=={WIRE_PORT},tls", "-Y", "tls.handshake.type==1",
            "-T", "fields", "-e", "tls.handshake.extensions_server_name"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tenth of each size")
    parser.add_argument("--keep", action="store_true", help="keep the temporary captures")
    parser.add_argument("--only", default="a,b,c,c4", help="captures to measure, comma-separated (default: all)")
    args = parser.parse_args()
    if not shutil.which("tshark"):
        print("tshark is not installed: no reference to compare with (apt-get install tshark)")
        return 1
    scale = 10 if args.quick else 1
    tmp = Path(tempfile.mkdtemp(prefix="kslab-bench-pcap-"))
    global CHILD_ENV
    CHILD_ENV = compiled_env(tmp)
    ok = True
    try:
        from kslab.pcap import bundled

        child(kslab_argv(bundled("mtls-tls13.pcap")), env=CHILD_ENV)  # untimed: fills the bytecode cache
        shapes = {
            "a": ("(a) 20,000 handshakes" if scale == 1 else "(a) 2,000 handshakes", tmp / "a.pcap",
                  lambda p: make_handshakes(p, 20_000 // scale)),
            "b": ("(b) 92,000 never closing" if scale == 1 else "(b) 9,200 never closing", tmp / "b.pcap",
                  lambda p: make_never_closing(p, 92_000 // scale)),
            "c": ("(c) bulk", tmp / "c.pcap", lambda p: make_bulk(p, 1_000_000 // scale)),
            "c4": ("(c/4) bulk, a quarter", tmp / "c4.pcap", lambda p: make_bulk(p, 250_000 // scale)),
        }
        only = [k.strip() for k in args.only.split(",") if k.strip()]
        unknown = sorted(set(only) - set(shapes))
        if unknown:
            parser.error(f"no capture {', '.join(unknown)} (there are {', '.join(shapes)})")
        shapes = {k: v for k, v in shapes.items() if k in only}
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores; "
              "kslab runs from compiled bytecode (cached in the temporary directory)")
        print(f"{'capture':<27}{'packets':>10}{'MB':>7}{'kslab CPU s':>12}{'tshark CPU s':>13}{'ratio':>7}"
              f"{'pairs':>11}{'target':>7}{'kslab RSS MB':>13}{'read+decode s':>14}{'share':>6}{'kslab wall s':>13}"
              f"{'load':>6}")
        rss = {}
        for key, (name, path, make) in shapes.items():
            packets = make(path)
            mine, theirs = taking_turns(kslab_argv(path), tshark_argv(path))
            k_cpu, k_wall, k_rss = min(c.cpu for c in mine), min(c.wall for c in mine), max(c.peak_mb for c in mine)
            t_cpu = min(c.cpu for c in theirs)
            pairs = [k.cpu / t.cpu for k, t in zip(mine, theirs)]
            reader = read_and_decode(path)
            ratio = k_cpu / t_cpu
            rss[key] = k_rss
            target = TARGETS.get(key)
            met = target is None or ratio <= target
            if key == "b" and rss[key] > RSS_LIMIT_MB:
                met = False
            ok = ok and met
            print(f"{name:<27}{packets:>10,}{path.stat().st_size / 1e6:>7.0f}{k_cpu:>12.2f}{t_cpu:>13.2f}"
                  f"{ratio:>7.2f}{f'{min(pairs):.2f}-{max(pairs):.2f}':>11}{(f'{target:.2f}' if target else '-'):>7}{rss[key]:>13.1f}{reader:>14.2f}"
                  f"{reader / k_cpu:>6.0%}{k_wall:>13.2f}{os.getloadavg()[0]:>6.2f}{'' if met else '  NOT met'}")
            path.unlink()
        if "c" in rss and "c4" in rss:
            growth = rss["c"] / rss["c4"]
            print(f"peak RSS, bulk vs a quarter of it: {rss['c']:.1f} MB vs {rss['c4']:.1f} MB "
                  f"(x{growth:.2f}; target <= x{MEMORY_GROWTH_LIMIT})")
            ok = ok and growth <= MEMORY_GROWTH_LIMIT
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"targets: {'met' if ok else 'NOT met'}")
    finally:
        if args.keep:
            print(f"captures kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
