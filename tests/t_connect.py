#!/usr/bin/env python3
"""CONNECT with real clients: curl downloads, IPv6, half-close, pipelining,
the session log line."""
import re
import socket
import threading
import time

from harness import *

d = tmpdir()
big, big_sum = make_file(d, "big.bin", 5 * 1024 * 1024)
http4 = HttpServer(d)
http6 = HttpServer(d, socket.AF_INET6)
echo = EchoServer()

port6 = free_port(socket.AF_INET6)
port4 = free_port()
sd = Sockd("", port=port4, listen=["127.0.0.1:%d" % port4, "[::1]:%d" % port6])
rc, out = sd.check_conf()
check(rc == 0 and "configuration OK" in out, "sockd -n accepts the test config")
sd.start()

url = "http://127.0.0.1:%d/big.bin" % http4.port
rc, body = curl("--socks5", "127.0.0.1:%d" % sd.port, url)
check(rc == 0 and hashlib.sha256(body).hexdigest() == big_sum, "curl --socks5: 5 MiB, sha256 matches")

url = "http://localhost:%d/big.bin" % http4.port
rc, body = curl("--socks5-hostname", "127.0.0.1:%d" % sd.port, url)
check(rc == 0 and hashlib.sha256(body).hexdigest() == big_sum, "curl --socks5-hostname: sha256 matches")

url = "http://[::1]:%d/big.bin" % http6.port
rc, body = curl("--socks5", "127.0.0.1:%d" % sd.port, url)
check(rc == 0 and hashlib.sha256(body).hexdigest() == big_sum, "IPv6 target through curl: sha256 matches")

rc, body = curl("-x", "socks5h://[::1]:%d" % port6, "http://127.0.0.1:%d/big.bin" % http4.port)
check(rc == 0 and hashlib.sha256(body).hexdigest() == big_sum, "IPv6 listener [::1]: sha256 matches")

# Raw CONNECT: the reply carries the outgoing socket's address.
s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
check(rep is not None and rep[0] == 0 and rep[1] == "127.0.0.1" and rep[2] > 0,
      "CONNECT reply 0x00 with BND.ADDR/BND.PORT of the outgoing socket")
# Half-close: the client ends its sending; the echo still comes back whole.
payload = os.urandom(300000)
s.sendall(payload)
s.shutdown(socket.SHUT_WR)
back = recv_all(s, 15)
check(back == payload, "half-close: all bytes sent before SHUT_WR are echoed back")
s.close()

# Bulk both ways at once (the relay moves to splice() past 256 KiB).
s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
payload = os.urandom(6 * 1024 * 1024)
got = []
reader = threading.Thread(target=lambda: got.append(recv_all(s, 150)))
reader.start()
s.sendall(payload)
s.shutdown(socket.SHUT_WR)
reader.join(160)
check(got and got[0] is not None and hashlib.sha256(got[0]).digest() == hashlib.sha256(payload).digest(),
      "6 MiB echoed both ways at once arrives intact")
s.close()

# Pipelined: greeting, request and data in one write.
s = connect(sd.port)
s.sendall(b"\x05\x01\x00" + b"\x05\x01\x00" + s5_addr("127.0.0.1", echo.port) + b"hello pipelined")
m = recv_exact(s, 2)
rep = s5_reply(s)
check(m == b"\x05\x00" and rep and rep[0] == 0, "pipelined greeting+request accepted")
check(recv_exact(s, 15) == b"hello pipelined", "data pipelined behind the request is relayed")
s.close()

# One byte at a time.
s = connect(sd.port)
msg = b"\x05\x01\x00" + b"\x05\x01\x00" + s5_addr("127.0.0.1", echo.port)
for i in range(len(msg)):
    s.sendall(msg[i:i + 1])
    time.sleep(0.01)
m = recv_exact(s, 2)
rep = s5_reply(s)
check(m == b"\x05\x00" and rep and rep[0] == 0, "greeting and request sent one byte at a time")
s.close()

