#!/usr/bin/env python3
"""SIGHUP: 50 transfers of 4 MiB in flight all complete with the right
sha256 while a new generation takes over; later sessions use the new
configuration (SOCKS4 turned off, a new listener), even a client that
connects the moment the reload is logged; a broken file, a truncated one,
one without rules or with a listen address that cannot be opened keeps
the running configuration."""
import re
import signal
import struct
import subprocess
import time

from harness import *

N, SIZE = 50, 4 * 1024 * 1024
d = tmpdir()
path, digest = make_file(d, "big.bin", SIZE)
http = SlowHttpServer(open(path, "rb").read())
echo = EchoServer()
sd = Sockd("min-spare-workers = 2\nmax-spare-workers = 64\nmax-workers = 128\n", workers=56)
sd.start()
conf0 = open(sd.conf).read()


def socks4(port):
    """A SOCKS4 CONNECT to the echo server: the reply code, or None."""
    try:
        s = connect(port)
        s.sendall(b"\x04\x01" + struct.pack("!H", echo.port) + socket.inet_aton("127.0.0.1") + b"\x00")
        r = recv_exact(s, 8, 5)
        s.close()
        return r[1] if len(r) == 8 else None
    except OSError:
        return None


def echo_ok(port):
    try:
        s, rep = s5_connect(port, "127.0.0.1", echo.port)
        s.sendall(b"ping")
        ok = rep and rep[0] == 0 and recv_exact(s, 4) == b"ping"
        s.close()
        return bool(ok)
    except OSError:
        return False


check(socks4(sd.port) == 90, "before the reload SOCKS4 is served")

url = "http://127.0.0.1:%d/big.bin" % http.port
procs = []
for i in range(N):
    out = os.path.join(d, "out%d" % i)
    procs.append((out, subprocess.Popen(
        ["curl", "-s", "-S", "--max-time", "60", "-o", out,
         "--socks5", "127.0.0.1:%d" % sd.port, url])))
relaying = 0
for _ in range(40):
    st = sd.scoreboard()
    relaying = st["relaying"] if st else 0
    if relaying >= N:
        break
    time.sleep(0.25)
check(relaying >= N, "%d transfers relaying before SIGHUP" % relaying)

newport = free_port()
conf1 = conf0.replace('listen = { "127.0.0.1:%d" }' % sd.port,
                      'listen = { "127.0.0.1:%d", "127.0.0.1:%d" }' % (sd.port, newport))
conf1 += "socks4 = false\n"
sd.write_conf(conf1)
t_hup = time.time()
sd.signal(signal.SIGHUP)
check(sd.wait_log("configuration reloaded (generation 1)", 10), "SIGHUP: configuration reloaded, generation 1")
time.sleep(0.5)
check(socks4(sd.port) != 90, "after the reload SOCKS4 is refused (new config)")
check(sd.wait_log("SOCKS4 is disabled", 5), "the log says SOCKS4 is disabled")
check(echo_ok(newport), "the new listener 127.0.0.1:%d serves after the reload" % newport)
check(echo_ok(sd.port), "the old listener still serves")
st = sd.scoreboard()
check(st and st["generation"] == 1 and st["old"] >= N * 0.8,
      "old-generation workers still finish their transfers (%s)" % (st and st["old"]))

bad = 0
for out, p in procs:
    rc = p.wait(90)
    if rc != 0 or sha256_file(out) != digest:
        bad += 1
check(bad == 0, "all %d transfers in flight across SIGHUP complete, sha256 right (%d bad, %.1f s after HUP)"
      % (N, bad, time.time() - t_hup))
for _ in range(50):  # curl may be done before the worker logs the end
    lines = [l for l in sd.session_lines() if "target=127.0.0.1:%d" % http.port in l]
    if len(lines) >= N:
        break
    time.sleep(0.1)
check(len(lines) == N and all('end="closed"' in l and "bytes_in=%d" % 0 not in l for l in lines),
      "%d session lines, each closed normally" % len(lines))
old_gone = False
for _ in range(30):
    st = sd.scoreboard()
    if st and st["old"] == 0:
        old_gone = True
        break
    time.sleep(0.2)
