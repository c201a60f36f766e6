#!/usr/bin/env python3
"""The process model: a killed worker is replaced, SIGTERM stops cleanly,
a killed master takes its workers with it, and sockd -n."""
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

# sockd -n: good and bad files.
d = tmpdir()
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
finish()
