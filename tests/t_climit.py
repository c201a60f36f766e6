#!/usr/bin/env python3
"""Per-client limits: client-max-sessions and client-rate refuse the
excess from one address with REP 0x01 (SOCKS4: 91) and a log line, while
another address is served; a refused client that stalls is closed
quickly."""
import struct
import time

from harness import *

echo = EchoServer()


def s5(port, src="127.0.0.1"):
    """Greeting and CONNECT from source address src: (socket, REP or None)."""
    s = socket.socket()
    s.settimeout(10)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(b"\x05\x01\x00")
    if recv_exact(s, 2) != b"\x05\x00":
        return s, None
    s.sendall(b"\x05\x01\x00" + s5_addr("127.0.0.1", echo.port))
    r = s5_reply(s)
    return s, (r[0] if r else None)


def s4(port):
    s = connect(port)
    s.sendall(b"\x04\x01" + struct.pack("!H", echo.port) + socket.inet_aton("127.0.0.1") + b"\x00")
    r = recv_exact(s, 8)
    return s, (r[1] if len(r) == 8 else None)


# client-max-sessions
sd = Sockd("client-max-sessions = 2\n", workers=8).start()
a, ra = s5(sd.port)
b, rb = s5(sd.port)
check(ra == 0 and rb == 0, "two sessions from 127.0.0.1 are served")
c, rc = s5(sd.port)
check(rc == 1, "a third at once gets REP 0x01 (got %r)" % rc)
c.close()
c4, r4 = s4(sd.port)
check(r4 == 91, "a SOCKS4 third gets 91 (got %r)" % r4)
c4.close()
o, ro = s5(sd.port, "127.0.0.2")
o.sendall(b"other")
check(ro == 0 and recv_exact(o, 5) == b"other", "another client address (127.0.0.2) is served meanwhile")
time.sleep(0.3)
lines = [l for l in sd.session_lines() if "client limit" in l]
check(len(lines) == 2 and all("client=127.0.0.1:" in l for l in lines) and
      any('reply=0x01(general failure)' in l and
          'end="client limit: 3 sessions at once (client-max-sessions 2)"' in l for l in lines),
      "each refusal is logged with the limit (%d lines)" % len(lines))
a.close()
time.sleep(0.3)
d, rd = s5(sd.port)
d.sendall(b"again")
check(rd == 0 and recv_exact(d, 5) == b"again", "once one ends, a new session is served")
for x in (b, d, o):
    x.close()

# A refused client that sends nothing is closed after a short deadline.
sd.write_conf(open(sd.conf).read().replace("negotiate-timeout", "#") + "negotiate-timeout = 10\n")
sd.stop()
sd.start()
a, ra = s5(sd.port)
b, rb = s5(sd.port)
t0 = time.time()
c = connect(sd.port)
got = recv_all(c, 10)
took = time.time() - t0
check(got == b"" and 0.8 <= took < 2.5, "a refused client that stalls is closed after ~1 s, not "
      "negotiate-timeout=10 (%.1f s)" % took)
for x in (a, b, c):
    x.close()
sd.stop()

# client-rate
sd = Sockd("client-rate = 3\nclient-rate-interval = 3\n", workers=6).start()
t0 = time.time()
reps = []
for i in range(5):
    s, r = s5(sd.port)
    reps.append(r)
    s.close()
check(reps == [0, 0, 0, 1, 1], "client-rate=3: three new sessions served, the next two refused (%s)" % reps)
o, ro = s5(sd.port, "127.0.0.2")
check(ro == 0, "another client address is not limited")
o.close()
time.sleep(0.3)
check(any("client limit: more than 3 new sessions in 3 s (client-rate)" in l and "reply=0x01" in l
          for l in sd.session_lines()), "the rate refusal is logged")
time.sleep(max(0, 3.2 - (time.time() - t0)))
s, r = s5(sd.port)
check(r == 0, "after the interval the client is served again")
s.close()
sd.stop()
finish()
