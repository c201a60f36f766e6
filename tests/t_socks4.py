#!/usr/bin/env python3
"""SOCKS4 and 4a: curl --socks4/--socks4a downloads, raw CONNECT and
BIND with replies 90/91, USERID logged, `socks4 = false`."""
import socket
import struct
import time

from harness import *


def s4_request(port, cd, dport, ip="127.0.0.1", userid=b"", name=None):
    """Send a SOCKS4 (or, with name, 4a) request: the socket."""
    s = connect(port)
    dstip = socket.inet_aton("0.0.0.1" if name else ip)
    msg = b"\x04" + bytes([cd]) + struct.pack("!H", dport) + dstip + userid + b"\x00"
    if name:
        msg += name.encode() + b"\x00"
    s.sendall(msg)
    return s


def s4_reply(s, timeout=10):
    """(CD, DSTIP, DSTPORT) of an 8-byte reply, or None."""
    r = recv_exact(s, 8, timeout)
    if len(r) != 8 or r[0] != 0:
        return None
    return r[1], socket.inet_ntoa(r[4:8]), struct.unpack("!H", r[2:4])[0]


d = tmpdir()
big, big_sum = make_file(d, "big.bin", 2 * 1024 * 1024)
http4 = HttpServer(d)
echo = EchoServer()

sd = Sockd("bind-timeout = 2\n")
sd.start()

url = "http://127.0.0.1:%d/big.bin" % http4.port
rc, body = curl("--socks4", "127.0.0.1:%d" % sd.port, url)
check(rc == 0 and hashlib.sha256(body).hexdigest() == big_sum, "curl --socks4: 2 MiB, sha256 matches")
url = "http://localhost:%d/big.bin" % http4.port
rc, body = curl("--socks4a", "127.0.0.1:%d" % sd.port, url)
check(rc == 0 and hashlib.sha256(body).hexdigest() == big_sum, "curl --socks4a (name sent to the proxy): sha256 matches")
check("version=4" in sd.session_line("target=localhost:%d" % http4.port), "log: the 4a name as target, version=4")

# Raw CONNECT with a USERID: reply 90, data, the USERID logged as user.
s = s4_request(sd.port, 1, echo.port, userid=b"bob")
rep = s4_reply(s)
check(rep is not None and rep[0] == 90, "SOCKS4 CONNECT: reply 90")
s.sendall(b"four")
check(recv_exact(s, 4) == b"four", "SOCKS4 CONNECT: data echoed")
s.close()
l = sd.session_line("target=127.0.0.1:%d" % echo.port)
check("user=bob " in l, "log: USERID as user=bob")
check("reply=90(request granted)" in l, "log: the SOCKS4 reply code as sent, 90")

# A refused port: 91, and 91 in the log (the reason in end=).
closed = closed_port()
s = s4_request(sd.port, 1, closed)
rep = s4_reply(s)
check(rep is not None and rep[0] == 91, "SOCKS4 CONNECT to a closed port: reply 91")
s.close()
l = sd.session_line("target=127.0.0.1:%d" % closed)
check("reply=91(request rejected or failed)" in l and "Connection refused" in l,
      "log: reply=91 as sent, the refusal in end= (%s)" % l[-90:])
check(" remote=127.0.0.1:%d " % closed in l, "log: the refused address and port as remote=")

# 0.0.0.0 reaches this host on Linux, past rules about 127.0.0.0/8: 91.
s = s4_request(sd.port, 1, echo.port, ip="0.0.0.0")
rep = s4_reply(s)
check(rep is not None and rep[0] == 91, "SOCKS4 CONNECT to 0.0.0.0: reply 91")
s.close()
check("unspecified destination" in sd.session_line("target=0.0.0.0:%d" % echo.port),
      "log: the unspecified destination named")

# An unknown command: 91.
s = s4_request(sd.port, 3, 80)
rep = s4_reply(s)
check(rep is not None and rep[0] == 91, "SOCKS4 command 3: reply 91")
s.close()
l = sd.session_line("unsupported SOCKS4 command 0x03")
check(" version=4 " in l and " cmd=unknown " in l, "log: SOCKS4 command 3 is cmd=unknown, not udpassociate")

# BIND: 90 with the listening address, then 90 with the remote's.
s = s4_request(sd.port, 2, 21, userid=b"ftp")
rep1 = s4_reply(s)
check(rep1 is not None and rep1[0] == 90 and rep1[1] == "127.0.0.1" and rep1[2] > 0,
      "SOCKS4 BIND: first reply 90 with DSTIP/DSTPORT to connect to")
r = socket.create_connection((rep1[1], rep1[2]), timeout=10)
rep2 = s4_reply(s)
check(rep2 is not None and rep2[0] == 90 and rep2[1] == "127.0.0.1" and rep2[2] == r.getsockname()[1],
      "SOCKS4 BIND: second reply 90 with the remote's address and port")
r.sendall(b"220 hello\r\n")
check(recv_exact(s, 11) == b"220 hello\r\n", "SOCKS4 BIND: remote to client")
s.sendall(b"QUIT\r\n")
check(recv_exact(r, 6) == b"QUIT\r\n", "SOCKS4 BIND: client to remote")
s.close()
r.close()
check("cmd=bind" in sd.session_line("user=ftp"), "log: SOCKS4 BIND session")

# BIND, wrong remote: 91.
s = s4_request(sd.port, 2, 21)
rep1 = s4_reply(s)
r = socket.socket()
r.bind(("127.0.0.2", 0))
r.settimeout(10)
r.connect((rep1[1], rep1[2]))
rep2 = s4_reply(s)
check(rep2 is not None and rep2[0] == 91, "SOCKS4 BIND: a remote other than DSTIP gets reply 91")
s.close()
r.close()

