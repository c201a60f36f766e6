#!/usr/bin/env python3
"""Faults: a worker killed in the middle of a relay, descriptors running
out, silent connections (slowloris), resets from either end, a name that
does not resolve.  In each case: the right reply or a clean close, a log
line, and a pool that goes on serving.  (A killed master is in
t_process.py; malformed bytes are in t_malformed.py.)"""
import resource
import signal
import threading

from harness import *

echo = EchoServer()

# A fixed pool of one worker: "back to accepting" means that one worker.
ONE = "min-spare-workers = 0\nmax-spare-workers = 1\nmax-workers = 1\n"


def fd_owners(sd, cports):
    """pids of the workers holding the proxy side of the clients on cports,
    in order (None: not found).  One pass over /proc/net/tcp, which may
    hold tens of thousands of TIME_WAIT lines on a busy machine."""
    local = "0100007F:%04X" % sd.port
    want = {"0100007F:%04X" % p: i for i, p in enumerate(cports)}
    inodes = {}
    with open("/proc/net/tcp") as f:
        for line in f:
            if local not in line:
                continue
            p = line.split()
            if p[1] == local and p[2] in want:
                inodes["socket:[%s]" % p[9]] = want[p[2]]
    owners = [None] * len(cports)
    for pid in sd.workers():
        try:
            for fd in os.listdir("/proc/%d/fd" % pid):
                i = inodes.get(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
                if i is not None:
                    owners[i] = pid
        except OSError:
            pass
    return owners


def served(sd, what, timeout=10):
    s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
    s.settimeout(timeout)
    ok = rep is not None and rep[0] == 0
    if ok:
        s.sendall(b"still here")
        ok = recv_exact(s, 10, timeout) == b"still here"
    s.close()
    return check(ok, what)


# --- a worker killed with SIGKILL in the middle of a relay --------------------
sd = Sockd("min-spare-workers = 4\nmax-spare-workers = 8\nmax-workers = 8\n",
           workers=4).start()
time.sleep(0.5)
N, SIZE, CHUNK = 4, 8 * 1024 * 1024, 32 * 1024
results = [None] * N
conns = []


go = threading.Event()


def pump(i, s, payload):
    """Send payload in paced chunks while a thread reads the echo back."""
    go.wait(30)
    got = []
    reader = threading.Thread(target=lambda: got.append(recv_all(s, 30)))
    reader.start()
    try:
        for off in range(0, len(payload), CHUNK):
            s.sendall(payload[off:off + CHUNK])
            time.sleep(0.01)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    reader.join(40)
    results[i] = got[0] if got else None


payloads = [os.urandom(SIZE) for _ in range(N)]
threads = []
for i in range(N):
    s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
    check(rep is not None and rep[0] == 0, "relay %d: CONNECT succeeded" % i)
    conns.append(s)
    t = threading.Thread(target=pump, args=(i, s, payloads[i]))
    t.start()
    threads.append(t)
go.set()	# all connected: start the transfers together
time.sleep(0.5)
owners = fd_owners(sd, [c.getsockname()[1] for c in conns])
victim, others = owners[0], owners[1:]
check(victim is not None, "found the worker relaying session 0 (pid %s)" % victim)
check(victim not in others, "the other sessions are in other workers")
check(threads[0].is_alive(), "session 0 is still relaying when its worker is killed")
if victim:
    os.kill(victim, signal.SIGKILL)
for t in threads:
    t.join(60)
r0 = results[0]
check(r0 is None or len(r0) < SIZE, "the killed worker's session ended early (%s bytes)"
      % (None if r0 is None else len(r0)))
for i in range(1, N):
    check(results[i] is not None and
          hashlib.sha256(results[i]).digest() == hashlib.sha256(payloads[i]).digest(),
          "relay %d: every byte arrived intact (sha256)" % i)
check(sd.wait_log("killed by signal 9", 5), "the master logs the dead worker")
end = time.time() + 10
while time.time() < end and (len(sd.workers()) < 4 or victim in sd.workers()):
    time.sleep(0.1)
check(len(sd.workers()) >= 4 and victim not in sd.workers(),
      "the master replaced the worker (%d workers)" % len(sd.workers()))
served(sd, "served after the worker was killed")
for c in conns:
    c.close()
check(sd.stop() == 0, "stops cleanly after the kill")

# --- descriptors run out ------------------------------------------------------
# One worker serves one session at a time, so it needs only a few
# descriptors; its limit is lowered in place (prlimit) to leave exactly
# one free, then none, then raised again.
def ids(pid):
    """The real uid and gid of pid."""
    uid = gid = None
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                uid = int(line.split()[1])
            elif line.startswith("Gid:"):
                gid = int(line.split()[1])
    return uid, gid


def set_nofile(pid, soft, hard):
    """prlimit(2) on pid, as its own user: root here may lack
    CAP_SYS_RESOURCE, which is needed for another user's process."""
    uid, gid = ids(pid)
    child = os.fork()
    if child == 0:
        try:
            if os.geteuid() != uid:
                os.setgroups([])
                os.setresgid(gid, gid, gid)
                os.setresuid(uid, uid, uid)
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
            os._exit(0)
        except BaseException:
            os._exit(1)
    return os.waitpid(child, 0)[1] == 0


def nofile(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3]), int(line.split()[4])