check(old_gone, "the old generation is gone once its sessions ended")

# A broken file: the running configuration stays.
sd.write_conf(conf1 + "workers = banana\n")
sd.signal(signal.SIGHUP)
check(sd.wait_log("reload failed: keeping the running configuration", 10),
      "SIGHUP with a broken config: 'reload failed' logged")
check(echo_ok(sd.port) and echo_ok(newport), "service goes on on both listeners")
check(socks4(sd.port) != 90, "the running (generation 1) config still applies")
st = sd.scoreboard()
check(st and st["generation"] == 1, "still generation 1")
check(sd.proc.poll() is None, "the daemon is still running")

# A truncated file (the last section's '}' missing) is broken too.
sd.write_conf(conf1 + 'socks block { to = "10.0.0.0/8"\n')
sd.signal(signal.SIGHUP)
check(sd.wait_log("reload failed: keeping the running configuration", 10, count=2),
      "SIGHUP with a truncated config: 'reload failed' logged")
line = conf1.count("\n") + 1
check("sockd.conf:%d: section not closed ('}' missing)" % line in sd.logtext(),
      "the log names the line of the unclosed section (%d)" % line)
st = sd.scoreboard()
check(st and st["generation"] == 1, "still generation 1")


def refused_reload(text, needle, what):
    """A reload of text fails with needle logged; the running config stays."""
    n = sd.logtext().count(needle)
    sd.write_conf(text)
    sd.signal(signal.SIGHUP)
    check(sd.wait_log(needle, 10, count=n + 1), what + ": '%s' logged" % needle)
    st = sd.scoreboard()
    check(st and st["generation"] == 1 and echo_ok(sd.port) and echo_ok(newport),
          what + ": still generation 1, both listeners serve")


# All or nothing: a listen address that cannot be opened fails the reload,
# so the rules never see listeners that are not there.
taken = conf1.replace('"127.0.0.1:%d" }' % newport, '"127.0.0.1:%d", "127.0.0.1:%d" }'
                      % (newport, echo.port))
refused_reload(taken, "reload failed: cannot listen on 127.0.0.1:%d" % echo.port,
               "a new listen port that is taken")
check(echo_ok(sd.port), "the service on that port is no proxy listener: CONNECT to it works")
if os.geteuid() == 0:
    low = conf1.replace('"127.0.0.1:%d" }' % newport, '"127.0.0.1:%d", "127.0.0.1:1023" }' % newport)
    refused_reload(low, "cannot listen on 127.0.0.1:1023 (a port below 1024 after dropping root",
                   "a port below 1024 after dropping root")
# A file caught half written: no rules, or nothing at all.
norules = "".join(l for l in conf1.splitlines(True) if not l.startswith("socks "))
refused_reload(norules, "has no socks rules", "a file without socks rules")
refused_reload("", "has no client rules", "an empty file")
sd.write_conf(conf1)

# Every client that connects once the reload is logged gets the new
# rules: an old worker woken by it with its SIGTERM still pending must
# leave it to the new generation, and not lose it either.
block = 'socks block { to = { "127.0.0.1/32" } port = { "%d" } }\n' % echo.port
stale = lost = 0
for g in range(2, 32):
    blocked = g % 2 == 0
    sd.write_conf(block + conf1 if blocked else conf1)
    sd.signal(signal.SIGHUP)
    needle = "configuration reloaded (generation %d)" % g
    end = time.time() + 10
    while needle not in sd.logtext() and time.time() < end:
        time.sleep(0.0005)
    try:
        s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
        s.close()
    except OSError:
        rep = None
    if rep is None:
        lost += 1
    elif rep[0] != (2 if blocked else 0):
        stale += 1
check(lost == 0 and stale == 0, "30 reloads, a client at once after each: "
      "none unanswered (%d), none under the old rules (%d)" % (lost, stale))

