// The cases around the main flow, each its own launch on rendered pages: the server failing
// at launch, an unbind from the console mid-session, the 409 of a WeChat user bound meanwhile
// on another device, the re-login loop of a missing ticket, a spent ticket, and what
// config.sandboxUser is for.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { launch, server, uniqueName } = require('./miniapp');
const { consoleUnbind, otherDevice } = require('./fixtures');

// bindOn binds the phone on its login page to username and waits for the home page.
async function bindOn(phone, username) {
  const login = await phone.waitForPage('pages/login/login', (p) => p.data.openId);
  await login.type('#username', username);
  await login.type('#password', server().password);
  await login.tap('#bind');
  return phone.waitForPage('pages/index/index', (p) => p.has('#user'), 'logged in as ' + username);
}

test('checkBind code 0 at launch: the home page shows the server\'s message and Try again works', async (t) => {
  // The sandbox refuses "sandbox:" with no name as WeChat refuses a bad code (40029).
  const phone = launch({ wechatName: 'unused', loginCode: 'sandbox:' });
  t.after(() => phone.close());
  const home = await phone.waitForPage('pages/index/index', (p) => p.has('#failed'), 'with the failure');
  assert.match(home.text(), /登录凭证失效，请重试/);
  assert.deepEqual(phone.seen.toasts, ['登录凭证失效，请重试']);
  assert.equal(phone.seen.navigations.length, 0, 'no page opened');

  phone.control.loginCode = null;
  phone.control.wechatName = uniqueName('retry-phone');
  await home.tap('#retry');
  await phone.waitForPage('pages/login/login', (p) => p.data.openId, 'after Try again');
});

test('server unreachable at launch: a message and Try again, never a hang', async (t) => {
  const phone = launch({ wechatName: uniqueName('offline'), baseUrl: 'http://127.0.0.1:9' });
  t.after(() => phone.close());
  const home = await phone.waitForPage('pages/index/index', (p) => p.has('#failed'), 'with the failure');
  assert.match(home.text(), /Network error; please retry/);
  assert.ok(home.has('#retry'));
  assert.ok(!home.has('#loading'));
});

test('unbound in the console mid-session: the next request ends on the login page', async (t) => {
  const phone = launch({ wechatName: uniqueName('bob-phone') });
  t.after(() => phone.close());
  const home = await bindOn(phone, 'bob');
  await consoleUnbind('bob');

  const logins = phone.seen.logins;
  await phone.pullDown();
  const login = await phone.waitForPage('pages/login/login', (p) => p.data.openId, 'after the 401');
  assert.equal(phone.seen.logins - logins, 1, 'one wx.login to find out');
  assert.ok(home.unloaded);
  assert.equal(phone.wx.getStorageSync('wxbind.token'), '');
  assert.ok(phone.wx.getStorageSync('wxbind.pendingBind').bindTicket, 'a fresh ticket for the login page');
  assert.equal(login.data.openId, phone.wx.getStorageSync('wxbind.pendingBind').openId);
  await bindOn(phone, 'bob');
});

test('409 wechat_already_bound: bound meanwhile on another device, the next tap logs in (defect 3)', async (t) => {
  const wechatName = uniqueName('carol-phone');
  const phone = launch({ wechatName });
  t.after(() => phone.close());
  const login = await phone.waitForPage('pages/login/login', (p) => p.data.openId);
  await otherDevice(wechatName, 'carol');

  await login.type('#username', 'carol');
  await login.type('#password', server().password);
  await login.tap('#bind');
  const home = await phone.waitForPage('pages/index/index', (p) => p.has('#user'), 'logged in as carol');
  assert.match(home.text(), /account carol/);
  assert.equal(phone.wx.getStorageSync('wxbind.pendingBind'), '', 'the useless ticket is gone');
  const binds = phone.seen.requests.filter((r) => r.url.endsWith('/mobileApi/user/bind'));
  assert.equal(binds.length, 1, 'one bind, answered 409; then checkBind logged in');
});

test('no ticket and checkBind answers "bound": one wx.login, no loop (defect 2)', async (t) => {
  const wechatName = uniqueName('dave-phone');
  const phone = launch({ wechatName });
  t.after(() => phone.close());
  const login = await phone.waitForPage('pages/login/login', (p) => p.data.openId);
  phone.wx.removeStorageSync('wxbind.pendingBind'); // lost, say, by clearing the app's storage
  await otherDevice(wechatName, 'dave');

  const logins = phone.seen.logins;
  await login.type('#username', 'dave');
  await login.type('#password', server().password);
  await login.tap('#bind');
  await phone.waitFor(() => !login.data.submitting || phone.seen.logins - logins > 5, 'the tap to finish');
  await phone.waitForPage('pages/index/index', (p) => p.has('#user'), 'logged in as dave');
  assert.equal(phone.seen.logins - logins, 1, 'exactly one wx.login + checkBind for the tap');
});