# Domain name target.
s, rep = s5_connect(sd.port, "localhost", echo.port)
s.sendall(b"ping")
check(rep and rep[0] == 0 and recv_exact(s, 4) == b"ping", "CONNECT to a name (localhost)")
s.close()

# IPv6 target address.
echo6 = EchoServer(socket.AF_INET6)
s, rep = s5_connect(sd.port, "::1", echo6.port)
s.sendall(b"six")
check(rep and rep[0] == 0 and recv_exact(s, 3) == b"six", "CONNECT to an IPv6 address")
s.close()

# An IPv4-mapped IPv6 target: relayed, and BND goes back as IPv4 (ATYP 1).
s, rep = s5_connect(sd.port, "::ffff:127.0.0.1", echo.port)
s.sendall(b"mapped")
check(rep and rep[0] == 0 and rep[1] == "127.0.0.1" and recv_exact(s, 6) == b"mapped",
      "CONNECT to ::ffff:127.0.0.1: relayed, BND 127.0.0.1 as ATYP 1")
s.close()

# A link-local address without a scope cannot be reached: REP 0x03.
s, rep = s5_connect(sd.port, "fe80::1", 80)
check(rep is not None and rep[0] == 3, "CONNECT to fe80::1 (no scope) gives REP 0x03")
s.close()

# Names that are address literals (ATYP 3 "127.0.0.1", "::1"), as some
# clients send them: connected without the resolver, same as an address.
for lit, srv in (("127.0.0.1", echo), ("::1", echo6)):
    s, rep = s5_connect(sd.port, lit, srv.port, as_name=True)
    s.sendall(b"lit")
    check(rep and rep[0] == 0 and recv_exact(s, 3) == b"lit", "CONNECT to the name %s" % lit)
    s.close()
s, rep = s5_connect(sd.port, "127.0.0.1", closed_port(), as_name=True)
check(rep is not None and rep[0] == 5, "the name 127.0.0.1 on a refused port gives REP 0x05")
s.close()

# Refused port.
closed = closed_port()
s, rep = s5_connect(sd.port, "127.0.0.1", closed)
check(rep is not None and rep[0] == 5, "a refused port gives REP 0x05")
s.close()
rc, _ = curl("--socks5", "127.0.0.1:%d" % sd.port, "http://127.0.0.1:%d/" % closed)
check(rc == 97, "curl sees the refusal as a proxy handshake error (exit 97)")

# A refused CONNECT logs the address and port it tried, by address, by
# an address literal as a name, and by a name (the review saw port 0).
for host, as_name, tried in (("127.0.0.1", False, r"127\.0\.0\.1"), ("::1", False, r"\[::1\]"),
                             ("127.0.0.1", True, r"127\.0\.0\.1"),
                             ("localhost", True, r"(127\.0\.0\.1|\[::1\])")):
    port = closed_port()
    s, rep = s5_connect(sd.port, host, port, as_name=as_name)
    s.close()
    l = sd.session_line(":%d remote=" % port)
    check(rep is not None and rep[0] == 5 and
          re.search(r" remote=%s:%d reply=0x05" % (tried, port), l) is not None,
          "log: refused CONNECT to %s%s: remote= has the port tried" % (host, " (name)" if as_name else ""))

# 0.0.0.0 and :: reach this host on Linux, past any rule about 127.0.0.0/8
# or ::1: refused as destinations, as addresses and as names (REP 0x02).
for host, as_name in (("0.0.0.0", False), ("::", False), ("0.0.0.0", True),
                      ("::ffff:0.0.0.0", True), ("0", True)):
    s, rep = s5_connect(sd.port, host, echo.port, as_name=as_name)
    check(rep is not None and rep[0] == 2,
          "CONNECT to %s%s gives REP 0x02" % (host, " as a name" if as_name else ""))
    s.close()
check(sd.wait_log("unspecified destination address (this host)", 5, count=5),
      "log: the five unspecified destinations named")

