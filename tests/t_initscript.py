#!/usr/bin/env python3
"""The admin's kit: make install into a temporary DESTDIR (binary, man
pages, sample config never overwritten, examples), then the installed
LSB init script drives the installed sockd: start, status, reload (a new
generation of workers), restart, stop; with start-stop-daemon and
without."""
import pwd
import re
import shutil
import signal
import subprocess
import time

from harness import *

top = TOP_BUILDDIR
dest = os.path.join(tmpdir(), "dest")
env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}


def make_install():
    return subprocess.run(["make", "-s", "-C", top, "install", "DESTDIR=" + dest],
                          capture_output=True, text=True, env=env, timeout=120)


def find(name):
    for root, _, files in os.walk(dest):
        if name in files:
            return os.path.join(root, name)
    return None


r = make_install()
check(r.returncode == 0, "make install DESTDIR=... succeeds")
daemon, script = find("sockd"), find("sockd.init")
conf_inst = find("sockd.conf")
for name in ("sockd", "sockpasswd", "sockd.8", "sockd.conf.5", "sockd.conf",
             "sockd.init", "sockd.service", "sockd.sysusers"):
    check(find(name) is not None, "installed: %s" % name)
check(daemon and os.access(daemon, os.X_OK) and script and os.access(script, os.X_OK),
      "sockd and the init script are executable")
if not (daemon and script and conf_inst):
    finish()
etc = os.path.dirname(conf_inst)[len(dest):]
text = open(conf_inst).read()
check('passwd-file = "%s/sockd.passwd"' % etc in text and "sockd -d -f %s/sockd.conf" % etc in text
      and "-f etc/sockd.conf" not in text, "the installed sockd.conf names this build's paths (%s)" % etc)
r = subprocess.run([daemon, "-h"], capture_output=True, text=True, timeout=10)
check(r.returncode == 0 and r.stdout.startswith("usage: sockd "), "sockd -h: the usage on stdout, exit 0")
r = subprocess.run([daemon, "-Z"], capture_output=True, text=True, timeout=10)
check(r.returncode == 1 and "usage: sockd " in r.stderr, "sockd -Z: the usage on stderr, exit 1")
r = subprocess.run([daemon, "-h"], capture_output=True, text=True, timeout=10)
check("-n, -V    check the configuration" in r.stdout and "-q query" in r.stdout,
      "sockd -h: a line on each option")
r = subprocess.run([daemon, "-D"], capture_output=True, text=True, timeout=10)
check(r.returncode == 1 and "-D is Dante's: sockd detaches by default" in r.stderr,
      "sockd -D: Dante's option, told where sockd has it")
r = subprocess.run([daemon, "-d", "2"], capture_output=True, text=True, timeout=10)
check(r.returncode == 1 and "Dante's -d N is log-level = \"debug\" in sockd.conf" in r.stderr,
      "sockd -d 2: Dante's debug level, told where sockd has it")
r = subprocess.run([daemon, "-V", "-f", conf_inst], capture_output=True, text=True, timeout=10)
check(r.returncode == 0 and r.stdout.startswith("configuration OK"), "sockd -V checks the config, as -n")
r = subprocess.run([find("sockpasswd"), "-h"], capture_output=True, text=True, timeout=10)
check(r.returncode == 0 and r.stdout.startswith("usage: sockpasswd "), "sockpasswd -h: the usage, exit 0")
with open(conf_inst, "a") as f:
    f.write("# edited by the admin\n")
r = make_install()
check(r.returncode == 0 and "edited by the admin" in open(conf_inst).read(),
      "a second make install keeps the admin's sockd.conf")
check(find("sockd.conf.sample") is not None, "... and puts the new one beside it as sockd.conf.sample")
svc = open(find("sockd.service")).read()
check("ExecReload=/bin/kill -HUP $MAINPID" in svc and "@sbindir@" not in svc and
      "/sbin/sockd -f " in svc, "the systemd unit has this build's paths and reloads by SIGHUP")

echo = EchoServer()
sd = Sockd("shutdown-timeout = 3\nmin-spare-workers = 2\nmax-spare-workers = 4\n", workers=3)
defaults = os.path.join(sd.dir, "default")
with open(defaults, "w") as f:
    f.write('DAEMON="%s"\nCONF="%s"\nSTOP_TIMEOUT=10\n' % (daemon, sd.conf))
os.chmod(defaults, 0o644)


