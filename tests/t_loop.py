#!/usr/bin/env python3
"""A CONNECT back into sockd by an address of this host.

With a wildcard listener and a second address in a subnet of the host
(10.9.9.2 beside 10.9.9.1), a CONNECT to 10.9.9.2 leaves from 10.9.9.1:
neither loopback nor its own source.  It is refused before connecting,
as one of the interfaces' addresses, so the proxy's own connection
does not reach a worker (whose client rules would log a block of the
host's own address).  An address routed to the host but on no
interface (ip route add local) cannot be told: one client pipelining
such requests took a worker each until the pool was full.  The worker
that takes the looped connection must see, at its first byte, that its
client is one of the proxy's own CONNECTs, and end it.

The addresses live in a network namespace of the test's own (unshare
-n, a veth pair), which takes root: elsewhere the test is skipped."""
import subprocess
import time

from harness import *

in_own_network("T_LOOP_NS")
for cmd in (["ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1"],
            ["ip", "addr", "add", "10.9.9.1/24", "dev", "v0"],
            ["ip", "addr", "add", "10.9.9.2/24", "dev", "v0"],
            ["ip", "link", "set", "v0", "up"],
            ["ip", "link", "set", "v1", "up"],
            ["ip", "route", "add", "local", "10.9.8.0/24", "dev", "lo", "src", "10.9.9.1"]):
    subprocess.run(cmd, check=True, timeout=10)

echo = EchoServer()
port = free_port()
sd = Sockd("max-workers = 32\nmin-spare-workers = 2\n", port=port,
           listen=["*:%d" % port], workers=4, rules="""
client pass { from = { "127.0.0.0/8", "10.9.9.1" } }
socks pass { to = "0/0" }
""").start()


def hop(host):
    """A greeting and a CONNECT to host:port, the proxy's own port."""
    return b"\x05\x01\x00" + b"\x05\x01\x00" + s5_addr(host, port)


# The primary address is the connection's own source: refused at once.
s = connect(port)
s.sendall(hop("10.9.9.1"))
r = recv_exact(s, 4)
s.close()
check(r[2:4] == b"\x05\x02", "CONNECT to the primary address on the proxy's port: REP 0x02")

# The secondary one: an interface's address, refused before connecting;
# no session from the proxy's own address (its client rule blocks
# 10.9.9.0/24: no "blocked client" line).
s = connect(port)
s.sendall(hop("10.9.9.2"))
r = recv_exact(s, 4)
s.close()
check(r[2:4] == b"\x05\x02", "CONNECT to the secondary address on the proxy's port: REP 0x02")
time.sleep(0.3)
check(sd.wait_log("target=10.9.9.2:%d" % port) and "blocked client" not in sd.logtext() and
      not [l for l in sd.session_lines() if "client=10.9.9." in l],
      "  ... refused before connecting: no session, no block line from the proxy's own address")

r = subprocess.run([SOCKD, "-n", "-f", sd.conf, "-q", "from 127.0.0.1 to 10.9.9.2 port %d" % port],
                   capture_output=True, text=True, timeout=30)
check(r.returncode == 1 and "this proxy's own listener" in r.stdout,
      "  ... and sockd -q says so: %s" % r.stdout.strip().splitlines()[-1:])

# An address routed to this host but on no interface: the CONNECT
# succeeds, the looped session ends at its first byte, so 20 pipelined
# hops take 2 workers, not 20.
s = connect(port)
s.sendall(hop("10.9.8.5") * 20)
out = recv_all(s, timeout=10) or b""
s.close()
check(out[:4] == b"\x05\x00\x05\x00", "CONNECT to a locally routed address: REP 0 (it cannot tell)")
check(sd.wait_log("client is a CONNECT of this proxy's own"),
      "  ... the looped session ends: its client is one of the proxy's own CONNECTs")
time.sleep(0.5)
loops = [l for l in sd.session_lines() if "client is a CONNECT of this proxy's own" in l]
hops = [l for l in sd.session_lines() if "target=10.9.8.5:%d" % port in l]
check(len(loops) == 1 and len(hops) == 1,
      "  ... 20 pipelined hops: one CONNECT and one looped session (%d, %d)" % (len(hops), len(loops)))
check(echoes(port, echo.port), "a client after the loop is served")
sd.stop()
finish()
