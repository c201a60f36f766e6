#!/usr/bin/env python3
"""SOCKS5 BIND with a raw client: both replies, data both ways with a
"remote" that connects in, a wrong remote refused, the timeout, the
control connection closing while waiting, IPv6, names, `external`."""
import re
import socket
import struct
import time

from harness import *


def remote_connect(host, port, src="127.0.0.1"):
    """The "remote" host of a BIND: connect in from src."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    r = socket.socket(fam, socket.SOCK_STREAM)
    r.settimeout(10)
    r.bind((src, 0))
    r.connect((host, port))
    return r


def port_closed(host, port):
    """Does a connection to the BIND port fail (it was closed)?"""
    try:
        remote_connect(host, port).close()
        return False
    except OSError:
        return True


def bind_session(port, dst, dport=0, proxy="127.0.0.1"):
    """Greeting and BIND request: (control socket, first reply)."""
    s = s5_open(port, proxy)
    return s, s5_request(s, 2, dst, dport)


def bind_to_name(port, name="localhost"):
    """BIND to a name, the remote connecting in from the first reply's
    family: (first reply, second reply)."""
    c, rep1 = bind_session(port, name, 0)
    ok = rep1 is not None and rep1[0] == 0
    r = remote_connect(rep1[1], rep1[2], src="::1" if ":" in rep1[1] else "127.0.0.1") if ok else None
    rep2 = s5_reply(c) if ok else None
    c.close()
    if r:
        r.close()
    return rep1, rep2


port6 = free_port(socket.AF_INET6)
port4 = free_port()
sd = Sockd("bind-timeout = 2\n", port=port4,
           listen=["127.0.0.1:%d" % port4, "[::1]:%d" % port6])
rc, out = sd.check_conf()
check(rc == 0, "sockd -n accepts bind-timeout")
sd.start()

# The whole exchange: two replies, then a relay both ways.
c, rep1 = bind_session(sd.port, "127.0.0.1", 21)
check(rep1 is not None and rep1[0] == 0 and rep1[1] == "127.0.0.1" and rep1[2] > 0,
      "first reply: REP 0x00, BND.ADDR 127.0.0.1 and a port")
# Waiting for its remote, the BIND is past negotiation on the scoreboard.
me = "client=127.0.0.1:%d " % c.getsockname()[1]
sd.signal(signal.SIGUSR1)
sd.wait_log(me, 5)
check(re.search(r"state=relaying .*" + re.escape(me) + r"user=- target=127\.0\.0\.1:21 ",
                sd.logtext()) is not None,
      "SIGUSR1 while the BIND waits: relaying, with its target (%r)"
      % [l for l in sd.logtext().splitlines() if me in l][:1])
r = remote_connect(rep1[1], rep1[2])
rep2 = s5_reply(c)
check(rep2 is not None and rep2[0] == 0 and rep2[1] == "127.0.0.1" and rep2[2] == r.getsockname()[1],
      "second reply: REP 0x00 with the remote's address and port")
c.sendall(b"from client")
check(recv_exact(r, 11) == b"from client", "client to remote")
r.sendall(b"from remote!")
check(recv_exact(c, 12) == b"from remote!", "remote to client")
payload = os.urandom(200000)
r.sendall(payload)
r.shutdown(socket.SHUT_WR)
check(recv_all(c, 10) == payload, "200000 bytes remote to client, then the remote's EOF")
c.close()
r.close()
l = sd.session_line("cmd=bind target=127.0.0.1:21 ")
check("remote=127.0.0.1:%d" % rep2[2] in l and "reply=0x00" in l and
      "bytes_out=11" in l and "bytes_in=%d" % (12 + len(payload)) in l,
      "log: cmd=bind, the remote as remote=, the byte counts")

# Data the client sends before the remote arrives is kept for it.
c, rep1 = bind_session(sd.port, "127.0.0.1", 0)
c.sendall(b"early")
time.sleep(0.2)
r = remote_connect(rep1[1], rep1[2])
rep2 = s5_reply(c)
check(rep2 and rep2[0] == 0 and recv_exact(r, 5) == b"early",
      "bytes sent before the second reply reach the remote")
c.close()
r.close()

# A remote other than DST.ADDR is refused: REP 0x02, then close.
c, rep1 = bind_session(sd.port, "127.0.0.1", 0)
r = remote_connect(rep1[1], rep1[2], src="127.0.0.2")
rep2 = s5_reply(c)
check(rep2 is not None and rep2[0] == 2, "a remote from 127.0.0.2 gets the client REP 0x02")
check(recv_all(c, 5) == b"", "the control connection is closed after REP 0x02")
try:
    r.settimeout(5)
    got = r.recv(10)
except OSError:
    got = b""
check(got == b"", "the wrong remote's connection is closed")
r.close()
c.close()
check("not DST.ADDR" in sd.session_line("127.0.0.2"), "log: the wrong remote and why")

# DST.ADDR 0.0.0.0: any remote may connect.
c, rep1 = bind_session(sd.port, "0.0.0.0", 0)
check(rep1 and rep1[0] == 0 and rep1[1] == "127.0.0.1",
      "BIND 0.0.0.0: BND.ADDR is the address the client came in on")
r = remote_connect(rep1[1], rep1[2], src="127.0.0.2")
rep2 = s5_reply(c)
check(rep2 and rep2[0] == 0 and rep2[1] == "127.0.0.2", "BIND 0.0.0.0 accepts a remote from 127.0.0.2")
r.sendall(b"any")
check(recv_exact(c, 3) == b"any", "and relays its bytes")
c.close()
r.close()

# A name: resolved, and the remote must be one of its addresses.
rep1, rep2 = bind_to_name(sd.port)
check(rep1 and rep1[0] == 0 and rep2 and rep2[0] == 0, "BIND to a name (localhost): both replies")

# IPv6: DST.ADDR ::1 gives a listening socket on [::1].
c, rep1 = bind_session(sd.port, "::1", 0)
check(rep1 and rep1[0] == 0 and rep1[1] == "::1", "BIND ::1: BND.ADDR is ::1")
r = remote_connect("::1", rep1[2], src="::1")
rep2 = s5_reply(c)
check(rep2 and rep2[0] == 0 and rep2[1] == "::1" and rep2[2] == r.getsockname()[1],
      "BIND ::1: second reply with the IPv6 remote")
r.sendall(b"v6")
check(recv_exact(c, 2) == b"v6", "BIND ::1: data flows")
c.close()
r.close()

# A v4-mapped DST.ADDR is IPv4: the remote connects from 127.0.0.1.
c, rep1 = bind_session(sd.port, "::ffff:127.0.0.1", 0)
check(rep1 and rep1[0] == 0 and rep1[1] == "127.0.0.1", "BIND ::ffff:127.0.0.1: BND.ADDR 127.0.0.1")
r = remote_connect(rep1[1], rep1[2])
rep2 = s5_reply(c)
check(rep2 and rep2[0] == 0 and rep2[1] == "127.0.0.1", "BIND ::ffff:127.0.0.1: the IPv4 remote is accepted")
c.close()
r.close()

# Through the IPv6 listener.
c, rep1 = bind_session(port6, "::", 0, proxy="::1")
check(rep1 and rep1[0] == 0 and rep1[1] == "::1", "client on [::1], DST ::: BND.ADDR ::1")
c.close()

# SOCKS4 through the IPv6 listener: its reply holds IPv4 only, so a BIND
# for any host that came in on ::1 listens on 127.0.0.1 (it got 91).
c = connect(port6, "::1")
c.sendall(b"\x04\x02\x00\x00" + socket.inet_aton("0.0.0.0") + b"u6\x00")
rep1 = recv_exact(c, 8)
bport = int.from_bytes(rep1[2:4], "big") if len(rep1) == 8 else 0
check(rep1[:2] == b"\x00\x5a" and rep1[4:8] == socket.inet_aton("127.0.0.1") and bport > 0,
      "SOCKS4 BIND 0.0.0.0 on [::1]: 90 with 127.0.0.1 and a port (%r)" % rep1)
r = remote_connect("127.0.0.1", bport) if bport else None
rep2 = recv_exact(c, 8)
check(r is not None and rep2[:2] == b"\x00\x5a" and rep2[4:8] == socket.inet_aton("127.0.0.1")
      and int.from_bytes(rep2[2:4], "big") == r.getsockname()[1],
      "SOCKS4 BIND on [::1]: the second reply names the remote")
if r:
    r.sendall(b"v4 remote")
    check(recv_exact(c, 9) == b"v4 remote", "SOCKS4 BIND on [::1]: data flows")
    r.close()
c.close()

# A remote that connects and resets before the worker accepts it: the
# second reply still names it (it got 0x02 "connection from -, not
# DST.ADDR", or for DST 0.0.0.0 0x00 with 0.0.0.0:0), then the reset.
for dst in ("127.0.0.1", "0.0.0.0"):
    c, rep1 = bind_session(sd.port, dst, 0)
    r = remote_connect("127.0.0.1", rep1[2])
    rport = r.getsockname()[1]
    r.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    r.close()
    rep2 = s5_reply(c)
    check(rep2 is not None and rep2[0] == 0 and rep2[1] == "127.0.0.1" and rep2[2] == rport,
          "DST %s, a remote reset before accept: the second reply names it (%r)" % (dst, rep2))
    check(recv_all(c, 2) == b"", "  ... then the control connection ends")
    c.close()
    l = sd.session_line("remote=127.0.0.1:%d " % rport)
    check("reply=0x00" in l and "Connection reset by peer" in l, "  ... and the line says so: %s"
          % l[l.find("reply="):])

# A client that filled the worker's buffer while waiting, then closed:
# the BIND ends at once, its port closed (it waited for bind-timeout).
c, rep1 = bind_session(sd.port, "127.0.0.1", 0)
c.sendall(b"x" * 100000)
c.close()
t0 = time.time()
l = sd.session_line("target=127.0.0.1:0 remote=- reply=0x00(succeeded) bytes_out=0", 5)
check("client closed while waiting for the BIND connection" in l and time.time() - t0 < 1.5,
      "client gone with a full buffer: ends at once (%.1f s): %s" % (time.time() - t0, l[l.find("end="):]))
check(port_closed(rep1[1], rep1[2]), "  ... and the BIND port is closed")

# No remote within bind-timeout: REP 0x06 after ~2 s.
t0 = time.time()
c, rep1 = bind_session(sd.port, "127.0.0.1", 0)
rep2 = s5_reply(c, 10)
dt = time.time() - t0
check(rep2 is not None and rep2[0] == 6 and 1.5 < dt < 6, "bind-timeout: REP 0x06 after %.1f s" % dt)
c.close()
check("no connection within bind-timeout" in sd.session_line("reply=0x06"), "log: the bind timeout")

# The control connection closing while waiting ends the BIND.
c, rep1 = bind_session(sd.port, "127.0.0.1", 0)
c.close()
l = sd.session_line("client closed while waiting for the BIND connection")
check("cmd=bind" in l and "reply=0x00" in l, "control closed while waiting: one log line")
time.sleep(0.2)
check(port_closed(rep1[1], rep1[2]), "control closed while waiting: the BIND port is closed")

# Urgent bytes the peer sends the moment it is connected reach the client
# in their place: the BIND socket reads them inline from the start (set
# after accept(), a second urgent byte made the kernel drop the first).
results = []
for _ in range(5):
    c, rep1 = bind_session(sd.port, "127.0.0.1", 0)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
    r = remote_connect(rep1[1], rep1[2])
    r.send(b"!", socket.MSG_OOB)
    r.send(b"?", socket.MSG_OOB)
    r.sendall(b"xy")
    r.close()
    s5_reply(c)
    results.append(recv_all(c, 5))
    c.close()
check(all(x == b"!?xy" for x in results),
      "BIND: urgent bytes sent at once arrive in their place (%r)" % results)

sd.stop()

# external: the BIND socket listens there, whatever the route says.
sd2 = Sockd('external = "127.0.0.3"\nbind-timeout = 5\n')
check(sd2.check_conf()[0] == 0, "sockd -n accepts external = \"127.0.0.3\"")
sd2.start()
c, rep1 = bind_session(sd2.port, "127.0.0.1", 0)
check(rep1 and rep1[0] == 0 and rep1[1] == "127.0.0.3", "external: BND.ADDR 127.0.0.3")
r = remote_connect("127.0.0.3", rep1[2])
rep2 = s5_reply(c)
check(rep2 and rep2[0] == 0, "external: the remote connects in")
c.close()
r.close()
sd2.stop()

# A name under rules that need its addresses (a block on one address
# first, as the sample config's): each address is checked, as for
# CONNECT, and the BIND goes on from the ones let through.
sd3 = Sockd("bind-timeout = 5\n", rules='''
client pass { from = { "127.0.0.0/8", "::1" } }
socks block { to = "127.0.0.9" }
socks pass { from = { "127.0.0.0/8", "::1" } to = "0/0" }
''')
sd3.start()
rep1, rep2 = bind_to_name(sd3.port)
check(rep1 and rep1[0] == 0 and rep2 and rep2[0] == 0,
      "BIND to localhost behind a block on 127.0.0.9: both replies (%s)" % (rep1,))
s = connect(sd3.port)
s.sendall(b"\x04\x02\x00\x00\x00\x00\x00\x01\x00localhost\x00")
rep = recv_exact(s, 8)
check(len(rep) == 8 and rep[1] == 90, "SOCKS4a BIND to localhost behind the same block: 90")
s.close()
sd3.stop()
sd4 = Sockd("bind-timeout = 5\n", rules='''
client pass { from = { "127.0.0.0/8", "::1" } }
socks block { to = { "127.0.0.0/8", "::1" } }
socks pass { from = { "127.0.0.0/8", "::1" } to = "0/0" }
''')
sd4.start()
c, rep1 = bind_session(sd4.port, "localhost", 0)
check(rep1 is not None and rep1[0] == 2, "BIND to localhost when all its addresses are blocked: REP 0x02")
c.close()
check("reply=0x02" in sd4.session_line('end="blocked by socks rule #1 (') and
      re.search(r'end="blocked by socks rule #1 \([^)]*\) resolved=(127\.0\.0\.1|::1)( \(and 1 more\))?"',
                sd4.logtext()),
      "  ... and the session line says why")
sd4.stop()

# external = an interface (Dante's external: eth0): its address of the
# expected host's family, looked up at each BIND.
sd5 = Sockd('external = "lo"\nbind-timeout = 5\n')
check(sd5.check_conf()[0] == 0, "sockd -n accepts external = \"lo\"")
sd5.start()
for dst, want in (("127.0.0.1", "127.0.0.1"), ("::1", "::1")):
    c, rep1 = bind_session(sd5.port, dst, 0)
    ok = rep1 is not None and rep1[0] == 0 and rep1[1] == want
    check(ok, "external = \"lo\", BIND for %s: BND.ADDR %s (%s)" % (dst, want, rep1))
    if ok:
        r = remote_connect(rep1[1], rep1[2], src=want)
        rep2 = s5_reply(c)
        check(rep2 is not None and rep2[0] == 0, "  ... the remote connects in")
        r.close()
    c.close()
s = connect(sd5.port)
s.sendall(b"\x04\x02\x00\x00\x7f\x00\x00\x01\x00")
rep = recv_exact(s, 8)
check(len(rep) == 8 and rep[1] == 90 and rep[4:8] == b"\x7f\x00\x00\x01",
      "external = \"lo\", SOCKS4 BIND: 90 with 127.0.0.1")
s.close()
sd5.stop()

bad = Sockd('external = "nosuchif0"\n')
rc, out = bad.check_conf()
check(rc != 0 and "external: 'nosuchif0' is neither an IPv4 or IPv6 address nor an "
      "interface of this host" in out, "external must be an address or an interface: %s" % out.strip())
finish()