def init(action, ssd=True):
    e = dict(env, SOCKD_DEFAULTS=defaults, _SYSTEMCTL_SKIP_REDIRECT="1")
    if not ssd:
        e["START_STOP_DAEMON"] = ""
    r = subprocess.run(["sh", script, action], capture_output=True, text=True, env=e, timeout=60)
    return r.returncode, r.stdout + r.stderr


def master_pid():
    try:
        return int(open(sd.pidfile).read())
    except (OSError, ValueError):
        return None


def children(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return set(int(x) for x in out.split())


def served():
    return echoes(sd.port, echo.port, b"init")


have_ssd = shutil.which("start-stop-daemon") is not None
for ssd in ([True, False] if have_ssd else [False]):
    how = "start-stop-daemon" if ssd else "plain kill"
    rc, out = init("status", ssd)
    check(rc == 3, "[%s] status before start: 3, not running (%d: %s)" % (how, rc, out.strip()))
    rc, out = init("start", ssd)
    check(rc == 0, "[%s] start: 0 (%s)" % (how, out.strip()))
    pid = master_pid()
    rc, out = init("status", ssd)
    check(rc == 0 and pid is not None and str(pid) in out, "[%s] status: running, pid %s" % (how, pid))
    check(served(), "[%s] the daemon serves SOCKS" % how)
    rc, out = init("start", ssd)
    check(rc == 0 and master_pid() == pid, "[%s] start again: 0, same daemon" % how)
    time.sleep(0.5)
    before = children(pid)
    rc, out = init("reload", ssd)
    check(rc == 0, "[%s] reload: 0 (%s)" % (how, out.strip()))
    renewed = False
    for _ in range(50):
        now = children(pid)
        if now and not (now & before):
            renewed = True
            break
        time.sleep(0.1)
    check(renewed and master_pid() == pid,
          "[%s] reload: same master, a new generation of workers" % how)
    check(served(), "[%s] serves after the reload" % how)
    # a file sockd -n passes but the daemon does not reload: no rules
    good = open(sd.conf).read()
    sd.write_conf("".join(l for l in good.splitlines(True) if not l.startswith("socks ")))
    rc, out = init("reload", ssd)
    check(rc == 6 and "does not reload a file without client or socks rules" in out,
          "[%s] reload of a file without socks rules: 6 (not configured), and why (%s)"
          % (how, out.strip()[-70:]))
    sd.write_conf(good)
    rc, out = init("restart", ssd)
    check(rc == 0 and master_pid() not in (None, pid), "[%s] restart: a new master" % how)
    pid = master_pid()
    rc, out = init("stop", ssd)
    check(rc == 0, "[%s] stop: 0 (%s)" % (how, out.strip()))
    gone = False
    for _ in range(50):  # an ASan build spends a moment in its exit checks
        try:
            gone = open("/proc/%d/stat" % pid).read().split()[2] == "Z"
        except OSError:
            gone = True
        if gone:
            break
        time.sleep(0.1)
    check(gone, "[%s] the master is gone" % how)
    check(not os.path.exists(sd.pidfile), "[%s] the pid file is gone" % how)
    rc, out = init("status", ssd)
    check(rc == 3, "[%s] status after stop: 3 (%s)" % (how, out.strip()))
    check(not served(), "[%s] nothing serves after stop" % how)
    rc, out = init("stop", ssd)
    check(rc == 0, "[%s] stop when stopped: 0" % how)

# The pid file belongs to the unprivileged user sockd runs as: a pid in it
# that is not sockd's is never signalled.
stranger = subprocess.Popen(["sleep", "60"])
os.makedirs(os.path.dirname(sd.pidfile), exist_ok=True)
with open(sd.pidfile, "w") as f:
    f.write("%d\n" % stranger.pid)
for ssd in ([True, False] if have_ssd else [False]):
    how = "start-stop-daemon" if ssd else "plain kill"
    rc, out = init("status", ssd)
    check(rc == 1, "[%s] status with a stranger's pid in the pid file: 1, not running (%s)" % (how, out.strip()))
    rc, out = init("reload", ssd)
    check(rc == 7, "[%s] reload: 7, not running" % how)
    rc, out = init("stop", ssd)
    check(rc == 0 and stranger.poll() is None, "[%s] stop: 0, and the stranger lives" % how)
    with open(sd.pidfile, "w") as f:
        f.write("%d\n" % stranger.pid)
check(stranger.poll() is None, "the process named in the pid file was never signalled")
stranger.kill()
stranger.wait()
os.unlink(sd.pidfile)

# libconfuse takes an unquoted or single-quoted path too: the script
# finds the pid file in each form.
saved = open(sd.conf).read()
for form in ("pidfile = %s\n", "pidfile = '%s'\n"):
    sd.write_conf(re.sub(r'pidfile = "[^"]*"\n', lambda m: form % sd.pidfile, saved))
    rc, out = init("start")
    pid = master_pid()
    rc2, out2 = init("status")
    check(rc == 0 and pid is not None and rc2 == 0 and str(pid) in out2,
          "%s: start, and status finds the daemon (%d, %d: %s)" % (form.strip() % "...", rc, rc2, out2.strip()))
    rc, out = init("stop")
    check(rc == 0 and not served(), "  ... and stop stops it")
sd.write_conf(saved)

# pidfile = "" leaves the script nothing to follow: start says so.
saved = open(sd.conf).read()
with open(sd.conf, "a") as f:
    f.write('pidfile = ""\n')
rc, out = init("start")
check(rc == 6 and 'pidfile = ""' in out and "needs a pid file" in out,
      "start with pidfile = \"\": refused (6), with the reason")
rc, out = init("status")
check(rc == 3, "  ... and nothing runs")
sd.write_conf(saved)

# The unit's CapabilityBoundingSet is all the root part of a start gets:
# sockd started (without -d) under setpriv with just those, its pid file's
# directory root's as the unit's RuntimeDirectory= makes it, writes its
# pid file, serves, and empties the file at stop (systemd removes the
# directory).
if os.geteuid() == 0 and shutil.which("setpriv"):
    caps = re.search(r"^CapabilityBoundingSet=(.*)$", svc, re.M).group(1).split()
    bset = "-all," + ",".join("+" + c.lower().replace("cap_", "", 1) for c in caps)
    unit = Sockd("")
    rundir = os.path.dirname(unit.pidfile)
    os.makedirs(rundir, exist_ok=True)
    os.chmod(rundir, 0o755)
    check("chown" not in svc and "RuntimeDirectory=sockd" in svc,
          "the unit leaves /run/sockd root's, whatever user sockd.conf names")
    r = subprocess.run(["setpriv", "--bounding-set=" + bset, "--inh-caps=-all", daemon,
                        "-f", unit.conf], capture_output=True, text=True, timeout=70)
    check(r.returncode == 0 and os.path.exists(unit.pidfile),
          "started with only the unit's capabilities (%s): exit 0, pid file written (%s)"
          % (bset, r.stderr.strip().splitlines()[-1:]))
    pid = unit.wait_pidfile()
    if pid:
        unit.proc = None
        check(echoes(unit.port, echo.port, b"unit"), "  ... and serves")
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not os.path.exists("/proc/%d" % pid) or \
                    open("/proc/%d/stat" % pid).read().split()[2] == "Z":
                break
            time.sleep(0.1)
        check(os.path.exists(unit.pidfile) and os.path.getsize(unit.pidfile) == 0,
              "  ... and empties its pid file at stop, in root's directory")

# A broken file: start refuses and says so, before forking anything.
with open(sd.conf, "a") as f:
    f.write("workers = banana\n")
rc, out = init("start")
check(rc == 6 and "option 'workers'" in out,
      "start with a broken config: 6 (not configured), and the error (%d)" % rc)
rc, out = init("status")
check(rc == 3, "still not running")
rc, out = init("restart")
check(rc == 6, "restart with a broken config: 6 (%d)" % rc)
rc, out = init("configtest")
check(rc == 6 and "option 'workers'" in out, "configtest with a broken config: 6, and the error (%d)" % rc)

# LSB's other codes: no such action 3, with a usage naming every one;
# the binary missing 5 (stop and status still answer).
rc, out = init("frobnicate")
check(rc == 3 and "configtest" in out and "force-reload" in out,
      "an unknown action: 3 and the usage (%d)" % rc)
with open(defaults, "a") as f:
    f.write('DAEMON="%s"\n' % os.path.join(sd.dir, "no-such-sockd"))
for action in ("start", "restart", "reload", "configtest"):
    rc, out = init(action)
    check(rc == 5 and "is not installed" in out, "%s without the binary: 5 (%d)" % (action, rc))
rc, out = init("stop")
check(rc == 0, "stop without the binary: 0, nothing runs (%d)" % rc)
rc, out = init("status")
check(rc == 3, "status without the binary: 3 (%d)" % rc)
finish()
