// The request helper every page uses. It sends the login token, turns each answer into a
// resolved body (code 1) or a rejected ApiError, and when the token is dead (code 401) logs in
// again once — wx.login + checkBind — and repeats the request.
const config = require('../config');
const session = require('./session');

// ApiError is a failed call: code 0 (show msg), 401 (log in again) or -1 (no answer at all).
class ApiError extends Error {
  /** @param {{code: number, msg?: string, reason?: string, status?: number}} fields */
  constructor({ code, msg, reason, status }) {
    super(msg || 'Request failed');
    this.name = 'ApiError';
    this.code = code;
    this.msg = msg || 'Request failed';
    this.reason = reason || '';
    this.status = status || 0;
  }
}

function authHeader(token) {
  return token ? { Authorization: 'Bearer ' + token } : {};
}

/**
 * @typedef {'GET' | 'POST'} Method
 * @typedef {{url: string, method?: Method, data?: object, header?: object}} Call
 */

// send is one wx.request, resolving with { status, body } whatever the HTTP status.
/** @param {Call} call @returns {Promise<{status: number, body: any}>} */
function send({ url, method = 'GET', data, header = {} }) {
  return new Promise((resolve, reject) => {
    wx.request({
      url: config.baseUrl + url,
      method,
      data,
      timeout: config.timeout,
      header: Object.assign({ 'content-type': 'application/json' }, header),
      success: (res) => resolve({ status: res.statusCode, body: res.data }),
      fail: (err) => reject(new ApiError({ code: -1, msg: 'Network error; please retry', reason: 'network', status: 0 })),
    });
  });
}

// upload is one wx.uploadFile, whose answer arrives as a string.
/** @param {{url: string, filePath: string, name?: string, header?: object}} call @returns {Promise<{status: number, body: any}>} */
function sendFile({ url, filePath, name = 'file', header = {} }) {
  return new Promise((resolve, reject) => {
    wx.uploadFile({
      url: config.baseUrl + url,
      filePath,
      name,
      timeout: config.timeout,
      header,
      success: (res) => {
        let body;
        try {
          body = typeof res.data === 'string' ? JSON.parse(res.data) : res.data;
        } catch (e) {
          body = { code: 0, msg: 'The server answered something unexpected', reason: 'bad_answer' };
        }
        resolve({ status: res.statusCode, body });
      },
      fail: (err) => reject(new ApiError({ code: -1, msg: 'Upload failed; please retry', reason: 'network' })),
    });
  });
}

function toError(status, body) {
  if (!body || typeof body !== 'object') {
    return new ApiError({ code: 0, msg: 'Server error (HTTP ' + status + ')', reason: 'bad_answer', status });
  }
  return new ApiError({ code: body.code, msg: body.msg, reason: body.reason, status });
}

// withLogin runs call with the current token; on 401 it logs in again once and repeats it.
// A 401 for a token that was replaced meanwhile (another request already logged in again)
// just repeats the call with the new one.
async function withLogin(call, retried) {
  const sent = session.token();
  const { status, body } = await call(authHeader(sent));
  if (body && body.code === 1) {
    return body;
  }
  if (body && body.code === 401 && !retried) {
    const current = session.token();
    if (!current || current === sent) {
      // Lazy: auth uses this module too.
      const auth = require('./auth');
      const result = await auth.relogin();
      if (!result.bound) {
        // Not bound any more (unbound in the console, say): relogin went to the login page.
        throw new ApiError({ code: 401, msg: body.msg, reason: 'not_bound', status });
      }
    }
    return withLogin(call, true);
  }
  throw toError(status, body);
}

// request calls the API with the token; it resolves with the body of a code-1 answer.
/** @param {Call} call */
function request({ url, method = 'GET', data }) {
  return withLogin((header) => send({ url, method, data, header }));
}

// upload sends a local file (a chooseAvatar temp path, say) as multipart field `name`.
/** @param {{url: string, filePath: string, name?: string}} call */
function upload({ url, filePath, name = 'file' }) {
  return withLogin((header) => sendFile({ url, filePath, name, header }));
}

// toast shows a failure the way the API means it: msg is written for a toast.
function toast(err) {
  wx.showToast({ title: (err && err.msg) || 'Something went wrong', icon: 'none', duration: 2500 });
}

module.exports = { request, upload, send, toast, ApiError };