test('WeChat\'s home button on the login page: home asks again instead of hanging on "Logging in…"', async (t) => {
  const phone = launch({ wechatName: uniqueName('home-button') });
  t.after(() => phone.close());
  await phone.waitForPage('pages/login/login', (p) => p.data.openId);
  phone.wx.reLaunch({ url: '/pages/index/index' }); // what WeChat's home button does
  await phone.waitFor(() => phone.seen.navigations.length === 3, 'home, then the login page again');
  await phone.waitForPage('pages/login/login', (p) => p.data.openId, 'again');
  assert.equal(phone.seen.logins, 2, 'the home page logged in afresh');
});

test('a spent bind ticket is replaced by a fresh checkBind, so tapping again works', async (t) => {
  const phone = launch({ wechatName: uniqueName('erin-phone') });
  t.after(() => phone.close());
  const login = await phone.waitForPage('pages/login/login', (p) => p.data.openId);
  const stale = phone.wx.getStorageSync('wxbind.pendingBind');
  phone.wx.setStorageSync('wxbind.pendingBind', { openId: stale.openId, bindTicket: stale.bindTicket + 'x' });

  await login.type('#username', 'erin');
  await login.type('#password', server().password);
  await login.tap('#bind');
  await phone.waitFor(() => phone.seen.toasts.length, 'a toast');
  await phone.waitFor(() => !login.data.submitting, 'the button to come back');
  assert.equal(phone.seen.toasts.at(-1), '请重新打开小程序');
  const fresh = phone.wx.getStorageSync('wxbind.pendingBind');
  assert.ok(fresh.bindTicket && fresh.bindTicket !== stale.bindTicket + 'x', 'a fresh ticket was fetched');
  assert.equal(phone.top(), login);

  await login.tap('#bind');
  await phone.waitForPage('pages/index/index', (p) => p.has('#user'), 'logged in as erin');
});

test('an account bound to another WeChat user is refused with the server\'s message', async (t) => {
  const first = launch({ wechatName: uniqueName('frank-first') });
  t.after(() => first.close());
  await bindOn(first, 'frank');

  const second = launch({ wechatName: uniqueName('frank-second') });
  t.after(() => second.close());
  const login = await second.waitForPage('pages/login/login', (p) => p.data.openId);
  await login.type('#username', 'frank');
  await login.type('#password', server().password);
  await login.tap('#bind');
  await second.waitFor(() => second.seen.toasts.length, 'a toast');
  assert.equal(second.seen.toasts.at(-1), '该账号已绑定其他微信');
  assert.equal(second.wx.getStorageSync('wxbind.token'), '');
});

test('the login form checks for empty fields before calling the server', async (t) => {
  const phone = launch({ wechatName: uniqueName('empty-form') });
  t.after(() => phone.close());
  const login = await phone.waitForPage('pages/login/login', (p) => p.data.openId);
  const before = phone.seen.requests.length;
  await login.type('#username', '   ');
  await login.type('#password', 'x');
  await login.tap('#bind');
  assert.equal(phone.seen.toasts.at(-1), 'Enter username and password');
  assert.equal(phone.seen.requests.length, before, 'no request for an empty username');
});

test('config.sandboxUser keeps one made-up WeChat user across launches (DevTools against a sandbox server)', async (t) => {
  const user = uniqueName('devtools-user');
  // DevTools hands out a different real code on every launch.
  const first = launch({ wechatName: 'ignored', loginCode: 'real-code-1', settings: { sandboxUser: user } });
  t.after(() => first.close());
  await first.waitForPage('pages/login/login', (p) => p.data.openId);
  const second = launch({ wechatName: 'ignored', loginCode: 'real-code-2', settings: { sandboxUser: user } });
  t.after(() => second.close());
  await second.waitForPage('pages/login/login', (p) => p.data.openId);
  assert.equal(second.wx.getStorageSync('wxbind.pendingBind').openId, first.wx.getStorageSync('wxbind.pendingBind').openId, 'one WeChat user for both launches');
  assert.match(second.seen.requests[0].url, new RegExp('code=sandbox%3A' + user));
});
