// The login flow of the sample mini-program against a real server: checkBind's 301 opens the
// login page, bind logs in, a bound user is logged in on launch, unbind starts over.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { launch, server, lastNavigation, uniqueName } = require('./harness');

test('a new WeChat user binds on the login page and sees the menus; the next launch logs straight in', async () => {
  const { password, menus } = server();
  const name = uniqueName('alice-phone');

  const phone = launch({ wechatName: name });
  const home = await phone.open('pages/index/index');
  assert.deepEqual(lastNavigation(phone), { how: 'reLaunch', url: '/pages/login/login' }, 'checkBind 301 must open the login page');
  assert.equal(home.data.userInfo, null);
  const pending = phone.wx.getStorageSync('wxbind.pendingBind');
  assert.match(pending.openId, /^sbx-/, 'the openId from the 301 is kept');
  assert.ok(pending.bindTicket, 'the bindTicket from the 301 is kept');
  assert.equal(phone.wx.getStorageSync('wxbind.token'), '', 'no token before binding');

  const login = await phone.open('pages/login/login');
  assert.equal(login.data.openId, pending.openId);

  login.onUsernameInput({ detail: { value: 'alice' } });
  login.onPasswordInput({ detail: { value: 'not-the-password' } });
  await login.onSubmit();
  assert.equal(phone.seen.toasts.at(-1), '账号或密码错误'); // the server speaks Chinese by default
  assert.equal(lastNavigation(phone).url, '/pages/login/login', 'a wrong password stays on the login page');
  assert.equal(phone.wx.getStorageSync('wxbind.pendingBind').bindTicket, pending.bindTicket, 'a wrong password keeps the ticket');

  login.onPasswordInput({ detail: { value: password } });
  await login.onSubmit();
  assert.deepEqual(lastNavigation(phone), { how: 'reLaunch', url: '/pages/index/index' });
  assert.ok(phone.wx.getStorageSync('wxbind.token'), 'bind stores the token');
  assert.equal(phone.wx.getStorageSync('wxbind.pendingBind'), '', 'bind forgets the spent ticket');
  assert.equal(login.data.password, '', 'the password does not linger in page data');

  // The app relaunches on the home page, already logged in, with the menus as a grid.
  const relaunched = launch({ wechatName: name, storage: phone.storage });
  const bound = await relaunched.open('pages/index/index');
  assert.equal(relaunched.seen.navigations.length, 0, 'a bound user is not sent anywhere');
  assert.equal(bound.data.userInfo.username, 'alice');
  assert.equal(bound.data.userInfo.openId, pending.openId);
  const codes = bound.data.grid.map((t) => t.code);
  for (const code of menus) {
    assert.ok(codes.includes(code), `menu ${code} is on the grid: ${JSON.stringify(bound.data.grid)}`);
  }
  if (menus.length) {
    assert.ok(bound.data.grid.every((t) => t.group), 'menus under a parent carry its name');
  }

  // Tapping a tile opens its page.
  bound.onMenuTap({ currentTarget: { dataset: { path: bound.data.grid[0] ? bound.data.grid[0].path : '' } } });
  if (bound.data.grid[0]) assert.equal(lastNavigation(relaunched).url, bound.data.grid[0].path);

  // Logging out ends the token on the server; the user stays bound.
  const oldToken = relaunched.wx.getStorageSync('wxbind.token');
  await bound.onLogout();
  assert.equal(relaunched.wx.getStorageSync('wxbind.token'), '');
  const res = await fetch(server().url + '/mobileApi/user/info', { headers: { Authorization: 'Bearer ' + oldToken } });
  assert.equal(res.status, 401, 'the logged-out token is dead on the server');
  const again = launch({ wechatName: name, storage: relaunched.storage });
  assert.equal((await again.open('pages/index/index')).data.userInfo.username, 'alice', 'still bound after logout');
});

test('unbind sends the user back to the login page, free to bind another account', async () => {
  const { password } = server();
  const name = uniqueName('bob-phone');
  const phone = launch({ wechatName: name });
  await phone.open('pages/index/index');
  const login = await phone.open('pages/login/login');
  login.onUsernameInput({ detail: { value: ' bob ' } });
  login.onPasswordInput({ detail: { value: password } });
  await login.onSubmit();
  assert.ok(phone.wx.getStorageSync('wxbind.token'));

  const unbinding = launch({ wechatName: name, storage: phone.storage });
  const page = await unbinding.open('pages/index/index');
  assert.equal(page.data.userInfo.username, 'bob', 'bob was trimmed of the spaces typed around it');

  unbinding.control.modalConfirm = false;
  await page.onUnbind();
  assert.ok(unbinding.wx.getStorageSync('wxbind.token'), 'cancelling the dialog unbinds nothing');

  unbinding.control.modalConfirm = true;
  await page.onUnbind();
  assert.equal(unbinding.wx.getStorageSync('wxbind.token'), '');
  assert.deepEqual(lastNavigation(unbinding), { how: 'reLaunch', url: '/pages/login/login' }, 'after unbind, checkBind answers 301 again');
  assert.ok(unbinding.wx.getStorageSync('wxbind.pendingBind').bindTicket);

  // The same WeChat user can now bind again.
  const rebind = await unbinding.open('pages/login/login');
  rebind.onUsernameInput({ detail: { value: 'bob' } });
  rebind.onPasswordInput({ detail: { value: password } });
  await rebind.onSubmit();
  assert.deepEqual(lastNavigation(unbinding), { how: 'reLaunch', url: '/pages/index/index' });
});

