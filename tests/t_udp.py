#!/usr/bin/env python3
"""UDP ASSOCIATE through python3 PySocks and a raw client: echo to an
IPv4 target, to `localhost` by name and to [::1]; fragments, other
sources and the unspecified destination dropped; the association ends
with its TCP connection or when idle; the counts in the session log
line."""
import socket
import time

import socks

from harness import *


def associate(port, dst="0.0.0.0", dport=0, proxy="127.0.0.1"):
    """Control connection and relay address: (tcp, (host, port)) or None."""
    c = s5_open(port, proxy)
    rep = s5_request(c, 3, dst, dport)
    if rep is None or rep[0] != 0:
        return c, None
    return c, (rep[1], rep[2])


def udp_socket(family=socket.AF_INET, src=None):
    u = socket.socket(family, socket.SOCK_DGRAM)
    u.bind((src or ("::1" if family == socket.AF_INET6 else "127.0.0.1"), 0))
    u.settimeout(5)
    return u


def recv_or_none(u, timeout=1.0):
    u.settimeout(timeout)
    try:
        return u.recvfrom(65535)[0]
    except socket.timeout:
        return None


def wait_count(echo, payload, n=1, timeout=3):
    end = time.time() + timeout
    while time.time() < end and echo.count(payload) < n:
        time.sleep(0.05)
    return echo.count(payload)


echo = UdpEchoServer()
echo6 = UdpEchoServer(socket.AF_INET6)
echo_both = UdpEchoServer(both=True)
port4 = free_port()
port6 = free_port(socket.AF_INET6)
sd = Sockd("udp-timeout = 30\n", port=port4,
           listen=["127.0.0.1:%d" % port4, "[::1]:%d" % port6])
check(sd.check_conf()[0] == 0, "sockd -n accepts udp-timeout")
sd.start()

# PySocks: its sendto/recvfrom speak UDP ASSOCIATE.
p = socks.socksocket(socket.AF_INET, socket.SOCK_DGRAM)
p.set_proxy(socks.SOCKS5, "127.0.0.1", sd.port)
p.settimeout(5)
p.sendto(b"x", ("127.0.0.1", echo.port))
data, src = p.recvfrom(100)
check(data == b"x" and src == ("127.0.0.1", echo.port), "PySocks: echo from 127.0.0.1 through the relay")
p.sendto(b"by name", ("localhost", echo_both.port))
data, src = p.recvfrom(100)
check(data == b"by name" and src[1] == echo_both.port, "PySocks: echo from localhost by name")
p.sendto(b"six", ("::1", echo6.port))
data, src = p.recvfrom(100)
check(data == b"six" and src[0] == "::1" and src[1] == echo6.port, "PySocks: IPv4 client, [::1] target")
p.close()

# A raw client: header bytes checked one by one.
c, relay = associate(sd.port)
check(relay is not None and relay[0] == "127.0.0.1" and relay[1] > 0,
      "UDP ASSOCIATE: REP 0x00, BND 127.0.0.1 and a port")
u = udp_socket()
u.sendto(s5_udp_header("127.0.0.1", echo.port) + b"raw v4", relay)
d = recv_or_none(u, 5)
check(d == b"\x00\x00\x00\x01\x7f\x00\x00\x01" + struct.pack("!H", echo.port) + b"raw v4",
      "raw: reply header RSV FRAG ATYP=1 127.0.0.1 port, then the data")
u.sendto(s5_udp_header("localhost", echo_both.port) + b"name", relay)
d = s5_udp_parse(recv_or_none(u, 5) or b"")
check(d is not None and d[0] in ("127.0.0.1", "::1") and d[1] == echo_both.port and d[2] == b"name",
      "raw: a name (localhost) is resolved; the reply carries the address")
u.sendto(s5_udp_header("::1", echo6.port) + b"to v6", relay)
d = recv_or_none(u, 5)
check(d == b"\x00\x00\x00\x04" + socket.inet_pton(socket.AF_INET6, "::1") +
      struct.pack("!H", echo6.port) + b"to v6", "raw: [::1] target, reply header ATYP=4")
u.sendto(b"\x00\x00\x00" + s5_addr("::ffff:127.0.0.1", echo.port, as_name=True) + b"mapped", relay)
d = s5_udp_parse(recv_or_none(u, 5) or b"")
check(d == ("127.0.0.1", echo.port, b"mapped"),
      "raw: the name ::ffff:127.0.0.1 goes to 127.0.0.1 (got %r)" % (d,))
