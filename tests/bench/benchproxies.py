"""benchproxies.py: the columns of the benchmark, one class per proxy.

Each proxy knows how to find its binary, write its temporary config, and
say how to start it: a Launch, with an optional second way in for the
username/password scenario.  run-bench only walks the list PROXIES, so a new
column is a new class here.
"""

import os
import re
import shutil
import subprocess

PW_USER = "bench"
PW_PASS = "bench-pass-1929"
DANTE_EXTERNAL = "127.0.0.254"


class Unavailable(Exception):
    """The proxy cannot be measured; the message says why."""


class Password:
    """How to run the RFC 1929 scenario: on the main instance (argv None)
    or on a second instance started with argv on port."""

    def __init__(self, port, argv=None):
        self.port = port
        self.argv = argv
        self.user = PW_USER
        self.password = PW_PASS


class Launch:
    """argv starts the proxy in the foreground, listening on port; only,
    when not None, names the scenarios it takes part in."""

    def __init__(self, argv, port, password=None, note="", only=None):
        self.argv = argv
        self.port = port
        self.password = password
        self.note = note
        self.only = only

    def wants(self, scenario):
        return self.only is None or scenario in self.only


class Direct:
    """No proxy: the client connects straight to the targets."""
    name = "direct"
    direct = True

    def launch(self, workdir, port, opts):
        return None


class Sockd:
    """sockd, started as `sockd -d -f CONFIG`; keys it does not know yet are
    dropped after asking `sockd -n`."""
    name = "sockd"
    direct = False
    required = ("listen",)

    def __init__(self, path):
        self.path = path

    def items(self, port, opts, password):
        items = [
            ("listen", f'listen = {{ "127.0.0.1:{port}" }}'),
            # the shipped pool (8 workers, 4 spares): on 2 cores, short
            # sessions go faster through 8-16 workers than through 64;
            # it grows fast for held sessions, and stays grown for bursts
            ("workers", "workers = 8"),
            ("min-spare-workers", "min-spare-workers = 4"),
            ("max-spare-workers", "max-spare-workers = 512"),
            ("max-spawn-rate", "max-spawn-rate = 1024"),
            ("max-workers", f"max-workers = {opts['max_workers']}"),
            ("negotiate-timeout", "negotiate-timeout = 10"),
            ("idle-timeout", "idle-timeout = 600"),
            ("log", 'log = "stderr"'),
            ("log-level", 'log-level = "warning"'),
            ("pidfile", 'pidfile = ""'),
            ("client", 'client pass { from = "127.0.0.0/8" }'),
            ("socks", 'socks pass { from = "127.0.0.0/8" to = "0/0" }'),
        ]
        if os.geteuid() == 0:
            items.append(("user", 'user = "nobody"'))
        if password is not None:
            items.append(("methods", 'methods = { "none", "password" }'))
            items.append(("passwd-file", f'passwd-file = "{password}"'))
        return items

    def check(self, conf, items):
        """Drop what `sockd -n` rejects; the surviving items, or raise."""
        for _ in range(len(items) + 1):
            with open(conf, "w") as f:
                f.write("".join(text + "\n" for _, text in items))
            r = subprocess.run([self.path, "-n", "-f", conf], text=True,
                               capture_output=True, timeout=20)
            if r.returncode == 0:
                return items
            out = r.stdout + r.stderr
            bad = set(re.findall(r"no such option '([^']+)'", out))
            for line in re.findall(re.escape(conf) + r":(\d+):", out):
                if 0 < int(line) <= len(items):
                    bad.add(items[int(line) - 1][0])
            bad -= set(self.required)
            if not bad:
                raise Unavailable(f"`{self.path} -n` rejects the config: "
                                  + out.strip().replace("\n", " / "))
            items = [it for it in items if it[0] not in bad]
        raise Unavailable("could not find a config that sockd accepts")

    def launch(self, workdir, port, opts):
        if not os.access(self.path, os.X_OK):
            raise Unavailable(f"{self.path} does not exist or is not "
                              "executable (build it, or set SOCKD=)")
        passwd = os.path.join(workdir, "sockd.passwd")
        write_passwd(passwd, os.path.join(os.path.dirname(self.path),
                                          "sockpasswd"))
        # the master re-reads the file after dropping root to nobody
        os.chmod(workdir, 0o755)
        os.chmod(passwd, 0o644)
        conf = os.path.join(workdir, "sockd.conf")
        items = self.check(conf, self.items(port, opts, passwd))
        keys = [k for k, _ in items]
        dropped = [k for k, _ in self.items(port, opts, passwd)
                   if k not in keys]
        pw = Password(port) if "methods" in keys else None
        note = ("config keys dropped as unknown: " + ", ".join(dropped)
                if dropped else "")
        return Launch([self.path, "-d", "-f", conf], port, pw, note)