sd = Sockd(ONE, workers=1).start()
time.sleep(0.3)
worker = sd.workers()[0]
soft, hard = nofile(worker)


def limit_leaving(pid, free):
    """The lowest RLIMIT_NOFILE that leaves exactly free unused fd numbers."""
    used = {int(x) for x in os.listdir("/proc/%d/fd" % pid)}
    lim = 0
    while lim - len([f for f in used if f < lim]) < free or lim in used:
        lim += 1
    return lim


check(set_nofile(worker, limit_leaving(worker, 1), hard), "the worker's limit leaves one descriptor")
s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
check(rep is not None and rep[0] == 1, "no descriptor for the target socket: REP 0x01 (%s)"
      % (rep,))
s.close()
check(sd.wait_log("Too many open files", 5), "the failure is logged: %s" %
      [l for l in sd.session_lines() if "Too many" in l][-1:])

check(set_nofile(worker, limit_leaving(worker, 0), hard), "the worker's limit leaves none")
s = connect(sd.port)
s.sendall(b"\x05\x01\x00")
s.settimeout(1.5)
try:
    early = s.recv(2)
except socket.timeout:
    early = None
check(early is None, "no descriptor for accept(): the client waits in the backlog")
check(sd.wait_log("accept: Too many open files", 5), "accept's EMFILE is logged")
check(set_nofile(worker, soft, hard), "the worker's limit is restored")
m = recv_exact(s, 2, 5)
check(m == b"\x05\x00", "descriptors freed: the waiting client is answered")
s.sendall(b"\x05\x01\x00" + s5_addr("127.0.0.1", echo.port))
rep = s5_reply(s)
s.sendall(b"ping")
check(rep is not None and rep[0] == 0 and recv_exact(s, 4) == b"ping",
      "descriptors freed: the waiting client is served")
s.close()
check(sd.proc.poll() is None and worker in sd.workers(), "neither master nor worker died")
served(sd, "served after descriptors ran out")
check(sd.stop() == 0, "stops cleanly after EMFILE")

# --- slowloris: twice as many silent connections as workers -----------------------
sd = Sockd("negotiate-timeout = 2\nmin-spare-workers = 1\nmax-spare-workers = 2\n",
           workers=2).start()
time.sleep(0.3)
silent = [connect(sd.port) for _ in range(4)]
time.sleep(0.2)
t0 = time.time()
s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
dt = time.time() - t0
s.sendall(b"legit")
check(rep is not None and rep[0] == 0 and recv_exact(s, 5) == b"legit",
      "a legitimate client is served despite 4 silent connections")
