// Runs the sample mini-program's own files under Node: a fresh App per launch, pages built
// from their Page({...}) definitions with a working setData, and the wx shim underneath.
'use strict';

const path = require('node:path');
const { createWx } = require('./wx-shim');

const ROOT = path.resolve(__dirname, '..');

// server is what the runner (run.sh / miniprogram_test.go) started: a real wxbind server in
// sandbox mode with the accounts alice, bob, carol and dave, all with WXBIND_PASSWORD.
function server() {
  const url = process.env.WXBIND_URL;
  const password = process.env.WXBIND_PASSWORD;
  if (!url || !password) {
    throw new Error('Set WXBIND_URL and WXBIND_PASSWORD (miniprogram/test/run.sh does), pointing at a fresh wxbind server in sandbox mode with accounts alice, bob, carol and dave');
  }
  return { url, password, menus: (process.env.WXBIND_MENUS || '').split(',').filter(Boolean) };
}

function forgetModules() {
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(ROOT + path.sep) && !key.startsWith(path.join(ROOT, 'test') + path.sep)) {
      delete require.cache[key];
    }
  }
}

// setPath sets obj's dotted path ("userInfo.nickName", "grid[0].name") as setData does.
function setPath(obj, keyPath, value) {
  const parts = keyPath.replace(/\[(\d+)\]/g, '.$1').split('.');
  let cur = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    if (cur[parts[i]] === undefined || cur[parts[i]] === null) cur[parts[i]] = {};
    cur = cur[parts[i]];
  }
  cur[parts[parts.length - 1]] = value;
}

// launch starts the mini-program as a phone would, held by WeChat user wechatName. Pass the
// storage of an earlier launch to relaunch the same phone.
// loginCode, when given, is what wx.login answers instead of the sandbox code.
// settings override config.js for this launch.
function launch({ wechatName, storage, baseUrl, loginCode = null, settings = {} }) {
  forgetModules();
  const shim = createWx({ wechatName, storage });
  shim.control.loginCode = loginCode;
  let app = null;
  let pageDef = null;
  global.wx = shim.wx;
  global.App = (def) => { app = def; };
  global.getApp = () => app;
  global.Page = (def) => { pageDef = def; };

  Object.assign(require(path.join(ROOT, 'config')), { baseUrl: baseUrl || server().url }, settings);
  require(path.join(ROOT, 'app.js'));
  app.onLaunch();

  // open builds a page instance and runs its onLoad to completion.
  async function open(route, query = {}) {
    const file = path.join(ROOT, route + '.js');
    delete require.cache[require.resolve(file)];
    pageDef = null;
    require(file);
    if (!pageDef) throw new Error(route + ' did not call Page()');
    const page = Object.assign({}, pageDef, { route, data: structuredClone(pageDef.data) });
    page.setData = (patch, done) => {
      for (const [k, v] of Object.entries(patch)) setPath(page.data, k, structuredClone(v));
      if (done) done();
    };
    if (page.onLoad) await page.onLoad(query);
    return page;
  }

  return Object.assign(shim, { app, open });
}

// lastNavigation is where the mini-program last sent the user.
function lastNavigation(shim) {
  return shim.seen.navigations[shim.seen.navigations.length - 1] || null;
}

// uniqueName is a WeChat user no earlier run has used.
function uniqueName(base) {
  return base + '-' + process.pid + '-' + Date.now().toString(36);
}

module.exports = { launch, server, lastNavigation, uniqueName, ROOT };
