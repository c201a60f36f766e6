#!/usr/bin/env python3
"""The npm "socks" client (Debian's node-socks) against sockd: CONNECT,
BIND and UDP ASSOCIATE over SOCKS5 and SOCKS4/4a, IPv4, IPv6 and names,
RFC 1929 logins, and the reply codes it turns into errors.  Skipped
where node or the module is missing (contrib/deps installs both)."""
import json
import shutil
import os

from harness import *

SCRIPT = os.path.join(TOP_SRCDIR, "tests", "node_socks.js")
NODE_PATH = "/usr/share/nodejs"      # where Debian puts node-socks
NODE = shutil.which("node") or shutil.which("nodejs")


def node(command, proxy, version, dest, *login):
    """Run node_socks.js: its JSON result, or an error dict."""
    env = dict(os.environ, NODE_PATH=NODE_PATH)
    try:
        r = subprocess.run([NODE, SCRIPT, command, proxy, str(version), dest] + list(login),
                           capture_output=True, text=True, timeout=20, env=env)
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (subprocess.TimeoutExpired, ValueError, IndexError) as e:
        return {"ok": False, "error": "no result: %s" % e}


def why(res):
    """What went wrong, for a check's text."""
    return "" if res["ok"] else " (%s)" % res["error"]


def node_has_socks():
    if NODE is None:
        return False
    r = subprocess.run([NODE, "-e", "require('socks')"], capture_output=True,
                       env=dict(os.environ, NODE_PATH=NODE_PATH), timeout=20)
    return r.returncode == 0


if not node_has_socks():
    print("skip - node and the npm socks module (Debian node-socks) are not installed")
    sys.exit(77)

d = tmpdir()
pwfile = os.path.join(d, "sockd.passwd")
r = subprocess.run([os.path.join(TOP_BUILDDIR, "src", "sockpasswd"), "-i", "-f", pwfile,
                    "add", "alice"], input=b"wonderland\n", capture_output=True, timeout=30)
check(r.returncode == 0, "sockpasswd add alice")
os.chmod(pwfile, 0o644)          # the daemon runs as nobody in the tests

echo4, echo6 = EchoServer(), EchoServer(socket.AF_INET6)
udp4, udp6 = UdpEchoServer(), UdpEchoServer(socket.AF_INET6)
e4, e6 = "127.0.0.1:%d" % echo4.port, "[::1]:%d" % echo6.port
u4, u6 = "127.0.0.1:%d" % udp4.port, "[::1]:%d" % udp6.port

port4, port6 = free_port(), free_port(socket.AF_INET6)
blocked = closed_port()
sd = Sockd("bind-timeout = 5\n", port=port4,
           listen=["127.0.0.1:%d" % port4, "[::1]:%d" % port6],
           rules='client pass { from = "127.0.0.0/8" }\nclient pass { from = "::1/128" }\n'
                 'socks block { to = "127.0.0.1/32" port = "%d" }\n'
                 'socks pass { from = "127.0.0.0/8" }\nsocks pass { from = "::1/128" }\n'
                 % blocked)
sd.start()
P4, P6 = "127.0.0.1:%d" % port4, "[::1]:%d" % port6

# --- CONNECT ---------------------------------------------------------------
for proxy, version, dest, what in [
        (P4, 5, e4, "SOCKS5 to an IPv4 address"),
        (P4, 5, "localhost:%d" % echo4.port, "SOCKS5 to a name"),
        (P4, 5, e6, "SOCKS5 to an IPv6 address"),
        (P6, 5, e4, "SOCKS5 over an IPv6 listener"),
        (P4, 4, e4, "SOCKS4"),
        (P4, 4, "localhost:%d" % echo4.port, "SOCKS4a (a name)")]:
    res = node("connect", proxy, version, dest)
    check(res["ok"], "node socks CONNECT, %s: data echoed" % what + why(res))
