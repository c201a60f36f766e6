#!/usr/bin/env python3
"""Access rules on the real daemon: blocked destinations get REP 0x02 and a
log line naming the rule, blocked clients are closed without a byte, a name
that resolves to a blocked address is refused, per-user rules with curl
--proxy-user, the per-rule log lines, reload on SIGHUP, and `sockd -n -q`."""
import re
import shutil
import signal
import subprocess

from harness import *

echo = EchoServer()
other = EchoServer()
d = tmpdir()
_, page_sum = make_file(d, "page.bin", 100000)
http = HttpServer(d)

RULES = """
client block { from = "127.0.0.3" }                                  # C1
client pass { from = { "127.0.0.0/8", "::1" } log = "connect" }      # C2
socks block { to = "127.0.0.1" port = "%d" }                         # S1
socks block { to = { ".blocked.test", "::1" } }                      # S2
socks block { to = "127.0.0.0/8" port = "%d" command = "connect" }   # S3
socks pass { from = "127.0.0.0/8" to = "0/0" log = { "connect", "disconnect", "error" } }  # S4
""" % (other.port, http.port)

sd = Sockd("", rules=RULES)


def line_of(marker):
    """The line of sd's config that carries marker (a comment)."""
    with open(sd.conf) as f:
        for n, l in enumerate(f, 1):
            if marker in l:
                return n
    return -1


def own_lines(sid):
    """Lines of session sid in sd's log but the accepted line rule C2 asks for."""
    return sum(1 for l in sd.logtext().splitlines()
               if "session %s:" % sid in l and "accepted client=" not in l)


rc, out = sd.check_conf()
check(rc == 0 and "configuration OK" in out, "sockd -n accepts the rules")
check("#1 %s:%d  client block from 127.0.0.3/32" % (sd.conf, line_of("# C1")) in out,
      "sockd -n lists client rule #1 with its file and line")
check("#4 %s:%d  socks pass from 127.0.0.0/8 to 0/0 log connect,disconnect,error"
      % (sd.conf, line_of("# S4")) in out, "sockd -n lists socks rule #4 as parsed")
sd.start()

# A pass: REP 0x00, and the per-rule log lines.
s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
s.sendall(b"hello")
check(rep and rep[0] == 0 and recv_exact(s, 5) == b"hello", "a passed CONNECT relays")
s.close()
check(sd.wait_log("disconnect client=127.0.0.1:"), "log disconnect: a disconnect line")
log = sd.logtext()
s4 = "socks rule #4 (%s:%d)" % (sd.conf, line_of("# S4"))
check(re.search(r"accepted client=127\.0\.0\.1:\d+ listener=127\.0\.0\.1:%d by client rule #2"
                % sd.port, log) is not None, "client rule log connect: an accepted line")
check(re.search(r"connect client=127\.0\.0\.1:\d+ user=- cmd=connect target=127\.0\.0\.1:%d "
                r"passed by %s" % (echo.port, re.escape(s4)), log) is not None,
      "socks rule log connect: names the rule, file and line")

# A blocked destination: REP 0x02 and a log line naming the rule.
s, rep = s5_connect(sd.port, "127.0.0.1", other.port)
check(rep is not None and rep[0] == 2, "blocked destination (address and port): REP 0x02")
s.close()
s1 = "socks rule #1 (%s:%d)" % (sd.conf, line_of("# S1"))
l = sd.session_line('end="blocked by %s"' % s1)
check(l != "", "log: the session line's end names socks rule #1 with file and line")
check("target=127.0.0.1:%d remote=- reply=0x02(not allowed by ruleset)" % other.port in l,
      "session line: the target and reply 0x02")
sid = re.search(r"session ([0-9a-f]{16}):", l)
check(sid is not None and own_lines(sid.group(1)) == 1,
      "a blocked session has one log line, its session line (and the accepted line C2 asks for)")

# The same address sent as a name (ATYP 3 "127.0.0.1"): the same rule.
s, rep = s5_connect(sd.port, "127.0.0.1", other.port, as_name=True)
check(rep is not None and rep[0] == 2, "blocked address sent as a name: REP 0x02")
s.close()
check(sd.wait_log('target=127.0.0.1:%d remote=- reply=0x02' % other.port, count=2) and
      sd.logtext().count('end="blocked by %s"' % s1) == 2,
      "log: the literal name is checked as its address, rule #1")

