#!/usr/bin/env python3
"""contrib/dante2sockd: a Dante danted.conf translated into a sockd.conf
that sockd -n loads, whose rules (sockd -q) decide as Dante's would, and
whose untranslatable parts are said and fall on the safe side: a pass
rule with a condition sockd lacks is left out, a block rule loses the
condition (it blocks more)."""
import pwd
import subprocess

from harness import *

TOOL = os.path.join(TOP_SRCDIR, "contrib", "dante2sockd")
d = tmpdir()
port = free_port()
user = pwd.getpwuid(os.geteuid()).pw_name if os.geteuid() else "nobody"
pw = os.path.join(d, "sockd.passwd")
subprocess.run([os.path.join(TOP_BUILDDIR, "src", "sockpasswd"), "-f", pw, "-i", "add",
                "alice"], input="secret\n", capture_output=True, text=True, timeout=30)
os.chmod(pw, 0o644)

DANTE = """# an office proxy, as Dante writes it
logoutput: syslog/LOCAL0 /var/log/sockd.log
internal: 127.0.0.1 port = %(port)d
internal: ::1 port=%(port)d
external: lo
socksmethod: username none
clientmethod: none
user.privileged: root
user.unprivileged: %(user)s
timeout.negotiate: 30
timeout.io: 0
debug: 1

client pass {
        from: 127.0.0.0/8 to: 0.0.0.0/0
        log: error
}
client pass { from: ::1/128 to: ::1 port = %(port)d }
socks block {
        from: 0.0.0.0/0 to: .example.com
        log: connect error
}
socks block { from: 0.0.0.0/0 port = 25 to: 10.0.0.0/8 port gt 1023 }
socks pass {
        from: 127.0.0.0/8 to: 0.0.0.0/0
        command: bind connect
        protocol: tcp
        socksmethod: username
        user: alice
}
socks pass {
        from: 127.0.0.0/8 to: 0.0.0.0/0
        group: staff
}
route {
        from: 0.0.0.0/0 to: 0.0.0.0/0 via: 192.0.2.9 port = 1080
}
socks pass {
        from: 127.0.0.0/8 to: 0.0.0.0/0 port 1 - 1023
        proxyprotocol: socks_v5
        log: connect disconnect
}
""" % {"port": port, "user": user}
src = os.path.join(d, "danted.conf")
with open(src, "w") as f:
    f.write(DANTE)
r = subprocess.run(["perl", TOOL, "-p", pw, src], capture_output=True, text=True, timeout=30)
out = r.stdout
conf = os.path.join(d, "sockd.conf")
with open(conf, "w") as f:
    f.write(out)
os.chmod(conf, 0o644)
check(r.returncode == 1, "dante2sockd: exit 1, something to review (%d)" % r.returncode)
for line in ('listen = { "127.0.0.1:%d", "[::1]:%d" }' % (port, port), 'user = "%s"' % user,
             'external = "lo"', 'log = "syslog"', 'log-facility = "local0"',
             'log-level = "debug"', "negotiate-timeout = 30", "idle-timeout = 1000000",
             "udp-timeout = 1000000", 'methods = { "password", "none" }',
             'passwd-file = "%s"' % pw, "socks4 = false",
             'listen = "[::1]:%d"' % port, 'command = { "bind", "connect" }'):
    check(line in out, "translated: %s" % line)
for what in ("logoutput: /var/log/sockd.log: a file is your syslog daemon's rule",
             "socks pass rule (line 31): group staff: sockd cannot say this; the rule is left out",
             "socks block rule (line 23): a client port: sockd cannot say this; left out of the rule, which blocks more", "route { }: sockd connects directly",
             "proxyprotocol without socks_v4"):
    check(what in r.stderr and what in out, "said on stderr and in the file: %s" % what)
check(out.count("socks pass {") == 2 and "# danted.conf line 31" not in out,
      "the pass rule with group is left out (2 pass rules remain)")

