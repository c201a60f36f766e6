"""benchproc.py: the processes run-bench starts, and what /proc says of them.

Every proxy is started as the leader of a new session, so "all proxy
processes" is every process whose session id is the leader's pid: that holds
for threads (microsocks), pre-forked workers (sockd) and Dante's children.
Processes are only ever signalled by that pid or process group.
"""

import ctypes
import os
import signal
import socket
import subprocess
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
PR_SET_PDEATHSIG = 1

# Everything run-bench started and has not yet stopped, for the cleanup.
_live = []


def _stat_fields(pid):
    """Fields of /proc/PID/stat after the command name, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    return data[data.rindex(")") + 2:].split()


def session_pids(sid):
    """Pids of every process in session sid."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        f = _stat_fields(name)
        if f is not None and int(f[3]) == sid:
            pids.append(int(name))
    return pids


def cpu_seconds(pids):
    """utime + stime + cutime + cstime of pids, in seconds.

    The children's times hold the workers that exited and were reaped
    since the proxy started, so a prefork pool that recycles its workers
    is fully counted.
    """
    ticks = 0
    for pid in pids:
        f = _stat_fields(pid)
        if f is not None:
            ticks += sum(int(x) for x in f[11:15])
    return ticks / CLK_TCK


def machine_busy():
    """CPU seconds the whole machine spent busy since boot, from /proc/stat
    (user, nice, system, steal; all CPUs).  Interrupt time is left out: it
    is mostly our own loopback traffic and is charged to no process."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    return (sum(ticks[0:3]) + ticks[7]) / CLK_TCK


def pss_kib(pids):
    """Sum of Pss over pids, from /proc/PID/smaps_rollup, in KiB."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def port_free(port):
    """True when nothing listens on 127.0.0.1:port."""
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def wait_port(port, proc, limit):
    """Wait until 127.0.0.1:port accepts, proc being alive; True if so."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def _die_with_parent():
    """In the child: get SIGTERM if run-bench dies, even by SIGKILL."""
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def start(argv, log, stdin=subprocess.DEVNULL, stdout=None):
    """Start argv as a new session leader, logging to the file log."""
    proc = subprocess.Popen(argv, stdin=stdin,
                            stdout=log if stdout is None else stdout,
                            stderr=log, start_new_session=True,
                            preexec_fn=_die_with_parent)
    _live.append(proc)
    return proc


def _signal_session(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    for pid in session_pids(proc.pid):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def stop(proc, grace=5.0):
    """SIGTERM the session, wait, then SIGKILL whatever is left of it."""
    if proc in _live:
        _live.remove(proc)
    _signal_session(proc, signal.SIGTERM)
    end = time.monotonic() + grace
    while time.monotonic() < end:
        if proc.poll() is not None and not session_pids(proc.pid):
            return
        time.sleep(0.05)
    _signal_session(proc, signal.SIGKILL)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass
    end = time.monotonic() + 5
    while session_pids(proc.pid) and time.monotonic() < end:
        time.sleep(0.05)


def stop_all():
    """Stop everything still running; for the exit path."""
    for proc in list(_live):
        stop(proc, grace=2.0)
