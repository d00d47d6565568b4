// The login flow, following checkBind's contract exactly:
//   code 1   → bound: store the token, userInfo and menuList;
//   code 301 → not bound: keep openId + bindTicket and open the login page to bind;
//   code 0   → failure: toast msg.
const config = require('../config');
const { send, ApiError, toast } = require('./request');
const session = require('./session');

const LOGIN_PAGE = '/pages/login/login';

function wxLogin() {
  return new Promise((resolve, reject) => {
    wx.login({
      success: (res) => {
        if (!res.code) {
          reject(new ApiError({ code: -1, msg: 'WeChat login failed; please retry', reason: 'wx_login' }));
        } else {
          resolve(config.sandboxUser ? 'sandbox:' + config.sandboxUser : res.code);
        }
      },
      fail: () => reject(new ApiError({ code: -1, msg: 'WeChat login failed; please retry', reason: 'wx_login' })),
    });
  });
}

// checkBind trades a fresh wx.login code. It resolves with {bound: true, userInfo, menuList}
// or {bound: false, openId}; a failure is toasted and rejected.
async function checkBind() {
  try {
    const code = await wxLogin();
    const { status, body } = await send({ url: '/mobileApi/user/checkBind', data: { code } });
    if (body && body.code === 1) {
      session.saveLogin(body);
      return { bound: true, userInfo: body.userInfo, menuList: body.menuList };
    }
    if (body && body.code === 301) {
      session.clear();
      session.savePending(body.openId, body.bindTicket);
      return { bound: false, openId: body.openId };
    }
    throw new ApiError({ code: body ? body.code : 0, msg: body && body.msg, reason: body && body.reason, status });
  } catch (err) {
    toast(err);
    throw err;
  }
}

// login is what the app does on launch: checkBind, and when not bound, the login page.
async function login() {
  const result = await checkBind();
  if (!result.bound) {
    wx.reLaunch({ url: LOGIN_PAGE });
  }
  return result;
}

// relogin is login shared by every request that met a 401 at the same moment, so a burst of
// them costs one wx.login and one checkBind.
let inFlight = null;
function relogin() {
  if (!inFlight) {
    session.clear();
    inFlight = login().finally(() => { inFlight = null; });
  }
  return inFlight;
}

// bind sends the login page's username and password with the kept bindTicket. On success
// the user is logged in. A ticket that expired or was used is replaced by a fresh checkBind,
// so the user just taps again.
async function bind(username, password, profile) {
  const pending = session.pending();
  if (!pending || !pending.bindTicket) {
    await checkBind();
    return bind(username, password, profile);
  }
  const data = Object.assign({ bindTicket: pending.bindTicket, openId: pending.openId, username, password }, profile || {});
  const { status, body } = await send({ url: '/mobileApi/user/bind', method: 'POST', data });
  if (body && body.code === 1) {
    session.saveLogin(body);
    return { bound: true, userInfo: body.userInfo, menuList: body.menuList };
  }
  const err = new ApiError({ code: body ? body.code : 0, msg: body && body.msg, reason: body && body.reason, status });
  if (/^ticket_/.test(err.reason) || err.reason === 'openid_mismatch') {
    await checkBind().catch(() => {});
  }
  throw err;
}

module.exports = { login, relogin, checkBind, bind, LOGIN_PAGE };
