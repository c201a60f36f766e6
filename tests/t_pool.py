#!/usr/bin/env python3
"""The pool follows the load: it grows under 200 concurrent long sessions
(as fast as max-spawn-rate lets it, since clients wait in the queue) to max-workers (saying once that it is full), serves every client as
workers free up, then shrinks one idle worker a second back to
max-spare-workers without cutting a session.  Read from SIGUSR1 dumps."""
import re
import shutil
import signal
import threading
import time

from harness import *

MAX, MIN_SPARE, MAX_SPARE, CLIENTS = 30, 2, 5, 200

echo = EchoServer()
RATE = 8
sd = Sockd("min-spare-workers = %d\nmax-spare-workers = %d\nmax-workers = %d\n"
           "max-spawn-rate = %d\n" % (MIN_SPARE, MAX_SPARE, MAX, RATE), workers=2)
sd.start()


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


d = sd.scoreboard()
check(d is not None and d["workers"] == 2 and d["idle"] + d["starting"] == 2,
      "at start: 2 workers, all idle (%s)" % d)

release = threading.Event()
results = []
lock = threading.Lock()


def client(i):
    """Queued clients wait in the listen queue until a worker is free:
    every wait here is long (90 s), not the harness's 10 s."""
    ok = False
    try:
        s = connect(sd.port, timeout=90)
        s.sendall(b"\x05\x01\x00")
        m = recv_exact(s, 2, 90)
        s.sendall(b"\x05\x01\x00" + s5_addr("127.0.0.1", echo.port))
        rep = s5_reply(s, 90) if m == b"\x05\x00" else None
        s.settimeout(90)
        if rep and rep[0] == 0:
            s.sendall(b"x%03d" % i)
            ok = recv_exact(s, 4, 90) == b"x%03d" % i
            release.wait(90)
        s.close()
    except OSError:
        pass
    with lock:
        results.append(ok)


for i in range(CLIENTS):
    threading.Thread(target=client, args=(i,), daemon=True).start()

t0 = time.time()
seen_max, reached, over = 0, None, False
while time.time() - t0 < 30:
    d = sd.scoreboard()
    if d:
        seen_max = max(seen_max, d["workers"])
        over = over or d["workers"] > MAX
        if d["workers"] == MAX and d["relaying"] == MAX:
            reached = time.time() - t0
            break
    time.sleep(0.5)
check(reached is not None, "the pool grows to max-workers=%d, all relaying (%.1f s)"
      % (MAX, reached or -1))
check(not over, "never more than max-workers (largest seen %d)" % seen_max)
# 28 workers missing: 8 at once, then 8 a second, so about 2.5 s
check(reached is not None and 1.5 <= reached <= 8,
      "growth follows the waiting clients at max-spawn-rate=%d a second (%.1f s)"
      % (RATE, reached or -1))
ticks = cpu_ticks(sd.proc.pid)
time.sleep(3)
d = sd.scoreboard()
check(d and d["workers"] == MAX, "still %d workers while full" % MAX)
spent = cpu_ticks(sd.proc.pid) - ticks
check(spent <= 10, "the master does not spin while full (%d ticks in 3 s)" % spent)
check(sd.logtext().count("pool full:") == 1, "'pool full' logged once")
lines = [l for l in sd.logtext().splitlines() if "scoreboard: worker" in l and "state=relaying" in l]
check(any("target=127.0.0.1:%d" % echo.port in l and "bytes_out=4" in l for l in lines),
      "SIGUSR1 lists live sessions with target and bytes")

release.set()
end = time.time() + 60
while time.time() < end and len(results) < CLIENTS:
    time.sleep(0.2)
check(len(results) == CLIENTS and all(results),
      "all %d clients served, queued ones as workers freed (%d ok of %d done)"
      % (CLIENTS, sum(results), len(results)))
check(sd.wait_log("pool no longer full", 10), "'pool no longer full' logged")

# Shrink: one idle worker a second, down to max-spare-workers, while
# short sessions keep coming; none of them may be cut.
broken, sessions = 0, 0
t1 = time.time()
counts = []
shrunk = None
while time.time() - t1 < 60:
    for _ in range(3):
        try:
            s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
            s.sendall(b"ping")
            ok = rep and rep[0] == 0 and recv_exact(s, 4) == b"ping"
            s.close()
        except OSError:
            ok = False
        sessions += 1
        broken += not ok
    d = sd.scoreboard()
    if d:
        counts.append(d["workers"])
        if d["workers"] == MAX_SPARE and d["idle"] == MAX_SPARE:
            shrunk = time.time() - t1
            break
    time.sleep(0.3)