# A blocked name suffix: refused by name, before any lookup.
s, rep = s5_connect(sd.port, "www.blocked.test", 80)
check(rep is not None and rep[0] == 2, "blocked domain suffix: REP 0x02")
s.close()
check(re.search(r'target=www\.blocked\.test:80 .*end="blocked by socks rule #2 ', sd.logtext()),
      "log: suffix block names rule #2")

# A name that resolves to a blocked address: refused with 0x02.
s, rep = s5_connect(sd.port, "localhost", http.port)
check(rep is not None and rep[0] == 2, "a name (localhost) resolving to a blocked address: REP 0x02")
s.close()
l = sd.session_line("target=localhost:%d " % http.port)
check(re.search(r'end="blocked by socks rule #3 \([^)]*\) resolved=127\.0\.0\.1"', l),
      "log: the session line's end names rule #3 and the resolved address (%s)" % l[-90:])
sid = re.search(r"session ([0-9a-f]{16}):", l)
check(sid is not None and own_lines(sid.group(1)) == 1,
      "a name blocked by its address: one log line")
rc, _ = curl("--socks5-hostname", "127.0.0.1:%d" % sd.port, "http://localhost:%d/page.bin" % http.port)
check(rc == 97, "curl --socks5-hostname to the blocked name fails in the handshake")
rc, _ = curl("--socks5", "127.0.0.1:%d" % sd.port, "http://127.0.0.1:%d/page.bin" % http.port)
check(rc == 97, "curl --socks5 to the blocked address fails too")
# ... while the same name on another port passes.
s, rep = s5_connect(sd.port, "localhost", echo.port)
s.sendall(b"name")
check(rep and rep[0] == 0 and recv_exact(s, 4) == b"name", "the name on an allowed port passes")
s.close()
# ... and when one of its addresses was blocked (::1, by rule #2) and the
# session went on, that block is a line of its own.
if any(a[4][0] == "::1" for a in socket.getaddrinfo("localhost", echo.port, 0, socket.SOCK_STREAM)):
    check(sd.wait_log("user=- cmd=connect target=localhost:%d resolved=::1 by socks rule #2" % echo.port),
          "a blocked address of a name that passed on another: its own notice line")

# An IPv6 destination blocked by address.
s, rep = s5_connect(sd.port, "::1", echo.port)
check(rep is not None and rep[0] == 2, "blocked IPv6 destination ::1: REP 0x02")
s.close()

# SOCKS4 is blocked the same way, with its own failure code.
s = connect(sd.port)
s.sendall(b"\x04\x01" + struct.pack("!H", other.port) + socket.inet_aton("127.0.0.1") + b"u\x00")
r = recv_exact(s, 8)
check(len(r) == 8 and r[1] == 91, "SOCKS4 request to a blocked destination: reply 91")
s.close()

# The error log line: a passed request that fails.
closed = closed_port()
s, rep = s5_connect(sd.port, "127.0.0.1", closed)
check(rep is not None and rep[0] == 5, "a refused port still gives 0x05")
s.close()
check(sd.wait_log("error client=127.0.0.1:"), "log error: an error line for the failed session")
check(re.search(r"error client=.*target=127\.0\.0\.1:%d reply=0x05\(connection refused\) end=\"connect failed" % closed,
                sd.logtext()) is not None, "error line: target, reply and reason")

# A blocked client: closed at once, not a byte sent.
def blocked_client(send):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.settimeout(5)
    c.bind(("127.0.0.3", 0))
    c.connect(("127.0.0.1", sd.port))
    if send:
        c.sendall(b"\x05\x01\x00")
    try:
        got = c.recv(100)
    except ConnectionResetError:
        got = b""
    except socket.timeout:
        got = None
    c.close()
    return got


