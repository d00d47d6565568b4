// The login flow, following checkBind's contract exactly:
//   code 1   → bound: store the token, userInfo and menuList;
//   code 301 → not bound: keep openId + bindTicket and open the login page to bind, which
//              brings the user back to the page they were on (a scanned code's scan-login);
//   code 0   → failure: toast msg.
const config = require('../config');
const { send, ApiError, toast } = require('./request');
const session = require('./session');

const LOGIN_PAGE = '/pages/login/login';
const HOME_PAGE = '/pages/index/index';

// loginPage is the login page, told where to go once bound: the page on screen when checkBind
// answered 301. On a cold start that is the page WeChat opened, e.g. pages/scan-login with
// the scene of the code the user scanned, which is then not lost to the bind.
function loginPage() {
  const pages = getCurrentPages();
  const here = pages[pages.length - 1];
  if (!here || '/' + here.route === HOME_PAGE || '/' + here.route === LOGIN_PAGE) {
    return LOGIN_PAGE;
  }
  const query = Object.entries(here.options || {}).map(([k, v]) => k + '=' + v).join('&');
  const back = '/' + here.route + (query ? '?' + query : '');
  return LOGIN_PAGE + '?redirect=' + encodeURIComponent(back);
}

// afterBind is where the login page sends a user who is now bound: its redirect option when
// that is one of the app's own pages (a path under /pages/, the login page excepted), else
// home. WeChat hands query values over as they were written, so it arrives URI-encoded.
function afterBind(redirect) {
  let url = '';
  try {
    url = decodeURIComponent(redirect || '');
  } catch (e) {
    return HOME_PAGE;
  }
  const ownPage = /^\/pages\/[\w-]+\/[\w-]+(\?[\w%=&.-]*)?$/.test(url);
  return ownPage && url.split('?')[0] !== LOGIN_PAGE ? url : HOME_PAGE;
}

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

// loginOnce is checkBind, and when not bound, the login page.
async function loginOnce() {
  const result = await checkBind();
  if (!result.bound) {
    wx.reLaunch({ url: loginPage() });
  }
  return result;
}

// One login at a time, shared by whoever asks while it runs: the launch, a page opened by
// reLaunch, and every request that met a 401 at the same moment (a burst of them costs one
// wx.login and one checkBind). Once it settles, the answer lives in storage (session.js).
let inFlight = null;

// login is what the app does on launch (and what "Try again" and unbind do): one shared
// checkBind, and when not bound, the login page.
function login() {
  if (!inFlight) {
    inFlight = loginOnce().finally(() => { inFlight = null; });
  }
  return inFlight;
}

// state is the login as every page should see it: the running login's answer if one is
// under way, else the stored token's user, else a fresh login. A page opened by reLaunch
// after bind thus sees the new token, not the launch's stale "not bound".
function state() {
  if (inFlight) {
    return inFlight;
  }
  if (session.token()) {
    return Promise.resolve({ bound: true, userInfo: session.userInfo(), menuList: session.menuList() });
  }
  return login();
}

// relogin forgets the dead token and logs in again, once for every caller that asks
// while it runs.
function relogin() {
  if (!inFlight) {
    session.clear();
  }
  return login();
}

// bind sends the login page's username and password with the kept bindTicket. On success
// the user is logged in. A ticket that expired or was used is replaced by a fresh checkBind,
// so the user just taps again. Each call makes at most one checkBind before it binds, so a
// server that keeps answering "bound" cannot send it round in circles.
async function bind(username, password, profile) {
  let pending = session.pending();
  if (!pending || !pending.bindTicket) {
    const result = await checkBind();
    if (result.bound) {
      return result; // bound meanwhile (on another device): logged in now
    }
    pending = session.pending();
  }
  const data = Object.assign({ bindTicket: pending.bindTicket, openId: pending.openId, username, password }, profile || {});
  const { status, body } = await send({ url: '/mobileApi/user/bind', method: 'POST', data });
  if (body && body.code === 1) {
    session.saveLogin(body);
    return { bound: true, userInfo: body.userInfo, menuList: body.menuList };
  }
  const err = new ApiError({ code: body ? body.code : 0, msg: body && body.msg, reason: body && body.reason, status });
  if (err.reason === 'wechat_already_bound') {
    // This WeChat user bound meanwhile on another device (PC WeChat, say): the ticket is
    // useless, and checkBind now answers 1 with that account's login.
    session.clearPending();
    const result = await checkBind();
    if (result.bound) {
      return result;
    }
    throw err;
  }
  if (/^ticket_/.test(err.reason) || err.reason === 'openid_mismatch') {
    await checkBind().catch(() => {});
  }
  throw err;
}

module.exports = { login, state, relogin, checkBind, bind, afterBind, LOGIN_PAGE, HOME_PAGE };
