#!/usr/bin/env python3
"""The process model: a killed worker is replaced, SIGTERM stops cleanly,
a killed master takes its workers with it, and sockd -n."""
import re
import signal
import subprocess

from harness import *

echo = EchoServer()
sd = Sockd("min-spare-workers = 3\nmax-spare-workers = 3\n", workers=3).start()
time.sleep(0.3)
before = sd.workers()
check(len(before) == 3, "three workers forked")

os.kill(before[0], signal.SIGKILL)
ok = False
for _ in range(50):
    time.sleep(0.1)
    now = sd.workers()
    if len(now) == 3 and before[0] not in now:
        ok = True
        break
check(ok, "kill -9 of a worker: the master forks a new one")
check(sd.wait_log("killed by signal 9", 5), "the worker's death is logged")
for i in range(10):
    s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
    s.close()
check(rep is not None and rep[0] == 0, "service continues after the worker died")

# A worker killed in a session: the session it lost is logged.
s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
s.sendall(b"x")
recv_exact(s, 1)
n = sd.logtext().count("scoreboard: generation=")
sd.signal(signal.SIGUSR1)
# the worker of this session: another may still be ending one of the
# sessions just above
me = "client=127.0.0.1:%d " % s.getsockname()[1]
sd.wait_log(me, 5)
m = re.search(r"scoreboard: worker (\d+) \S+ state=relaying .*" + re.escape(me), sd.logtext())
if m:
    os.kill(int(m.group(1)), signal.SIGKILL)
check(m and sd.wait_log("worker %s killed by signal 9 while relaying: session=" % m.group(1), 5),
      "kill -9 in a session: the log names the session lost")
line = [l for l in sd.logtext().splitlines() if "while relaying: session=" in l]
check(line and "target=127.0.0.1:%d" % echo.port in line[0] and "bytes_out=1 " in line[0],
      "... with its target and bytes")
check(m and sd.logtext().count("worker %s killed" % m.group(1)) == 1, "... in one line")
s.close()

# Busy and idle workers: SIGTERM lets a live session finish.
s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
sd.signal(signal.SIGTERM)
time.sleep(0.5)
s.sendall(b"after term")
check(recv_exact(s, 10) == b"after term", "SIGTERM: a session in flight keeps working")
s.close()
try:
    sd.proc.wait(10)
except subprocess.TimeoutExpired:
    pass
check(sd.proc.poll() == 0, "SIGTERM: master exits 0 once the session ends")
check(not os.path.exists(sd.pidfile), "pidfile removed")
check(sd.wait_log("stopped", 2), "stop logged")

# The master dies: workers notice and exit, the port is closed.
sd2 = Sockd("", workers=3).start()
time.sleep(0.3)
kids = sd2.workers()
sd2.signal(signal.SIGKILL)
sd2.proc.wait(5)
gone = False
for _ in range(50):
    time.sleep(0.1)
    if not any(os.path.exists("/proc/%d" % k) and
               open("/proc/%d/stat" % k).read().split()[2] != "Z" for k in kids):
        gone = True
        break
check(gone, "master killed: every worker exits")
try:
    connect(sd2.port, timeout=2).close()
    check(False, "master killed: nothing listens on the port")
except OSError:
    check(True, "master killed: nothing listens on the port")

# The pid file: a second sockd with the same one refuses to start; a pid
# file left by a killed master (its pid gone) is no obstacle.
stale = open(sd2.pidfile).read()
sd2.start()
check(open(sd2.pidfile).read() == "%d\n" % sd2.proc.pid and stale != "%d\n" % sd2.proc.pid,
      "a pid file left by a killed master: a new sockd starts and takes it")
twin = os.path.join(sd2.dir, "twin.conf")
with open(twin, "w") as f:
    f.write(open(sd2.conf).read().replace("127.0.0.1:%d" % sd2.port, "127.0.0.1:%d" % free_port()))
