#!/usr/bin/env python3
"""Names and connect-timeout.  With a nameserver that never answers, a
CONNECT or BIND to a name gets REP 0x06 once connect-timeout has passed
(not after resolv.conf's 5 s a try), the worker goes on to serve the
next session, a UDP datagram to such a name is dropped without stalling
the association for longer, and SIGTERM still stops the daemon.  A name
whose first address never answers is reached on its second one within
connect-timeout.

The daemon runs in its own mount namespace with a resolv.conf and a
hosts file bound over /etc's, which takes root: elsewhere the test is
skipped."""
import os
import re
import shutil
import struct
import subprocess
import sys
import threading

from harness import *

DNS = "127.0.0.77"


def can_unshare():
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    r = subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=10)
    return r.returncode == 0


if not can_unshare():
    print("skip - needs root and unshare -m for a private /etc/resolv.conf")
    sys.exit(77)


class DeadDns:
    """A nameserver that reads every query and answers none, except for
    names under dns.test: 127.0.0.1 for A, no records for other types.
    names: every name asked, as it came on the wire."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((DNS, 53))
        self.sock.settimeout(0.2)
        self.queries = 0
        self.names = []
        self.stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stop:
            try:
                q, peer = self.sock.recvfrom(4096)
                self.queries += 1
                self._answer(q, peer)
            except (socket.timeout, IndexError, struct.error):
                pass

    def _answer(self, q, peer):
        i, labels = 12, []
        while q[i]:
            labels.append(q[i + 1:i + 1 + q[i]].decode("latin-1"))
            i += 1 + q[i]
        qtype = struct.unpack("!H", q[i + 1:i + 3])[0]
        name = ".".join(labels).lower()
        self.names.append(name)
        if not name.endswith(".dns.test"):
            return
        a = qtype == 1
        r = q[:2] + b"\x81\x80" + struct.pack("!HHHH", 1, 1 if a else 0, 0, 0) + q[12:i + 5]
        if a:
            r += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.1")
        self.sock.sendto(r, peer)


dns = DeadDns()
d = tmpdir()
resolv = os.path.join(d, "resolv.conf")
with open(resolv, "w") as f:
    f.write("nameserver %s\noptions timeout:5 attempts:2\n" % DNS)
os.chmod(resolv, 0o644)
hosts = os.path.join(d, "hosts")
with open(hosts, "w") as f:
    f.write("127.0.0.1 localhost\n::1 localhost ip6-localhost\n"
            "127.0.0.2 two.test\n127.0.0.3 two.test\n"
            "127.0.0.1 self.test\n127.0.0.3 self.test\n")
os.chmod(hosts, 0o644)
wrapper = ["unshare", "-m", "sh", "-c",
           'mount --bind "$0" /etc/resolv.conf && mount --bind "$1" /etc/hosts'
           ' && shift && exec "$@"', resolv, hosts]
echo = EchoServer()
uecho = UdpEchoServer()
sd = Sockd("connect-timeout = 2\nshutdown-timeout = 5\n", workers=1,
           wrapper=wrapper).start()


def timed_request(cmd, host, port, proxy_port=None):
    s = s5_open(proxy_port or sd.port)
    t = time.time()
    rep = s5_request(s, cmd, host, port)
    took = time.time() - t
    s.close()
    return rep, took


def udp_pair(relay, firsts, second, timeout):
    """Through the relay, a datagram to each of firsts, then one to second
    (each (host, port)): what came back and how long it took."""
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    u.settimeout(timeout)
    t = time.time()
    for first in firsts:
        u.sendto(s5_udp_header(*first) + b"lost", relay)
    u.sendto(s5_udp_header(*second) + b"kept", relay)
    try:
        got = u.recvfrom(65535)[0]
    except socket.timeout:
        got = b""
    took = time.time() - t
    u.close()
    return got, took


rep, took = timed_request(1, "hang.example", 80)
check(rep is not None and rep[0] == 0x06, "CONNECT to a name the DNS never answers: REP 0x06")
check(1.5 <= took <= 4.5, "  ... after connect-timeout (2 s), not resolv.conf's 10 s: %.2f s" % took)
check(dns.queries > 0, "  ... the lookup went to the dead nameserver (%d queries)" % dns.queries)
line = sd.session_line("target=hang.example:80")
check("reply=0x06" in line and 'name lookup timed out' in line,
      "  ... the session line says so: %s" % line[line.find("reply="):])

# The same worker goes on: names from /etc/hosts still resolve, data flows.
s, rep = s5_connect(sd.port, "localhost", echo.port, as_name=True)
ok = rep is not None and rep[0] == 0
if ok:
    s.sendall(b"after the hang")
    ok = recv_exact(s, 14) == b"after the hang"
s.close()
check(ok, "next session: CONNECT to localhost by name relays data")

rep, took = timed_request(2, "hang.example", 80)
check(rep is not None and rep[0] == 0x06 and took <= 4.5,
      "BIND to a name the DNS never answers: REP 0x06 in %.2f s" % took)

# UDP: the datagram to the dead name is dropped, the next one still goes.
c = s5_open(sd.port)
rep = s5_request(c, 3, "0.0.0.0", 0)
check(rep is not None and rep[0] == 0, "UDP ASSOCIATE granted")
if rep is not None and rep[0] == 0:
    got, took = udp_pair((rep[1], rep[2]), [("hang.example", 9)], ("127.0.0.1", uecho.port), 8)
    check(got.endswith(b"kept") and uecho.count(b"lost") == 0,
          "UDP: the datagram to the dead name dropped, the next relayed")
    check(took <= 4.5, "  ... the relay waited for the lookup no longer than connect-timeout: %.2f s" % took)
    c.close()

# Three datagrams to the dead name, then a good one: the name that did not
# resolve is not asked again at once, so the association stalls once
# (connect-timeout, 2 s), not three times.
c = s5_open(sd.port)
rep = s5_request(c, 3, "0.0.0.0", 0)
if rep is not None and rep[0] == 0:
    got, took = udp_pair((rep[1], rep[2]), [("hang.example", 9)] * 3,
                         ("127.0.0.1", uecho.port), 10)
    check(got.endswith(b"kept") and took <= 4.5,
          "UDP: 3 datagrams to the dead name stall the association once: the next "
          "relayed in %.2f s" % took)
c.close()

# Two dead names in turn, three datagrams each: each stalls the
# association once (2 x 2 s), not at each datagram (6 x 2 s).
c = s5_open(sd.port)
rep = s5_request(c, 3, "0.0.0.0", 0)
if rep is not None and rep[0] == 0:
    got, took = udp_pair((rep[1], rep[2]),
                         [("hang-a.example", 9), ("hang-b.example", 9)] * 3,
                         ("127.0.0.1", uecho.port), 16)
    check(got.endswith(b"kept") and took <= 6.5,
          "UDP: 2 dead names in turn, 3 datagrams each, stall the association "
          "once each: the next relayed in %.2f s" % took)
c.close()

# two.test is 127.0.0.2, whose listener drops every SYN (its backlog is
# full), then 127.0.0.3, which answers: the first address gets half of
# connect-timeout, the second the rest.
black = socket.socket()
black.bind(("127.0.0.2", 0))
black.listen(0)
bport = black.getsockname()[1]
fillers = []
for _ in range(3):
    f = socket.socket()
    f.setblocking(False)
    f.connect_ex(("127.0.0.2", bport))
    fillers.append(f)
time.sleep(0.2)
good = socket.socket()
good.bind(("127.0.0.3", bport))
good.listen(4)
t = time.time()
s, rep = s5_connect(sd.port, "two.test", bport)
took = time.time() - t
check(rep is not None and rep[0] == 0,
      "CONNECT to a name whose first address never answers: REP 0 from the second")
check(0.7 <= took <= 1.8, "  ... after half of connect-timeout (2 s): %.2f s" % took)
s.close()
for f in fillers + [black, good]:
    f.close()
line = sd.session_line("target=two.test:")
check("remote=127.0.0.3:" in line, "  ... the session line names the second address")

# self.test is 127.0.0.1, sockd's own listener (skipped), then 127.0.0.3:
# the session goes there, and its line does not blame the skipped one.
o = socket.socket()
o.bind(("127.0.0.3", sd.port))
o.listen(4)
s, rep = s5_connect(sd.port, "self.test", sd.port)
check(rep is not None and rep[0] == 0, "CONNECT to a name whose first address is this proxy: REP 0 from the second")
s.close()
c, _ = o.accept()
c.close()
o.close()
line = sd.session_line("target=self.test:")
check("remote=127.0.0.3:" in line and 'end="destination is' not in line,
      "  ... its session line names the second address, not the skipped one")

# SIGTERM while a worker waits for the dead nameserver.
s = s5_open(sd.port)
s.sendall(b"\x05\x01\x00" + s5_addr("hang2.example", 80))
time.sleep(0.5)
t = time.time()
rc = sd.stop(timeout=15)
check(rc == 0 and time.time() - t <= 8,
      "SIGTERM during a hung lookup: exit status %s in %.2f s" % (rc, time.time() - t))
s.close()

# ... the worker waiting for the lookup sees the stop signals: it lets
# go of the listener at once, and the shutdown timeout ends its session,
# with its line, well before connect-timeout and without SIGKILL.
sl = Sockd("connect-timeout = 20\nshutdown-timeout = 1\n", workers=1, wrapper=wrapper).start()
s = s5_open(sl.port)
s.sendall(b"\x05\x01\x00" + s5_addr("hang3.example", 80))
time.sleep(0.5)
t = time.time()
sl.signal(signal.SIGTERM)
closed = refused_within(sl.port)
check(closed is not None and closed < 1, "SIGTERM in a lookup: the listener closes at once (%s s)" % closed)
rc = exit_status(sl.proc)
took = time.time() - t
check(rc == 0 and took < 2.5 and "killed by signal" not in sl.logtext() and
      'end="ended by shutdown"' in sl.session_line("target=hang3.example:80"),
      "  ... and ends at the shutdown timeout (1 s) with its line, no SIGKILL (%.2f s): %s" % (took, sl.session_line("target=hang3.example:80")[-90:]))
s.close()

# A name with a blocked address: one line a session.  two.test is
# Lookups given up on keep running in their worker; at the bound (4) the
# next would fail at once, whoever asks.  The worker that reaches it leaves
# after that session, so the next client's name resolves.
sdw = Sockd("connect-timeout = 1\nmin-spare-workers = 1\nmax-spare-workers = 1\nmax-workers = 1\n",
            workers=1, wrapper=wrapper).start()
first = sdw.workers()
for i in range(4):
    rep, took = timed_request(1, "hang%d.example" % i, 80, sdw.port)
check(rep is not None and rep[0] == 0x06, "four CONNECTs to names the DNS never answers: REP 0x06")
check(sdw.wait_log("name lookups given up on are still running: exiting", 5),
      "  ... the worker they wore out leaves")
s, rep = s5_connect(sdw.port, "localhost", echo.port, as_name=True)
s.close()
check(rep is not None and rep[0] == 0 and sdw.workers() != first,
      "the next CONNECT to a name (localhost) is served by a fresh worker: REP %s" % (rep and rep[0]))
sdw.stop()

# 127.0.0.2 (blocked) and 127.0.0.3.
closed = free_port()
shut = closed + 1 if closed < 65535 else closed - 1
sdb = Sockd("connect-timeout = 2\n", workers=1, wrapper=wrapper, rules=
            'client pass { from = "127.0.0.0/8" }\n'
            'socks block { to = "127.0.0.2" }\n'
            'socks block { to = "127.0.0.3" port = "%d" }\n'
            'socks pass { to = "0/0" }\n' % shut).start()


def lines_of(line):
    m = re.search(r"session ([0-9a-f]{16}):", line)
    return [l for l in sdb.logtext().splitlines() if m and "session %s:" % m.group(1) in l]


# The other address refuses: both causes in the one line.
s, rep = s5_connect(sdb.port, "two.test", closed)
s.close()
check(rep is not None and rep[0] == 0x05, "blocked address, then a refusal: REP 0x05")
line = sdb.session_line("target=two.test:%d remote=" % closed)
check(re.search(r'end="connect failed: Connection refused; also blocked by socks rule #1 '
                r'\([^)]*\) resolved=127\.0\.0\.2"', line) and len(lines_of(line)) == 1,
      "  ... one line with both causes: %s" % line[line.find("end="):])
# The other address connects: the block is a line of its own.
o = socket.socket()
o.bind(("127.0.0.3", 0))
o.listen(4)
oport = o.getsockname()[1]
s, rep = s5_connect(sdb.port, "two.test", oport)
check(rep is not None and rep[0] == 0, "blocked address, then one that connects: REP 0")
s.close()
o.accept()[0].close()
o.close()
line = sdb.session_line("target=two.test:%d remote=" % oport)
own = lines_of(line)
check(len(own) == 2 and any("blocked client=" in l and "resolved=127.0.0.2 by socks rule #1" in l for l in own),
      "  ... the session line, and the block's own line (%d lines)" % len(own))
# Every address blocked: the block is the session's end.
s, rep = s5_connect(sdb.port, "two.test", shut)
s.close()
line = sdb.session_line("target=two.test:%d remote=" % shut)
check(rep is not None and rep[0] == 2 and len(lines_of(line)) == 1 and
      re.search(r'end="blocked by socks rule #1 \([^)]*\) resolved=127\.0\.0\.2 \(and 1 more\)"', line),
      "every address blocked: REP 0x02, one line: %s" % line[line.find("end="):])
sdb.stop()

# A rule on a name holds against the resolver's rewriting: glibc decodes
# "\o" and "\101" in a name it sends to DNS, so "www.bl\ocked.dns.test"
# would be looked up as www.blocked.dns.test, past the block on it.  Such
# names get REP 0x04 without a lookup.
sdn = Sockd("connect-timeout = 3\n", workers=1, wrapper=wrapper, rules=
            'client pass { from = "127.0.0.0/8" }\n'
            'socks block { to = ".blocked.dns.test" }\n'
            'socks pass { to = "0/0" }\n').start()
s, rep = s5_connect(sdn.port, "ok.dns.test", echo.port)
s.close()
check(rep is not None and rep[0] == 0 and "ok.dns.test" in dns.names,
      "a name the test nameserver answers (ok.dns.test): REP 0")
s, rep = s5_connect(sdn.port, "www.blocked.dns.test", echo.port)
s.close()
check(rep is not None and rep[0] == 2, "www.blocked.dns.test: blocked by name, REP 0x02")
for name in ("www.bl\\ocked.dns.test", "www.blocked.dns.tes\\116", "www.blocked.dns.test%lo"):
    s, rep = s5_connect(sdn.port, name, echo.port)
    s.close()
    line = sdn.session_line("end=")
    check(rep is not None and rep[0] == 4 and "www.blocked.dns.test" not in dns.names,
          "%s: REP 0x04, and nothing asked of the nameserver (REP %s)" % (name, rep and rep[0]))
check('bad name: a character no host name has"' in sdn.logtext(), "  ... logged as a bad name")
# A UDP datagram to a name blocked by name: dropped before any lookup,
# as a CONNECT's would be, so the association does not wait on it.
c = s5_open(sdn.port)
rep = s5_request(c, 3, "0.0.0.0", 0)
got, took = udp_pair((rep[1], rep[2]), [("x.blocked.dns.test", uecho.port)],
                     ("127.0.0.1", uecho.port), 5)
check(got.endswith(b"kept") and took < 1 and "x.blocked.dns.test" not in dns.names,
      "UDP to a name blocked by name: dropped unresolved, the next datagram relayed in %.2f s" % took)
check(sdn.wait_log("datagram to=x.blocked.dns.test:%d by socks rule #1" % uecho.port),
      "  ... logged as a block on the name")
c.close()
sdn.stop()
dns.stop = True
finish()
