#!/usr/bin/env python3
"""Logging to syslog, as a daemon (no -d) does.  Without a syslog socket
syslog(3) drops every line without a word, so sockd says so on standard
error before it detaches; with one, it does not, and each session's one
line arrives there at facility daemon, level info, as sockd[PID] of a
worker.  The second half binds a directory with a socket of the test's
own over /dev in a mount namespace of the daemon's, which takes root;
elsewhere it is skipped."""
import re
import shutil
import signal
import subprocess

from harness import *

WARNING = "log lines are lost until a syslog daemon listens there"


def syslog_reachable(path="/dev/log"):
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        try:
            s.connect(path)
            return True
        except OSError:
            return False


def daemon(sd, wrapper=()):
    """Start sd's config as a daemon: (exit status, stderr, master pid)."""
    r = subprocess.run(list(wrapper) + [SOCKD, "-f", sd.conf], capture_output=True,
                       text=True, timeout=10)
    return r.returncode, r.stderr, sd.wait_pidfile()


def stop(pid):
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not os.path.exists("/proc/%d" % pid):
            return
        if open("/proc/%d/stat" % pid).read().split()[2] == "Z":
            return
        time.sleep(0.1)


def can_unshare():
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    r = subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=10)
    return r.returncode == 0


# This machine's /dev/log, whichever way it is: the warning says how it is.
sd = Sockd("", workers=1)
rc, err, pid = daemon(sd)
if syslog_reachable():
    check(rc == 0 and WARNING not in err, "a syslog socket at /dev/log: no warning")
else:
    check(rc == 0 and "syslog socket /dev/log: " in err and WARNING in err,
          "no syslog socket at /dev/log: said on stderr before detaching (%r)" % err.strip())
stop(pid)

if not can_unshare():
    print("skip - needs root and unshare -m for a /dev/log of the test's own")
    finish()

dev = os.path.join(tmpdir(), "dev")
os.mkdir(dev)
os.chmod(dev, 0o755)
open(os.path.join(dev, "null"), "w").close()
log = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
log.bind(os.path.join(dev, "log"))
os.chmod(os.path.join(dev, "log"), 0o666)   # workers write it as nobody
log.settimeout(0.2)
wrapper = ["unshare", "-m", "sh", "-c",
           'mount --bind /dev/null "$0/null" && mount --rbind "$0" /dev && exec "$@"', dev]

echo = EchoServer()
sd = Sockd("", workers=1)
rc, err, pid = daemon(sd, wrapper)
check(rc == 0 and pid and WARNING not in err,
      "a syslog socket at /dev/log: started, no warning (%r)" % err.strip())
s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
s.sendall(b"ping")
check(rep is not None and rep[0] == 0 and recv_exact(s, 4) == b"ping", "a session through the daemon")
s.close()

lines, end = [], time.time() + 10
want = "target=127.0.0.1:%d" % echo.port
while time.time() < end and not any(want in l for l in lines):
    try:
        lines.append(log.recv(8192).decode(errors="replace"))
    except socket.timeout:
        pass
session = [l for l in lines if " session " in l and want in l]
check(len(session) == 1, "one session line reached syslog (%d)" % len(session))
m = re.match(r"<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d sockd\[(\d+)\]: session ", session[0] if session else "")
check(m is not None and int(m.group(1)) == 3 * 8 + 6,
      "at daemon.info, as sockd[PID]: %r" % (session[0][:60] if session else ""))
ppid = None
if m and os.path.exists("/proc/%s/stat" % m.group(2)):
    ppid = int(open("/proc/%s/stat" % m.group(2)).read().rsplit(")", 1)[1].split()[1])
check(pid is not None and ppid == pid, "PID is a worker of the master %s (its parent: %s)" % (pid, ppid))
check(any(re.search(r"sockd\[%d\]: .*started" % pid, l) for l in lines),
      "the master's start line reached syslog too")
stop(pid)

# What reading the config warns at start reaches syslog too, not only
# the starter's terminal (an init script or cron loses that).
sd = Sockd('client pass { from = "127.0.0.1/8" }\n', workers=1)
rc, err, pid = daemon(sd, wrapper)
lines, end = [], time.time() + 5
while time.time() < end and not any("started" in l for l in lines):
    try:
        lines.append(log.recv(8192).decode(errors="replace"))
    except socket.timeout:
        pass