check(dt < 3.0, "... within negotiate-timeout plus a second (%.2fs)" % dt)
s.close()
check(sd.wait_log('end="negotiation timeout"', 6, count=4), "the silent ones time out, logged")
for c in silent:
    c.close()
check(sd.stop() == 0, "stops cleanly after slowloris")

# --- resets and a failed name lookup, one worker -----------------------------------
sd = Sockd(ONE, workers=1).start()
time.sleep(0.3)
worker = sd.workers()[0]


def rst_close(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


# the destination sends 100 KiB, then resets
lst = socket.socket()
lst.bind(("127.0.0.1", 0))
lst.listen(4)
head = os.urandom(100 * 1024)


def resetting_target():
    c, _ = lst.accept()
    c.sendall(head)
    time.sleep(0.5)
    rst_close(c)


threading.Thread(target=resetting_target, daemon=True).start()
s, rep = s5_connect(sd.port, "127.0.0.1", lst.getsockname()[1])
got = recv_all(s, 10)
check(rep is not None and rep[0] == 0 and got is not None and got == head[:len(got)],
      "destination reset: what came before arrives, then the client is closed (%s bytes)"
      % (None if got is None else len(got)))
s.close()
check(sd.wait_log("reset by peer", 5), "destination reset logged: %s"
      % [l.split("end=")[-1] for l in sd.session_lines()][-1:])
served(sd, "destination reset: the worker accepts again")

# the client resets mid-transfer; the destination sees its connection end
seen = []


def watching_target():
    c, _ = lst.accept()
    c.settimeout(10)
    n = 0
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            n += len(d)
        seen.append(("eof", n))
    except ConnectionResetError:
        seen.append(("reset", n))
    except socket.timeout:
        seen.append(("timeout", n))
    c.close()


t = threading.Thread(target=watching_target, daemon=True)
t.start()
s, rep = s5_connect(sd.port, "127.0.0.1", lst.getsockname()[1])
s.sendall(os.urandom(200 * 1024))
time.sleep(0.3)
rst_close(s)
t.join(12)
check(seen and seen[0][0] in ("eof", "reset"), "client reset: the destination's connection is closed (%s)"
      % seen)
end = time.time() + 5
while time.time() < end and not any('end="client' in l for l in sd.session_lines()):
    time.sleep(0.05)
check(any('end="client read error' in l or 'end="client write error' in l
          for l in sd.session_lines()),
      "client reset logged: %s" % [l.split("end=")[-1] for l in sd.session_lines()][-1:])
served(sd, "client reset: the worker accepts again")

# a name that cannot resolve, SOCKS5 and SOCKS4a
s, rep = s5_connect(sd.port, "sockd-test.invalid", 80)
check(rep is not None and rep[0] == 4, "SOCKS5 .invalid name: REP 0x04")
s.close()
s = connect(sd.port)
s.sendall(b"\x04\x01\x00\x50\x00\x00\x00\x01\x00sockd-test.invalid\x00")
r = recv_exact(s, 8)
check(len(r) == 8 and r[1] == 91, "SOCKS4a .invalid name: 91 (rejected)")
s.close()
check(sd.wait_log("target=sockd-test.invalid:80", 5, count=2), "the failed lookups are logged")
served(sd, "name failure: the worker accepts again")

# the longest reply name is logged whole
s = connect(sd.port)
s.sendall(b"\x05\x01\x00\x05\x01\x00\x07")
recv_all(s, 5)
s.close()
check(sd.wait_log("reply=0x08(address type not supported) ", 5),
      "log: reply=0x08(address type not supported), not cut short")
check(sd.workers() == [worker], "the same one worker served every fault")
check("killed by signal" not in sd.logtext(), "no worker crashed")
check(sd.stop() == 0, "stops cleanly")
finish()
