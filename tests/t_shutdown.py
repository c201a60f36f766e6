#!/usr/bin/env python3
"""SIGTERM: the listeners close at once, transfers in flight complete
within shutdown-timeout, then the daemon exits 0 and the pid file is
gone; a session that outlives the timeout is ended and logged; SIGINT in
the foreground does the same as SIGTERM, and a second one ends the
sessions at once; a worker still negotiating stops listening too; the
master killed takes its workers with it."""
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
rc = exit_status(sd.proc, 25)
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
s.settimeout(10)
try:
    end = s.recv(100)
except ConnectionResetError:
    end = "reset"
except socket.timeout:
    end = None
took = time.time() - t0
check(end == "reset", "the client sees a reset after the timeout, not an end that looks "
      "complete (%r, %.1f s)" % (end, took))
rc = exit_status(sd.proc, 10)
took = time.time() - t0
check(rc == 0 and 1.8 <= took < 6, "daemon exits 0 about shutdown-timeout=2 s after SIGTERM (%.1f s)" % took)
check("shutdown timeout (2 s): ending 1 session\n" in sd.logtext(), "the log says it ended 1 session")
check(any('end="ended by shutdown"' in l and "bytes_out=8" in l for l in sd.session_lines()),
      "the ended session has its log line, end=\"ended by shutdown\"")
check(not os.path.exists(sd.pidfile), "pid file removed")
s.close()

# 3. A client still negotiating (silent after connecting, or waiting for a
# slow target) at SIGTERM: the listener closes at once all the same, and
# the shutdown timeout ends the session, as it does a relayed one.
sd = Sockd("shutdown-timeout = 1\nnegotiate-timeout = 30\nconnect-timeout = 30\n",
           workers=2).start()
silent = connect(sd.port)
silent.sendall(b"\x05\x01\x00")
check(recv_exact(silent, 2) == b"\x05\x00", "a client that stops after the greeting")
t0 = time.time()
sd.signal(signal.SIGTERM)
check(sd.wait_log("shutting down", 5), "SIGTERM with a session negotiating")
check(refused_within(sd.port) is not None,
      "the listener is closed while a worker is still negotiating (%.1f s)" % (time.time() - t0))
rc = exit_status(sd.proc, 10)
took = time.time() - t0
check(rc == 0 and took < 2.8, "the daemon exits at the shutdown timeout, 1 s, without SIGKILL (%.1f s)" % took)
check("killed by signal" not in sd.logtext() and
      any('end="ended by shutdown"' in l for l in sd.session_lines()),
      "the negotiating session is ended with its line, no worker killed")
silent.close()

# 4. A second SIGTERM (or Ctrl-C) does not wait for shutdown-timeout.
sd = Sockd("shutdown-timeout = 30\n", workers=2).start()
s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
check(rep and rep[0] == 0, "a session is open")
t0 = time.time()
sd.signal(signal.SIGTERM)
check(sd.wait_log("shutting down", 5), "first SIGTERM: shutting down")
time.sleep(0.3)
check(sd.proc.poll() is None, "the session holds the shutdown")
sd.signal(signal.SIGTERM)
rc = exit_status(sd.proc, 10)
took = time.time() - t0
check(rc == 0 and took < 5, "a second SIGTERM ends the session at once (%.1f s, not 30)" % took)
check("stop signal again: ending 1 session now" in sd.logtext(), "... and says so")
s.close()

# 5. The master killed: a worker in a session does not live on as an
# orphan with no one to stop it.
sd = Sockd("", workers=2).start()
s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
check(rep and rep[0] == 0, "a session is open")
workers = [int(p) for p in open("/proc/%d/task/%d/children" % (sd.proc.pid, sd.proc.pid)).read().split()]
sd.proc.kill()
sd.proc.wait(5)
end = time.time() + 5
while time.time() < end and any(os.path.exists("/proc/%d" % w) and
                                "Z" not in open("/proc/%d/stat" % w).read().split()[2] for w in workers):
    time.sleep(0.05)
alive = [w for w in workers if os.path.exists("/proc/%d" % w) and
         open("/proc/%d/stat" % w).read().split()[2] != "Z"]
check(workers and not alive, "master SIGKILLed: its %d workers, the busy one too, exit (left: %s)"
      % (len(workers), alive))
s.settimeout(5)
try:
    gone = s.recv(10) == b""
except OSError:
    gone = True
check(gone, "the session is ended")
s.close()

# 6. SIGINT (Ctrl-C) in the foreground is SIGTERM.
sd = Sockd("", workers=2).start()
sd.signal(signal.SIGINT)
rc = exit_status(sd.proc, 10)
check(rc == 0 and sd.wait_log("stopped", 1), "SIGINT: clean stop, exit 0")
check(not os.path.exists(sd.pidfile), "SIGINT: pid file removed")
finish()
