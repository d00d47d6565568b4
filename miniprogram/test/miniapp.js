// The sample mini-program run as WeChat runs it, close enough for tests that look at what a
// person sees:
//
//  * Pages are compiled by Tencent's WXML compiler (wcc, from miniprogram-compiler) and
//    rendered by exparser, through Tencent's miniprogram-simulate and j-component, into a
//    jsdom document. Taps and inputs are events dispatched on the rendered nodes, so a
//    binding the template gets wrong does nothing, as on a phone.
//  * The adapter: miniprogram-simulate only knows Component({...}). Page({...}) becomes a
//    component whose data is the page's data and whose methods are all the page's functions
//    (lifecycle hooks included); other fields are copied onto each instance. The page stack
//    below calls the page lifecycle where WeChat does: onLoad(query) then onShow when a page
//    opens, onHide when another is pushed over it, onShow again when it is back on top,
//    onUnload when it leaves the stack.
//  * The page stack: wx.navigateTo pushes, wx.redirectTo replaces the top, wx.reLaunch
//    empties the stack and opens one page, wx.navigateBack pops `delta` pages. Like WeChat they
//    switch pages after the call returns, refuse a URL that is not an app.json page (fail,
//    then complete), and never wait for onLoad's promise.
//  * Everything else in `wx` is wx-shim.js: wx.request and wx.uploadFile over real HTTP,
//    storage, toasts and modals recorded. A wx API the shim lacks is undefined, so a call to
//    it fails the test.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { JSDOM } = require('jsdom');

const ROOT = path.resolve(__dirname, '..');
const APP = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'));

// j-component and miniprogram-simulate expect a browser's globals.
const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
for (const name of ['window', 'document', 'Node', 'Element', 'HTMLElement', 'Event', 'CustomEvent', 'MutationObserver', 'getComputedStyle', 'requestAnimationFrame']) {
  global[name] = name === 'window' ? dom.window : dom.window[name];
}
const simulate = require('miniprogram-simulate');
const { createWx } = require('./wx-shim');

// server is what miniprogram_test.go started: a real wxbind server in sandbox mode.
function server() {
  const url = process.env.WXBIND_URL;
  const password = process.env.WXBIND_PASSWORD;
  if (!url || !password) {
    throw new Error('Set WXBIND_URL and WXBIND_PASSWORD (go test ./miniprogram/test/ does), pointing at a fresh wxbind server in sandbox mode');
  }
  const ids = Object.fromEntries((process.env.WXBIND_ACCOUNT_IDS || '').split(',').filter(Boolean).map((kv) => kv.split('=')));
  return {
    url,
    password,
    adminPassword: process.env.WXBIND_ADMIN_PASSWORD,
    accountIds: ids,
    menus: (process.env.WXBIND_MENUS || '').split(',').filter(Boolean),
  };
}

// The sample's own modules (not the tests') are loaded afresh for each launch: utils/auth.js
// keeps the running login in module state, as a process would.
function forgetModules() {
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(ROOT + path.sep) && !key.startsWith(path.join(ROOT, 'test') + path.sep)) {
      delete require.cache[key];
    }
  }
}

// Page adapts Page({...}) onto Component({...}), which miniprogram-simulate defines.
function Page(def) {
  const methods = {};
  const fields = {};
  for (const [key, value] of Object.entries(def)) {
    if (key === 'data') continue;
    if (typeof value === 'function') methods[key] = value;
    else fields[key] = value;
  }
  global.Component({
    data: def.data || {},
    methods,
    lifetimes: {
      created() { Object.assign(this, structuredClone(fields)); },
    },
  });
}