check(blocked_client(False) == b"", "blocked client: closed at once, no reply")
check(blocked_client(True) == b"", "blocked client that sent a greeting: no reply")
check(sd.wait_log("blocked client=127.0.0.3:"), "log: the blocked client")
check(re.search(r"blocked client=127\.0\.0\.3:\d+ listener=127\.0\.0\.1:%d by client rule #1 \(%s:%d\)"
                % (sd.port, re.escape(sd.conf), line_of("# C1")), sd.logtext()) is not None,
      "log: the client block names client rule #1, file and line")
check(not any("client=127.0.0.3" in l and " version=" in l for l in sd.session_lines()),
      "a blocked client is no session: no session line")

# Reload: new rules take effect on SIGHUP.
text = open(sd.conf).read().replace('socks pass { from = "127.0.0.0/8"', 'socks block { from = "127.0.0.0/8"')
sd.write_conf(text)
sd.signal(signal.SIGHUP)
check(sd.wait_log("configuration reloaded"), "SIGHUP: configuration reloaded")
time.sleep(0.5)
rep = None
for _ in range(20):     # old workers may still be finishing
    s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
    s.close()
    if rep and rep[0] == 2:
        break
    time.sleep(0.1)
check(rep is not None and rep[0] == 2, "after SIGHUP the changed rule blocks")
rc = sd.stop()
check(rc == 0, "SIGTERM: exit 0 (%s)" % rc)

# Default block: no rules at all, then client rules but no socks rules.
sd0 = Sockd("", rules="")
rc, out = sd0.check_conf()
check(rc == 0 and "(none: every client is blocked)" in out and "no client rules" in out,
      "sockd -n warns that without rules everything is blocked")
sd0.start()
c = connect(sd0.port)
c.settimeout(5)
c.sendall(b"\x05\x01\x00")
try:
    got = c.recv(10)
except ConnectionResetError:
    got = b""
check(got == b"", "no client rules: the client is closed without a reply")
c.close()
check(sd0.wait_log("by default (no client rule matched)"), "log: no client rule matched")
sd0.stop()

# log on a block rule does nothing (blocks are always logged): -n says so.
sdl = Sockd("", rules='client pass { from = "127.0.0.1" }\n'
            'socks block {\n to = "10.0.0.0/8"\n log = "error"\n}\n'
            'socks pass { to = "0/0" }\n')
rc, out = sdl.check_conf()
line = open(sdl.conf).read().split("\n").index("socks block {") + 1
check(rc == 0 and "sockd.conf:%d: log on a block rule does nothing" % line in out,
      "sockd -n: a block rule's log does nothing, with file and line (%d)" % line)

# A block with host bits set means the whole block: -n warns, once, with
# file and line, and the file is still good.
sdh = Sockd("", rules='client pass { from = { "127.0.0.1", "10.0.0.1/8" } }\n'
            'socks pass {\n to = "2001:db8::1/32"\n}\n'
            'socks block { to = 1.2.3.4/24 }\nsocks block { to = 5.6.7.8/24 }\n'
            'socks block { to = 9.9.9.9/24 }\n')
rc, out = sdh.check_conf()
line = open(sdh.conf).read().split("\n").index('socks pass {') + 1
w1 = "sockd.conf:%d: warning: from: '10.0.0.1/8' has host bits set: it is the block 10.0.0.0/8" % (line - 1)
w2 = "sockd.conf:%d: warning: to: '2001:db8::1/32' has host bits set: it is the block 2001:db8::/32" % (line + 1)
check(rc == 0 and out.count(w1) == 1 and out.count(w2) == 1,
      "sockd -n: host bits set in a block are a warning with file and line, once each")
check(all(out.count("sockd.conf:%d: warning: to: '%s/24'" % (line + 3 + i, a)) == 1
          for i, a in enumerate(("1.2.3.4", "5.6.7.8", "9.9.9.9"))),
      "  ... in one-value sections in a row too, each once")

sd1 = Sockd("", rules='client pass { from = "127.0.0.1" }\n').start()
s, rep = s5_connect(sd1.port, "127.0.0.1", echo.port)
check(rep is not None and rep[0] == 2, "no socks rules: REP 0x02")
s.close()
check(sd1.wait_log("by default (no socks rule matched)"), "log: no socks rule matched")
check(sd1.wait_log('end="blocked by default (no socks rule matched)"'), "session line says no rule matched")
sd1.stop()

