"""harness.py: start a real sockd on a free loopback port and talk to it.

Shared by the integration tests (tests/t_*.py).  Every wait is bounded in
count and time; every process started here is stopped at exit.
"""
import atexit
import hashlib
import http.server
import os
import pwd
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

TOP_BUILDDIR = os.environ.get("TOP_BUILDDIR", os.path.join(os.path.dirname(__file__), ".."))
TOP_SRCDIR = os.environ.get("TOP_SRCDIR", os.path.join(os.path.dirname(__file__), ".."))
SOCKD = os.environ.get("SOCKD", os.path.join(TOP_BUILDDIR, "src", "sockd"))

_procs = []
failures = 0
passes = 0


def _cleanup():
    for p in _procs:
        if p.poll() is None:
            p.kill()
            p.wait()


atexit.register(_cleanup)


def check(cond, what):
    """Record one assertion; keep going so one run shows every failure."""
    global failures, passes
    if cond:
        passes += 1
        print("ok - %s" % what)
    else:
        failures += 1
        print("FAIL - %s" % what)
    sys.stdout.flush()
    return cond


def finish():
    print("%d passed, %d failed" % (passes, failures))
    sys.exit(1 if failures else 0)


def free_port(family=socket.AF_INET, kind=socket.SOCK_STREAM):
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    with socket.socket(family, kind) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


_held = []


def closed_port():
    """A loopback port (IPv4 and IPv6) where a connect is refused, for
    good: bound, never listened on, held until exit.  A port from
    free_port() can come back as a connect()'s own ephemeral source, and
    the connect then reaches itself (TCP simultaneous open) instead of
    being refused."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    _held.append(s)
    try:
        s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s6.bind(("::1", port))
        _held.append(s6)
    except OSError:
        pass
    return port


def tmpdir():
    """A scratch directory the daemon can read after it drops to nobody."""
    d = tempfile.mkdtemp(prefix="sockd-test-")
    os.chmod(d, 0o755)
    atexit.register(lambda: subprocess.call(["rm", "-rf", d]))
    return d


def in_own_network(flag):
    """Run this test again in a network namespace of its own (unshare
    -n, loopback up), where it may add addresses and change sysctls;
    flag is the environment variable that marks the second run.  Exits
    77 (skip) without root, unshare or ip, and with the inner run's
    status after it.  Returns only in the inner run."""
    if os.environ.get(flag) != "1":
        ok = os.geteuid() == 0 and shutil.which("unshare") and shutil.which("ip")
        if ok:
            ok = subprocess.run(["unshare", "-n", "true"], capture_output=True,
                                timeout=10).returncode == 0
        if not ok:
            print("skip - needs root, unshare -n and ip for a private network")
            sys.exit(77)
        r = subprocess.run(["unshare", "-n", sys.executable] + sys.argv,
                           env=dict(os.environ, **{flag: "1"}), timeout=300)
        sys.exit(r.returncode)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=10)


def run_as_user():
    """Config lines for the run-as user: nobody when root, else ignored."""
    if os.geteuid() == 0:
        group = "nogroup"
        try:
            import grp
            grp.getgrnam(group)
        except KeyError:
            group = "nobody"
        return 'user = "nobody"\ngroup = "%s"\n' % group
    return 'user = "%s"\n' % pwd.getpwuid(os.geteuid()).pw_name


# Access rules every test gets unless it passes its own (rules=...): clients
# from loopback may come in and go anywhere.  With no rules sockd blocks all.
DEFAULT_RULES = """
client pass { from = { "127.0.0.0/8", "::1" } }
socks pass { from = { "127.0.0.0/8", "::1" } to = "0/0" }
"""


class Sockd:
    """A sockd started in the foreground (-d) with its log captured.

    body is written after the common keys; rules (default DEFAULT_RULES,
    pass from loopback) after body.  Rules in body come first, so they
    win over the defaults; pass rules="" to have none but your own.
    wrapper, if given, is a command line that ends by exec'ing the
    daemon's (appended to it), so that signals still reach sockd."""

    def __init__(self, body, port=None, listen=None, workers=4, extra_args=(),
                 rules=None, wrapper=()):
        self.dir = tmpdir()
        self.port = port or free_port()
        listen = listen or ['127.0.0.1:%d' % self.port]
        self.conf = os.path.join(self.dir, "sockd.conf")
        self.logfile = os.path.join(self.dir, "sockd.log")
        self.pidfile = os.path.join(self.dir, "run", "sockd.pid")
        text = "listen = { %s }\n" % ", ".join('"%s"' % l for l in listen)
        text += run_as_user()
        text += 'log = "stderr"\nlog-level = "debug"\n'
        text += 'pidfile = "%s"\n' % self.pidfile
        text += "workers = %d\n" % workers
        text += body
        text += DEFAULT_RULES if rules is None else rules
        self.write_conf(text)
        self.extra_args = list(extra_args)
        self.wrapper = list(wrapper)    # a command that execs the daemon
        self.proc = None

    def write_conf(self, text):
        with open(self.conf, "w") as f:
            f.write(text)
        os.chmod(self.conf, 0o644)

    def check_conf(self):
        r = subprocess.run([SOCKD, "-n", "-f", self.conf], capture_output=True,
                           text=True, timeout=10)
        return r.returncode, r.stdout + r.stderr

    def start(self, wait=True):
        self.log = open(self.logfile, "w")
        self.proc = subprocess.Popen(self.wrapper + [SOCKD, "-d", "-f", self.conf] + self.extra_args,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        _procs.append(self.proc)
        if wait:
            self.wait_log("started", 10)
        return self

    def wait_pidfile(self, timeout=5):
        """The pid a daemon (started without -d) wrote, waiting for it; or None."""
        end = time.time() + timeout
        while time.time() < end:
            try:
                return int(open(self.pidfile).read())
            except (OSError, ValueError):
                time.sleep(0.1)
        return None

    def wait_log(self, needle, timeout=10, count=1):
        end = time.time() + timeout
        while time.time() < end:
            if self.logtext().count(needle) >= count:
                return True
            if self.proc and self.proc.poll() is not None:
                break
            time.sleep(0.05)
        return False

    def logtext(self):
        with open(self.logfile, errors="replace") as f:
            return f.read()

    def session_lines(self):
        return [l for l in self.logtext().splitlines() if " session " in l]

    def session_line(self, needle, timeout=5):
        """The first session line containing needle, waiting for it; or ""."""
        end = time.time() + timeout
        while time.time() < end:
            for l in self.session_lines():
                if needle in l:
                    return l
            time.sleep(0.05)
        return ""

    def scoreboard(self, timeout=5):
        """Send SIGUSR1; the scoreboard summary line's fields as a dict."""
        n = self.logtext().count("scoreboard: generation=")
        self.signal(signal.SIGUSR1)
        if not self.wait_log("scoreboard: generation=", timeout, count=n + 1):
            return None
        line = [l for l in self.logtext().splitlines() if "scoreboard: generation=" in l][n]
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}

    def workers(self):
        """pids of the master's live children."""
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)],
                             capture_output=True, text=True).stdout
        return [int(x) for x in out.split()]

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def refused_within(port, timeout=3, host="127.0.0.1"):
    """Seconds until connections to port are refused, or None past timeout."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            socket.create_connection((host, port), timeout=1).close()
            time.sleep(0.05)
        except OSError:
            return time.time() - t0
    return None


def exit_status(proc, timeout=10):
    """proc's exit status once it ends, or None if it runs past timeout."""
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        return None


