#!/usr/bin/env python3
"""The relay's splice() path: a transfer larger than the point where a
direction moves to a pipe arrives intact both ways, its pipes close with
the session, and when the daemon user's pipe budget
(fs.pipe-user-pages-soft) is used up by someone else, bulk transfers go
on through read() and send(), still intact."""
import fcntl
import hashlib
import pwd
import signal
import threading

from harness import *

SIZE = 6 * 1024 * 1024          # well past the 256 KiB switch to splice()
F_SETPIPE_SZ = 1031

echo = EchoServer()
sd = Sockd("min-spare-workers = 1\nmax-spare-workers = 1\nmax-workers = 1\n",
           workers=1).start()


def transfer(tag):
    """Send SIZE random bytes through the proxy to the echo server, read
    them back while sending; True when the sha256 matches."""
    payload = os.urandom(SIZE)
    s, rep = s5_connect(sd.port, "127.0.0.1", echo.port)
    if rep is None or rep[0] != 0:
        return False
    got = []
    reader = threading.Thread(target=lambda: got.append(recv_all(s, 60)))
    reader.start()
    try:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    reader.join(90)
    s.close()
    return bool(got) and got[0] is not None and \
        hashlib.sha256(got[0]).digest() == hashlib.sha256(payload).digest()


def pipe_fds(pid):
    n = 0
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            n += os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("pipe:")
    except OSError:
        pass
    return n


worker = sd.workers()[0]
base = pipe_fds(worker)
check(transfer("plain"), "6 MiB each way through the relay, intact (sha256)")
check(sd.session_line("bytes_out=%d" % SIZE) is not None,
      "the session line counts %d bytes out" % SIZE)
check(pipe_fds(worker) == base,
      "the worker holds no pipe once the session is over (%d, before %d)"
      % (pipe_fds(worker), base))


def hog_pipes(uid):
    """A child, as uid, that holds 256 pipes of 256 KiB: the user's whole
    default budget of 16,384 pages.  Its pid, once it holds them."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(pwd.getpwuid(uid).pw_gid)
                os.setuid(uid)
            keep = []
            for _ in range(256):
                p = os.pipe()
                keep.append(p)
                try:
                    fcntl.fcntl(p[0], F_SETPIPE_SZ, 256 * 1024)
                except OSError:
                    break
            os.write(w, b"x")
            signal.pause()
        finally:
            os._exit(0)
    os.close(w)
    recv = os.read(r, 1)
    os.close(r)
    return pid if recv == b"x" else None


uid = pwd.getpwnam("nobody").pw_uid if os.geteuid() == 0 else os.getuid()
hog = hog_pipes(uid)
check(hog is not None, "another process of the daemon's user holds its pipe budget")
try:
    ok = [transfer("scarce %d" % i) for i in range(3)]
    check(all(ok), "with no pipe to be had, 3 transfers of 6 MiB still arrive intact (%s)" % ok)
finally:
    if hog:
        os.kill(hog, signal.SIGKILL)
        os.waitpid(hog, 0)
check(transfer("again"), "with the budget back, a transfer is intact again")
check(sd.stop() == 0, "SIGTERM: exit status 0")
finish()