# Without -p, passwd-file is left to sockd's default (the one its
# configure gave it), not a path the script would have to guess.
r2 = subprocess.run(["perl", TOOL, src], capture_output=True, text=True, timeout=30)
check("passwd-file" not in r2.stdout and 'methods = { "password", "none" }' in r2.stdout and
      "sockd checks its own password file, passwd-file's default" in r2.stderr,
      "without -p: no passwd-file line, the default said")

# -h: the usage on standard output, exit 0; a bad option: on stderr, 2.
r3 = subprocess.run(["perl", TOOL, "-h"], capture_output=True, text=True, timeout=30)
check(r3.returncode == 0 and r3.stdout.startswith("usage: dante2sockd"), "-h: the usage on stdout, exit 0")
r3 = subprocess.run(["perl", TOOL, "-x", src], capture_output=True, text=True, timeout=30)
check(r3.returncode == 2 and r3.stderr.startswith("usage: dante2sockd") and r3.stdout == "",
      "an unknown option: the usage on stderr, exit 2")

r = subprocess.run([SOCKD, "-n", "-f", conf], capture_output=True, text=True, timeout=30)
check(r.returncode == 0 and "log on a block rule" not in r.stderr,
      "sockd -n loads the translation: %s" % (r.stdout + r.stderr).strip()[-300:])


def decide(query):
    r = subprocess.run([SOCKD, "-n", "-f", conf, "-q", query], capture_output=True,
                       text=True, timeout=30)
    return r.returncode


for query, want, why in (
        ("from 127.0.0.1 to www.example.com port 80", 1, "a name under .example.com: blocked"),
        ("from 127.0.0.1 to 10.1.1.1 port 8080", 1, "10/8 above 1023: blocked (the from port dropped)"),
        ("from 127.0.0.1 to 10.1.1.1 port 80", 0, "10/8 port 80: the last rule passes it"),
        ("from 127.0.0.1 to 192.0.2.1 port 8080", 1, "port 8080 without a login: no rule passes it"),
        ("from 127.0.0.1 to 192.0.2.1 port 8080 user alice", 0, "alice may CONNECT anywhere"),
        ("from 127.0.0.1 to 192.0.2.1 port 8080 user alice command udpassociate", 1,
         "alice's rule is tcp only: no UDP"),
        ("from 127.0.0.1 to 192.0.2.1 port 443", 0, "anyone may reach ports 1-1023")):
    check(decide(query) == want, "sockd -q '%s': %s" % (query, why))

# A file with nothing to review: exit 0; a missing one: 2.
with open(src, "w") as f:
    f.write("internal: 0.0.0.0 port = 1080\nsocksmethod: none\n"
            "client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }\n"
            "socks pass { from: 10.0.0.0/8 to: 0.0.0.0/0 }\n")
r = subprocess.run(["perl", TOOL, src], capture_output=True, text=True, timeout=30)
check(r.returncode == 0 and r.stderr == "" and 'listen = "*:1080"' in r.stdout and
      'client pass {\t# danted.conf line 3\n\tfrom = "0.0.0.0/0"\n}' in r.stdout,
      "a plain file: exit 0, nothing said: %r" % r.stderr)
with open(src, "w") as f:
    f.write("socks block { from: 10.0.0.0/255.255.0.0 to: 0.0.0.0/0 port neq 443 }\n"
            "socks pass { from: 10.0.0.0/8 to: nosuchif0 }\n"
            "socks block { from: 0.0.0.0/0 to: lo port = smtp }\n")
r = subprocess.run(["perl", TOOL, src], capture_output=True, text=True, timeout=30)
check('from = "10.0.0.0/16"' in r.stdout and 'port = "neq 443"' in r.stdout and
      "socks pass" not in r.stdout.replace("socks pass rule", ""),
      "a dotted netmask as a prefix, neq kept; a pass rule to an unknown interface left out")
check('to = { "127.0.0.1", "::1" }\n\tport = "25"' in r.stdout and
      "to: lo is an interface: its addresses now (127.0.0.1 ::1) are used" in r.stderr,
      "an interface in a rule: its addresses, said; a service name as its port")
with open(src, "w") as f:
    f.write("internal: 10.1.1.1 port = 1080\nsocksmethod: none\n"
            "client pass { from: 10.0.0.0/8 to: 10.1.1.1 }\n")