# 4a BIND with a name.
s = s4_request(sd.port, 2, 21, name="localhost")
rep1 = s4_reply(s)
check(rep1 is not None and rep1[0] == 90 and rep1[1] == "127.0.0.1", "SOCKS4a BIND localhost: reply 90, 127.0.0.1")
r = socket.create_connection((rep1[1], rep1[2]), timeout=10)
rep2 = s4_reply(s)
check(rep2 is not None and rep2[0] == 90, "SOCKS4a BIND: second reply 90")
s.close()
r.close()

# A 4a name that is an IPv6 literal in brackets, as socat sends it: the
# address, logged once bracketed.
echo6 = EchoServer(socket.AF_INET6)
s = s4_request(sd.port, 1, echo6.port, name="[::1]")
rep = s4_reply(s)
ok = rep is not None and rep[0] == 90
if ok:
    s.sendall(b"ping6")
    ok = recv_exact(s, 5, 10) == b"ping6"
s.close()
check(ok, "SOCKS4a CONNECT to the name [::1]: 90, data echoed")
check(sd.session_line("target=[::1]:%d " % echo6.port) != "", "log: target=[::1]:port, bracketed once")

# BIND timeout: 91.
s = s4_request(sd.port, 2, 21)
rep1 = s4_reply(s)
rep2 = s4_reply(s, 10)
check(rep1 and rep1[0] == 90 and rep2 is not None and rep2[0] == 91, "SOCKS4 BIND timeout: reply 91")
s.close()
sd.stop()

# A hostile USERID is escaped exactly once, in every line that names it
# (the session line, and the rules' connect and error lines), and a long
# unprintable one is logged whole: it used to be stored escaped, escaped
# again when logged, and cut to about 63 bytes.
rl = Sockd("", rules='client pass { from = "127.0.0.0/8" }\n'
           'socks pass { from = "127.0.0.0/8" to = "0/0" log = { "connect", "error" } }\n')
rl.start()
closed = closed_port()
s = s4_request(rl.port, 1, closed, userid=b'a\nb\x1b[31m\\x"%n')
rep = s4_reply(s)
s.close()
want = r"user=a\x0ab\x1b[31m\x5cx\x22%n "
l = rl.session_line("target=127.0.0.1:%d remote=" % closed)
check(rep is not None and rep[0] == 91 and want in l, "log: a hostile USERID escaped once (%s)" % l[50:110])
check(rl.wait_log("connect client=", 5) and rl.wait_log("error client=", 5), "the rules' connect and error lines")
log = rl.logtext()
check(all(want in x for x in log.splitlines() if "connect client=" in x or "error client=" in x),
      "rules' connect and error lines: the USERID escaped once")
check("\\x5cx" not in log.replace(r"\x5cx\x22", ""), "no escape of an escape anywhere in the log")
s = s4_request(rl.port, 1, echo.port, userid=b"u" * 600)
rep = s4_reply(s)
check(rep is not None and rep[0] == 90, "a 600-byte USERID (the spec sets no limit): 90, as Dante")
s.close()
l = rl.session_line("user=" + "u" * 255 + " ")
check(l != "", "  ... logged as its first 255 bytes")
s = s4_request(rl.port, 1, closed, userid=b"\x01" * 255)
s4_reply(s)
s.close()
l = rl.session_line("user=\\x01")
check("user=" + "\\x01" * 255 + " " in l, "log: a 255-byte unprintable USERID whole, 255 escapes")
rl.stop()

# SOCKS4 has no authentication: where methods lacks none, it is refused.
pwfile = os.path.join(tmpdir(), "sockd.passwd")
open(pwfile, "w").close()
os.chmod(pwfile, 0o644)
pw = Sockd('methods = { "password" }\npasswd-file = "%s"\n' % pwfile)
pw.start()
s = s4_request(pw.port, 1, echo.port, userid=b"alice")
rep = s4_reply(s)
check(rep is not None and rep[0] == 91, "methods = password only: SOCKS4 CONNECT gets 91")
s.close()
check("methods does not list none" in pw.session_line("target=127.0.0.1:%d" % echo.port),
      "methods = password only: the refusal logged")
rc, _ = curl("--socks4a", "127.0.0.1:%d" % pw.port, "http://127.0.0.1:%d/big.bin" % http4.port)
check(rc != 0, "methods = password only: curl --socks4a fails")
pw.stop()

# socks4 = false: SOCKS4 requests are closed unanswered, SOCKS5 still works.
off = Sockd("socks4 = false\n")
check(off.check_conf()[0] == 0, "sockd -n accepts socks4 = false")
off.start()
s = s4_request(off.port, 1, echo.port)
check(recv_all(s, 5) == b"", "socks4 = false: a SOCKS4 request is closed without a reply")
s.close()
check(off.session_line("SOCKS4 is disabled") != "", "socks4 = false: logged")
rc, _ = curl("--socks4", "127.0.0.1:%d" % off.port, "http://127.0.0.1:%d/big.bin" % http4.port)
check(rc != 0, "socks4 = false: curl --socks4 fails")
rc, body = curl("--socks5", "127.0.0.1:%d" % off.port, "http://127.0.0.1:%d/big.bin" % http4.port)
check(rc == 0 and hashlib.sha256(body).hexdigest() == big_sum, "socks4 = false: SOCKS5 still works")
off.stop()
finish()