check(rc == 0 and "host bits" in err, "a config warning at start: on standard error")
warned = [l for l in lines if "host bits" in l]
check(len(warned) == 1 and warned[0].startswith("<28>"),
      "... and once in syslog, at daemon.warning (%r)" % (warned[0][:70] if warned else lines[:3]))
stop(pid)
# ... unless log-level says warnings are not wanted.
sd = Sockd('client pass { from = "127.0.0.1/8" }\n', workers=1)
sd.write_conf(open(sd.conf).read().replace('log-level = "debug"', 'log-level = "err"'))
rc, err, pid = daemon(sd, wrapper)
lines, end = [], time.time() + 2
while time.time() < end:
    try:
        lines.append(log.recv(8192).decode(errors="replace"))
    except socket.timeout:
        pass
check(rc == 0 and pid and not any("host bits" in l for l in lines),
      "log-level = err: the held warning is not sent to syslog")
stop(pid)

def drain(sock, until, secs):
    """Datagrams read from sock until one contains until, or secs pass."""
    got, end = [], time.time() + secs
    while time.time() < end and not any(until in l for l in got):
        try:
            got.append(sock.recv(8192).decode(errors="replace"))
        except socket.timeout:
            pass
    return got


# A failed reload is an error (daemon.err), so that log-level = "err" or
# a syslog rule on *.err shows it; its reason comes first, at warning.
sd = Sockd("", workers=1)
rc, err, pid = daemon(sd, wrapper)
drain(log, "started", 5)
sd.write_conf(open(sd.conf).read() + "workers = many\n")
os.kill(pid, signal.SIGHUP)
lines = drain(log, "reload failed", 5)
failed = [l for l in lines if "reload failed" in l]
check(rc == 0 and len(failed) == 1 and failed[0].startswith("<27>") and
      any(l.startswith("<28>") and "workers" in l for l in lines),
      "a failed reload: the reason at daemon.warning, then 'reload failed' at "
      "daemon.err (%r)" % lines[-2:])
stop(pid)


# A daemon that fails to start says why in syslog too, where a boot's
# console text is lost: every line it held, the fatal one at crit.
sd = Sockd("", workers=1)
sd.write_conf(open(sd.conf).read().replace('log-facility = "daemon"', "") +
              'log-facility = "local3"\n')
taken = socket.socket()
taken.bind(("127.0.0.1", sd.port))
taken.listen(1)
rc, err, pid = daemon(sd, wrapper)
lines = drain(log, "cannot open the listening sockets", 5)
taken.close()
check(rc == 1 and "Address already in use" in err, "a port in use: exit 1, said on stderr")
bind = [l for l in lines if "Address already in use" in l]
fatal = [l for l in lines if "cannot open the listening sockets" in l]
check(len(bind) == 1 and sd.conf in bind[0] and len(fatal) == 1 and
      fatal[0].startswith("<%d>" % (19 * 8 + 2)),
      "... and in syslog: the bind error with file:line, the end at local3.crit (%r)" % lines[:3])
sd = Sockd("", workers=1)
sd.write_conf(open(sd.conf).read() + "workers = many\n")
rc, err, pid = daemon(sd, wrapper)
lines = drain(log, "configuration has errors", 5)
check(rc == 1 and any(sd.conf in l and "workers" in l for l in lines) and
      any(l.startswith("<26>") and "configuration has errors" in l for l in lines),
      "a config error at start: in syslog at daemon.crit, naming the file (%r)" % lines[:3])


# A stream socket at /dev/log (syslog-ng's unix-stream), which syslog(3)
# uses when a datagram is refused: no warning either.
log.close()
os.unlink(os.path.join(dev, "log"))
slog = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
slog.bind(os.path.join(dev, "log"))
os.chmod(os.path.join(dev, "log"), 0o666)
slog.listen(64)
sd = Sockd("", workers=1)
rc, err, pid = daemon(sd, wrapper)
check(rc == 0 and pid and WARNING not in err,
      "a stream syslog socket at /dev/log: started, no warning (%r)" % err.strip())
stop(pid)
slog.close()
finish()