def connect(port, host="127.0.0.1", timeout=10):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, port))
    return s


def recv_exact(s, n, timeout=10):
    s.settimeout(timeout)
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def recv_all(s, timeout=10):
    """Everything until EOF; None when the peer stays silent past timeout."""
    s.settimeout(timeout)
    buf = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return buf
            buf += chunk
    except socket.timeout:
        return None
    except ConnectionResetError:
        return buf


def s5_addr(host, port, as_name=False):
    """ATYP, DST.ADDR, DST.PORT for an address or a name; as_name sends
    even an address literal as a name (ATYP 3), as some clients do."""
    kinds = () if as_name else ((socket.AF_INET, b"\x01"), (socket.AF_INET6, b"\x04"))
    for family, atyp in kinds:
        try:
            return atyp + socket.inet_pton(family, host) + struct.pack("!H", port)
        except OSError:
            pass
    h = host.encode()
    return b"\x03" + bytes([len(h)]) + h + struct.pack("!H", port)


def s5_reply(s, timeout=10):
    """Read a SOCKS5 reply: (REP, BND host, BND port) or None."""
    head = recv_exact(s, 4, timeout)
    if len(head) < 4:
        return None
    atyp = head[3]
    if atyp == 1:
        raw = recv_exact(s, 6, timeout)
        return head[1], socket.inet_ntop(socket.AF_INET, raw[:4]), struct.unpack("!H", raw[4:])[0]
    if atyp == 4:
        raw = recv_exact(s, 18, timeout)
        return head[1], socket.inet_ntop(socket.AF_INET6, raw[:16]), struct.unpack("!H", raw[16:])[0]
    return head[1], None, None


def s5_connect(port, host, dport, proxy="127.0.0.1", methods=b"\x00", userpass=None,
               as_name=False):
    """Greeting, optional RFC 1929 login, CONNECT: (socket, reply)."""
    s = connect(port, proxy)
    s.sendall(b"\x05" + bytes([len(methods)]) + methods)
    m = recv_exact(s, 2)
    if len(m) < 2 or m[1] == 0xFF:
        return s, None
    if m[1] == 2:
        u, p = userpass
        s.sendall(b"\x01" + bytes([len(u)]) + u + bytes([len(p)]) + p)
        a = recv_exact(s, 2)
        if len(a) < 2 or a[1] != 0:
            return s, None
    s.sendall(b"\x05\x01\x00" + s5_addr(host, dport, as_name))
    return s, s5_reply(s)