# A blocked session's line is at level notice, a passed one's at info.
sdn = Sockd('log-level = "notice"\n', rules='client pass { from = "127.0.0.1" }\n'
            'socks block { to = "127.0.0.2" }\nsocks pass { to = "0/0" }\n').start()
for host in ("127.0.0.1", "127.0.0.2"):
    s, rep = s5_connect(sdn.port, host, echo.port)
    s.close()
check(sdn.wait_log('target=127.0.0.2:%d remote=- reply=0x02' % echo.port),
      "log-level notice: the blocked session's line is there")
time.sleep(0.3)
check("target=127.0.0.1:%d" % echo.port not in sdn.logtext(),
      "log-level notice: the passed session's line is not")
sdn.stop()

# UDP datagrams and BIND's incoming connection: udpassociate, udpreply,
# bindreply rules, checked one datagram (or connection) at a time.
uecho, ublocked, umute = UdpEchoServer(), UdpEchoServer(), UdpEchoServer()
sdx = Sockd("bind-timeout = 3\n", rules="""
client pass { from = "127.0.0.0/8" }
socks block { from = "127.0.0.5" command = "udpassociate" }
socks block { to = "127.0.0.1" port = "%d" command = "udpassociate" }
socks block { to = "localhost" command = "udpassociate" }
socks block { to = "127.0.0.1" port = "%d" command = "udpreply" }
socks block { to = "127.0.0.4" command = "bindreply" }
socks pass { from = "127.0.0.0/8" to = "0/0" log = "error" }
""" % (ublocked.port, umute.port)).start()


udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", 0))   # one socket: the association keeps its port


def udp_exchange(relay, host, port, payload):
    """Send payload to host:port through the relay; the datagram back or None."""
    udp.settimeout(1.5)
    udp.sendto(s5_udp_header(host, port) + payload, relay)
    try:
        return udp.recvfrom(65535)[0]
    except socket.timeout:
        return None


c = s5_open(sdx.port)
rep = s5_request(c, 3, "0.0.0.0", 0)
check(rep is not None and rep[0] == 0, "UDP ASSOCIATE: passed (each datagram decides)")
relay = (rep[1], rep[2])
back = udp_exchange(relay, "127.0.0.1", uecho.port, b"allowed")
check(back is not None and back.endswith(b"allowed"), "datagram to an allowed destination: echoed")
check(udp_exchange(relay, "127.0.0.1", ublocked.port, b"blocked") is None and
      ublocked.count(b"blocked") == 0, "datagram to a blocked port: dropped, never sent")
check(sdx.wait_log("cmd=udpassociate target=0.0.0.0:0 datagram to=127.0.0.1:%d by socks rule #2"
                   % ublocked.port), "log: the datagram block names rule #2")
check(udp_exchange(relay, "localhost", uecho.port, b"byname") is None and
      uecho.count(b"byname") == 0, "datagram to a blocked name: dropped")
check(sdx.wait_log("datagram to=localhost:%d by socks rule #3" % uecho.port),
      "log: the name block names rule #3, decided on the name (no resolved=)")
check(udp_exchange(relay, "127.0.0.1", umute.port, b"mute") is None and umute.count(b"mute") == 1,
      "udpreply block: the datagram goes out, the reply is dropped")
check(sdx.wait_log("cmd=udpreply target=0.0.0.0:0 from=127.0.0.1:%d by socks rule #4" % umute.port),
      "log: the udpreply block names rule #4")
c.close()

c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.settimeout(5)
c.bind(("127.0.0.5", 0))
c.connect(("127.0.0.1", sdx.port))
c.sendall(b"\x05\x01\x00")
recv_exact(c, 2)
rep = s5_request(c, 3, "0.0.0.0", 0)
check(rep is not None and rep[0] == 2, "UDP ASSOCIATE from a blocked client address: REP 0x02")
c.close()

for src, want in (("127.0.0.4", 2), ("127.0.0.1", 0)):
    c = s5_open(sdx.port)
    rep1 = s5_request(c, 2, "0.0.0.0", 0)
    r = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    r.settimeout(5)
    r.bind((src, 0))
    r.connect((rep1[1], rep1[2]))
    rep2 = s5_reply(c)
    check(rep2 is not None and rep2[0] == want,
          "BIND: a connection in from %s gets second reply 0x%02x" % (src, want))
    r.close()
    c.close()