r = subprocess.run(["perl", TOOL, src], capture_output=True, text=True, timeout=30)
check(r.returncode == 0 and 'client pass {\t# danted.conf line 3\n\tfrom = "10.0.0.0/8"\n}' in r.stdout,
      "a client rule's to: that covers every internal address: no listen condition")
# bindreply/udpreply: Dante's from: is the host sending in, its to: the
# client, so they swap; a rule for every command splits in two.  A pass
# rule for SOCKS4 only, "a,b" (one name to Dante) and a name as a client
# are left out; a name in from: of a block rule is dropped, said.
with open(src, "w") as f:
    f.write("socks block { from: 127.0.0.2/32 to: 0/0\n command: bindreply udpreply\n}\n"
            "socks pass { from: 10.0.0.0/8 to: 192.0.2.0/24 port = 80 }\n"
            "socks pass { from: 0/0 to: 0/0\n proxyprotocol: socks_v4\n}\n"
            "socks pass { from: 0/0 to: 0/0\n user: ann,bob\n}\n"
            "socks block { from: .example.net to: 0/0 }\n")
r = subprocess.run(["perl", TOOL, src], capture_output=True, text=True, timeout=30)
rules = r.stdout.split("\n\n")
check('socks block {\t# danted.conf line 1\n\tfrom = "0/0"\n\tto = "127.0.0.2/32"\n'
      '\tcommand = { "bindreply", "udpreply" }\n}' in rules,
      "bindreply/udpreply: from and to swapped")
check('\tfrom = "10.0.0.0/8"\n\tto = "192.0.2.0/24"\n\tport = "80"\n'
      '\tcommand = { "connect", "bind", "udpassociate" }\n}' in r.stdout and
      '\tfrom = "192.0.2.0/24"\n\tto = "10.0.0.0/8"\n\tcommand = { "bindreply", "udpreply" }'
      not in r.stdout and "(bindreply/udpreply) a client port" in r.stderr,
      "a rule for every command: the forward part, and the reply part (a client port) left out, said")
check("line 6" not in r.stdout.replace("# dante2sockd: line 6", "") and
      "proxyprotocol socks_v4: sockd cannot say this" in r.stderr,
      "a pass rule for SOCKS4 only: left out, said")
check('"ann' not in r.stdout and
      "user ann,bob (Dante reads a name with a comma as one name)" in r.stderr,
      "user: ann,bob (one name to Dante): the pass rule left out, said")
check('socks block {\t# danted.conf line 11\n\tto = "0/0"\n'
      '\tcommand = { "connect", "bind", "udpassociate" }\n}' in r.stdout and
      "a client given as a name" in r.stderr,
      "a name in a block rule's from: dropped (it blocks more), said: %s" % r.stdout[-200:])
r = subprocess.run(["perl", TOOL, os.path.join(d, "none.conf")], capture_output=True,
                   text=True, timeout=30)
check(r.returncode == 2 and "none.conf" in r.stderr, "a missing file: exit 2, named")
r = subprocess.run(["perl", TOOL, d], capture_output=True, text=True, timeout=30)
check(r.returncode == 2 and r.stdout == "" and "is a directory" in r.stderr,
      "a directory: exit 2, said")


def translate(text, *opts):
    with open(src, "w") as f:
        f.write(text)
    r = subprocess.run(["perl", TOOL] + list(opts) + [src], capture_output=True, text=True,
                       timeout=30)
    return r


def decides(text, query):
    """sockd -q on the translation (with a listener and a run-as user)."""
    with open(conf, "w") as f:
        f.write('user = "%s"\npidfile = ""\n' % user + text)
    return subprocess.run([SOCKD, "-n", "-f", conf, "-q", query], capture_output=True,
                          text=True, timeout=30).returncode


# What Dante refuses and sockd cannot check: a client block rule for every
# client comes first (from an outside review: each of these came out
# more open than Dante).
HEAD = "internal: 127.0.0.1 port = %d\n" % port
RULES = ("client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }\n"
         "socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }\n")