test('an account bound to another WeChat user is refused with the server\'s message', async () => {
  const { password } = server();
  const first = launch({ wechatName: uniqueName('erin-first') });
  await first.open('pages/index/index');
  const page = await first.open('pages/login/login');
  page.onUsernameInput({ detail: { value: 'erin' } });
  page.onPasswordInput({ detail: { value: password } });
  await page.onSubmit();
  assert.ok(first.wx.getStorageSync('wxbind.token'));

  const second = launch({ wechatName: uniqueName('erin-second') });
  await second.open('pages/index/index');
  const other = await second.open('pages/login/login');
  other.onUsernameInput({ detail: { value: 'erin' } });
  other.onPasswordInput({ detail: { value: password } });
  await other.onSubmit();
  assert.equal(second.seen.toasts.at(-1), '该账号已绑定其他微信');
  assert.equal(second.wx.getStorageSync('wxbind.token'), '');
});

test('a spent bind ticket is replaced by a fresh checkBind, so tapping again works', async () => {
  const { password } = server();
  const name = uniqueName('frank-phone');
  const phone = launch({ wechatName: name });
  await phone.open('pages/index/index');
  const stale = phone.wx.getStorageSync('wxbind.pendingBind');
  phone.wx.setStorageSync('wxbind.pendingBind', { openId: stale.openId, bindTicket: stale.bindTicket + 'x' });

  const login = await phone.open('pages/login/login');
  login.onUsernameInput({ detail: { value: 'frank' } });
  login.onPasswordInput({ detail: { value: password } });
  await login.onSubmit();
  assert.equal(phone.seen.toasts.at(-1), '请重新打开小程序');
  const fresh = phone.wx.getStorageSync('wxbind.pendingBind');
  assert.ok(fresh.bindTicket && fresh.bindTicket !== stale.bindTicket + 'x', 'a fresh ticket was fetched');

  await login.onSubmit();
  assert.deepEqual(lastNavigation(phone), { how: 'reLaunch', url: '/pages/index/index' });
});

test('checkBind code 0 shows the server\'s message and opens no page', async () => {
  // The sandbox refuses "sandbox:" with no name as WeChat refuses a bad code (40029).
  const phone = launch({ wechatName: 'unused', loginCode: 'sandbox:' });
  const home = await phone.open('pages/index/index');
  assert.equal(phone.seen.toasts.at(-1), '登录凭证失效，请重试');
  assert.equal(phone.seen.navigations.length, 0);
  assert.equal(home.data.failed, '登录凭证失效，请重试');

  phone.control.loginCode = null;
  phone.control.wechatName = uniqueName('retry-phone');
  await home.retry();
  assert.deepEqual(lastNavigation(phone), { how: 'reLaunch', url: '/pages/login/login' }, 'try again logs in afresh');
});

test('login form checks for empty fields before calling the server', async () => {
  const phone = launch({ wechatName: uniqueName('empty-form') });
  await phone.open('pages/index/index');
  const login = await phone.open('pages/login/login');
  const before = phone.seen.requests.length;
  login.onUsernameInput({ detail: { value: '   ' } });
  login.onPasswordInput({ detail: { value: 'x' } });
  await login.onSubmit();
  assert.equal(phone.seen.toasts.at(-1), 'Enter username and password');
  assert.equal(phone.seen.requests.length, before, 'no request for an empty username');
});

test('config.sandboxUser keeps one made-up WeChat user across launches (DevTools against a sandbox server)', async () => {
  const user = uniqueName('devtools-user');
  // DevTools hands out a different real code on every launch.
  const first = launch({ wechatName: 'ignored', loginCode: 'real-code-1', settings: { sandboxUser: user } });
  await first.open('pages/index/index');
  const second = launch({ wechatName: 'ignored', loginCode: 'real-code-2', settings: { sandboxUser: user } });
  await second.open('pages/index/index');
  assert.equal(second.wx.getStorageSync('wxbind.pendingBind').openId, first.wx.getStorageSync('wxbind.pendingBind').openId, 'one WeChat user for both launches');
  assert.match(second.seen.requests[0].url, new RegExp('code=sandbox%3A' + user));
});
