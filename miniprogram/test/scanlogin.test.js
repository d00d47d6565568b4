// Scan to log in to the console, on the rendered scan-login page: a browser opens a login
// request on the console's scan tab; the phone, opened on the page with the request's scene,
// asks "在 Chrome · Windows 登录管理后台？", and its answer is what the browser gets. A phone
// not bound yet, launched by the scan, binds on the login page and comes back to the question.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { launch, server, uniqueName } = require('./miniapp');
const { otherDevice } = require('./fixtures');

const CHROME_ON_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

// consoleScanTab opens the console's scan tab as Chrome on Windows: the scene the page shows,
// and the browser's cookie that holds the request's secret.
async function consoleScanTab() {
  const res = await fetch(server().url + '/admin/login/scan', { headers: { 'user-agent': CHROME_ON_WINDOWS } });
  assert.equal(res.status, 200);
  const html = await res.text();
  const m = html.match(/data-testid="scan-scene">([^<]+)</);
  assert.ok(m, 'the scan tab shows a scene');
  const cookie = (res.headers.getSetCookie() || []).map((c) => c.split(';')[0]).join('; ');
  return { scene: m[1], cookie };
}

// browserPoll is the console page's poll, from the browser that opened the request.
async function browserPoll({ scene, cookie }) {
  const { url } = server();
  return fetch(url + '/admin/login/scan/' + scene, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, origin: url, 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded' },
  });
}

// Each account is bound to one WeChat user for the whole file, as a person keeps one phone.
const wechatUsers = {};

// boundPhone launches the phone of username's WeChat user, binding it on the first launch,
// and waits for the home page.
async function boundPhone(username) {
  const first = !wechatUsers[username];
  wechatUsers[username] = wechatUsers[username] || uniqueName(username + '-phone');
  const phone = launch({ wechatName: wechatUsers[username] });
  if (first) {
    const login = await phone.waitForPage('pages/login/login', (p) => p.data.openId);
    await login.type('#username', username);
    await login.type('#password', server().password);
    await login.tap('#bind');
  }
  await phone.waitForPage('pages/index/index', (p) => p.has('#user'));
  return phone;
}

// openScanned opens the scan-login page as WeChat does from a mini-program code: scene
// URI-encoded in the page's options.
function openScanned(phone, scene) {
  phone.wx.navigateTo({ url: '/pages/scan-login/scan-login?scene=' + encodeURIComponent(scene) });
}

test('scan and confirm: the phone asks about Chrome · Windows, the browser is logged in', async (t) => {
  const phone = await boundPhone('stella');
  t.after(() => phone.close());
  const tab = await consoleScanTab();
  openScanned(phone, tab.scene);
  const page = await phone.waitForPage('pages/scan-login/scan-login', (p) => p.has('#question'), 'asking');
  assert.match(page.text(), /在 Chrome · Windows 登录管理后台？/);
  assert.equal(page.data.question, '在 Chrome · Windows 登录管理后台？');
  assert.match(page.text(), /IP 127\.0\.0\.1/);
  assert.ok(page.data.secondsLeft > 100 && page.data.secondsLeft <= 120, 'about two minutes left');

  const before = await (await browserPoll(tab)).text();
  assert.match(before, /data-state="scanned"/, 'the browser sees the scan');
  await page.tap('#confirm');
  await phone.waitForPage('pages/scan-login/scan-login', (p) => p.has('#confirmed'), 'confirmed');
  const done = await browserPoll(tab);
  assert.equal(done.status, 303, 'the browser completes the login');
  assert.equal(done.headers.get('location'), '/admin/');
  assert.ok(done.headers.getSetCookie().some((c) => c.startsWith('wxbind_console=')), 'with a console session');
});

// scannedColdStart launches the app as WeChat does for a scanned mini-program code: on the
// scan-login page, the scene URI-encoded in its query, on a phone whose WeChat user is not
// bound. checkBind answers 301 and the login page opens, told to come back.
async function scannedColdStart(tab, wechatName) {
  const phone = launch({ wechatName, page: 'pages/scan-login/scan-login', query: { scene: encodeURIComponent(tab.scene) } });
  const login = await phone.waitForPage('pages/login/login', (p) => p.data.openId, 'after the 301');
  const back = '/pages/scan-login/scan-login?scene=' + tab.scene;
  assert.deepEqual(phone.seen.navigations.map((n) => n.how + ' ' + n.url), ['reLaunch /pages/login/login?redirect=' + encodeURIComponent(back)]);
  assert.equal(phone.stack.length, 1, 'reLaunch left only the login page');
  assert.match(await (await browserPoll(tab)).text(), /data-state="waiting"/, 'an unbound phone claimed nothing');
  return { phone, login, back };
}

