// node_socks.js: drive sockd with the "socks" package of npm (Debian's
// node-socks), a client written by others, for t_nodesocks.py.
//
//   node node_socks.js connect   PROXY TYPE DEST [USER PASS]
//   node node_socks.js bind      PROXY TYPE DEST [USER PASS]
//   node node_socks.js associate PROXY TYPE DEST [USER PASS]
//
// PROXY and DEST are host:port ("[::1]:1080" for IPv6), TYPE 4 or 5 (a
// SOCKS4 DEST given by name is sent as 4a).  Prints one JSON object on
// standard output, {"ok": true, ...} or {"ok": false, "error": "..."};
// everything ends within 10 s.
'use strict';
const net = require('net');
const dgram = require('dgram');
const { SocksClient } = require('socks');

const DEADLINE_MS = 10000;
const PAYLOAD = Buffer.from('sockd-node-' + process.pid);

function hostport(s) {
  const m = /^\[(.*)\]:(\d+)$/.exec(s) || /^([^:]*):(\d+)$/.exec(s);
  if (!m)
    throw new Error('bad host:port ' + s);
  return { host: m[1], port: Number(m[2]) };
}

function done(result) {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

function fail(err) {
  done({ ok: false, error: String(err && err.message ? err.message : err) });
}

function options(argv, command) {
  const p = hostport(argv[0]);
  const proxy = { host: p.host, port: p.port, type: Number(argv[1]) };
  if (argv[3] !== undefined) {
    proxy.userId = argv[3];
    proxy.password = argv[4];
  }
  return { proxy, command, destination: hostport(argv[2]), timeout: 5000 };
}

// Read exactly n bytes from a stream socket, then call back.
function readN(sock, n, cb) {
  let got = Buffer.alloc(0);
  const onData = (d) => {
    got = Buffer.concat([got, d]);
    if (got.length >= n) {
      sock.removeListener('data', onData);
      cb(got.subarray(0, n));
    }
  };
  sock.on('data', onData);
}

// CONNECT, send PAYLOAD, expect it echoed.
async function doConnect(argv) {
  const info = await SocksClient.createConnection(options(argv, 'connect'));
  const sock = info.socket;
  sock.on('error', fail);
  readN(sock, PAYLOAD.length, (echo) => {
    sock.destroy();
    done({ ok: echo.equals(PAYLOAD), bound: info.remoteHost || null });
  });
  sock.write(PAYLOAD);
}

// BIND: on the first reply connect to the address it names (from where
// DEST says), send PAYLOAD, and expect it on the proxy's socket after
// the second reply.
function doBind(argv) {
  const client = new SocksClient(options(argv, 'bind'));
  let first = null;
  client.on('error', fail);
  client.on('bound', (info) => {
    first = info.remoteHost;
    // an unspecified BND.ADDR means the proxy's address: DEST's host here
    const any = first.host === '0.0.0.0' || first.host === '::';
    const host = any ? hostport(argv[2]).host : first.host;
    const peer = net.connect({ host, port: first.port }, () => peer.write(PAYLOAD));
    peer.on('error', fail);
  });
  client.on('established', (info) => {
    readN(info.socket, PAYLOAD.length, (data) => {
      info.socket.destroy();
      done({ ok: data.equals(PAYLOAD), first, second: info.remoteHost });
    });
  });
  client.connect();
}

// UDP ASSOCIATE from a UDP socket bound first (its address is the
// request's DST), one datagram to the UDP echo at DEST and its answer.
function doAssociate(argv) {
  const dest = hostport(argv[2]);
  const family = net.isIPv6(hostport(argv[0]).host) ? 'udp6' : 'udp4';
  const udp = dgram.createSocket(family);
  udp.on('error', fail);
  udp.bind(0, family === 'udp6' ? '::1' : '127.0.0.1', () => {
    const opts = options(argv, 'associate');
    opts.destination = { host: udp.address().address, port: udp.address().port };
    // createConnection() takes CONNECT only; ASSOCIATE is an event.
    const client = new SocksClient(opts);
    client.on('error', fail);
    client.on('established', (info) => relayVia(info, udp, dest));
    client.connect();
  });
}

// One datagram through the relay the reply named, and its answer.
function relayVia(info, udp, dest) {
  info.socket.on('error', fail);
  const relay = info.remoteHost;
  udp.on('message', (msg) => {
    const f = SocksClient.parseUDPFrame(msg);
    info.socket.destroy();
    udp.close();
    done({ ok: f.data.equals(PAYLOAD), relay, from: f.remoteHost });
  });
  const frame = SocksClient.createUDPFrame({ remoteHost: dest, data: PAYLOAD });
  udp.send(frame, relay.port, relay.host);
}

const COMMANDS = { connect: doConnect, bind: doBind, associate: doAssociate };

function main() {
  const argv = process.argv.slice(2);
  const run = COMMANDS[argv[0]];
  if (!run || argv.length < 4)
    return fail('usage: node_socks.js connect|bind|associate PROXY TYPE DEST [USER PASS]');
  setTimeout(() => fail('timed out'), DEADLINE_MS);
  process.on('uncaughtException', fail);
  Promise.resolve().then(() => run(argv.slice(1))).catch(fail);
}

main();