res = node("connect", P4, 5, e6)
check((res.get("bound") or {}).get("host") == "::1", "SOCKS5 reply BND.ADDR: the IPv6 address sockd connected from")
check(sd.session_line("version=4 user=- cmd=connect target=localhost:%d " % echo4.port) != "",
      "log: the 4a session, target by name")

closed = closed_port()
res = node("connect", P4, 5, "127.0.0.1:%d" % closed)
check(not res["ok"] and "ConnectionRefused" in res.get("error", ""),
      "a refused port: REP 0x05, ConnectionRefused to node (%s)" % res.get("error", "it succeeded"))
res = node("connect", P4, 4, "127.0.0.1:%d" % closed)
check(not res["ok"] and "Socks4 Proxy rejected" in res.get("error", ""),
      "SOCKS4 to a refused port: reply 91 (%s)" % res.get("error", "it succeeded"))
res = node("connect", P4, 5, "127.0.0.1:%d" % blocked)
check(not res["ok"] and "NotAllowed" in res.get("error", ""),
      "a port a socks rule blocks: REP 0x02, NotAllowed to node (%s)" % res.get("error", "it succeeded"))

# --- BIND ------------------------------------------------------------------
for proxy, version, dest, what in [(P4, 5, "127.0.0.1:0", "SOCKS5"),
                                   (P4, 4, "127.0.0.1:0", "SOCKS4"),
                                   (P6, 5, "[::1]:0", "SOCKS5 over IPv6")]:
    res = node("bind", proxy, version, dest)
    check(res["ok"], "node socks BIND, %s: both replies, data from the peer" % what + why(res))
    if res["ok"]:
        check(res["first"]["port"] != 0 and res["second"]["port"] != 0,
              "  ... first reply names the listening port, second the peer's")
check(len([l for l in sd.session_lines() if "cmd=bind" in l and "reply=0x00" in l]) == 2
      and any("cmd=bind" in l and "reply=90" in l for l in sd.session_lines()),
      "log: a session line for each BIND")

# --- UDP ASSOCIATE ---------------------------------------------------------
for proxy, dest, what in [(P4, u4, "IPv4"), (P4, u6, "IPv4 client, IPv6 target"),
                          (P6, u6, "IPv6"), (P6, u4, "IPv6 client, IPv4 target")]:
    res = node("associate", proxy, 5, dest)
    check(res["ok"], "node socks UDP ASSOCIATE, %s: a datagram echoed" % what + why(res))
    if res["ok"]:
        port = int(dest.rsplit(":", 1)[1])
        check(res["from"]["port"] == port, "  ... the answer's header names the target")
udp_lines = [l for l in sd.session_lines() if "cmd=udpassociate" in l]
check(len(udp_lines) == 4 and all("dgrams_out=1 dgrams_in=1 dropped=0" in l for l in udp_lines),
      "log: one line per association, one datagram each way")
sd.stop()

# --- RFC 1929 --------------------------------------------------------------
sda = Sockd('methods = { "password" }\npasswd-file = "%s"\n' % pwfile)
sda.start()
PA = "127.0.0.1:%d" % sda.port
res = node("connect", PA, 5, e4, "alice", "wonderland")
check(res["ok"], "node socks CONNECT with a login" + why(res))
check(sda.session_line("user=alice cmd=connect") != "", "log: user=alice")
res = node("connect", PA, 5, e4, "alice", "looking-glass")
check(not res["ok"] and "authentication" in res.get("error", "").lower(),
      "a wrong password: node says authentication failed (%s)" % res.get("error", "it succeeded"))
res = node("connect", PA, 5, e4)
check(not res["ok"] and "no accepted authentication type" in res.get("error", ""),
      "no login offered to a password-only listener: 0xFF, no acceptable method (%s)" % res.get("error", "it succeeded"))
res = node("bind", PA, 5, "127.0.0.1:0", "alice", "wonderland")
check(res["ok"], "BIND with a login" + why(res))
res = node("associate", PA, 5, u4, "alice", "wonderland")
check(res["ok"], "UDP ASSOCIATE with a login" + why(res))
sda.stop()
finish()