test('cold start on a phone not bound yet: login page, bind, back on scan-login with the scene, confirm', async (t) => {
  const tab = await consoleScanTab();
  const { phone, login, back } = await scannedColdStart(tab, uniqueName('sofia-phone'));
  t.after(() => phone.close());
  await login.type('#username', 'sofia');
  await login.type('#password', server().password);
  await login.tap('#bind');

  const page = await phone.waitForPage('pages/scan-login/scan-login', (p) => p.has('#question'), 'asking after the bind');
  assert.deepEqual(phone.seen.navigations.map((n) => n.url).slice(1), [back], 'straight back, not home first');
  assert.equal(page.data.scene, tab.scene);
  assert.equal(page.data.question, '在 Chrome · Windows 登录管理后台？');
  assert.ok(login.unloaded && phone.stack.length === 1, 'reLaunch left only the scan-login page');
  assert.match(await (await browserPoll(tab)).text(), /data-state="scanned"/, 'the browser sees the scan');

  await page.tap('#confirm');
  await phone.waitForPage('pages/scan-login/scan-login', (p) => p.has('#confirmed'), 'confirmed');
  const done = await browserPoll(tab);
  assert.equal(done.status, 303, 'the browser completes the login');
  assert.equal(done.headers.get('location'), '/admin/');
  assert.ok(done.headers.getSetCookie().some((c) => c.startsWith('wxbind_console=')), 'with a console session');
});

test('cold start, bound meanwhile on another device: the bind\'s checkBind answers 1, back on scan-login', async (t) => {
  const tab = await consoleScanTab();
  const wechatName = uniqueName('sven-phone');
  const { phone, login, back } = await scannedColdStart(tab, wechatName);
  t.after(() => phone.close());
  await otherDevice(wechatName, 'sven');
  await login.type('#username', 'sven');
  await login.type('#password', server().password);
  await login.tap('#bind'); // 409 wechat_already_bound, then checkBind logs in

  const page = await phone.waitForPage('pages/scan-login/scan-login', (p) => p.has('#question'), 'asking');
  assert.equal(phone.seen.navigations.at(-1).url, back);
  await page.tap('#cancel');
  await phone.waitForPage('pages/scan-login/scan-login', (p) => p.has('#cancelled'), 'cancelled');
  assert.match(await (await browserPoll(tab)).text(), /data-state="cancelled"/);
});

test('the login page\'s redirect is kept to the app\'s own pages', () => {
  const { afterBind } = require('../utils/auth');
  const scan = '/pages/scan-login/scan-login?scene=K7Q2';
  assert.equal(afterBind(encodeURIComponent(scan)), scan);
  assert.equal(afterBind(scan), scan, 'already decoded');
  for (const bad of [undefined, '', 'https://example.com/', '/pages/login/login', '/pages/login/login?redirect=x', 'pages/index/index', '/pages/../x/y', '/pages/a/b?x=<script>', '%E0%A4%A']) {
    assert.equal(afterBind(bad), '/pages/index/index', String(bad));
  }
});

test('cancel: the browser is told, and the request cannot be confirmed after', async (t) => {
  const phone = await boundPhone('stella');
  t.after(() => phone.close());
  const tab = await consoleScanTab();
  openScanned(phone, tab.scene);
  const page = await phone.waitForPage('pages/scan-login/scan-login', (p) => p.has('#cancel'));
  await page.tap('#cancel');
  await phone.waitForPage('pages/scan-login/scan-login', (p) => p.has('#cancelled'), 'cancelled');
  assert.match(await (await browserPoll(tab)).text(), /data-state="cancelled"/);
});

test('expiry: when the two minutes run out the page says so and offers no confirm', async (t) => {
  const phone = await boundPhone('stella');
  t.after(() => phone.close());
  const tab = await consoleScanTab();
  openScanned(phone, tab.scene);
  const page = await phone.waitForPage('pages/scan-login/scan-login', (p) => p.has('#confirm'));
  page.instance.setData({ secondsLeft: 1 }); // as the last second of the two minutes
  await phone.waitForPage('pages/scan-login/scan-login', (p) => p.has('#expired'), 'expired');
  assert.ok(!page.has('#confirm'));
  assert.match(page.text(), /expired/);
});

test('a user account cannot log in to the console: the server\'s refusal is shown', async (t) => {
  const phone = await boundPhone('ursula');
  t.after(() => phone.close());
  const tab = await consoleScanTab();
  openScanned(phone, tab.scene);
  const page = await phone.waitForPage('pages/scan-login/scan-login', (p) => p.has('#failed'));
  assert.match(page.text(), /此账号无权登录管理后台/);
  assert.deepEqual(phone.seen.toasts.slice(-1), ['此账号无权登录管理后台']);
  assert.match(await (await browserPoll(tab)).text(), /data-state="waiting"/, 'the request still waits for a staff member');
});

test('opened without a scene: a message, no request', async (t) => {
  const phone = await boundPhone('stella');
  t.after(() => phone.close());
  phone.wx.navigateTo({ url: '/pages/scan-login/scan-login' });
  const page = await phone.waitForPage('pages/scan-login/scan-login', (p) => p.has('#failed'));
  assert.match(page.text(), /No login code/);
});