r = subprocess.run([SOCKD, "-d", "-f", twin], capture_output=True, text=True, timeout=10)
check(r.returncode == 1 and "sockd is already running as pid %d" % sd2.proc.pid in r.stderr,
      "a second sockd with the same pid file: exit 1, and says which pid runs")
check(open(sd2.pidfile).read() == "%d\n" % sd2.proc.pid, "the pid file still names the first")
check(sd2.stop() == 0, "the first stops cleanly")

# A master killed and not yet reaped is a zombie still named sockd: no
# obstacle either (a supervisor slow to reap, a restart at once).
zombie = subprocess.Popen([SOCKD, "-v"], stdout=subprocess.DEVNULL)
for _ in range(100):
    if open("/proc/%d/stat" % zombie.pid).read().rsplit(")", 1)[1].split()[0] == "Z":
        break
    time.sleep(0.02)
with open(sd2.pidfile, "w") as f:
    f.write("%d\n" % zombie.pid)
sd2.start()
check(open(sd2.pidfile).read() == "%d\n" % sd2.proc.pid,
      "a pid file naming a zombie sockd: a new sockd starts and takes it")
zombie.wait()
check(sd2.stop() == 0, "  ... and stops cleanly")

# sockd -n: good and bad files.
d = tmpdir()
# An address this host lacks: the file is fine, a start here would fail.
far = os.path.join(d, "far.conf")
with open(far, "w") as f:
    f.write(open(sd2.conf).read().replace("127.0.0.1:%d" % sd2.port, "192.0.2.1:%d" % sd2.port))
r = subprocess.run([SOCKD, "-n", "-f", far], capture_output=True, text=True, timeout=10)
check(r.returncode == 0 and "configuration OK" in r.stdout and
      "listen 192.0.2.1:%d: bind: Cannot assign requested address (not an address of this host)"
      % sd2.port in r.stderr and "a start here would fail to listen" in r.stderr,
      "sockd -n: a listen address this host lacks is a warning naming it")
bad = os.path.join(d, "bad.conf")
with open(bad, "w") as f:
    f.write('listen = { "127.0.0.1:1080" }\nworkers = 4\nbogus-key = 1\n')
r = subprocess.run([SOCKD, "-n", "-f", bad], capture_output=True, text=True, timeout=10)
check(r.returncode == 1 and "bad.conf:3" in r.stderr and "bogus-key" in r.stderr,
      "sockd -n: unknown key reported with file and line, exit 1")
with open(bad, "w") as f:
    f.write('listen = { "127.0.0.1:99999" }\n')
r = subprocess.run([SOCKD, "-n", "-f", bad], capture_output=True, text=True, timeout=10)
check(r.returncode == 1 and "bad.conf:1" in r.stderr, "sockd -n: bad listen address with line")
with open(bad, "w") as f:
    f.write('\n\nnegotiate-timeout = 0\n')
r = subprocess.run([SOCKD, "-n", "-f", bad], capture_output=True, text=True, timeout=10)
check(r.returncode == 1 and "bad.conf:3" in r.stderr, "sockd -n: out-of-range timeout with line")
r = subprocess.run([SOCKD, "-n", "-f", os.path.join(d, "missing.conf")],
                   capture_output=True, text=True, timeout=10)
check(r.returncode == 1 and "missing.conf" in r.stderr, "sockd -n: missing file reported")
shipped = os.path.join(TOP_SRCDIR, "etc", "sockd.conf")
r = subprocess.run([SOCKD, "-n", "-f", shipped], capture_output=True, text=True, timeout=10)
check(r.returncode == 0 and "configuration OK" in r.stdout, "sockd -n: the shipped etc/sockd.conf is OK")
r = subprocess.run([SOCKD, "-d", "-f", bad], capture_output=True, text=True, timeout=10)
check(r.returncode == 1, "start with a bad config: exit 1")
# A truncated file: libconfuse takes its end as the missing '}' or '*/'.
with open(bad, "w") as f:
    f.write('client pass { from = "127.0.0.0/8" }\nsocks pass { to = "0/0"\n')