check(sdx.wait_log('end="BIND: connection from 127.0.0.4:'), "log: the bindreply block ends the session")
check(re.search(r'cmd=bind target=0\.0\.0\.0:0 remote=127\.0\.0\.4:\d+ reply=0x02.*'
                r'end="BIND: connection from 127\.0\.0\.4:\d+ blocked by socks rule #5 ',
                sdx.logtext()) is not None, "log: bindreply block names rule #5")
check(sdx.wait_log('error client=127.0.0.1:') and
      re.search(r'error client=127\.0\.0\.1:\d+ user=- target=0\.0\.0\.0:0 reply=0x02\(not allowed by ruleset\) end="BIND: connection '
                r'from 127\.0\.0\.4:\d+ blocked by socks rule #5 [^"]*" \(socks rule #6', sdx.logtext()) is not None,
      "log error: the BIND refused by bindreply")
check(len(re.findall(r"error client=", sdx.logtext())) == 1,
      "log error: not for the association or the BIND that ended cleanly")
sdx.stop()

# A UDP association that no rule can pass, though the first rules that
# apply wait for each datagram's destination: REP 0x02 at once, not an
# association whose every datagram is dropped.
udp_rules = """
client pass { from = "127.0.0.0/8" }
socks block { to = ".blocked.example" }
socks block { to = "127.0.0.3" }
socks pass { from = "127.0.0.0/8" to = "0/0" command = "connect" }
"""
sdu = Sockd("", rules=udp_rules).start()
c = s5_open(sdu.port)
rep = s5_request(c, 3, "0.0.0.0", 0)
check(rep is not None and rep[0] == 2,
      "UDP ASSOCIATE that no rule passes behind destination blocks: REP 0x02 (%r)" % (rep,))
c.close()
check(sdu.wait_log('cmd=udpassociate target=0.0.0.0:0 remote=- reply=0x02') and
      'end="blocked by default (no socks rule matched)"' in sdu.session_line("cmd=udpassociate"),
      "log: no socks rule matched")
s, rep = s5_connect(sdu.port, "127.0.0.1", echo.port)
check(rep is not None and rep[0] == 0, "... while CONNECT passes")
s.close()
sdu.stop()

