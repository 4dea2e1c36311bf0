// ftp-srv (Node) for the interop tests, started by interop/servers.sh.
//
//   node ftpsrv.js --port P --passive FIRST:LAST --root DIR --user U [--tls|--implicit --cert C --key K]
//
// The password is read from the environment (FTPSRV_PASS), so it is not on
// the command line. One user; every session is confined to --root by
// ftp-srv's file system. --tls offers AUTH TLS (explicit, optional) with
// the given certificate, --implicit speaks TLS from the first byte.
'use strict';

const fs = require('fs');
const { FtpSrv } = require('ftp-srv');
const bunyan = require('bunyan');

function args(argv) {
  const a = {};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (!k.startsWith('--')) throw new Error('unexpected argument ' + k);
    if (k === '--tls' || k === '--implicit') { a[k.slice(2)] = true; continue; }
    if (i + 1 >= argv.length) throw new Error(k + ' needs a value');
    a[k.slice(2)] = argv[++i];
  }
  for (const k of ['port', 'passive', 'root', 'user']) {
    if (!a[k]) throw new Error('--' + k + ' is required');
  }
  return a;
}

const a = args(process.argv.slice(2));
const pass = process.env.FTPSRV_PASS;
if (!pass) throw new Error('FTPSRV_PASS is not set');
const host = a.host || '127.0.0.1';
const [pmin, pmax] = a.passive.split(':').map(Number);

const server = new FtpSrv({
  url: (a.implicit ? 'ftps://' : 'ftp://') + host + ':' + a.port,
  pasv_url: host,
  pasv_min: pmin,
  pasv_max: pmax,
  anonymous: false,
  greeting: 'ftp-srv interop server',
  tls: a.tls || a.implicit ? { cert: fs.readFileSync(a.cert), key: fs.readFileSync(a.key) } : false,
  log: bunyan.createLogger({ name: 'ftp-srv', level: 'warn' }),
});

server.on('login', ({ username, password }, resolve, reject) => {
  if (username === a.user && password === pass) {
    resolve({ root: a.root });
  } else {
    reject(new Error('Login incorrect.'));
  }
});

server.listen().then(() => console.error('ftp-srv listening on ' + host + ':' + a.port));