LOCK = "client block {\t# dante2sockd: "
for top, said in (("socksmethod: gssapi rfc931\n", "none of these is a method sockd has"),
                  ("", "no socksmethod line: Dante 1.4 then refuses every request"),
                  ("socksmethod: none\nsrchost: nodnsunknown nodnsmismatch\n",
                   "Dante refuses clients by their names in the DNS"),
                  ("socksmethod: none\nclientmethod: rfc931\n",
                   "Dante refuses clients that fail it")):
    r = translate(HEAD + top + RULES)
    check(r.returncode == 1 and said in r.stderr and LOCK in r.stdout and
          r.stdout.index(LOCK) < r.stdout.index("client pass {"),
          "%s: said, and a client block rule comes first" % (top.strip() or "no socksmethod"))
    check(decides(r.stdout, "from 127.0.0.1 to 192.0.2.1 port 80") == 1,
          "  ... which blocks a client the pass rules would let in")
r = translate(HEAD + "socksmethod: pam.username bsdauth\n" + RULES)
check('methods = "password"' in r.stdout and LOCK not in r.stdout and
      "a login checked against sockd's password file, not by PAM" in r.stderr,
      "pam.username and bsdauth: RFC 1929 logins, sockd's password method, said")
r = translate(HEAD + "socksmethod: username, none\n" + RULES)
check('methods = { "password", "none" }' in r.stdout, "socksmethod: username, none (a comma)")

# A client rule's to: against the internal addresses: a network, one
# family, none at all.
r = translate("internal: 127.0.0.1 port = %d\ninternal: ::1 port = %d\nsocksmethod: none\n"
              "client block { from: 0.0.0.0/0 to: 127.0.0.0/8 }\n"
              "client pass { from: 0/0 to: 0.0.0.0/0 }\n"
              "client pass { from: 0/0 to: 10.0.0.0/8 }\n"
              "client pass { from: 127.0.0.0/8 port 1-65535 to: ::/0 port = %d }\n"
              "socks pass { from: 0/0 to: 0/0 port ne 25 }\n" % (port, port, port))
check('client block {\t# danted.conf line 4\n\tfrom = "0.0.0.0/0"\n\tlisten = "127.0.0.1:%d"\n}'
      % port in r.stdout, "client block to: 127.0.0.0/8: the internal address inside it")
check('client pass {\t# danted.conf line 5\n\tfrom = "0/0"\n\tlisten = "127.0.0.1:%d"\n}'
      % port in r.stdout, "client pass to: 0.0.0.0/0 with an IPv6 internal: the IPv4 one only")
check("danted.conf line 6" not in r.stdout and
      "to: 10.0.0.0/8: none of the internal addresses; the rule never matches" in r.stderr,
      "client pass to: 10.0.0.0/8: no internal address, left out, said")
check('client pass {\t# danted.conf line 7\n\tfrom = "127.0.0.0/8"\n\tlisten = "[::1]:%d"\n}'
      % port in r.stdout, "a client port 1-65535 is no condition; to: ::/0 is the IPv6 one")
check('port = "neq 25"' in r.stdout, "port ne 25 (Dante 1.4's spelling): neq")
r = translate("internal: 0.0.0.0 port = %d\nsocksmethod: none\n"
              "client block { from: 0.0.0.0/0 to: 127.0.0.1/32 }\n"
              "client block { from: .bad.example to: 0.0.0.0/0 }\n"
              "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }\n" % port)
check('client block {\t# danted.conf line 3\n\tfrom = "0.0.0.0/0"\n}' in r.stdout and
      'client block {\t# danted.conf line 4\n}' in r.stdout,
      "to: one address of a wildcard internal, from: a name: the block rules lose them")

# An interface in a client rule: its addresses, as in socks rules.
r = translate("internal: lo port = %d\nsocksmethod: none\n"
              "client pass { from: lo to: lo }\n" % port)
check('client pass {\t# danted.conf line 3\n\tfrom = { "127.0.0.1", "::1" }\n}' in r.stdout and
      "from: lo is an interface: its addresses now (127.0.0.1 ::1) are used" in r.stderr,
      "client pass { from: lo to: lo }: from lo's addresses, to: every internal one")

