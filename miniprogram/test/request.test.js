// The request helper: token on every call, code 0 as an error with the server's message, and
// on 401 one wx.login + checkBind shared by every request that met it, then a retry.
'use strict';

const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { launch, server, lastNavigation, uniqueName, ROOT } = require('./harness');

// boundPhone binds a fresh WeChat user to carol and returns the launched app, logged in.
async function boundPhone(name) {
  const phone = launch({ wechatName: name });
  await phone.open('pages/index/index');
  if (phone.wx.getStorageSync('wxbind.token')) return phone; // already bound from an earlier test
  const login = await phone.open('pages/login/login');
  login.onUsernameInput({ detail: { value: 'carol' } });
  login.onPasswordInput({ detail: { value: server().password } });
  await login.onSubmit();
  assert.ok(phone.wx.getStorageSync('wxbind.token'), 'carol binds: ' + phone.seen.toasts.join(' | '));
  return launch({ wechatName: name, storage: phone.storage });
}

function helper() {
  return require(path.join(ROOT, 'utils', 'request'));
}

const carolPhone = uniqueName('carol-phone');
before(async () => { await boundPhone(carolPhone); });

test('the token goes along as a Bearer header', async () => {
  const phone = await boundPhone(carolPhone);
  await phone.app.whenLoggedIn();
  const body = await helper().request({ url: '/mobileApi/user/info' });
  assert.equal(body.code, 1);
  assert.equal(body.userInfo.username, 'carol');
  // The launch's own checkBind may store a newer token while this request is in flight, so
  // compare with the shape of a token; body.code 1 shows the server took it.
  const sent = phone.seen.requests.filter((r) => r.url.endsWith('/mobileApi/user/info')).at(-1);
  assert.match(sent.header.Authorization, /^Bearer [A-Za-z0-9_-]{43}$/);
});

test('a dead token costs one wx.login + checkBind, however many requests meet it, and each is retried', async () => {
  const phone = await boundPhone(carolPhone);
  await phone.app.whenLoggedIn();
  const logins = phone.seen.logins;
  phone.wx.setStorageSync('wxbind.token', 'expired-or-revoked-token');
  const sentBefore = phone.seen.requests.length;

  const answers = await Promise.all(Array.from({ length: 5 }, () => helper().request({ url: '/mobileApi/user/info' })));
  for (const a of answers) assert.equal(a.userInfo.username, 'carol');
  assert.equal(phone.seen.logins - logins, 1, 'one wx.login for the whole burst');
  const sent = phone.seen.requests.slice(sentBefore);
  assert.equal(sent.filter((r) => r.url.includes('/checkBind')).length, 1, 'one checkBind for the whole burst');
  assert.equal(sent.filter((r) => r.url.endsWith('/user/info')).length, 10, 'five 401s, then five retries');
  assert.notEqual(phone.wx.getStorageSync('wxbind.token'), 'expired-or-revoked-token');
});

test('a token that dies because the user was unbound elsewhere ends on the login page', async () => {
  // Another device (or the console) unbinds carol behind this phone's back.
  const phone = await boundPhone(carolPhone);
  await phone.app.whenLoggedIn();
  const token = phone.wx.getStorageSync('wxbind.token');
  const res = await fetch(server().url + '/mobileApi/user/unbind', { method: 'POST', headers: { Authorization: 'Bearer ' + token } });
  assert.equal(res.status, 200, 'unbinding from another device');

  await assert.rejects(helper().request({ url: '/mobileApi/user/info' }), (err) => {
    assert.equal(err.code, 401);
    assert.equal(err.reason, 'not_bound');
    return true;
  });
  assert.deepEqual(lastNavigation(phone), { how: 'reLaunch', url: '/pages/login/login' });
  assert.ok(phone.wx.getStorageSync('wxbind.pendingBind').bindTicket, 'a fresh ticket for the login page');

  // Bind back for the other tests.
  const login = await phone.open('pages/login/login');
  login.onUsernameInput({ detail: { value: 'carol' } });
  login.onPasswordInput({ detail: { value: server().password } });
  await login.onSubmit();
  assert.deepEqual(lastNavigation(phone), { how: 'reLaunch', url: '/pages/index/index' });
});

test('code 0 rejects with the server\'s msg and reason, and is not retried', async () => {
  const phone = await boundPhone(carolPhone);
  await phone.app.whenLoggedIn();
  const sentBefore = phone.seen.requests.length;
  await assert.rejects(
    helper().request({ url: '/mobileApi/user/profile', method: 'POST', data: { nickName: 'x'.repeat(65) } }),
    (err) => {
      assert.equal(err.name, 'ApiError');
      assert.equal(err.code, 0);
      assert.equal(err.status, 400);
      assert.equal(err.reason, 'invalid_nickName');
      assert.match(err.msg, /64/); // 昵称最多64个字: the server's message, in Chinese by default
      return true;
    },
  );
  assert.equal(phone.seen.requests.length - sentBefore, 1);
});

test('no server: a toast and an error the page can show, never a hang', async () => {
  const phone = launch({ wechatName: uniqueName('offline'), baseUrl: 'http://127.0.0.1:9' });
  const home = await phone.open('pages/index/index');
  assert.equal(phone.seen.toasts.at(-1), 'Network error; please retry');
  assert.equal(home.data.failed, 'Network error; please retry');
  assert.equal(home.data.loading, false);
});