big = os.urandom(60000)
u.sendto(s5_udp_header("127.0.0.1", echo.port) + big, relay)
d = s5_udp_parse(recv_or_none(u, 5) or b"")
check(d is not None and d[2] == big, "raw: a 60000-byte datagram both ways")

# Dropped: a fragment, a bad header, other sources.
u.sendto(b"\x00\x00\x01" + s5_addr("127.0.0.1", echo.port) + b"frag1", relay)
u.sendto(b"\x00\x00\x00\x02" + b"\x7f\x00\x00\x01\x00\x07" + b"badatyp", relay)
u.sendto(b"\x00\x00", relay)
u.sendto(s5_udp_header("0.0.0.0", echo.port) + b"nowhere", relay)
u.sendto(s5_udp_header("127.0.0.1", 0) + b"port zero", relay)
check(recv_or_none(u, 1) is None and echo.count(b"frag1") == 0, "FRAG=1: dropped, nothing sent")
check(echo.count(b"nowhere") == 0, "DST 0.0.0.0 (this host on Linux): dropped, nothing sent")
other = udp_socket()    # the client's IP, another port
other.sendto(s5_udp_header("127.0.0.1", echo.port) + b"other port", relay)
stranger = udp_socket(src="127.0.0.2")
stranger.sendto(s5_udp_header("127.0.0.1", echo.port) + b"stranger", relay)
time.sleep(0.5)
check(echo.count(b"other port") == 0, "a datagram from another port of the client's IP is dropped")
check(echo.count(b"stranger") == 0, "a datagram from 127.0.0.2 is dropped")
check(recv_or_none(other, 0.3) is None and recv_or_none(stranger, 0.3) is None,
      "nothing goes back to other sources")
u.sendto(s5_udp_header("127.0.0.1", echo.port) + b"still", relay)
check(s5_udp_parse(recv_or_none(u, 5) or b"") == ("127.0.0.1", echo.port, b"still"),
      "the client's datagrams still flow after the drops")
# Only a host the client has sent to may send back (from any port, as a
# TFTP server answers): a stranger who learns the relay's outward port
# reaches nobody through it.
target = udp_socket()
u.sendto(s5_udp_header("127.0.0.1", target.getsockname()[1]) + b"hello T", relay)
data, outward = target.recvfrom(100)
check(data == b"hello T", "a datagram to a target of our own arrives (from %s:%d)" % outward)
target.sendto(b"T answers", outward)
check(s5_udp_parse(recv_or_none(u, 5) or b"") == ("127.0.0.1", target.getsockname()[1], b"T answers"),
      "the target's answer reaches the client")
tftp = udp_socket()     # the same host, another port
tftp.sendto(b"from port 2", outward)
check(s5_udp_parse(recv_or_none(u, 5) or b"") == ("127.0.0.1", tftp.getsockname()[1], b"from port 2"),
      "an answer from another port of that host reaches the client")
intruder = udp_socket(src="127.0.0.3")
intruder.sendto(b"unsolicited", outward)
udp_socket(src="127.0.0.2").sendto(b"unsolicited too", outward)
check(recv_or_none(u, 0.5) is None, "a datagram from a host the client never sent to is dropped")
u.sendto(s5_udp_header("127.0.0.3", intruder.getsockname()[1]) + b"now you", relay)
check(intruder.recvfrom(100)[0] == b"now you", "the client sends to that host ...")
intruder.sendto(b"solicited", outward)
check(s5_udp_parse(recv_or_none(u, 5) or b"") == ("127.0.0.3", intruder.getsockname()[1], b"solicited"),
      "... and then its datagrams come through")
drops = [l for l in sd.logtext().splitlines() if "UDP datagram dropped: " in l]
check(any("dropped: not from a host the client sent to: 127.0.0.2:" in l for l in drops),
      "debug: the drop names the sender")
check(any(l.endswith("dropped: fragment (FRAG != 0)") for l in drops) and
      any(l.endswith("dropped: malformed header") for l in drops),
      "debug: a drop without an address ends at its reason")
check(any(l.endswith("dropped: unspecified destination: 0.0.0.0:%d" % echo.port) for l in drops),
      "debug: a drop with an address names it after one space")
check(drops and not [l for l in drops if l.endswith(" ")], "debug: no drop line ends with a space")
check(any(l.endswith("dropped: destination port 0: 127.0.0.1:0") for l in drops),
      "debug: a datagram to port 0 is dropped as such (not 'Invalid argument')")