check(shrunk is not None, "the pool shrinks back to max-spare-workers=%d (%.1f s; %s)"
      % (MAX_SPARE, shrunk or -1, counts[-5:]))
check(shrunk is not None and shrunk >= (MAX - MAX_SPARE) * 0.7,
      "about one worker retired a second (%d workers in %.1f s)" % (MAX - MAX_SPARE, shrunk or -1))
check(broken == 0, "no session cut while shrinking (%d sessions)" % sessions)
time.sleep(2.5)
d = sd.scoreboard()
check(d and d["workers"] == MAX_SPARE, "it stays at %d workers" % MAX_SPARE)
check(d and d["served"] >= CLIENTS + sessions, "served counts every session (%s)" % (d and d["served"]))

check(sd.stop() == 0, "SIGTERM: exit status 0")

# At max-workers with workers idle, short of min-spare-workers only, and
# nobody waiting: not full.  It used to say "pool full ... none idle" at
# every tick a client came and went.
sdf = Sockd("min-spare-workers = 4\nmax-spare-workers = 6\nmax-workers = 6\n",
            workers=6).start()
held = [s5_connect(sdf.port, "127.0.0.1", echo.port)[0] for _ in range(4)]
for _ in range(8):
    echoes(sdf.port, echo.port)
    time.sleep(0.25)
d = sdf.scoreboard()
check(d and d["workers"] == 6 and d["relaying"] == 4,
      "6 of max-workers 6, 4 held (%s)" % str(d and (d["workers"], d["relaying"])))
check("pool full" not in sdf.logtext(), "2 idle, nobody waiting: no 'pool full' line")
for s in held:
    s.close()
sdf.stop()

# A fork refused for the process limit (RLIMIT_NPROC, counted over every
# process of the run-as user) names the limits to look at; when not one
# worker can be forked, the start fails (exit 1, no pid file left), not
# a daemon that serves nobody.
HINT = ("Resource temporarily unavailable (the run-as user's process limit, "
        "ulimit -u, or the unit's TasksMax")
if shutil.which("prlimit"):
    sdp = Sockd("", workers=8)
    r = subprocess.run(["prlimit", "--nproc=1:1", "--", SOCKD, "-d", "-f", sdp.conf],
                       capture_output=True, text=True, timeout=10)
    check(r.returncode == 1 and "fork: cannot start a worker: " + HINT in r.stderr and
          "no worker can be started" in r.stderr and not os.path.exists(sdp.pidfile),
          "ulimit -u leaves no fork: the start fails, naming the limits (%r)"
          % r.stderr.strip().splitlines()[-1:])

# A reload while forks are backed off: the old idle workers leave, and
# the new generation starts at once, not when the backoff ends (up to
# 32 s; here 4-8 s).  Its own run-as user (games), so that no other
# test's processes count against the limit: master + 3 workers.
def games_ok():
    try:
        import grp
        import pwd
        pwd.getpwnam("games")
        grp.getgrnam("games")
        return True
    except KeyError:
        return False


if shutil.which("prlimit") and os.geteuid() == 0 and games_ok():
    sdb = Sockd('user = "games"\ngroup = "games"\nmin-spare-workers = 1\n',
                workers=2, wrapper=["prlimit", "--nproc=4:4", "--"]).start()
    held = [s5_connect(sdb.port, "127.0.0.1", echo.port)[0] for _ in range(3)]
    check(sdb.wait_log("fork: no new worker for 4000 ms: " + HINT, 15),
          "3 sessions held under --nproc=4: forks refused, backed off to 4 s, "
          "the limits named")
    for h in held:
        h.close()
    time.sleep(0.5)
    sdb.proc.send_signal(signal.SIGHUP)
    check(sdb.wait_log("configuration reloaded", 5), "  ... reloaded")
    t = time.time()
    ok = echoes(sdb.port, echo.port)
    took = time.time() - t
    check(ok and took < 2, "a reload during the backoff: the next client served in %.2f s" % took)
    sdb.stop()
finish()
