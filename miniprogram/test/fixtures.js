// What the tests need besides the app: a real PNG for chooseAvatar, the admin console as a
// person would use it (log in, unbind an account), and a second device of the same WeChat user.
'use strict';

const assert = require('node:assert/strict');
const zlib = require('node:zlib');
const { server } = require('./miniapp');

// png encodes a small opaque RGB image, so the test needs no image files or packages.
function png(width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set([x * 8, y * 8, 160], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// consoleSession logs in to the console as the admin and returns fetch with its cookie.
async function consoleSession() {
  const { url, adminPassword } = server();
  if (!adminPassword) throw new Error('Set WXBIND_ADMIN_PASSWORD (go test ./miniprogram/test/ does)');
  const res = await fetch(url + '/admin/login', {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'admin', password: adminPassword }),
  });
  const cookie = (res.headers.getSetCookie() || []).map((c) => c.split(';')[0]).join('; ');
  if (res.status !== 303 && res.status !== 302) throw new Error('console login: HTTP ' + res.status);
  if (!cookie) throw new Error('console login set no cookie');
  return (path, opts = {}) => fetch(url + path, Object.assign({ redirect: 'manual' }, opts, { headers: Object.assign({ cookie }, opts.headers || {}) }));
}

// consoleUnbind is an admin pressing Unbind on the account's page in the console.
async function consoleUnbind(username) {
  const id = server().accountIds[username];
  if (!id) throw new Error('no account id for ' + username + ' (WXBIND_ACCOUNT_IDS)');
  const admin = await consoleSession();
  const res = await admin('/admin/users/' + id + '/unbind', { method: 'POST' });
  if (res.status !== 303 && res.status !== 302) throw new Error('console unbind: HTTP ' + res.status + ' ' + (await res.text()).slice(0, 300));
}

// otherDevice binds WeChat user wechatName to username straight through the API, as the
// same WeChat user on PC WeChat would.
async function otherDevice(wechatName, username) {
  const { url, password } = server();
  const check = await (await fetch(url + '/mobileApi/user/checkBind?code=' + encodeURIComponent('sandbox:' + wechatName))).json();
  assert.equal(check.code, 301);
  const res = await fetch(url + '/mobileApi/user/bind', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ bindTicket: check.bindTicket, openId: check.openId, username, password }),
  });
  assert.equal((await res.json()).code, 1, 'the other device binds');
}

module.exports = { png, consoleUnbind, otherDevice };
