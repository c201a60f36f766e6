#!/usr/bin/env python3
"""memgrowth.py: a worker's memory after 100 sessions and after 10,000.

One worker (a fixed pool of one), sessions of every common kind (CONNECT
to an address with a little data, to a name, to a refused port, a
malformed request), and the worker's Rss/Pss/Anonymous from
/proc/PID/smaps_rollup at each mark.  With --auth every session logs in
with RFC 1929 first (a wrong password one time in 50).  Not part of make
check (it takes a minute); run from the top of a built tree:
    TOP_BUILDDIR=. PYTHONPATH=tests python3 tests/bench/memgrowth.py [--auth] [MARK ...]
"""
import sys

from harness import *

AUTH = "--auth" in sys.argv
MARKS = [int(x) for x in sys.argv[1:] if x != "--auth"] or [100, 1000, 10000]
echo = EchoServer()
refused = free_port()
extra = ""
if AUTH:
    pwfile = os.path.join(tmpdir(), "sockd.passwd")
    subprocess.run([os.path.join(TOP_BUILDDIR, "src", "sockpasswd"), "-i", "-f", pwfile,
                    "add", "alice"], input=b"wonderland\n", check=True, capture_output=True)
    os.chmod(pwfile, 0o644)
    extra = ('methods = { "password" }\npasswd-file = "%s"\n'
             "password-fail-delay = 0\n" % pwfile)
sd = Sockd("min-spare-workers = 0\nmax-spare-workers = 1\nmax-workers = 1\n"
           "max-sessions-per-worker = 1000000\nlog-level = \"info\"\n" + extra,
           workers=1).start()
time.sleep(0.3)
worker = sd.workers()[0]


def rollup(pid):
    out = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            p = line.split()
            if len(p) == 3 and p[2] == "kB":
                out[p[0].rstrip(":")] = int(p[1])
    return out


def one(i):
    kind = i % 10
    login = {}
    if AUTH:
        login = dict(methods=b"\x02", userpass=(b"alice", b"wrong" if i % 50 == 49
                                                else b"wonderland"))
    if kind == 8:
        s, rep = s5_connect(sd.port, "127.0.0.1", refused, **login)
    elif kind == 9 and not AUTH:
        s = connect(sd.port)
        s.sendall(b"\x05\x01\x00\x05\x01\x00\x07")	# bad ATYP
        recv_all(s, 5)
    else:
        host = "localhost" if kind == 7 else "127.0.0.1"
        s, rep = s5_connect(sd.port, host, echo.port, **login)
        if rep is not None:
            s.sendall(b"x" * 1000)
            recv_exact(s, 1000)
    s.close()


done = 0
t0 = time.time()
for mark in MARKS:
    while done < mark:
        one(done)
        done += 1
    time.sleep(0.2)
    r = rollup(worker)
    print("after %6d sessions: Rss %6d kB  Pss %6d kB  Anonymous %6d kB  "
          "Private_Dirty %6d kB  (%.0f s)" % (done, r["Rss"], r["Pss"],
          r["Anonymous"], r["Private_Dirty"], time.time() - t0))
    sys.stdout.flush()
print("worker pid %d served them all: %s" % (worker, sd.workers() == [worker]))
print("session lines logged: %d" % len(sd.session_lines()))
sd.stop()