r = subprocess.run([SOCKD, "-n", "-f", bad], capture_output=True, text=True, timeout=10)
check(r.returncode == 1 and "bad.conf:2: section not closed ('}' missing)" in r.stderr,
      "sockd -n: a section closed by the end of the file is an error naming its line")
r = subprocess.run([SOCKD, "-d", "-f", bad], capture_output=True, text=True, timeout=10)
check(r.returncode == 1 and "bad.conf:2: section not closed" in r.stderr,
      "start with a truncated config: exit 1, the line on stderr")
with open(bad, "w") as f:
    f.write('client pass { from = "127.0.0.0/8" }\n/* fix later\nsocks pass { to = "0/0" }\n')
r = subprocess.run([SOCKD, "-n", "-f", bad], capture_output=True, text=True, timeout=10)
check(r.returncode == 1 and "bad.conf:2: comment not closed ('*/' missing)" in r.stderr,
      "sockd -n: a comment left open to the end of the file is an error naming its line")

# A user that does not exist: sockd -n says so (as root, where sockd would
# become it), and a start fails on the terminal before detaching.
nouser = Sockd("")
with open(nouser.conf) as f:
    text = f.read()
nouser.write_conf(re.sub(r'user = "[^"]*"', 'user = "no-such-user-x"', text))
at = "%s:%d: " % (nouser.conf, text[:text.index('user = "')].count("\n") + 1)
r = subprocess.run([SOCKD, "-n", "-f", nouser.conf], capture_output=True, text=True, timeout=10)
check(at in r.stderr, "sockd -n: a missing user's message names the file and the line of user (%s)" % at)
if os.geteuid() == 0:
    check(r.returncode == 1 and 'cannot become user "no-such-user-x"' in r.stderr,
          "sockd -n as root: a missing user is an error (%s)" % r.stderr.strip().splitlines()[-1:])
    r = subprocess.run([SOCKD, "-f", nouser.conf], capture_output=True, text=True, timeout=10)
    check(r.returncode == 1 and "no-such-user-x" in r.stderr,
          "start as root with a missing user: exit 1, the reason on stderr")
else:
    check(r.returncode == 0 and "no-such-user-x" in r.stderr,
          "sockd -n not as root: a missing user is a warning")

# Group root (gid 0) is refused as user root is: at -n as root, and at start.
if os.geteuid() == 0:
    rootgrp = Sockd("")
    with open(rootgrp.conf) as f:
        text = f.read()
    rootgrp.write_conf(re.sub(r'group = "[^"]*"', 'group = "root"', text))
    r = subprocess.run([SOCKD, "-n", "-f", rootgrp.conf], capture_output=True, text=True, timeout=10)
    at = "%s:%d: " % (rootgrp.conf, text[:text.index('group = "')].count("\n") + 1)
    check(r.returncode == 1 and at + 'group "root" is root: sockd will not run as group root' in r.stderr,
          "sockd -n as root: group root is an error (%s)" % r.stderr.strip().splitlines()[-1:])
    r = subprocess.run([SOCKD, "-f", rootgrp.conf], capture_output=True, text=True, timeout=10)
    check(r.returncode == 1 and 'group "root" is root' in r.stderr,
          "start as root with group root: exit 1, the reason on stderr")
    if r.returncode == 0:              # it started after all: stop it
        time.sleep(0.5)
        os.kill(int(open(rootgrp.pidfile).read()), signal.SIGTERM)

# Errors after the config is read reach the terminal, not only the log: a
# port already taken, started without -d.
busy = Sockd("").start()
twin = Sockd("", port=busy.port)
r = subprocess.run([SOCKD, "-f", twin.conf], capture_output=True, text=True, timeout=10)
check(r.returncode == 1 and "Address already in use" in r.stderr,
      "start without -d on a taken port: exit 1, the reason on stderr")
