#!/usr/bin/env python3
"""1000 sequential and 100 concurrent sessions all succeed."""
import threading

from harness import *

echo = EchoServer()
sd = Sockd("", workers=110).start()
check(sd.wait_log("started", 10), "daemon started with 110 workers")


def one(i):
    try:
        s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
        msg = b"session %d" % i
        s.sendall(msg)
        ok = rep is not None and rep[0] == 0 and recv_exact(s, len(msg)) == msg
        s.close()
        return ok
    except OSError:
        return False


good = sum(1 for i in range(1000) if one(i))
check(good == 1000, "1000 sequential sessions: %d succeeded" % good)

results = []
lock = threading.Lock()
barrier = threading.Barrier(100)


def held(i):
    """Hold the session open until all 100 are up, so they overlap."""
    ok = False
    try:
        s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
        barrier.wait(30)
        msg = b"concurrent %d" % i
        s.sendall(msg)
        ok = rep is not None and rep[0] == 0 and recv_exact(s, len(msg)) == msg
        s.close()
    except (OSError, threading.BrokenBarrierError):
        pass
    with lock:
        results.append(ok)


threads = [threading.Thread(target=held, args=(i,)) for i in range(100)]
for t in threads:
    t.start()
for t in threads:
    t.join(60)
check(sum(results) == 100, "100 concurrent sessions: %d succeeded" % sum(results))
time.sleep(0.5)
check(len(sd.session_lines()) >= 1100, "one log line per session (%d)" % len(sd.session_lines()))
sd.stop()
finish()