def echoes(port, echo_port, data=b"ping"):
    """Does a CONNECT through the proxy at port to an echo server work?"""
    try:
        s, rep = s5_connect(port, "127.0.0.1", echo_port)
        s.sendall(data)
        ok = rep is not None and rep[0] == 0 and recv_exact(s, len(data)) == data
        s.close()
        return ok
    except OSError:
        return False


class EchoServer:
    """A TCP echo server on loopback (IPv4 or IPv6), in a thread."""

    def __init__(self, family=socket.AF_INET):
        host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(256)
        self.port = self.sock.getsockname()[1]
        self.host = host
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(c,), daemon=True).start()

    def _echo(self, c):
        c.settimeout(30)
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(d)
            c.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        c.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


class HttpServer:
    """Serves a directory over HTTP on loopback, in a thread."""

    def __init__(self, directory, family=socket.AF_INET):
        handler = lambda *a, **kw: _QuietHandler(*a, directory=directory, **kw)

        class Server(http.server.ThreadingHTTPServer):
            address_family = family

        host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
        self.httpd = Server((host, 0), handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def make_file(directory, name, size):
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    return path, sha256_file(path)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def curl(*args, timeout=60):
    """Run curl; (exit code, stdout bytes)."""
    r = subprocess.run(["curl", "-s", "-S", "--max-time", str(timeout)] + list(args),
                       capture_output=True, timeout=timeout + 10)
    return r.returncode, r.stdout


class UdpEchoServer:
    """A UDP echo server on loopback, in a thread; it keeps what it got.

    both=True binds 127.0.0.1 and [::1] on the same port, so a name that
    resolves to either family reaches it."""

    def __init__(self, family=socket.AF_INET, both=False):
        self.received = []      # (payload, sender) in arrival order
        self.lock = threading.Lock()
        for _ in range(50):
            self.socks = []
            try:
                self._bind(family, both)
                break
            except OSError:
                for s in self.socks:
                    s.close()
        else:
            raise OSError("no UDP port free on both families")
        self.host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
        for s in self.socks:
            threading.Thread(target=self._serve, args=(s,), daemon=True).start()

    def _bind(self, family, both):
        fams = [socket.AF_INET, socket.AF_INET6] if both else [family]
        port = 0
        for fam in fams:
            s = socket.socket(fam, socket.SOCK_DGRAM)
            self.socks.append(s)
            s.bind(("::1" if fam == socket.AF_INET6 else "127.0.0.1", port))
            port = s.getsockname()[1]
        self.port = port

    def _serve(self, s):
        while True:
            try:
                d, a = s.recvfrom(65535)
                with self.lock:
                    self.received.append((d, a))
                s.sendto(d, a)
            except OSError:
                return

    def count(self, payload=None):
        with self.lock:
            return len([r for r in self.received if payload is None or r[0] == payload])


def s5_open(port, proxy="127.0.0.1"):
    """A SOCKS5 connection past the greeting (method "none")."""
    s = connect(port, proxy)
    s.sendall(b"\x05\x01\x00")
    if recv_exact(s, 2) != b"\x05\x00":
        return None
    return s


def s5_request(s, cmd, host, port):
    """Send a request (1 CONNECT, 2 BIND, 3 UDP ASSOCIATE); the reply."""
    s.sendall(b"\x05" + bytes([cmd]) + b"\x00" + s5_addr(host, port))
    return s5_reply(s)


def s5_udp_header(host, port, frag=0):
    """RSV RSV FRAG ATYP DST.ADDR DST.PORT of a UDP ASSOCIATE datagram."""
    return b"\x00\x00" + bytes([frag]) + s5_addr(host, port)


def s5_udp_parse(d):
    """(host, port, payload) of a datagram from the relay, or None."""
    if len(d) < 10 or d[:3] != b"\x00\x00\x00":
        return None
    if d[3] == 1:
        return socket.inet_ntop(socket.AF_INET, d[4:8]), struct.unpack("!H", d[8:10])[0], d[10:]
    if d[3] == 4 and len(d) >= 22:
        return socket.inet_ntop(socket.AF_INET6, d[4:20]), struct.unpack("!H", d[20:22])[0], d[22:]
    return None


class TcpServer:
    """A server on 127.0.0.1 that runs handle(conn) in a thread per
    connection."""

    def __init__(self, handle):
        self.handle = handle
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(c,), daemon=True).start()


class SlowHttpServer(TcpServer):
    """Serves data to any HTTP/1.0 GET, piece bytes every delay seconds
    (64 KiB every 40 ms: about 2.5 s for 4 MiB), so that transfers stay
    in flight inside the proxy, not in socket buffers."""

    def __init__(self, data, piece=65536, delay=0.04):
        self.data, self.piece, self.delay = data, piece, delay
        TcpServer.__init__(self, self._one)

    def _one(self, c):
        try:
            c.settimeout(30)
            req = b""
            while b"\r\n\r\n" not in req and len(req) < 8192:
                chunk = c.recv(4096)
                if not chunk:
                    return
                req += chunk
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(self.data))
            for off in range(0, len(self.data), self.piece):
                c.sendall(self.data[off:off + self.piece])
                time.sleep(self.delay)
        except OSError:
            pass
        finally:
            c.close()