# The association ends with its TCP connection.
c.close()
l = sd.session_line("relay=127.0.0.1:%d" % relay[1])
check('end="control connection closed"' in l, "TCP closed: the association ends, one log line")
for field in ("cmd=udpassociate", "target=0.0.0.0:0", "reply=0x00(succeeded)", "dgrams_out=8",
              "dgrams_in=9", "dropped=9", "bytes_out=%d" % (6 + 4 + 5 + 6 + 60000 + 5 + 7 + 7),
              "bytes_in=%d" % (6 + 4 + 5 + 6 + 60000 + 5 + 9 + 11 + 9)):
    check(field in l, "log line has %s" % field)
n = echo.count()
u.sendto(s5_udp_header("127.0.0.1", echo.port) + b"after", relay)
time.sleep(0.5)
check(echo.count() == n and recv_or_none(u, 0.3) is None, "after the TCP close nothing is relayed")
u.close()
other.close()
stranger.close()

# DST.ADDR/DST.PORT given: only that port may send.
u = udp_socket()
other = udp_socket()
c, relay = associate(sd.port, "127.0.0.1", u.getsockname()[1])
other.sendto(s5_udp_header("127.0.0.1", echo.port) + b"not the port", relay)
u.sendto(s5_udp_header("127.0.0.1", echo.port) + b"the port", relay)
check(s5_udp_parse(recv_or_none(u, 5) or b"") == ("127.0.0.1", echo.port, b"the port"),
      "DST.PORT given: datagrams from it are relayed")
check(wait_count(echo, b"not the port", 1, 0.5) == 0, "DST.PORT given: another port is dropped")
c.close()
u.close()
other.close()

# DST.ADDR names another host (RFC 1928: the address the client will send
# from): datagrams from it are relayed, the client's own are dropped.
u = udp_socket(src="127.0.0.2")
mine = udp_socket()
c, relay = associate(sd.port, "127.0.0.2", u.getsockname()[1])
check(relay is not None, "DST.ADDR 127.0.0.2, another host than the client's: granted")
if relay is not None:
    u.sendto(s5_udp_header("127.0.0.1", echo.port) + b"from elsewhere", relay)
    check(s5_udp_parse(recv_or_none(u, 5) or b"") == ("127.0.0.1", echo.port, b"from elsewhere"),
          "  ... datagrams from 127.0.0.2 are relayed, and the answer goes back there")
    mine.sendto(s5_udp_header("127.0.0.1", echo.port) + b"from the client", relay)
    check(wait_count(echo, b"from the client", 1, 0.5) == 0,
          "  ... the TCP client's own address is not DST.ADDR: dropped")
c.close()
u.close()
mine.close()

# DST.ADDR of the other family: an IPv4 control connection, datagrams from
# [::1]; the relay is IPv6 and BND says so.
u = udp_socket(socket.AF_INET6)
c, relay = associate(sd.port, "::1", u.getsockname()[1])
check(relay is not None and relay[0] == "::1",
      "IPv4 control connection, DST.ADDR ::1: relay on [::1] (%s)" % (relay,))
if relay is not None:
    u.sendto(s5_udp_header("127.0.0.1", echo.port) + b"v6 sender", (relay[0], relay[1]))
    check(s5_udp_parse(recv_or_none(u, 5) or b"") == ("127.0.0.1", echo.port, b"v6 sender"),
          "  ... datagrams from [::1] are relayed")
c.close()
u.close()

# A DST.ADDR the client rules would not let in gets REP 0x02.
c = s5_open(sd.port)
rep = s5_request(c, 3, "192.0.2.1", 5000)
check(rep is not None and rep[0] == 2, "DST.ADDR 192.0.2.1, blocked by the client rules: REP 0x02")
c.close()
check(sd.wait_log("blocked udp source=192.0.2.1", 5) and
      "UDP source 192.0.2.1:5000 not allowed by the client rules" in sd.session_line("cmd=udpassociate target=192.0.2.1"),
      "  ... logged with the rule and the reason")

# A DST.ADDR elsewhere must pass the socks rules' `from` too, and is the
# client in the checks of the association's datagrams (Dante asks its
# rules with each datagram's source).
sdf = Sockd("", rules='client pass { from = "127.0.0.0/8" }\n'
            'socks pass { from = "127.0.0.1" to = "0/0" }\n'
            'socks pass { from = "127.0.0.3" to = "127.0.0.1" }\n')
