// The profile page: nickname fill-in, avatar upload from chooseAvatar, and the phone-number
// button.
'use strict';

const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { launch, server, uniqueName } = require('./harness');

const davePhone = uniqueName('dave-phone');

async function loggedIn() {
  const phone = launch({ wechatName: davePhone });
  await phone.app.whenLoggedIn();
  if (!phone.wx.getStorageSync('wxbind.token')) {
    const login = await phone.open('pages/login/login');
    login.onUsernameInput({ detail: { value: 'dave' } });
    login.onPasswordInput({ detail: { value: server().password } });
    await login.onSubmit();
    assert.ok(phone.wx.getStorageSync('wxbind.token'), 'dave binds: ' + phone.seen.toasts.join(' | '));
  }
  return phone;
}

before(async () => { await loggedIn(); });

test('the nickname from the fill-in input is saved on the server, emoji and all', async () => {
  const phone = await loggedIn();
  const page = await phone.open('pages/profile/profile');
  const nick = 'Dave 🐳 <i>d</i>';
  page.onNicknameInput({ detail: { value: '  ' + nick + '  ' } });
  await page.onSave();
  assert.equal(phone.seen.toasts.at(-1), 'Saved');
  assert.equal(page.data.nickName, nick);
  assert.equal(phone.wx.getStorageSync('wxbind.userInfo').nickName, nick);

  const res = await fetch(server().url + '/mobileApi/user/info', { headers: { Authorization: 'Bearer ' + phone.wx.getStorageSync('wxbind.token') } });
  assert.equal((await res.json()).userInfo.nickName, nick, 'the server has it byte for byte');

  // A relaunched profile page shows it.
  const again = launch({ wechatName: davePhone, storage: phone.storage });
  await again.app.whenLoggedIn();
  assert.equal((await again.open('pages/profile/profile')).data.nickName, nick);
});

test('an empty nickname is caught before calling the server', async () => {
  const phone = await loggedIn();
  const page = await phone.open('pages/profile/profile');
  const sent = phone.seen.requests.length;
  page.onNicknameInput({ detail: { value: '   ' } });
  await page.onSave();
  assert.equal(phone.seen.toasts.at(-1), 'Enter a nickname');
  assert.equal(phone.seen.requests.length, sent);
});

test('a nickname WeChat\'s review rejects is pointed out', async () => {
  const phone = await loggedIn();
  const page = await phone.open('pages/profile/profile');
  page.onNicknameReview({ detail: { pass: false, timeout: false } });
  assert.equal(phone.seen.toasts.at(-1), 'Nickname not allowed');
});

test('the avatar chosen with chooseAvatar is uploaded and its URL saved', async () => {
  const phone = await loggedIn();
  const page = await phone.open('pages/profile/profile');
  // chooseAvatar hands over a temporary file path, e.g. http://tmp/xyz.png in DevTools.
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wxbind-avatar-')), 'tmp_avatar.png');
  fs.writeFileSync(file, png(32, 32));
  page.onChooseAvatar({ detail: { avatarUrl: file } });
  assert.equal(page.data.avatarFile, file);
  page.onNicknameInput({ detail: { value: 'Dave' } });
  await page.onSave();
  assert.equal(phone.seen.toasts.at(-1), 'Saved', phone.seen.toasts.join(' | '));
  assert.equal(page.data.avatarFile, '', 'uploaded once');
  assert.match(page.data.avatarUrl, /\/avatars\//);
  assert.equal(phone.wx.getStorageSync('wxbind.userInfo').avatarUrl, page.data.avatarUrl);
  const sent = phone.seen.requests.find((r) => r.upload);
  assert.match(sent.header.Authorization, /^Bearer /, 'the upload carries the token');

  const img = await fetch(new URL(page.data.avatarUrl, server().url));
  assert.equal(img.status, 200);
  assert.equal(img.headers.get('content-type'), 'image/png');
});

test('a file that is not an image is refused with the server\'s message', async () => {
  const phone = await loggedIn();
  const page = await phone.open('pages/profile/profile');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wxbind-avatar-')), 'not-an-image.png');
  fs.writeFileSync(file, 'hello, I am text');
  page.onChooseAvatar({ detail: { avatarUrl: file } });
  page.onNicknameInput({ detail: { value: 'Dave' } });
  await page.onSave();
  assert.notEqual(phone.seen.toasts.at(-1), 'Saved');
  assert.ok(phone.seen.toasts.at(-1), 'a message for the user');
  assert.equal(page.data.saving, false);
});

test('the phone-number button trades its code for the number', async () => {
  const phone = await loggedIn();
  const page = await phone.open('pages/profile/profile');
  await page.onGetPhoneNumber({ detail: { code: 'sandbox:13800138000', errMsg: 'getPhoneNumber:ok' } });
  assert.equal(page.data.phone, '13800138000', phone.seen.toasts.join(' | '));
  assert.equal(phone.wx.getStorageSync('wxbind.userInfo').phone, '13800138000');
});

test('a user who declines to share the phone number gets a toast and no request', async () => {
  const phone = await loggedIn();
  const page = await phone.open('pages/profile/profile');
  const sent = phone.seen.requests.length;
  await page.onGetPhoneNumber({ detail: { errMsg: 'getPhoneNumber:fail user deny' } });
  assert.equal(phone.seen.toasts.at(-1), 'Phone number not shared');
  assert.equal(phone.seen.requests.length, sent);
});

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