# Query mode.
def query(conf, q):
    r = subprocess.run([SOCKD, "-n", "-f", conf, "-q", q], capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


rc, out = query(sdu.conf, "from 127.0.0.1 command udpassociate")
check(rc == 1 and "no rule passes any destination" in out,
      "-q: the UDP association no rule passes is blocked (%d)" % rc)

# No listen in the query, a wildcard first listener, and a rule about
# listeners: 0.0.0.0 is no address a client reaches, so -q asks.
uconf = os.path.join(d, "query-small.conf")
with open(uconf, "w") as f:
    f.write('listen = "*:1080"\nclient block { listen = "127.0.0.1:1080" }\n'
            'client pass { from = "0/0" }\nsocks pass { to = "0/0" }\n')
rc, out = query(uconf, "from 127.0.0.1 to 127.0.0.1 port 80")
check(rc == 2 and "say which address the client reached" in out,
      "-q: no listen given, a wildcard first listener and listen rules: exit 2, asks which (%d)" % rc)
rc, out = query(uconf, "from 127.0.0.1 to 127.0.0.1 port 80 listen 127.0.0.1:1080")
check(rc == 1 and "block by client rule #1" in out, "  ... and with listen given, the rule decides")

# A datagram to a name under an address rule: the relay resolves it and
# decides on the first address, and -q does the same (it said block).
for block, want in (('"10.0.0.0/8"', 0), ('{ "127.0.0.0/8", "::1" }', 1)):
    with open(uconf, "w") as f:
        f.write('listen = "127.0.0.1:1080"\nclient pass { from = "127.0.0.0/8" }\n'
                'socks block { to = %s }\nsocks pass { to = "0/0" }\n' % block)
    rc, out = query(uconf, "from 127.0.0.1 to localhost port 53 command udpassociate")
    check(rc == want and re.search(r"localhost resolves to (127\.0\.0\.1|::1) first, "
                                   r"where a datagram goes", out),
          "-q: a datagram to localhost under socks block { to = %s }: %s, as the relay decides"
          % (block, "block" if want else "pass"))

qconf = os.path.join(d, "query.conf")
with open(qconf, "w") as f:
    f.write("""listen = "127.0.0.1:1080"
methods = { "none", "password" }
passwd-file = "/dev/null"
client pass { from = { "127.0.0.0/8", "10.0.0.0/8" } }
socks block { to = { "127.0.0.0/8", "::1", ".internal.example.com" } }
socks pass {
\tfrom = "10.0.0.0/8"
\tto = "0/0"
\tport = "80,443,8000-8999"
\tuser = { "alice", "bob" }
}
""")
rc, out = query(qconf, "from 10.1.2.3 to www.example.com port 443 command connect user alice")
check("depends" in out and "www.example.com needs resolving" in out,
      "query: a name against an address rule waits for its address")
rc, out = query(qconf, "from 10.1.2.3 to 93.184.215.14 port 443 command connect user alice")
check(rc == 0 and "=> pass by socks rule #2 (%s:6)" % qconf in out and "decision: pass" in out,
      "query: pass by socks rule #2, with file and line (exit 0)")
check("user alice matches" in out and "port 443 matches" in out, "query: says why rule #2 matched")
rc, out = query(qconf, "from 10.1.2.3 to 93.184.215.14 port 22 user alice")
check(rc == 1 and "port 22 is not in port 80,443,8000-8999" in out and
      "no socks rule matched" in out, "query: a port outside the rule: no rule matched (exit 1)")
rc, out = query(qconf, "from 10.1.2.3 to 93.184.215.14 port 443 user carol")
check(rc == 1 and "user carol is not in user alice,bob" in out, "query: an unknown user is explained")
rc, out = query(qconf, "from 10.1.2.3 to a.internal.example.com port 443 user alice")
check(rc == 1 and "to .internal.example.com matches a.internal.example.com" in out and
      "=> block by socks rule #1 (%s:5)" % qconf in out, "query: a suffix block")
rc, out = query(qconf, "from 10.1.2.3 to localhost port 443 user alice")
check(rc == 1 and "localhost resolves to 127.0.0.1" in out and "block by socks rule #1" in out,
      "query: a name resolving to a blocked address is resolved and blocked")
for dst in ("0.0.0.0", "::", "0.0.0.1", "0.255.255.255", "::ffff:0.1.2.3"):
    rc, out = query(qconf, "from 10.1.2.3 to %s port 443 user alice" % dst)
    check(rc == 1 and "0.0.0.0/8 and :: are refused as destinations" in out,
          "query: %s as a destination is refused before any rule (exit 1)" % dst)
rc, out = query(qconf, "from 10.1.2.3 to 0.0.0.0 port 443 command bind user alice")
check("refused as destinations" not in out, "query: BIND's 0.0.0.0 (any peer) goes to the rules")
conf_nopw = os.path.join(d, "nopw.conf")
with open(conf_nopw, "w") as f:
    f.write('listen = "127.0.0.1:1080"\nclient pass { from = "0/0" }\nsocks pass { to = "0/0" }\n')
conf_pwonly = os.path.join(d, "pwonly.conf")
with open(conf_pwonly, "w") as f:
    f.write('listen = "*:1080"\nmethods = { "password" }\npasswd-file = "/dev/null"\n'
            'client pass { from = "0/0" }\nsocks pass { to = "0/0" }\n')
# The daemon refuses a CONNECT to its own listener whatever the rules
# say (REP 0x02); so does the query.
selfconf = os.path.join(d, "self.conf")
with open(selfconf, "w") as f:
    f.write('listen = { "127.0.0.1:1080", "[::]:1081" }\n'
            'client pass { from = "0/0" }\nsocks pass { to = "0/0" }\n')
for dst, port, blocked in (("127.0.0.1", 1080, True), ("127.0.0.1", 1082, False),
                           ("::1", 1081, True), ("127.0.0.2", 1080, False)):
    rc, out = query(selfconf, "from 127.0.0.1 to %s port %d" % (dst, port))
    check((rc == 1 and "this proxy's own listener" in out) if blocked else
          (rc == 0 and "own listener" not in out),
          "query: CONNECT to %s port %d is %s" % (dst, port, "this proxy's listener: block"
                                                  if blocked else "another: pass"))
with open(selfconf, "w") as f:
    f.write('listen = { "127.0.0.1:1080", "[::1]:1080" }\n'
            'client pass { from = "0/0" }\nsocks pass { to = "0/0" }\n')
rc, out = query(selfconf, "from 127.0.0.1 to localhost port 1080")
check(rc == 1 and "every address of localhost is this proxy's own listener" in out,
      "query: CONNECT by name (localhost) to the proxy's listener, passed by name: block (%d)" % rc)
rc, out = query(selfconf, "from 127.0.0.1 to localhost port 1082")
check(rc == 0, "query: localhost on another port: pass")
rc, out = query(qconf, "from 192.0.2.1 to 93.184.215.14 port 443")
check(rc == 1 and "no client rule matched" in out, "query: a client outside every client rule")
# What the listener does not offer is refused before any socks rule.
rc, out = query(conf_nopw, "from 10.1.2.3 to 93.184.215.14 port 443 user alice")
check(rc == 1 and "does not offer method password" in out and "socks rules" not in out,
      "query: a login where the listener offers no password method: block")
rc, out = query(conf_pwonly, "from 10.1.2.3 to 93.184.215.14 port 443")
check(rc == 1 and "does not offer method none" in out, "query: method none where only password is offered: block")
rc, out = query(qconf, "from 10.1.2.3 listen 10.9.9.9:1080 to 93.184.215.14 port 443")
check(rc == 2 and "has no listener" in out, "query: a listen address sockd has not: exit 2")
rc, out = query(conf_pwonly, "from 10.1.2.3 listen 10.9.9.9:1080 to 93.184.215.14 port 443 user alice")
check(rc == 0, "query: a listen address a wildcard listener takes")
rc, out = query(qconf, "from nowhere")
check(rc == 2 and "bad or missing value for 'from'" in out, "query: a bad query exits 2")

# Errors in rules name the file and the line.
bad = os.path.join(d, "bad.conf")
for text, line, what in (
        ('# one\n# two\nsocks pass { port = "90-80" }\n', 3, "port: '90-80' is not ports"),
        ('client pass {\n\tfrom = { "10.0.0.0/8",\n\t"10.0.0.0/33" }\n}\n', 3,
         "from: '10.0.0.0/33' is not an address or CIDR block"),
        ('/* c\n */\nsocks allow { to = "0/0" }\n', 3, "'socks allow': a rule is 'socks pass' or 'socks block'"),
        ('socks pass {\n  command = "connnect"\n}\n', 2, "command: 'connnect' is not a command"),
        ('client pass { to = "0/0" }\n', 1, "no such option 'to'")):
    with open(bad, "w") as f:
        f.write(text)
    r = subprocess.run([SOCKD, "-n", "-f", bad], capture_output=True, text=True, timeout=10)
    check(r.returncode == 1 and "%s:%d: %s" % (bad, line, what) in r.stderr,
          "sockd -n: %s:%d: %s" % (os.path.basename(bad), line, what))

# The shipped etc/sockd.conf: as is, and with its rule examples uncommented.
shipped = open(os.path.join(TOP_SRCDIR, "etc", "sockd.conf")).read()
examples = re.sub(r"^#(?=socks |client |\t|\})", "", shipped, flags=re.M)
# ... and the password method its office rule needs, as its comment says
examples = examples.replace('methods = { "none" }', 'methods = { "none", "password" }')
examples = examples.replace('# passwd-file =', 'passwd-file = "/dev/null" #')
check(examples.count("socks block {") == 1 and examples.count("socks pass {") == 2,
      "etc/sockd.conf: the commented examples uncomment into two more rules")
for name, text in (("as-shipped.conf", shipped), ("examples.conf", examples)):
    with open(os.path.join(d, name), "w") as f:
        f.write(text)
conf_as, conf_ex = os.path.join(d, "as-shipped.conf"), os.path.join(d, "examples.conf")
rc, out = query(conf_as, "from 127.0.0.1 to 93.184.215.14 port 443")
check(rc == 0, "shipped: loopback clients may go anywhere")
rc, out = query(conf_as, "from ::1 to 2001:db8::1 port 80")
check(rc == 0, "shipped: ::1 too")
rc, out = query(conf_as, "from 192.0.2.5 to 93.184.215.14 port 443")
check(rc == 1 and "no client rule matched" in out, "shipped: any other client is refused")
rc, out = query(conf_ex, "from 192.0.2.5 to 93.184.215.14 port 443 user alice")
check(rc == 0 and "=> pass by socks rule #2" in out, "example: the office network, alice, port 443")
rc, out = query(conf_ex, "from 192.0.2.5 to 93.184.215.14 port 443")
check(rc == 1 and "method none is not in method password" in out, "example: no password, no pass")
rc, out = query(conf_ex, "from 192.0.2.5 to 93.184.215.14 port 22 user alice")
check(rc == 1, "example: port 22 is not in the office rule")
for dst in ("10.1.2.3", "192.168.1.1", "172.16.0.1", "127.0.0.1", "::1", "fe80::1", "169.254.169.254",
            "localhost"):
    rc, out = query(conf_ex, "from 192.0.2.5 to %s port 80 user alice" % dst)
    check(rc == 1 and "block by socks rule #1" in out, "example: %s is blocked as a destination" % dst)
rc, out = query(conf_ex, "from 127.0.0.1 to 10.1.2.3 port 80")
check(rc == 1, "example: the block applies to loopback clients too")

# Per-user rules with curl --proxy-user (needs password authentication).
passwd = os.path.join(d, "sockd.passwd")
hashed = subprocess.run(["openssl", "passwd", "-6", "-salt", "saltsalt", "secret"],
                        capture_output=True, text=True).stdout.strip()
with open(passwd, "w") as f:
    f.write("alice:%s\nbob:%s\n" % (hashed, hashed))
os.chmod(passwd, 0o644)
sdu = Sockd('methods = { "password" }\npasswd-file = "%s"\n' % passwd, rules="""
client pass { from = "127.0.0.0/8" }
socks pass { to = "127.0.0.1" port = "%d" user = "alice" }
socks pass { to = "127.0.0.1" port = "%d" user = "bob" }
""" % (http.port, echo.port))
rc, out = sdu.check_conf()
if rc != 0 or not hashed.startswith("$6$"):
    print("skip - per-user rules: password authentication is not configurable here (%s)" % out.strip())
else:
    sdu.start()
    # alice to bob's port: also the probe for password authentication
    try:
        s, alice_rep = s5_connect(sdu.port, "127.0.0.1", echo.port, methods=b"\x02",
                                  userpass=(b"alice", b"secret"))
        s.close()
    except OSError:
        alice_rep = None
    time.sleep(0.3)
    if "password authentication is not available" in sdu.logtext():
        print("skip - per-user rules: password authentication has not landed yet")
    else:
        proxy = "127.0.0.1:%d" % sdu.port
        url = "http://127.0.0.1:%d/page.bin" % http.port
        rc, body = curl("--socks5", proxy, "--proxy-user", "alice:secret", url)
        check(rc == 0 and hashlib.sha256(body).hexdigest() == page_sum,
              "curl --proxy-user alice: allowed by her rule")
        rc, body = curl("--socks5", proxy, "--proxy-user", "bob:secret", url)
        check(rc == 97, "curl --proxy-user bob: not his port, blocked")
        check('end="blocked by default (no socks rule matched)"' in
              sdu.session_line("user=bob cmd=connect target=127.0.0.1:%d " % http.port),
              "log: bob's block, no rule matched")
        check(alice_rep is not None and alice_rep[0] == 2, "alice to bob's port: REP 0x02")
        s, rep = s5_connect(sdu.port, "127.0.0.1", echo.port, methods=b"\x02", userpass=(b"bob", b"secret"))
        s.sendall(b"bob")
        check(rep and rep[0] == 0 and recv_exact(s, 3) == b"bob", "bob to his port: passes")
        s.close()
    sdu.stop()
finish()
