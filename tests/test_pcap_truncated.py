"""A capture cut short by another program while kslab reads it (issue #16): the read ends where the file
now ends, with a clean result, never a signal. (A mapped file would die of SIGBUS here, touching pages the
file no longer has: each check runs in a child process, so that failure shows as a negative exit code
instead of killing the test run.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kslab.pcap.capture import CaptureReader
from kslab.pcap.write import PcapWriter, TcpConversation

#: Connections in the capture: about 3 MB, three times the reader's 1 MiB block.
CONNECTIONS = 2500


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cut") / "growing.pcap"
    with path.open("wb") as fh:
        writer = PcapWriter(fh)
        for i in range(CONNECTIONS):
            conv = TcpConversation(writer, (f"10.1.{i >> 8}.{i & 0xFF}", 40000 + i % 20000), ("10.2.0.1", 8080))
            ts = 1_700_000_000.0 + i * 0.01
            conv.open(ts)
            conv.send(0, b"GET /%d HTTP/1.1\r\nHost: web\r\n\r\n" % i, ts + 0.001)
            conv.send(1, b"HTTP/1.1 200 OK\r\nContent-Length: 600\r\n\r\n" + b"x" * 600, ts + 0.002)
            conv.close(0, ts + 0.003)
            conv.close(1, ts + 0.003)
    assert path.stat().st_size > 3 << 20
    return path


def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120)


#: Reads the capture packet by packet, touching every byte of every frame; after the 10th packet (the first
#: block is in memory, the rest is not read yet) the file is cut to a third, in the middle of a packet.
READER = """
import os, sys
from kslab.pcap.capture import open_capture
path = sys.argv[1]
size = os.path.getsize(path)
stream, reader = open_capture(path)
total = 0
for n, (_ts, _link, frame, _wire) in enumerate(reader, 1):
    total += len(bytes(frame))
    if n == 10:
        os.truncate(path, size // 3)
stream.close()
print(reader.packets, reader.truncated, total)
"""


def test_a_file_cut_while_read_ends_at_its_new_end(capture: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.pcap"
    path.write_bytes(capture.read_bytes())
    size = path.stat().st_size
    done = run(READER, str(path))
    assert done.returncode == 0, (done.returncode, done.stderr)  # -7 would be SIGBUS
    packets, truncated, total = done.stdout.split()
    # Everything up to the new end was read, and no more: some packets of the first third, not all.
    assert 10 < int(packets) and int(total) < size // 3
    full = run(READER.replace("os.truncate(path, size // 3)", "pass"), str(capture))
    assert int(packets) < int(full.stdout.split()[0])
    assert truncated == "True"  # size // 3 falls inside a packet: the last one is cut off and reported


#: ``kslab pcap summary`` while another program cuts the file: the cut comes when the reader asks for
#: its second block, so the first one is being analysed.
SUMMARY = """
import os, sys
from kslab.pcap import capture
path = sys.argv[1]
fill, calls = capture._Window.fill, []
def cut_then_fill(self, buf, pos, need):
    calls.append(pos)
    if len(calls) == 2:
        os.truncate(path, os.path.getsize(path) // 2)
    return fill(self, buf, pos, need)
capture._Window.fill = cut_then_fill
from kslab.cli.main import main
sys.exit(main(["pcap", "summary", path]))
"""


def test_the_summary_of_a_file_cut_while_read_is_a_clean_result(capture: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.pcap"
    path.write_bytes(capture.read_bytes())
    done = run(SUMMARY, str(path))
    assert done.returncode == 0, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    last = done.stdout.rstrip().splitlines()[-1]
    packets = int(last.split()[0])
    with capture.open("rb") as whole:
        assert 0 < packets < sum(1 for _ in CaptureReader(whole))  # it stopped at the cut
    assert last.endswith("the file ends in the middle of a packet (capture interrupted?)")
