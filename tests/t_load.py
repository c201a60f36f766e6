#!/usr/bin/env python3
"""1000 sequential and 100 concurrent sessions all succeed; the shipped
pool holds 300 sessions at once."""
import re
import threading

from harness import *

echo = EchoServer()
sd = Sockd("", workers=110).start()
check(sd.wait_log("started", 10), "daemon started with 110 workers")


def one(i):
    return echoes(sd.port, echo.port, b"session %d" % i)


good = sum(1 for i in range(1000) if one(i))
check(good == 1000, "1000 sequential sessions: %d succeeded" % good)

results = []
lock = threading.Lock()
barrier = None


def held(i, port, timeout):
    """Hold the session open until all are up, so they overlap."""
    ok = False
    try:
        s, rep = s5_connect(port, "127.0.0.1", echo.port)
        barrier.wait(timeout)
        msg = b"concurrent %d" % i
        s.sendall(msg)
        ok = rep is not None and rep[0] == 0 and recv_exact(s, len(msg)) == msg
        s.close()
    except (OSError, threading.BrokenBarrierError):
        pass
    with lock:
        results.append(ok)


def run_held(port, n, timeout):
    """n sessions opened at once, each held until all are up; the count
    of those that carried their bytes."""
    global barrier, results
    results, barrier = [], threading.Barrier(n)
    threads = [threading.Thread(target=held, args=(i, port, timeout)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 30)
    return sum(results)


good = run_held(sd.port, 100, 30)
check(good == 100, "100 concurrent sessions: %d succeeded" % good)
time.sleep(0.5)
check(len(sd.session_lines()) >= 1100, "one log line per session (%d)" % len(sd.session_lines()))
sd.stop()

# The pool as etc/sockd.conf ships it holds more sessions than the 256
# workers it once stopped at (clients past that waited in the listen
# queue, a browser's idle connections included).
shipped = open(os.path.join(TOP_SRCDIR, "etc", "sockd.conf")).read()
pool = dict(re.findall(r"^((?:min-spare-|max-spare-|max-)?workers) = (\d+)", shipped, re.M))
check(int(pool.get("max-workers", 0)) >= 300, "etc/sockd.conf: max-workers %s" % pool.get("max-workers"))
body = "".join("%s = %s\n" % (k, v) for k, v in pool.items() if k != "workers")
sd = Sockd(body, workers=int(pool["workers"])).start()
good = run_held(sd.port, 300, 60)
check(good == 300, "the shipped pool holds 300 sessions at once: %d succeeded" % good)
check("pool full" not in sd.logtext(), "and is not full")
sd.stop()
finish()