check(sd.stop() == 0, "SIGTERM: exit status 0")
# A config reached through a symlink is re-read through it: a deployment
# that switches the link (ln -sfn, a Kubernetes ConfigMap) gets the file it
# points to now, not the one it pointed to at start.
ls = Sockd("", workers=2)
text = open(ls.conf).read()
link, a, b = (os.path.join(ls.dir, n) for n in ("link.conf", "a.conf", "b.conf"))
for name, body in ((a, text), (b, text + "socks4 = false\n")):
    with open(name, "w") as f:
        f.write(body)
    os.chmod(name, 0o644)
os.symlink(a, link)
ls.conf = link
ls.start()
check(socks4(ls.port) == 90, "started through a symlink to a.conf: SOCKS4 served")
os.symlink(b, link + ".new")
os.replace(link + ".new", link)
ls.signal(signal.SIGHUP)
check(ls.wait_log("configuration reloaded (generation 1)", 10) and
      ("SIGHUP: reloading %s" % link) in ls.logtext(),
      "SIGHUP after the link moved to b.conf: reloads %s" % link)
check(socks4(ls.port) != 90 and echo_ok(ls.port), "b.conf applies: SOCKS4 turned off, SOCKS5 served")
ls.stop()

# A listener removed while an old worker is still negotiating with a
# client closes at the reload all the same (the old worker lets go of it),
# so the next reload can put it back.
p2 = free_port()
rl = Sockd("negotiate-timeout = 30\n", workers=2,
           listen=["127.0.0.1:%d" % free_port(), "127.0.0.1:%d" % p2])
rl.start()
two = open(rl.conf).read()
one = two.replace(', "127.0.0.1:%d"' % p2, "")
silent = connect(p2)
silent.sendall(b"\x05\x01\x00")
check(recv_exact(silent, 2) == b"\x05\x00", "a client on the second listener goes silent")
rl.write_conf(one)
rl.signal(signal.SIGHUP)
check(rl.wait_log("configuration reloaded (generation 1)", 10), "reload without the second listener")
check(refused_within(p2) is not None,
      "the removed listener refuses connections while the old worker negotiates")
rl.write_conf(two)
rl.signal(signal.SIGHUP)
check(rl.wait_log("configuration reloaded (generation 2)", 10), "a reload that puts it back succeeds")
check(echo_ok(p2), "the listener put back serves")
silent.close()

# A user that a reload cannot apply, and that does not exist: the
# restart it asks for would fail, so it says that now, with the line.
text = open(rl.conf).read()
if 'user = "' in text:
    rl.write_conf(re.sub(r'user = "[^"]*"', 'user = "no-such-user-9"', text))
    rl.signal(signal.SIGHUP)
    check(rl.wait_log("configuration reloaded (generation 3)", 10) and
          "sockd.conf:2: the user or group to run as does not exist: a restart with this "
          "file would fail" in rl.logtext() and "user changed: restart sockd to apply" in rl.logtext(),
          "reload to a user that does not exist: says a restart would fail, with file and line")

# Reloads more often than a quarter of idle-timeout: an idle relay left
# with an old-generation worker still ends at idle-timeout.  Each reload
# sent every old worker SIGTERM again, and each signal restarted the
# relay's wait for its next look from zero.
echo = EchoServer()
it = Sockd("idle-timeout = 2\n", workers=2).start()
s, rep = s5_connect(it.port, "127.0.0.1", echo.port)
s.sendall(b"hi")
check(rep is not None and rep[0] == 0 and recv_exact(s, 2) == b"hi", "an idle relay")
t0, ended = time.time(), None
s.settimeout(0.3)
for i in range(20):                   # 6 s of reloads, 0.3 s apart
    it.signal(signal.SIGHUP)
    try:
        if s.recv(16) == b"":
            ended = time.time() - t0
            break
    except socket.timeout:
        pass
    except OSError:
        ended = time.time() - t0
        break
s.close()
check(ended is not None and ended < 4.0,
      "reloads every 0.3 s: the idle relay still ends at idle-timeout 2 s (%s)" %
      ("%.1f s" % ended if ended else "not within 6 s"))
check('end="idle timeout"' in it.session_line("target=127.0.0.1:%d" % echo.port),
      "  ... logged as the idle timeout")
it.stop()
finish()