check("%s:1: listen 127.0.0.1:%d: bind: Address already in use (another program listens there, or "
      "a connection has it as its local port: ss -tanp shows which)"
      % (twin.conf, busy.port) in r.stderr, "... naming the file and line of the listener (%r)"
      % r.stderr.strip().splitlines()[:1])
busy.stop()

# A start-up step after detaching (the pid file, here in a directory that
# does not exist) fails the start: exit 1, the reason on the terminal, and
# nothing left listening.  daemon(3) would have exited 0 before it.
nodir = Sockd("")
nodir.write_conf(open(nodir.conf).read().replace(
    nodir.pidfile, os.path.join(nodir.dir, "no", "such", "sockd.pid")))
r = subprocess.run([SOCKD, "-f", nodir.conf], capture_output=True, text=True, timeout=70)
check(r.returncode == 1 and "cannot write the pid file" in r.stderr and
      "No such file or directory" in r.stderr,
      "a pid file that cannot be written after detaching: exit 1, the reason on stderr (%d: %s)"
      % (r.returncode, r.stderr.strip().splitlines()[-1:]))
try:
    connect(nodir.port, timeout=2).close()
    listening = True
except OSError:
    listening = False
check(not listening, "... and no daemon is left listening")

# What sits at the pid file's path may have been put there by the run-as
# user, who owns its directory: a FIFO must not hang the start, a hard
# link must not make root truncate and chown the file it links to.
fifo = Sockd("")
os.makedirs(os.path.dirname(fifo.pidfile), exist_ok=True)
os.mkfifo(fifo.pidfile)
try:
    r = subprocess.run([SOCKD, "-f", fifo.conf], capture_output=True, text=True, timeout=15)
    rc, err = r.returncode, r.stderr
except subprocess.TimeoutExpired:
    rc, err = None, "hung"
check(rc == 1 and "not a regular file of its own (a FIFO" in err,
      "a FIFO at the pid file's path: exit 1 and why, no hang (%s: %s)" % (rc, err.strip().splitlines()[-1:]))
link = Sockd("")
victim = os.path.join(link.dir, "victim")
with open(victim, "w") as f:
    f.write("keep me\n")
os.makedirs(os.path.dirname(link.pidfile), exist_ok=True)
os.link(victim, link.pidfile)
r = subprocess.run([SOCKD, "-f", link.conf], capture_output=True, text=True, timeout=70)
check(r.returncode == 1 and "a hard link to another file" in r.stderr and
      open(victim).read() == "keep me\n" and os.stat(victim).st_uid == os.geteuid(),
      "a hard link at the pid file's path: exit 1, the linked file untouched")

if os.geteuid() == 0:
    # A file only root may read: the start works, a reload would not; the
    # start says so instead of the first SIGHUP.
    private = Sockd("")
    os.chmod(private.conf, 0o600)
    private.start()
    check(private.wait_log("a reload (SIGHUP) reads it as user nobody, who cannot: "
                           "Permission denied", 5),
          "a config the run-as user cannot read: a warning at start")
    private.stop()
    r = subprocess.run([SOCKD, "-n", "-f", private.conf], capture_output=True, text=True, timeout=10)
    check(r.returncode == 0 and private.logtext().count("who cannot") == 1 and
          "reads it as user nobody, who cannot: Permission denied" in r.stderr,
          "... and from sockd -n, which still passes it, once (%r)" % r.stderr.strip()[:80])

    empty = Sockd("")
    empty.write_conf(re.sub(r'user = "[^"]*"', 'user = ""', open(empty.conf).read()))
    r = subprocess.run([SOCKD, "-n", "-f", empty.conf], capture_output=True, text=True, timeout=10)
    check(r.returncode == 1 and "user is empty" in r.stderr,
          "sockd -n as root: user = \"\" is an error (%s)" % r.stderr.strip().splitlines()[-1:])