class Dante:
    """Dante's danted, in the foreground by default.  It binds its
    outgoing sockets to the external address with port 0 before
    connecting, so the TIME_WAIT sockets of every 127.0.0.1 connection of
    the last minute (the other columns' included) count against its
    28,000 ephemeral ports; the external address 127.0.0.254 (outside the
    client's 127.0.0.1-32) gives it a port range of its own."""
    name = "dante"
    direct = False
    path = "/usr/sbin/danted"

    def launch(self, workdir, port, opts):
        if not os.access(self.path, os.X_OK):
            raise Unavailable(f"{self.path} is not installed "
                              "(apt-get install dante-server)")
        conf = os.path.join(workdir, "danted.conf")
        users = ("user.privileged: root\nuser.unprivileged: nobody\n"
                 if os.geteuid() == 0 else "")
        with open(conf, "w") as f:
            f.write("logoutput: stderr\n"
                    f"internal: 127.0.0.1 port = {port}\n"
                    f"external: {DANTE_EXTERNAL}\n"
                    "clientmethod: none\n"
                    "socksmethod: none\n"
                    + users +
                    "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }\n"
                    "socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }\n")
        return Launch([self.path, "-f", conf], port, None,
                      "no password scenario: Dante checks passwords "
                      "against system accounts")


class Microsocks:
    """microsocks; the password scenario needs a second instance, since
    -u/-P makes every client authenticate."""
    name = "microsocks"
    direct = False
    path = "/usr/bin/microsocks"

    def launch(self, workdir, port, opts):
        if not os.access(self.path, os.X_OK):
            raise Unavailable(f"{self.path} is not installed "
                              "(apt-get install microsocks)")
        pwport = port + 10
        pw = Password(pwport, [self.path, "-i", "127.0.0.1", "-p",
                               str(pwport), "-u", PW_USER, "-P", PW_PASS])
        return Launch([self.path, "-i", "127.0.0.1", "-p", str(port)],
                      port, pw)


class Floor:
    """The load generator's own "floor" role (floor.c): a pool of 8
    processes, each blocking in accept() and serving one session with
    one blocking call a step, and nothing else (no rules, logs, poll(),
    pool management).  What it reaches is about what this machine allows
    any proxy of sockd's shape.  Not a proxy: sessions and streams only."""
    name = "floor"
    direct = False

    def launch(self, workdir, port, opts):
        return Launch([opts["loadgen"], "floor", "--listen",
                       f"127.0.0.1:{port}", "--echo-port",
                       str(opts["echo_port"])], port,
                      only=("sessions", "streams"))


def write_passwd(path, sockpasswd):
    """user:crypt-hash.  sockd's own sockpasswd makes it when built (its
    default hash); otherwise SHA-512 crypt from openssl passwd."""
    if os.access(sockpasswd, os.X_OK):
        if os.path.exists(path):
            os.unlink(path)
        r = subprocess.run([sockpasswd, "-i", "-f", path, "add", PW_USER],
                           input=PW_PASS + "\n", capture_output=True,
                           text=True, timeout=60)
        if r.returncode == 0 and os.path.exists(path):
            os.chmod(path, 0o644)
            return
    hashed = PW_PASS
    if shutil.which("openssl"):
        r = subprocess.run(["openssl", "passwd", "-6", PW_PASS],
                           capture_output=True, text=True, timeout=20)
        if r.returncode == 0:
            hashed = r.stdout.strip()
    with open(path, "w") as f:
        f.write(f"{PW_USER}:{hashed}\n")
    os.chmod(path, 0o644)


def proxies(sockd_path):
    """The columns, in the order of the table."""
    return [Sockd(sockd_path), Dante(), Microsocks(), Floor(), Direct()]
