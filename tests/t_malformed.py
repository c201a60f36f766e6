#!/usr/bin/env python3
"""Malformed and hostile input from a raw client: each gets the right
answer (or a clean close), a log line, and the daemon keeps serving."""
import socket
import time

from harness import *

echo = EchoServer()
# A pool held at two workers (the spare bounds keep it there).
sd = Sockd("negotiate-timeout = 2\nmin-spare-workers = 1\nmax-spare-workers = 2\n",
           workers=2).start()


def exchange(data, read=64, timeout=5):
    """Send data, then read until EOF: (bytes, closed)."""
    s = connect(sd.port)
    s.sendall(data)
    out = recv_all(s, timeout)
    s.close()
    if out is None:
        return None, False
    return out[:read], True


def still_serving(what):
    s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
    s.sendall(b"alive")
    ok = rep is not None and rep[0] == 0 and recv_exact(s, 5) == b"alive"
    s.close()
    check(ok, "still serving after %s" % what)


# Greetings.
out, closed = exchange(b"\x06\x01\x00")
check(closed and out == b"", "greeting with version 6: closed without a reply")
out, closed = exchange(b"GET / HTTP/1.0\r\n\r\n")
check(closed and out == b"", "HTTP request instead of SOCKS: closed")
out, closed = exchange(b"\x05\x00")
check(closed and out == b"\x05\xff", "greeting with no methods: 0xFF then close")
out, closed = exchange(b"\x05\x01\x01")
check(closed and out == b"\x05\xff", "only GSSAPI offered: 0xFF then close")
out, closed = exchange(b"\x05\x03\x80\x81\xfe")
check(closed and out == b"\x05\xff", "only unknown methods offered: 0xFF then close")
check(" version=- " in sd.session_line("not SOCKS: first byte 0x06"), "log: version 6 is version=-")
check(" version=- " in sd.session_line("not SOCKS: first byte 0x47"), "log: HTTP is version=-, not 71")
s = connect(sd.port)
s.close()
check(" version=- user=- cmd=- " in sd.session_line('end="client closed during negotiation"'),
      "log: a client that sent nothing is version=-, not 0")
still_serving("bad greetings")

# Requests.
g = b"\x05\x01\x00"
out, closed = exchange(g + b"\x05\x01\x00\x05\x01\x02\x03\x04\x00\x50")
check(closed and out[:2] == b"\x05\x00" and out[2:4] == b"\x05\x08", "unknown ATYP 0x05: REP 0x08")
check(" cmd=connect " in sd.session_line("unknown address type"),
      "log: a request answered 0x08 was read: cmd=connect, not cmd=-")
out, closed = exchange(b"\x04\x01\x00\x50\x00\x00\x00\x01user\x00\x00")
check(closed and out[:2] == b"\x00\x5b" and " cmd=connect " in sd.session_line("malformed SOCKS4 request: empty 4a host name"),
      "SOCKS4a with an empty host name: 91, cmd=connect and the reason in the log")
out, closed = exchange(b"\x04\x01\x00\x50\x7f\x00\x00\x01" + b"U" * 1025 + b"\x00")
check(closed and out[:2] == b"\x00\x5b" and sd.session_line("USERID longer than 1024 bytes") != "",
      "SOCKS4 with a 1025-byte USERID: 91, and the log says the USERID is too long")
out, closed = exchange(g + b"\x05\x07\x00\x01\x7f\x00\x00\x01\x00\x50")
check(closed and out[2:4] == b"\x05\x07", "unknown CMD 0x07: REP 0x07")
for cmd in (0x00, 0x04, 0xff):
    out, closed = exchange(g + b"\x05" + bytes([cmd]) + b"\x00\x01\x7f\x00\x00\x01\x00\x50")
    l = sd.session_line("unsupported command 0x%02x" % cmd)
    check(closed and out[2:4] == b"\x05\x07" and " cmd=unknown " in l,
          "unknown CMD 0x%02x: REP 0x07, cmd=unknown in the log" % cmd)
out, closed = exchange(g + b"\x04\x01\x00\x01\x7f\x00\x00\x01\x00\x50")
check(closed and out == b"\x05\x00", "request with version 4 after a SOCKS5 greeting: closed")
out, closed = exchange(g + b"\x05\x01\x00\x03\x00\x00\x50")
check(closed and out[2:4] == b"\x05\x04", "zero-length name: REP 0x04 (host unreachable)")
out, closed = exchange(g + b"\x05\x01\x00\x03\x0alocal\x00host\x00\x50")
l = sd.session_line("bad name: empty or with a NUL byte")
check(closed and out[2:4] == b"\x05\x04" and "reply=0x04" in l,
      "a name with a NUL byte: REP 0x04, the reason logged")
out, closed = exchange(g + b"\x05\x09\x00\x03\x00\x00\x50")
check(closed and out[2:4] == b"\x05\x07", "an unknown command with an empty name: REP 0x07 first")
name = b"a" * 255
out, closed = exchange(g + b"\x05\x01\x00\x03\xff" + name + b"\x00\x50", timeout=15)
check(closed and out[2:4] in (b"\x05\x04", b"\x05\x01"), "255-byte unresolvable name: REP 0x04")
still_serving("bad requests")

# Truncated messages, then silence: closed at the negotiation timeout.
for what, data in (("silent client", b""), ("half a greeting", b"\x05\x02\x00"),
                   ("half a request", g + b"\x05\x01\x00\x03\x10abc")):
    s = connect(sd.port)
    s.sendall(data)
    t0 = time.time()
    out = recv_all(s, 8)
    dt = time.time() - t0
    s.close()
    check(out is not None and 1.5 < dt < 4.5, "%s closed at the negotiation timeout (%.1fs)" % (what, dt))
check(sd.wait_log('end="negotiation timeout"', 5, 3), "negotiation timeouts logged")

# A client that closes or resets half-way.
for data in (b"\x05", g + b"\x05\x01"):
    s = connect(sd.port)
    s.sendall(data)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
still_serving("clients that reset half-way")

# Random garbage, many times.
for i in range(50):
    exchange(b"\x05" + os.urandom(i * 7 % 300), timeout=3)
still_serving("50 random requests")
check(sd.proc.poll() is None, "the master is still running")
check(len(sd.workers()) == 2, "both workers are alive")
check("killed by signal" not in sd.logtext(), "no worker crashed")
sd.stop()
finish()
