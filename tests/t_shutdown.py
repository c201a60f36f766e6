#!/usr/bin/env python3
"""SIGTERM: the listeners close at once, transfers in flight complete
within shutdown-timeout, then the daemon exits 0 and the pid file is
gone; a session that outlives the timeout is ended and logged; SIGINT in
the foreground does the same as SIGTERM."""
import signal
import subprocess
import time

from harness import *

N, SIZE = 5, 4 * 1024 * 1024
d = tmpdir()
path, digest = make_file(d, "big.bin", SIZE)
http = SlowHttpServer(open(path, "rb").read())
echo = EchoServer()

# 1. Sessions finish within the timeout, then the daemon exits.
sd = Sockd("shutdown-timeout = 20\n", workers=8).start()
check(os.path.exists(sd.pidfile), "pid file written")
url = "http://127.0.0.1:%d/big.bin" % http.port
procs = []
for i in range(N):
    out = os.path.join(d, "out%d" % i)
    procs.append((out, subprocess.Popen(["curl", "-s", "-S", "--max-time", "60", "-o", out,
                                         "--socks5", "127.0.0.1:%d" % sd.port, url])))
time.sleep(1)
t0 = time.time()
sd.signal(signal.SIGTERM)
check(sd.wait_log("shutting down", 5), "SIGTERM: 'shutting down' logged")
time.sleep(0.5)
try:
    s = connect(sd.port, timeout=2)
    s.sendall(b"\x05\x01\x00")
    refused = recv_all(s, 3) in (b"", None)
    s.close()
except OSError:
    refused = True
check(refused, "after SIGTERM no new client is served")
bad = sum(1 for out, p in procs if p.wait(60) != 0 or sha256_file(out) != digest)
check(bad == 0, "all %d transfers in flight at SIGTERM complete, sha256 right (%d bad)" % (N, bad))
try:
    rc = sd.proc.wait(25)
except subprocess.TimeoutExpired:
    rc = None
took = time.time() - t0
check(rc == 0, "the daemon exits 0 once they are done (%.1f s after SIGTERM)" % took)
check(took < 15, "it does not wait for the whole shutdown-timeout (%.1f s < 20)" % took)
check(not os.path.exists(sd.pidfile), "pid file removed")
check("shutdown timeout" not in sd.logtext(), "no session had to be ended")

# 2. A session that outlives shutdown-timeout is ended, with its log line.
sd = Sockd("shutdown-timeout = 2\n", workers=2).start()
s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
s.sendall(b"hold")
check(rep and rep[0] == 0 and recv_exact(s, 4) == b"hold", "an idle session is open")
t0 = time.time()
sd.signal(signal.SIGTERM)
time.sleep(0.5)
s.sendall(b"more")
check(recv_exact(s, 4) == b"more", "it still relays during the shutdown timeout")
end = recv_all(s, 10)
took = time.time() - t0
check(end == b"", "the client sees the end after the timeout (%.1f s)" % took)
try:
    rc = sd.proc.wait(10)
except subprocess.TimeoutExpired:
    rc = None
took = time.time() - t0
check(rc == 0 and 1.8 <= took < 6, "daemon exits 0 about shutdown-timeout=2 s after SIGTERM (%.1f s)" % took)
check("shutdown timeout (2 s): ending 1 session\n" in sd.logtext(), "the log says it ended 1 session")
check(any('end="ended by shutdown"' in l and "bytes_out=8" in l for l in sd.session_lines()),
      "the ended session has its log line, end=\"ended by shutdown\"")
check(not os.path.exists(sd.pidfile), "pid file removed")
s.close()

# 3. SIGINT (Ctrl-C) in the foreground is SIGTERM.
sd = Sockd("", workers=2).start()
sd.signal(signal.SIGINT)
try:
    rc = sd.proc.wait(10)
except subprocess.TimeoutExpired:
    rc = None
check(rc == 0 and sd.wait_log("stopped", 1), "SIGINT: clean stop, exit 0")
check(not os.path.exists(sd.pidfile), "SIGINT: pid file removed")
finish()