sdf.start()
c = s5_open(sdf.port)
rep = s5_request(c, 3, "127.0.0.2", 5000)
check(rep is not None and rep[0] == 2,
      "DST.ADDR 127.0.0.2, passed by the client rules but by no socks rule's from: REP 0x02")
c.close()
check("UDP source 127.0.0.2 blocked by default (no socks rule matched)" in
      sdf.session_line("cmd=udpassociate target=127.0.0.2"), "  ... logged with the reason")
u = udp_socket(src="127.0.0.3")
c, relay = associate(sdf.port, "127.0.0.3", u.getsockname()[1])
check(relay is not None, "DST.ADDR 127.0.0.3, passed by a socks rule's from: granted")
if relay is not None:
    u.sendto(s5_udp_header("127.0.0.1", echo.port) + b"from .3 to .1", relay)
    check(s5_udp_parse(recv_or_none(u, 5) or b"") == ("127.0.0.1", echo.port, b"from .3 to .1"),
          "  ... its datagram to 127.0.0.1, which its rule passes, is relayed")
    u.sendto(s5_udp_header("::1", echo6.port) + b"from .3 to ::1", relay)
    check(recv_or_none(u, 1) is None and echo6.count(b"from .3 to ::1") == 0,
          "  ... one to [::1], which only the TCP client's rule would pass, is not")
c.close()
u.close()
sdf.stop()

# An IPv6 client on the [::1] listener gets an IPv6 relay.
c, relay = associate(port6, "::", 0, proxy="::1")
check(relay is not None and relay[0] == "::1", "IPv6 client: relay on [::1]")
u = udp_socket(socket.AF_INET6)
u.sendto(s5_udp_header("::1", echo6.port) + b"v6 both", (relay[0], relay[1]))
check(s5_udp_parse(recv_or_none(u, 5) or b"") == ("::1", echo6.port, b"v6 both"), "IPv6 client to [::1]")
u.sendto(s5_udp_header("127.0.0.1", echo.port) + b"v6 to v4", (relay[0], relay[1]))
check(s5_udp_parse(recv_or_none(u, 5) or b"") == ("127.0.0.1", echo.port, b"v6 to v4"),
      "IPv6 client to an IPv4 target")
c.close()
u.close()
l = sd.session_line("relay=[::1]:%d" % relay[1])
check("dgrams_out=2 dgrams_in=2 dropped=0 " in l and "client=[::1]:" in l,
      "log: the IPv6 association's line is whole")
sd.stop()

# udp-timeout: an idle association ends.
sd2 = Sockd("udp-timeout = 1\n")
sd2.start()
c, relay = associate(sd2.port)
t0 = time.time()
got = recv_all(c, 10)
dt = time.time() - t0
check(got == b"" and 0.8 < dt < 5, "udp-timeout = 1: the control connection is closed after %.1f s" % dt)
check('end="udp timeout"' in sd2.session_line("cmd=udpassociate"), "log: udp timeout")
c.close()
sd2.stop()
# One association cannot send into another's relay: a client on the
# proxy host that has not sent yet would otherwise take the outward
# socket of the first association for its own client, and lose its
# association to whoever sent.
sd3 = Sockd("", workers=3)
sd3.start()
vc, vrelay = associate(sd3.port)
ac, arelay = associate(sd3.port)
hdr = lambda h, p: b"\x00\x00\x00" + s5_addr(h, p)
au = udp_socket()
au.sendto(hdr("127.0.0.1", vrelay[1]) + hdr("127.0.0.1", echo.port) + b"via-victim", arelay)
time.sleep(0.3)
vu = udp_socket()
vu.sendto(hdr("127.0.0.1", echo.port) + b"victim-data", vrelay)
check(recv_or_none(vu, 3) is not None and wait_count(echo, b"victim-data") == 1,
      "a datagram to another association's relay does not take it over: the victim's is echoed")
au.sendto(b"\x00\x00\x00" + s5_addr("::ffff:127.0.0.1", vrelay[1], as_name=True) +
          hdr("127.0.0.1", echo.port) + b"via-mapped-name", arelay)
check(sd3.wait_log("destination is a UDP relay of this proxy: 127.0.0.1:%d" % vrelay[1], 5, count=2),
      "... nor one that names it as ::ffff:127.0.0.1: the second such drop")
check(echo.count(b"via-victim") == 0 and echo.count(b"via-mapped-name") == 0,
      "... and the nested datagrams went nowhere")
check(sd3.wait_log("destination is a UDP relay of this proxy", 5), "... dropped, and logged")
vc.close()
ac.close()
sd3.stop()
finish()
