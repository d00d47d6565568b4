// A small stand-in for the `wx` object of the mini-program runtime, enough to run the
// sample's logic under Node against a real server: wx.request and wx.uploadFile go over HTTP
// with fetch, wx.login answers sandbox codes, storage is a Map, and what the user would see
// (toasts, modals, page changes) is recorded for the tests to read.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

function queryString(data) {
  return Object.entries(data)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => encodeURIComponent(k) + '=' + encodeURIComponent(String(v)))
    .join('&');
}

function headersOf(res) {
  const out = {};
  res.headers.forEach((v, k) => { out[k] = v; });
  return out;
}

// createWx makes a shim. wechatName is who holds the phone: wx.login answers the sandbox
// code "sandbox:NAME". storage, when given, is kept from an earlier launch.
function createWx({ wechatName, storage = new Map() }) {
  const seen = {
    toasts: [],
    modals: [],
    navigations: [],
    requests: [],
    logins: 0,
    pageErrors: [], // a page hook that threw or rejected
  };
  const control = {
    wechatName,
    loginCode: null, // when set, wx.login answers this code instead
    modalConfirm: true,
  };

  const wx = {
    login({ success, fail, complete } = {}) {
      seen.logins++;
      const code = control.loginCode !== null ? control.loginCode : 'sandbox:' + control.wechatName;
      setImmediate(() => {
        const res = { code, errMsg: 'login:ok' };
        if (success) success(res);
        if (complete) complete(res);
      });
      void fail;
    },

    request({ url, method = 'GET', data, header = {}, timeout = 60000, success, fail, complete }) {
      let target = url;
      let body;
      const headers = Object.assign({}, header);
      if (data !== undefined && data !== null) {
        if (method === 'GET') {
          target += (url.includes('?') ? '&' : '?') + queryString(data);
        } else {
          body = typeof data === 'string' ? data : JSON.stringify(data);
        }
      }
      if (method === 'GET') {
        // wx.request sends no content-type on GET bodies it does not have.
        for (const k of Object.keys(headers)) if (k.toLowerCase() === 'content-type') delete headers[k];
      }
      seen.requests.push({ method, url: target, header: headers });
      fetch(target, { method, headers, body, signal: AbortSignal.timeout(timeout) })
        .then(async (res) => {
          const text = await res.text();
          let parsed = text;
          try { parsed = JSON.parse(text); } catch (e) { /* wx.request hands over text it cannot parse */ }
          const out = { statusCode: res.status, data: parsed, header: headersOf(res), errMsg: 'request:ok' };
          if (success) success(out);
          if (complete) complete(out);
        })
        .catch((err) => {
          const out = { errMsg: 'request:fail ' + err.message };
          if (fail) fail(out);
          if (complete) complete(out);
        });
    },

    uploadFile({ url, filePath, name, header = {}, formData = {}, timeout = 60000, success, fail, complete }) {
      seen.requests.push({ method: 'POST', url, header, upload: path.basename(filePath) });
      Promise.resolve()
        .then(() => {
          const form = new FormData();
          for (const [k, v] of Object.entries(formData)) form.append(k, String(v));
          form.append(name, new Blob([fs.readFileSync(filePath)]), path.basename(filePath));
          return fetch(url, { method: 'POST', headers: header, body: form, signal: AbortSignal.timeout(timeout) });
        })
        .then(async (res) => {
          // wx.uploadFile hands the body over as a string.
          const out = { statusCode: res.status, data: await res.text(), errMsg: 'uploadFile:ok' };
          if (success) success(out);
          if (complete) complete(out);
        })
        .catch((err) => {
          const out = { errMsg: 'uploadFile:fail ' + err.message };
          if (fail) fail(out);
          if (complete) complete(out);
        });
    },

    // Storage keeps JSON-able values by copy, and answers '' for a missing key, as WeChat does.
    getStorageSync(key) {
      return storage.has(key) ? structuredClone(storage.get(key)) : '';
    },
    setStorageSync(key, value) {
      storage.set(key, structuredClone(value));
    },
    removeStorageSync(key) {
      storage.delete(key);
    },

    showToast(opts) {
      seen.toasts.push(opts.title);
    },
    showModal(opts) {
      seen.modals.push(opts);
      setImmediate(() => {
        if (opts.success) opts.success({ confirm: control.modalConfirm, cancel: !control.modalConfirm });
      });
    },
    reLaunch(opts) {
      seen.navigations.push({ how: 'reLaunch', url: opts.url });
      if (opts.success) setImmediate(opts.success);
    },
    navigateTo(opts) {
      seen.navigations.push({ how: 'navigateTo', url: opts.url });
      if (opts.success) setImmediate(opts.success);
    },
    redirectTo(opts) {
      seen.navigations.push({ how: 'redirectTo', url: opts.url });
      if (opts.success) setImmediate(opts.success);
    },
    stopPullDownRefresh() {},
  };

  return { wx, seen, control, storage };
}

module.exports = { createWx };
