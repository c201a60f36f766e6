#!/usr/bin/env python3
"""Urgent data behind a gap.  A TCP segment with URG set that arrives out
of order makes the kernel say POLLPRI at once, while read() must wait
for the missing bytes: a relay that asked for POLLPRI again would spin
at 100% CPU and never reach idle-timeout.  The worker must sleep, end
the session at idle-timeout, and once the gap is filled pass the bytes
on with the urgent byte in its place.

The segment is forged from a raw socket, with the sequence numbers read
through TCP_REPAIR, in a network namespace of the test's own (unshare
-n: loopback only, its own sysctls), which takes root: elsewhere the
test is skipped."""
import os
import struct
import subprocess
import sys
import time

from harness import *

in_own_network("T_URGENT_GAP_NS")
with open("/proc/sys/net/ipv4/tcp_timestamps", "w") as f:
    f.write("0")      # the forged segment carries no timestamp option

TCP_REPAIR, TCP_REPAIR_QUEUE, TCP_QUEUE_SEQ = 19, 20, 21


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def urgent_segment(src, dst, seq, ack, payload, urp):
    """ACK|PSH|URG, no options, checksummed."""
    hdr = struct.pack("!HHIIBBHHH", src[1], dst[1], seq, ack, 5 << 4,
                      0x10 | 0x08 | 0x20, 65535, 0, urp)
    ph = (socket.inet_aton(src[0]) + socket.inet_aton(dst[0]) +
          struct.pack("!BBH", 0, 6, len(hdr) + len(payload)))
    return hdr[:16] + struct.pack("!H", csum(ph + hdr + payload)) + hdr[18:] + payload


def queue_seqs(c):
    """The next sequence numbers c sends and expects."""
    c.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1)
    c.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, 2)
    snd = struct.unpack("I", c.getsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ, 4))[0]
    c.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, 1)
    rcv = struct.unpack("I", c.getsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ, 4))[0]
    c.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 0)
    return snd, rcv


def worker_ticks(sd):
    ticks = 0
    for pid in sd.workers():
        try:
            f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
            ticks += int(f[11]) + int(f[12])
        except OSError:
            pass
    return ticks


sd = Sockd("idle-timeout = 3\n", workers=2).start()
held = []
tgt = TcpServer(lambda c: held.append(c) or time.sleep(30))
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)


def session_with_gap(warm=0):
    """A CONNECT whose target forges "ABC!" (urgent "!") 10 bytes ahead."""
    del held[:]
    s, rep = s5_connect(sd.port, "127.0.0.1", tgt.port)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
    for _ in range(100):
        if held:
            break
        time.sleep(0.05)
    c = held[0]
    if warm:
        c.sendall(b"z" * warm)
        recv_exact(s, warm)
    snd, rcv = queue_seqs(c)
    raw.sendto(urgent_segment(c.getsockname(), c.getpeername(),
                              (snd + 10) & 0xffffffff, rcv, b"ABC!", 4),
               ("127.0.0.1", 0))
    return s, c


for what, warm in (("read()", 0), ("splice()", 300 * 1024)):
    s, c = session_with_gap(warm)
    t0 = worker_ticks(sd)
    time.sleep(2)
    spun = worker_ticks(sd) - t0
    check(spun < 20, "%s: urgent data behind a gap: the worker sleeps (%d CPU ticks in 2 s)"
          % (what, spun))
    s.settimeout(8)
    try:
        how = "data" if s.recv(100) else "eof"
    except socket.timeout:
        how = "still open"
    except ConnectionResetError:
        how = "reset"
    check(how in ("eof", "reset"), "%s: ... and idle-timeout ends the session (%s)" % (what, how))
    s.close()
    c.close()

s, c = session_with_gap()
time.sleep(0.5)
c.sendall(b"0123456789")
got = b""
s.settimeout(5)
try:
    while len(got) < 14:
        d = s.recv(100)
        if not d:
            break
        got += d
except OSError:
    pass
check(got == b"0123456789ABC!", "the gap filled: the bytes, the urgent byte in its place (%r)" % got)
s.close()
c.close()
check(sd.stop() == 0, "SIGTERM: exit status 0")
finish()
