// The whole flow a new user walks through, in ONE app run (no relaunch between steps), on
// pages rendered by Tencent's tooling against the real server in sandbox mode:
// launch → 301 → login page → wrong password → bind → home with the menus → profile
// (nickname, avatar, phone) → back to a refreshed home → token revoked on the server → one
// re-login for two concurrent 401s → log out → try again → unbind with confirm → 301 → rebind.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { launch, server, uniqueName } = require('./miniapp');
const { png } = require('./fixtures');

const loggingIn = (p) => p.has('#loading');

test('one app run: bind, profile, re-login, log out, unbind, rebind', async (t) => {
  const { url, password, menus } = server();
  const wechatName = uniqueName('alice-phone');
  const phone = launch({ wechatName });
  t.after(() => phone.close());
  const { seen, wx } = phone;
  const checkBinds = () => seen.requests.filter((r) => r.url.includes('/mobileApi/user/checkBind')).length;

  // Each step builds on the one before: after a failure the rest are skipped.
  let failed = '';
  const step = (name, fn) => t.test(name, { skip: failed ? 'after the failed step "' + failed + '"' : false }, async () => {
    try {
      await fn();
    } catch (err) {
      failed = name;
      throw err;
    }
  });

  let openId = '';
  await step('launch: the home page says it is logging in, checkBind answers 301 and the login page opens', async () => {
    assert.ok(loggingIn(phone.top()), 'the first page rendered is the home page, logging in');
    const login = await phone.waitForPage('pages/login/login', (p) => /openId sbx-/.test(p.text()));
    assert.deepEqual(seen.navigations.map((n) => n.how + ' ' + n.url), ['reLaunch /pages/login/login']);
    openId = login.data.openId;
    assert.match(login.text(), new RegExp('openId ' + openId));
    assert.equal(phone.stack.length, 1, 'reLaunch leaves only the login page');
    assert.equal(seen.logins, 1);
  });

  await step('login page: a wrong password is toasted in the server\'s words and keeps the ticket', async () => {
    const login = phone.top();
    const ticket = wx.getStorageSync('wxbind.pendingBind').bindTicket;
    await login.type('#username', ' alice ');
    await login.type('#password', 'not-the-password');
    assert.equal(login.data.username, ' alice ', 'the username input is bound');
    assert.equal(login.data.password, 'not-the-password', 'the password input is bound');
    await login.tap('#bind');
    await phone.waitFor(() => seen.toasts.length, 'a toast');
    await phone.waitFor(() => !login.data.submitting, 'the button to come back');
    assert.deepEqual(seen.toasts, ['账号或密码错误']); // the server speaks Chinese by default
    assert.equal(phone.top(), login, 'still on the login page');
    assert.equal(wx.getStorageSync('wxbind.pendingBind').bindTicket, ticket);
  });

  await step('bind: home shows the user and the menu grid (defect 1: not stuck on "Logging in…")', async () => {
    const login = phone.top();
    await login.type('#password', password);
    await login.tap('#bind');
    const home = await phone.waitForPage('pages/index/index', (p) => p.has('#user'), 'with the user card');
    assert.ok(!loggingIn(home));
    assert.match(home.text(), /Alice/);
    assert.match(home.text(), /account alice/);
    const tiles = home.all('.tile');
    assert.equal(tiles.length, menus.length, 'one tile per assigned menu: ' + home.text());
    for (const name of menus) {
      assert.match(home.text(), new RegExp(name.charAt(0).toUpperCase() + name.slice(1)), 'menu ' + name + ' on the grid');
    }
    assert.match(home.text(), /Work/, 'tiles under a parent carry its name');
    assert.equal(login.data.password, '', 'the password does not linger in the page data');
    assert.ok(login.unloaded && phone.stack.length === 1, 'reLaunch left only the home page');
    assert.equal(wx.getStorageSync('wxbind.pendingBind'), '', 'the spent ticket is forgotten');
  });

  await step('a menu tile this sample has no page for says so', async () => {
    const home = phone.top();
    await home.tap('.tile');
    await phone.waitFor(() => seen.toasts.some((m) => m.startsWith('Not in this sample: /pages/')), 'the not-in-this-sample toast');
    assert.equal(phone.top(), home);
  });

  let avatarUrl = '';
  await step('profile: a nickname rejected by review is cleared and not sent (defect 5)', async () => {
    await phone.top().tap('#user');
    const profile = await phone.waitForPage('pages/profile/profile');
    assert.equal(phone.stack.length, 2, 'navigateTo pushes the profile page');
    await profile.type('#nickname', 'a rude word');
    await profile.fire('#nickname', 'nicknamereview', { pass: false, timeout: false });
    assert.equal(profile.data.nickName, '', 'the rejected nickname is cleared');
    assert.equal(seen.toasts.at(-1), 'Nickname not allowed');
    const before = seen.requests.length;
    await profile.tap('#save');
    assert.equal(seen.toasts.at(-1), 'Enter a nickname');
    assert.equal(seen.requests.length, before, 'nothing is sent');
  });

  await step('profile: nickname, chooseAvatar with a real PNG, upload, getPhoneNumber', async () => {
    const profile = phone.top();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wxbind-avatar-')), 'tmp_avatar.png');
    fs.writeFileSync(file, png(32, 32));
    await profile.fire('#avatar', 'chooseavatar', { avatarUrl: file });
    assert.equal(profile.data.avatarFile, file);
    await profile.type('#nickname', '  Alice 🐳  ');
    await profile.tap('#save');
    await phone.waitFor(() => seen.toasts.at(-1) === 'Saved', () => 'Saved, toasts: ' + JSON.stringify(seen.toasts));
    assert.equal(profile.data.nickName, 'Alice 🐳');
    assert.match(profile.data.avatarUrl, /\/avatars\//);
    avatarUrl = profile.data.avatarUrl;
    const upload = seen.requests.find((r) => r.upload);
    assert.match(upload.header.Authorization, /^Bearer /, 'the upload carries the token');
    const img = await fetch(new URL(avatarUrl, url));
    assert.equal(img.status, 200);
    assert.equal(img.headers.get('content-type'), 'image/png');

    await profile.fire('#phone', 'getphonenumber', { code: 'sandbox:13800138000', errMsg: 'getPhoneNumber:ok' });
    await phone.waitFor(() => /Phone 13800138000/.test(profile.text()), () => 'the phone number, toasts: ' + JSON.stringify(seen.toasts));
    assert.ok(!profile.has('#phone'), 'the button gives way to the number');
  });

  await step('back: the home card shows the new nickname and avatar (defect 4)', async () => {
    wx.navigateBack();
    const home = await phone.waitForPage('pages/index/index', (p) => /Alice 🐳/.test(p.text()), 'with the new nickname');
    assert.equal(home.data.userInfo.avatarUrl, avatarUrl);
    assert.ok(home.has('.avatar'), 'the avatar is shown');
    assert.equal(phone.stack.length, 1);
  });

  await step('token revoked on the server: two concurrent 401s share one wx.login + checkBind', async () => {
    const token = wx.getStorageSync('wxbind.token');
    const res = await fetch(url + '/mobileApi/user/logout', { method: 'POST', headers: { Authorization: 'Bearer ' + token } });
    assert.equal(res.status, 200, 'revoking the token');
    const logins = seen.logins;
    const binds = checkBinds();
    const home = phone.top();
    await Promise.all([phone.pullDown(), phone.pullDown()]);
    assert.equal(seen.logins - logins, 1, 'one wx.login for both');
    assert.equal(checkBinds() - binds, 1, 'one checkBind for both');
    const fresh = wx.getStorageSync('wxbind.token');
    assert.ok(fresh && fresh !== token, 'a new token');
    assert.match(home.text(), /Alice 🐳/);
    assert.equal(phone.top(), home, 'no page change');
  });

  await step('log out, then try again', async () => {
    const home = phone.top();
    const token = wx.getStorageSync('wxbind.token');
    await home.tap('#logout');
    await phone.waitFor(() => home.has('#failed'), 'the logged-out card');
    assert.match(home.text(), /Logged out/);
    assert.equal(wx.getStorageSync('wxbind.token'), '');
    const res = await fetch(url + '/mobileApi/user/info', { headers: { Authorization: 'Bearer ' + token } });
    assert.equal(res.status, 401, 'the token is dead on the server');

    await home.tap('#retry');
    await phone.waitFor(() => home.has('#user'), () => 'logged back in: ' + home.text());
    assert.match(home.text(), /Alice 🐳/, 'still bound after logging out');
  });

  await step('unbind asks first; confirmed, checkBind answers 301 and the login page opens', async () => {
    const home = phone.top();
    phone.control.modalConfirm = false;
    await home.tap('#unbind');
    await phone.waitFor(() => seen.modals.length === 1, 'the confirm dialog');
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(wx.getStorageSync('wxbind.token'), 'cancelling unbinds nothing');
    assert.equal(phone.top(), home);

    phone.control.modalConfirm = true;
    await home.tap('#unbind');
    const login = await phone.waitForPage('pages/login/login', (p) => p.data.openId);
    assert.equal(seen.modals.length, 2);
    assert.equal(login.data.openId, openId, 'the same WeChat user');
    assert.equal(wx.getStorageSync('wxbind.token'), '');
  });

  await step('rebind: home shows the user again', async () => {
    const login = phone.top();
    await login.type('#username', 'alice');
    await login.type('#password', password);
    await login.tap('#bind');
    const home = await phone.waitForPage('pages/index/index', (p) => p.has('#user'), 'with the user card');
    assert.match(home.text(), /Alice 🐳/);
    assert.deepEqual(seen.pageErrors, [], 'no page hook failed');
  });
});
