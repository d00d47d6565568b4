// The browser simulator: the sample mini-program's login flow, played against the real
// mobile API. wx.login is simulated by the sandbox code "sandbox:NAME"; everything else is the
// same HTTP the mini-program sends. Plain DOM, no framework; every value from the server is
// set with textContent, never as HTML.
'use strict';

(function () {
  const $ = (id) => document.querySelector('[data-testid="' + id + '"]');

  // What the mini-program would keep in its storage.
  const state = { openId: '', bindTicket: '', token: '', userInfo: null, menuList: [] };

  const titles = { launch: 'Launch', login: 'Bind your account', index: 'Home' };

  function show(page) {
    document.querySelectorAll('[data-page]').forEach((el) => {
      el.hidden = el.dataset.page !== page;
    });
    $('nav-title').textContent = titles[page];
  }

  let toastTimer = 0;
  function toast(msg) {
    const el = $('toast');
    el.textContent = msg;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.hidden = true; }, 2500);
  }

  function note(msg) {
    const el = $('launch-note');
    el.textContent = msg;
    el.hidden = !msg;
  }

  // Secrets stay out of the log even in a sandbox: passwords are masked whole, tokens and
  // tickets shortened to tell them apart.
  function redact(value) {
    return JSON.stringify(value, (key, v) => {
      if (typeof v !== 'string') return v;
      if (key === 'password') return '••••••';
      if ((key === 'token' || key === 'bindTicket') && v.length > 10) return v.slice(0, 6) + '…';
      return v;
    }, 2);
  }

  function log(title, status, body, ok) {
    const li = document.createElement('li');
    const head = document.createElement('div');
    head.className = 'req';
    head.textContent = title + (status ? '  →  HTTP ' + status : '');
    const pre = document.createElement('pre');
    pre.className = ok ? 'ok' : 'fail';
    pre.textContent = redact(body);
    li.append(head, pre);
    $('log').prepend(li);
  }

  // api sends one request the way the mini-program's request helper does: JSON, with the token.
  async function api(method, path, body) {
    const headers = {};
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      log(method + ' ' + path, 0, { error: String(err) }, false);
      return { code: 0, msg: 'Network error; is the server running?' };
    }
    let data;
    try {
      data = await res.json();
    } catch (err) {
      data = { code: 0, msg: 'The server did not answer JSON (HTTP ' + res.status + ')' };
    }
    const shownPath = path.replace(/code=[^&]*/, (m) => decodeURIComponent(m));
    log(method + ' ' + shownPath, res.status, body === undefined ? data : { request: body, response: data }, data.code === 1 || data.code === 301);
    return data;
  }

  function busy(button, fn) {
    return async () => {
      button.disabled = true;
      try { await fn(); } finally { button.disabled = false; }
    };
  }

  // wx.login + checkBind, switching on the body code exactly as the mini-program does.
  async function login() {
    const name = $('wechat-name').value.trim();
    if (!name) {
      toast('Type a WeChat user name first');
      return;
    }
    const code = 'sandbox:' + name;
    log('wx.login()', 0, { code }, true);
    const res = await api('GET', '/mobileApi/user/checkBind?code=' + encodeURIComponent(code));
    if (res.code === 1) {
      loggedIn(res);
    } else if (res.code === 301) {
      state.openId = res.openId;
      state.bindTicket = res.bindTicket;
      $('login-openid').textContent = res.openId;
      $('bind-password').value = '';
      show('login');
      $('bind-username').focus();
    } else {
      toast(res.msg || 'Login failed');
    }
  }

  async function bind() {
    const username = $('bind-username').value.trim();
    const password = $('bind-password').value;
    if (!username || !password) {
      toast('Enter username and password');
      return;
    }
    const res = await api('POST', '/mobileApi/user/bind', {
      bindTicket: state.bindTicket, openId: state.openId, username, password,
    });
    if (res.code === 1) {
      loggedIn(res);
      toast('Bound');
    } else {
      // A wrong password keeps the ticket; an expired or used one needs a fresh checkBind.
      toast(res.msg || 'Bind failed');
      if (/^ticket_|^openid_mismatch$/.test(res.reason || '')) restart('');
    }
  }

  function loggedIn(res) {
    state.token = res.token;
    state.bindTicket = '';
    render(res.userInfo, res.menuList);
    show('index');
  }

  function render(userInfo, menuList) {
    state.userInfo = userInfo;
    state.menuList = menuList || [];
    $('user-nick').textContent = userInfo.nickName || userInfo.name || userInfo.username;
    $('user-username').textContent = userInfo.username;
    $('user-openid').textContent = userInfo.openId;
    $('profile-nick').value = userInfo.nickName || '';
    $('user-phone').textContent = userInfo.phone || '';
    $('user-phone-row').hidden = !userInfo.phone;
    const avatar = $('user-avatar');
    avatar.hidden = !userInfo.avatarUrl;
    if (userInfo.avatarUrl) avatar.src = userInfo.avatarUrl;

    const grid = $('menu-grid');
    grid.replaceChildren();
    for (const menu of flatten(state.menuList)) {
      const tile = document.createElement('div');
      tile.className = 'tile';
      tile.dataset.testid = 'menu-' + menu.code;
      const icon = document.createElement('span');
      icon.className = 'icon';
      icon.textContent = menu.icon && !/^(https?:)?\//.test(menu.icon) ? menu.icon : '▦';
      const sub = document.createElement('span');
      sub.className = 'sub';
      sub.textContent = menu.path;
      tile.append(icon, document.createTextNode(menu.name), sub);
      grid.append(tile);
    }
    $('menu-empty').hidden = state.menuList.length > 0;
  }

  // The grid shows leaves under their parents, as most mini-programs lay a menu tree out.
  function flatten(nodes) {
    const out = [];
    for (const n of nodes) {
      if (n.children && n.children.length) out.push(...flatten(n.children));
      else out.push(n);
    }
    return out;
  }

  // restart is the mini-program relaunched: the stored token is gone.
  function restart(message) {
    state.token = '';
    state.openId = '';
    state.bindTicket = '';
    show('launch');
    note(message);
  }

  // Any 401 means the token is dead: log in again, as the request helper does.
  function expired(res) {
    if (res.code === 401) {
      restart('Your login ended (' + res.msg + '). Tap wx.login again.');
      return true;
    }
    return false;
  }

  async function refresh() {
    const res = await api('GET', '/mobileApi/user/info');
    if (expired(res)) return;
    if (res.code === 1) render(res.userInfo, res.menuList);
    else toast(res.msg);
  }

  async function saveNickname() {
    const res = await api('POST', '/mobileApi/user/profile', { nickName: $('profile-nick').value });
    if (expired(res)) return;
    if (res.code === 1) {
      render(res.userInfo, state.menuList);
      toast('Saved');
    } else {
      toast(res.msg);
    }
  }

  // The phone-number button gives a one-time code; the sandbox's code "sandbox:NUMBER"
  // stands for WeChat vouching for NUMBER.
  async function sharePhone() {
    const number = $('phone-number').value.trim();
    const res = await api('POST', '/mobileApi/user/phone', { code: 'sandbox:' + number });
    if (expired(res)) return;
    if (res.code === 1) {
      render(Object.assign({}, state.userInfo, { phone: res.phone, countryCode: res.countryCode }), state.menuList);
      toast('Phone +' + res.countryCode + ' ' + res.phone);
    } else {
      toast(res.reason === 'not_found' ? 'This server has no phone API yet' : res.msg);
    }
  }

  async function checkSession() {
    const res = await api('GET', '/mobileApi/user/checkSession');
    if (expired(res)) return;
    if (res.code === 1) {
      toast(res.valid ? 'Session valid' : 'Session expired: wx.login again');
    } else {
      toast(res.reason === 'not_found' ? 'This server has no checkSession API yet' : res.msg);
    }
  }

  async function logout() {
    const res = await api('POST', '/mobileApi/user/logout');
    if (res.code === 1 || res.code === 401) {
      restart('Logged out. This WeChat user is still bound, so wx.login logs straight back in.');
    } else {
      toast(res.msg);
    }
  }

  async function unbind() {
    const res = await api('POST', '/mobileApi/user/unbind');
    if (expired(res)) return;
    if (res.code === 1) {
      restart('Unbound. wx.login now answers 301 again, so you can bind to another account.');
    } else {
      toast(res.msg);
    }
  }

  function on(id, fn) {
    const el = $(id);
    el.addEventListener('click', busy(el, fn));
  }

  on('wx-login', login);
  on('bind-submit', bind);
  on('info-refresh', refresh);
  on('profile-save', saveNickname);
  on('phone-share', sharePhone);
  on('check-session', checkSession);
  on('logout', logout);
  on('unbind', unbind);
  $('login-back').addEventListener('click', () => restart(''));
  $('log-clear').addEventListener('click', () => $('log').replaceChildren());
  $('wechat-name').addEventListener('keydown', (e) => { if (e.key === 'Enter') $('wx-login').click(); });
  $('bind-password').addEventListener('keydown', (e) => { if (e.key === 'Enter') $('bind-submit').click(); });
  document.documentElement.dataset.ready = 'true';
})();