function parseUrl(url) {
  const [route, qs = ''] = url.replace(/^\//, '').split('?');
  return { route, query: Object.fromEntries(new URLSearchParams(qs)) };
}

// launch starts the mini-program as a phone would, held by WeChat user wechatName: App()
// once, onLaunch({path, query}), then that page with the query as onLoad's options. The page
// is the first app.json page unless given: WeChat opens a scanned mini-program code on the
// code's page, e.g. page 'pages/scan-login/scan-login', query {scene}. Pass the storage of
// an earlier launch to relaunch the same phone. loginCode, when given, is what wx.login
// answers; settings override config.js.
function launch({ wechatName, storage, baseUrl, loginCode = null, settings = {}, page = APP.pages[0], query = {} }) {
  if (!APP.pages.includes(page)) throw new Error(`launch: ${page} is not an app.json page`);
  forgetModules();
  const shim = createWx({ wechatName, storage });
  shim.control.loginCode = loginCode;
  const { wx, seen } = shim;
  const stack = [];
  const container = document.createElement('main');
  document.body.appendChild(container);
  let app = null;

  global.wx = wx;
  global.App = (def) => { app = Object.assign({}, def); };
  global.getApp = () => app;
  global.getCurrentPages = () => stack.map((p) => p.instance);
  global.Page = Page;

  // open renders route and runs onLoad and onShow, without waiting for onLoad's promise.
  function open(route, query) {
    const id = simulate.load(path.join(ROOT, route), {
      rootPath: ROOT,
      compilerOptions: { wxmlList: APP.pages.map((p) => p + '.wxml') }, // the app's pages, not test/node_modules
    });
    const comp = simulate.render(id);
    comp.attach(container);
    const page = wrap(comp, route, query);
    page.instance.route = route;
    page.instance.options = query;
    stack.push(page);
    guard(page.instance.onLoad && page.instance.onLoad(query));
    guard(page.instance.onShow && page.instance.onShow());
    return page;
  }

  function unload(page) {
    guard(page.instance.onUnload && page.instance.onUnload());
    page.comp.detach();
    page.unloaded = true;
  }

  // A page hook that throws or rejects is an uncaught error in WeChat; here it fails the test.
  function guard(result) {
    if (result && typeof result.then === 'function') {
      result.catch((err) => { seen.pageErrors.push(err); });
    }
  }

  // navigation wraps one wx page call: record it, check the URL, switch after returning.
  function navigation(how, change) {
    return (opts = {}) => {
      seen.navigations.push({ how, url: opts.url || '', delta: opts.delta });
      setImmediate(() => {
        let target = null;
        if (how !== 'navigateBack') {
          target = parseUrl(opts.url || '');
          if (!APP.pages.includes(target.route)) {
            const res = { errMsg: `${how}:fail page "${target.route}" is not found` };
            if (opts.fail) opts.fail(res);
            if (opts.complete) opts.complete(res);
            return;
          }
        }
        change(target, opts);
        const res = { errMsg: how + ':ok' };
        if (opts.success) opts.success(res);
        if (opts.complete) opts.complete(res);
      });
    };
  }

  wx.navigateTo = navigation('navigateTo', (t) => {
    const top = stack[stack.length - 1];
    if (top) guard(top.instance.onHide && top.instance.onHide());
    open(t.route, t.query);
  });
  wx.redirectTo = navigation('redirectTo', (t) => {
    if (stack.length) unload(stack.pop());
    open(t.route, t.query);
  });
  wx.reLaunch = navigation('reLaunch', (t) => {
    while (stack.length) unload(stack.pop());
    open(t.route, t.query);
  });
  wx.navigateBack = navigation('navigateBack', (t, opts) => {
    const delta = Math.max(1, opts.delta || 1);
    for (let i = 0; i < delta && stack.length > 1; i++) unload(stack.pop());
    const top = stack[stack.length - 1];
    guard(top.instance.onShow && top.instance.onShow());
  });

  Object.assign(require(path.join(ROOT, 'config')), { baseUrl: baseUrl || server().url }, settings);
  require(path.join(ROOT, 'app.js'));
  if (!app) throw new Error('app.js did not call App()');
  guard(app.onLaunch && app.onLaunch({ path: page, query: Object.assign({}, query) }));
  open(page, Object.assign({}, query));

  const phone = Object.assign(shim, {
    app,
    stack,
    // top is the page on screen.
    top: () => stack[stack.length - 1],
    // waitFor polls check (a function returning something truthy) until it holds.
    waitFor,
    // waitForPage waits until route is on screen and check(page) holds.
    async waitForPage(route, check = () => true, what = '') {
      return waitFor(() => {
        const top = stack[stack.length - 1];
        return top && top.route === route && check(top) && top;
      }, () => `${route} on screen${what ? ' ' + what : ''} (on screen: ${stack.map((p) => p.route + ' "' + p.text().slice(0, 120) + '"').join(' > ')}; toasts ${JSON.stringify(seen.toasts)})`);
    },
    // pullDown is WeChat's pull-down-to-refresh on the page on screen.
    pullDown() {
      const top = stack[stack.length - 1];
      return top.instance.onPullDownRefresh();
    },
    // close ends the run; a page hook that failed on the way fails the test here.
    close() {
      while (stack.length) unload(stack.pop());
      container.remove();
      if (seen.pageErrors.length) {
        throw new Error('a page hook failed: ' + seen.pageErrors.map((e) => e.stack || e).join('\n'));
      }
    },
  });
  return phone;
}

// wrap gives a rendered page the handles a test needs: text as a person reads it, and taps,
// typing and WeChat's open-type events on nodes found by WXML selector.
function wrap(comp, route, query) {
  function find(selector) {
    const node = comp.querySelector(selector);
    if (!node) throw new Error(`${route}: nothing on the page matches ${selector}: ${comp.dom.innerHTML}`);
    return node;
  }
  return {
    route,
    query,
    comp,
    instance: comp.instance,
    get data() { return comp.instance.data; },
    text: () => comp.dom.textContent.replace(/\s+/g, ' ').trim(),
    html: () => comp.dom.innerHTML,
    has: (selector) => Boolean(comp.querySelector(selector)),
    all: (selector) => comp.querySelectorAll(selector),
    find,
    // tap is a finger on the node. Like every event here it is delivered asynchronously,
    // as j-component does; the promise resolves once the handler has started.
    tap(selector) { return deliver(find(selector), 'tap', { x: 0, y: 0 }); },
    // type is what WeChat's <input> fires on each key: bindinput with detail.value.
    type(selector, value) { return deliver(find(selector), 'input', { value, cursor: value.length }); },
    // fire is any other component event, e.g. chooseavatar or getphonenumber.
    fire(selector, event, detail) { return deliver(find(selector), event, detail); },
  };
}

function deliver(node, event, detail) {
  node.dispatchEvent(event, { detail });
  return new Promise((resolve) => setImmediate(resolve));
}

async function waitFor(check, what = 'condition', timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + (typeof what === 'function' ? what() : what));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// uniqueName is a WeChat user no earlier run has used.
function uniqueName(base) {
  return base + '-' + process.pid + '-' + Date.now().toString(36);
}

module.exports = { launch, server, waitFor, uniqueName, ROOT, APP };
