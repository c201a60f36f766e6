#!/usr/bin/env python3
"""How a relayed stream ends: a reset on one side reaches the other as a
reset (a cut download must not look complete); a reset after a half-close
is noticed at once, not at idle-timeout; a slow reader is not idle; a
peer that reads nothing is, and its cut is a reset."""
import re
import socket
import struct
import threading
import time

from harness import *


def reset(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def read_until_end(s, timeout=10):
    """Read until EOF or an error: (bytes, "eof" | "reset" | "timeout")."""
    s.settimeout(timeout)
    got = 0
    while True:
        try:
            d = s.recv(65536)
        except ConnectionResetError:
            return got, "reset"
        except socket.timeout:
            return got, "timeout"
        if not d:
            return got, "eof"
        got += len(d)


def blast_then_reset(c):
    """Send 8 MiB as fast as the proxy takes it, then reset."""
    c.setblocking(False)
    chunk = b"x" * 65536
    end = time.time() + 0.3
    while time.time() < end:
        try:
            c.send(chunk)
        except BlockingIOError:
            time.sleep(0.01)
        except OSError:
            break
    reset(c)


def answer_then_reset(c):
    """Read the request, send a 100 KB answer, reset 0.2 s later."""
    c.settimeout(5)
    try:
        c.recv(100)
        c.sendall(b"z" * 100000)
        time.sleep(0.2)
    except OSError:
        pass
    reset(c)


def silent(c):
    """Take the connection and say nothing, for up to 20 s."""
    time.sleep(20)
    c.close()


def big_source(c):
    """32 MiB, at whatever pace the other end reads."""
    try:
        c.sendall(b"y" * (32 << 20))
    except OSError:
        pass
    c.close()


sd = Sockd("idle-timeout = 2\n", workers=4).start()

# The target resets while the client has not read everything yet.
t = TcpServer(blast_then_reset)
s, rep = s5_connect(sd.port, "127.0.0.1", t.port)
check(rep and rep[0] == 0, "CONNECT to a target that will reset")
time.sleep(1.0)
got, how = read_until_end(s)
s.close()
check(how == "reset", "the target's reset reaches the client as a reset, not an EOF (%s after %d bytes)"
      % (how, got))
line = sd.session_line("target=127.0.0.1:%d" % t.port)
check(re.search(r'end="target (read )?error: Connection reset by peer"', line),
      "log: the target's reset (%s)" % line[line.find("end="):])

# The bytes a resetting target sent before its reset all reach the client
# (as they would directly), even one that reads late through a small
# window: then the reset.
ta = TcpServer(answer_then_reset)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
s.settimeout(10)
s.connect(("127.0.0.1", sd.port))
s.sendall(b"\x05\x01\x00")
recv_exact(s, 2)
s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", ta.port))
rep = recv_exact(s, 10)
s.sendall(b"GET")
time.sleep(1.0)
got, how = read_until_end(s)
s.close()
check(rep[1] == 0 and got == 100000 and how == "reset",
      "an answer then a reset: all 100000 bytes, then the reset (%d, %s)" % (got, how))

# The client half-closes, then resets, while the target is silent: the
# session ends at once, and the target sees a reset.
t2_conns = []
t2 = TcpServer(lambda c: t2_conns.append(c) or silent(c))
s, rep = s5_connect(sd.port, "127.0.0.1", t2.port)
s.sendall(b"request")
s.shutdown(socket.SHUT_WR)
time.sleep(0.3)
t0 = time.time()
reset(s)
line = sd.session_line("target=127.0.0.1:%d" % t2.port, timeout=5)
check("client error: Connection reset by peer" in line and time.time() - t0 < 1.5,
      "a reset after a half-close ends the session at once (%.2f s): %s"
      % (time.time() - t0, line[line.find("end="):]))
got, how = read_until_end(t2_conns[0], 5) if t2_conns else (0, "")
try:
    for _ in range(3):
        t2_conns[0].send(b"answer")
        time.sleep(0.1)
    answered = "delivered"
except OSError as e:
    answered = str(e)
check(got == 7 and how == "eof" and ("reset" in answered.lower() or "broken pipe" in answered.lower()),
      "the target got the request and the EOF, then its answer meets a reset (%s)" % answered)

# A slow reader (100 KB/s, below what wakes poll within idle-timeout) is
# not idle: 6 s of reading past a 2 s idle-timeout.
t3 = TcpServer(big_source)
s, rep = s5_connect(sd.port, "127.0.0.1", t3.port)
s.settimeout(5)
got, end = 0, time.time() + 6
while time.time() < end:
    try:
        d = s.recv(10000)
    except OSError:
        break
    if not d:
        break
    got += len(d)
    time.sleep(0.1)
s.close()
check(got >= 500000, "a reader at 100 KB/s for 6 s through idle-timeout 2 s: %d bytes, not cut" % got)
line = sd.session_line("target=127.0.0.1:%d" % t3.port)
check("idle timeout" not in line, "log: not an idle timeout (%s)" % line[line.find("end="):])

# A client that reads nothing while the target has sent: idle, and the
# cut reaches it as a reset (the bytes it never read were not delivered).
s, rep = s5_connect(sd.port, "127.0.0.1", t3.port)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
time.sleep(3.5)
line = sd.session_line("idle timeout", timeout=3)
got, how = read_until_end(s, 5)
s.close()
check(line != "" and "target=127.0.0.1:%d" % t3.port in line, "a client that reads nothing: idle timeout")
check(how == "reset", "... and the cut reaches it as a reset (%s after %d bytes)" % (how, got))

# A target that sends more than the client reads, then resets: its bytes
# wait for a client that never reads them, so idle-timeout ends it; the
# log keeps both reasons.
tb = TcpServer(blast_then_reset)
s, rep = s5_connect(sd.port, "127.0.0.1", tb.port)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
line = sd.session_line("target=127.0.0.1:%d" % tb.port, timeout=8)
s.close()
check(re.search(r'end="target (read )?error: Connection reset by peer, then idle timeout"', line),
      "log: a reset target's bytes not delivered: both reasons (%s)" % line[line.find("end="):])

def worker_ticks():
    ticks = 0
    for pid in sd.workers():
        try:
            f = open("/proc/%d/stat" % pid).read().split(")")[1].split()
            ticks += int(f[11]) + int(f[12])
        except OSError:
            pass
    return ticks


# Urgent data (MSG_OOB) is passed on as urgent data, in its place: a
# reader with SO_OOBINLINE sees it inline where it was sent, as over a
# direct connection, and a reader without sees the stream without it.
# Once a direction is on splice() (past 256 KiB), splice() stops at the
# mark while poll() says POLLIN: no worker may spin there.
def read_inline(c, into):
    c.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
    data = b""
    c.settimeout(10)
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            data += d
    except OSError:
        pass
    into.append(data)
    c.close()


def read_plain(c, into):
    into.append(read_until_end(c, 10))


def urgent_case(before, after, reader=read_inline):
    """Send before, an urgent "!", after: (what the target got, worker
    CPU ticks in the second after)."""
    got = []
    t = TcpServer(lambda c: reader(c, got))
    s, rep = s5_connect(sd.port, "127.0.0.1", t.port)
    s.sendall(before)
    time.sleep(0.3)
    s.send(b"!", socket.MSG_OOB)
    time.sleep(0.2)
    s.sendall(after)
    t0 = worker_ticks()
    time.sleep(1.0)
    spun = worker_ticks() - t0
    s.shutdown(socket.SHUT_WR)
    for _ in range(100):
        if got:
            break
        time.sleep(0.1)
    s.close()
    return (got[0] if got else None), spun


plain, spun = urgent_case(b"a" * (300 * 1024), b"b" * 100000, read_plain)
check(plain == (300 * 1024 + 100000, "eof"),
      "urgent data on the splice path, a reader without SO_OOBINLINE: the rest of the stream (%s)"
      % (plain,))
check(spun < 30, "... and no worker spins meanwhile (%d CPU ticks in 1 s)" % spun)

got, _ = urgent_case(b"ab", b"cd")
check(got == b"ab!cd", "urgent byte passed on in its place, read inline: %r" % got)
big, _ = urgent_case(b"a" * (300 * 1024), b"b" * 100000)
check(big == b"a" * (300 * 1024) + b"!" + b"b" * 100000,
      "... and on the splice path (%d bytes, '!' at %d)" % (len(big), big.find(b"!")))

# The other way: the target sends urgent data to the client.
def target_urgent(c):
    c.sendall(b"xy")
    time.sleep(0.3)
    c.send(b"#", socket.MSG_OOB)
    time.sleep(0.2)
    c.sendall(b"z")
    c.close()


tu = TcpServer(target_urgent)
s, rep = s5_connect(sd.port, "127.0.0.1", tu.port)
s.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
s.settimeout(10)
data = b""
while True:
    try:
        d = s.recv(100)
    except OSError:
        break
    if not d:
        break
    data += d
s.close()
check(data == b"xy#z", "urgent byte from the target reaches the client in its place: %r" % data)

check(sd.stop() == 0, "SIGTERM: exit status 0")
finish()