# Started with its standard descriptors closed (some init systems and
# scripts do that): a listener must not get descriptor 0, 1 or 2, which
# detaching points at /dev/null.  Still served, and the exit status right.
for closed in ("<&-", "<&- >&- 2>&-"):
    cl = Sockd("")
    r = subprocess.run(["sh", "-c", 'exec %s "$0" -f "$1"' % closed, SOCKD, cl.conf],
                       capture_output=True, text=True, timeout=70)
    pid = cl.wait_pidfile()
    check(r.returncode == 0 and echoes(cl.port, echo.port, b"fd"),
          "started with %s: exit 0, and it serves" % closed)
    if pid:
        os.kill(pid, signal.SIGTERM)

# A relative -f survives detaching's chdir("/"): SIGHUP reads the same
# file (a new generation of workers proves the reload took).
rel = Sockd("min-spare-workers = 2\nmax-spare-workers = 2\n", workers=2)
r = subprocess.run([SOCKD, "-f", "sockd.conf"], cwd=rel.dir, capture_output=True,
                   text=True, timeout=10)
check(r.returncode == 0 and 'log = "stderr" needs -d' in r.stderr,
      "start without -d, relative -f: exit 0, log = stderr falls back to syslog, said on stderr")
pid_at_exit = os.path.exists(rel.pidfile)
pid = rel.wait_pidfile()
check(pid_at_exit and pid is not None and os.path.exists("/proc/%d" % pid),
      "the starter exits 0 only once the daemon has written its pid file")
kids = lambda: set(int(x) for x in subprocess.run(
    ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout.split())
time.sleep(0.5)
before = kids()
os.kill(pid, signal.SIGHUP)
renewed = False
for _ in range(50):
    now = kids()
    if now and not (now & before):
        renewed = True
        break
    time.sleep(0.1)
check(pid is not None and before and renewed, "SIGHUP with a relative -f: the reload took")
os.kill(pid, signal.SIGTERM)
for _ in range(100):
    if not os.path.exists("/proc/%d" % pid) or open("/proc/%d/stat" % pid).read().split()[2] == "Z":
        break
    time.sleep(0.1)
# Two sockds started at the same moment with one pid file: one runs, the
# other refuses (both found the file empty, and the second overwrote it).
both = 0
for attempt in range(4):
    a, b = Sockd("", workers=1), Sockd("", workers=1)
    b.write_conf(open(b.conf).read().replace(b.pidfile, a.pidfile))
    a.start(wait=False)
    b.start(wait=False)
    end = time.time() + 10
    while time.time() < end and not ((a.proc.poll() is not None or "started" in a.logtext()) and
                                     (b.proc.poll() is not None or "started" in b.logtext())):
        time.sleep(0.05)
    time.sleep(0.3)
    running = [x for x in (a, b) if x.proc.poll() is None]
    if len(running) != 1:
        both += 1
    elif open(a.pidfile).read().strip() != str(running[0].proc.pid):
        both += 1
    for x in (a, b):
        if x.proc.poll() is None:
            x.stop()
check(both == 0, "4 times two sockds started at once with one pid file: one runs, "
      "and the file holds its pid (%d times not)" % both)
# The lock is the master's alone: its workers do not keep the file open,
# so a master killed frees it at once for the next start.
lk = Sockd("", workers=2).start()


def holds(pid):
    try:
        return any(os.readlink("/proc/%d/fd/%s" % (pid, f)) == lk.pidfile
                   for f in os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return False


# (a worker just forked holds it until its first steps: look again)
ok, end = False, time.time() + 5
while not ok and time.time() < end:
    kids = [int(p) for p in open("/proc/%d/task/%d/children" % (lk.proc.pid, lk.proc.pid)).read().split()]
    ok = holds(lk.proc.pid) and kids and not any(holds(k) for k in kids)
    time.sleep(0.1)
check(ok, "the master holds the pid file open (its lock), its %d workers do not" % len(kids))
lk.stop()
finish()