# A CONNECT to the proxy's own listener is refused: a client pipelining
# such requests would otherwise chain every worker into one loop.
stray = sd.logtext().count("closed during negotiation")
for host, port in (("127.0.0.1", port4), ("::1", port6)):
    s, rep = s5_connect(sd.port, host, port)
    check(rep is not None and rep[0] == 2, "CONNECT to this proxy's own listener %s: REP 0x02" % host)
    s.close()
check(sd.wait_log("destination is this proxy's own listener", 5, count=2),
      "  ... logged as such")
time.sleep(0.3)
check(sd.logtext().count("closed during negotiation") == stray,
      "  ... refused before connecting: no second session")
s, rep = s5_connect(sd.port, "localhost", port4)
check(rep is not None and rep[0] == 2, "  ... by name (localhost) too")
s.close()
chain = b"".join(b"\x05\x01\x00" + b"\x05\x01\x00" + s5_addr("127.0.0.1", port4) for _ in range(12))
s = connect(sd.port)
s.sendall(chain)
got = recv_all(s, 5)
check(got[:2] == b"\x05\x00" and got[2:4] == b"\x05\x02",
      "12 pipelined CONNECTs to itself: the first is refused, the chain ends")
s.close()
s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
s.sendall(b"free")
check(rep and rep[0] == 0 and recv_exact(s, 4) == b"free", "  ... and a worker is free at once")
s.close()

# A name that does not resolve.
s, rep = s5_connect(sd.port, "no-such-host.invalid", 80)
check(rep is not None and rep[0] == 4, "an unknown name gives REP 0x04")
s.close()

time.sleep(0.3)
lines = sd.session_lines()
ok = [l for l in lines if "target=localhost:%d" % echo.port in l]
check(len(ok) == 1, "one session line for the name CONNECT")
if ok:
    l = ok[0]
    check(re.search(r"session [0-9a-f]{16}: client=127\.0\.0\.1:\d+ ", l) is not None, "log: session id and client")
    for field in ("cmd=connect", "remote=127.0.0.1:%d" % echo.port, "reply=0x00(succeeded)",
                  "bytes_out=4", "bytes_in=4", "duration=", 'end="closed"'):
        check(field in l, "log line has %s" % field)
check(any("reply=0x05(connection refused)" in l and "end=\"connect failed" in l for l in lines),
      "log: refused connect logged with its reason")
check(any("reply=0x04" in l and "name not found" in l for l in lines), "log: unknown name logged")

# A peer-supplied name is made printable in the log.
s, rep = s5_connect(sd.port, "bad\x01name\"x", 80)
s.close()
time.sleep(0.3)
check(any("bad\\x01name\\x22x" in l for l in sd.session_lines()), "log: peer-supplied name made printable")

# Refusals whatever the rules say are logged at notice, as blocks are,
# and say "refused", not "connect failed"; a good session is at info.
sdn = Sockd("")
sdn.write_conf(open(sdn.conf).read().replace('log-level = "debug"', 'log-level = "notice"'))
sdn.start()
for host in ("0.0.0.0", "127.0.0.1"):
    s, rep = s5_connect(sdn.port, host, echo.port if host == "0.0.0.0" else sdn.port)
    s.close()
s, rep = s5_connect(sdn.port, "127.0.0.1", echo.port)
s.close()
check('end="refused: unspecified destination address (this host)"' in
      sdn.session_line("target=0.0.0.0:"), "log-level notice: 0.0.0.0 refused, said so")
check('end="refused: destination is this proxy\'s own listener"' in
      sdn.session_line("target=127.0.0.1:%d " % sdn.port), "... and the own listener")
time.sleep(0.3)
check(len(sdn.session_lines()) == 2, "... the good session (info) not logged (%d)" %
      len(sdn.session_lines()))
sdn.stop()

check(sd.stop() == 0, "SIGTERM: exit status 0")
check(not os.path.exists(sd.pidfile), "SIGTERM: pidfile removed")
finish()