# Wildcard internals: to: of one family takes that family's wildcard.
r = translate("internal: 0.0.0.0 port = %d\ninternal: :: port = %d\nsocksmethod: none\n"
              "client pass { from: 0/0 to: 0.0.0.0/0 }\n" % (port, port))
check('\tfrom = "0/0"\n\tlisten = "*:%d"\n' % port not in r.stdout and
      "client pass rule (line 4): to: 0.0.0.0/0: sockd cannot say this" in r.stderr,
      "to: 0.0.0.0/0 with both wildcards: '*:PORT' in a rule is either family, so left out")
r = translate("internal: :: port = %d\nsocksmethod: none\n"
              "client pass { from: 0/0 to: 0.0.0.0/0 }\n" % port)
check("to: 0.0.0.0/0: none of the internal addresses" in r.stderr,
      "to: 0.0.0.0/0 with only the IPv6 wildcard: never matches, left out")

# Dante reads "alice, bob" as the names "alice," and "bob".
r = translate(HEAD + "socksmethod: username\n" + RULES.replace(
    "to: 0.0.0.0/0 }\n", "to: 0.0.0.0/0\n user: alice, bob }\n"))
check("socks pass {" not in r.stdout and "user alice, bob" in r.stderr,
      "user: alice, bob: the pass rule left out, said")

# Dante takes blanks before a keyword's colon; a statement's values on
# the next line it refuses, and so does dante2sockd.
r = translate(HEAD + "socksmethod :username\nclientmethod : rfc931\n" +
              RULES.replace("to: 0.0.0.0/0 }\n", "to: 0.0.0.0/0\n user :alice }\n"))
check('methods = "password"' in r.stdout and "clientmethod: rfc931: Dante refuses" in r.stderr
      and 'user = "alice"' in r.stdout, "'socksmethod :username', 'clientmethod : rfc931', 'user :alice'")
for text in (HEAD + "socksmethod:\n  username\n" + RULES,
             HEAD + "socksmethod: none\n" + RULES +
             "socks block { from: 0/0 to: 0/0\n command: bind\n   udpassociate\n}\n"):
    r = translate(text)
    check(r.returncode == 2 and r.stdout == "" and
          "begins no statement (Dante refuses unknown words, and values on a line after" in r.stderr,
          "values on the next line: exit 2, nothing written (%s)" % r.stderr.strip()[-80:])

# external: of one family: Dante reached no target of the other.
r = translate(HEAD + "external: 127.0.0.1\nsocksmethod: none\n" + RULES)
check('socks block {\t# danted.conf line 2 (external)\n\tto = "::/0"\n}\n\nsocks pass' in r.stdout
      and "external: IPv4 only: Dante reached IPv4 targets only" in r.stderr,
      "external: 127.0.0.1: a socks block rule for ::/0 first")
# internal: after the rules still counts for a client rule's to:.
r = translate("socksmethod: none\nclient block { from: 0/0 to: ::1/128 }\n" + RULES +
              "internal: 127.0.0.1 port = %d\ninternal: ::1 port = %d\n" % (port, port))
check('client block {\t# danted.conf line 2\n\tfrom = "0/0"\n\tlisten = "[::1]:%d"\n}' % port
      in r.stdout, "internal lines after the rules: a client rule's to: is matched against them")

# What Dante would not parse is refused, nothing written.
for text, said in ((HEAD + RULES.replace("0.0.0.0/0 }\nsocks", "0.0.0.0/0\nsocks"),
                    "the rule of line 2 is not closed before 'socks'"),
                   (HEAD + "socks pass {\n from: 127.0.0.0/8 to: 127.0.0.3/32\n"
                    " from: 0/0 to: 0/0\n}\n", "from: a second time in the rule of line 2"),
                   (HEAD + "socks pass { from: 127.0.0.0/8 to: 0/0\n", "the rule is not closed")):
    r = translate(text)
    check(r.returncode == 2 and r.stdout == "" and said in r.stderr,
          "malformed (%s): exit 2, nothing written" % said)
finish()
