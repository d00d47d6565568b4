// The browser simulator: the sample mini-program's login flow, played against the real
// mobile API. wx.login is simulated by the sandbox code "sandbox:NAME"; everything else is the
// same HTTP the mini-program sends. Plain DOM, no framework; every value from the server is
// set with textContent, never as HTML. Its words come in the page (#sim-messages), in the
// language the server picked from the browser's.
'use strict';

(function () {
  const $ = (id) => document.querySelector('[data-testid="' + id + '"]');

  // What the mini-program would keep in its storage.
  const state = { openId: '', bindTicket: '', token: '', userInfo: null, menuList: [] };

  const messages = JSON.parse(document.getElementById('sim-messages').textContent);
  // t is a message of the page's language; {name} in it is filled from vars.
  function t(id, vars) {
    const text = messages[id] || id;
    return text.replace(/\{(\w+)\}/g, (m, name) => (vars && name in vars ? String(vars[name]) : m));
  }

  function show(page) {
    document.querySelectorAll('[data-page]').forEach((el) => {
      el.hidden = el.dataset.page !== page;
    });
    $('nav-title').textContent = t('nav.' + page);
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
    pre.tabIndex = 0; // it scrolls, so a keyboard must be able to reach it
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
      return { code: 0, msg: t('js.network') };
    }
    let data;
    try {
      data = await res.json();
    } catch (err) {
      data = { code: 0, msg: t('js.not_json', { status: res.status }) };
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
      toast(t('js.need_name'));
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
      toast(res.msg || t('js.login_failed'));
    }
  }

  async function bind() {
    const username = $('bind-username').value.trim();
    const password = $('bind-password').value;
    if (!username || !password) {
      toast(t('js.need_login'));
      return;
    }
    const res = await api('POST', '/mobileApi/user/bind', {
      bindTicket: state.bindTicket, openId: state.openId, username, password,
    });
    if (res.code === 1) {
      loggedIn(res);
      toast(t('js.bound'));
    } else {
      // A wrong password keeps the ticket; an expired or used one needs a fresh checkBind.
      toast(res.msg || t('js.bind_failed'));
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
      // A path may break after each slash rather than anywhere.
      (menu.path || '').split(/(?<=\/)/).forEach((part, i) => {
        if (i) sub.append(document.createElement('wbr'));
        sub.append(part);
      });
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
      restart(t('js.expired', { msg: res.msg }));
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
      toast(t('js.saved'));
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
      toast(t('js.phone', { cc: res.countryCode, phone: res.phone }));
    } else {
      toast(res.msg);
    }
  }

  async function checkSession() {
    const res = await api('GET', '/mobileApi/user/checkSession');
    if (expired(res)) return;
    if (res.code === 1) {
      toast(res.valid ? t('js.session_valid') : t('js.session_expired'));
    } else {
      toast(res.msg);
    }
  }

  // Scan to log in to the console: the scene is what the console's code carries (the
  // sandbox's code is a plain QR code of it, and the console page links here with it).
  const scan = { scene: '' };

  async function scanCode() {
    const scene = $('scan-scene').value.trim();
    if (!scene) {
      toast(t('js.need_scene'));
      return;
    }
    const res = await api('POST', '/mobileApi/consoleLogin/scan', { scene });
    if (expired(res)) return;
    if (res.code !== 1) {
      $('scan-ask').hidden = true;
      toast(res.msg);
      return;
    }
    scan.scene = scene;
    $('scan-question').textContent = t('js.scan_question', { browser: res.browser || '?', os: res.os || '?' });
    $('scan-where').textContent = 'IP ' + res.ip + ' · ' + res.expiresIn + ' s';
    $('scan-ask').hidden = false;
  }

  async function answerScan(step, done) {
    const res = await api('POST', '/mobileApi/consoleLogin/' + step, { scene: scan.scene });
    if (expired(res)) return;
    $('scan-ask').hidden = true;
    toast(res.code === 1 ? t(done) : res.msg);
  }

  async function logout() {
    const res = await api('POST', '/mobileApi/user/logout');
    if (res.code === 1 || res.code === 401) {
      restart(t('js.logged_out'));
    } else {
      toast(res.msg);
    }
  }

  // confirm is wx.showModal: it resolves true for OK, false for Cancel or Escape. Focus
  // goes to Cancel, stays in the dialog, and returns to the button that opened it.
  function confirm(opener) {
    const modal = $('modal');
    const scrim = $('modal-scrim');
    const cancel = $('modal-cancel');
    const ok = $('modal-confirm');
    return new Promise((resolve) => {
      function close(answer) {
        modal.hidden = true;
        scrim.hidden = true;
        modal.removeEventListener('keydown', onKey);
        cancel.onclick = null;
        ok.onclick = null;
        setTimeout(() => opener.focus(), 0); // once the opener is enabled again
        resolve(answer);
      }
      function onKey(e) {
        if (e.key === 'Escape') {
          close(false);
        } else if (e.key === 'Tab') {
          e.preventDefault();
          (document.activeElement === cancel ? ok : cancel).focus();
        }
      }
      modal.addEventListener('keydown', onKey);
      cancel.onclick = () => close(false);
      ok.onclick = () => close(true);
      scrim.hidden = false;
      modal.hidden = false;
      cancel.focus();
    });
  }

  async function unbind() {
    if (!(await confirm($('unbind')))) return;
    const res = await api('POST', '/mobileApi/user/unbind');
    if (expired(res)) return;
    if (res.code === 1) {
      restart(t('js.unbound'));
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
  on('scan-submit', scanCode);
  on('scan-confirm', () => answerScan('confirm', 'js.scan_confirmed'));
  on('scan-cancel', () => answerScan('cancel', 'js.scan_cancelled'));
  $('scan-scene').value = new URLSearchParams(location.search).get('scene') || '';
  $('login-back').addEventListener('click', () => restart(''));
  $('log-clear').addEventListener('click', () => $('log').replaceChildren());
  $('wechat-name').addEventListener('keydown', (e) => { if (e.key === 'Enter') $('wx-login').click(); });
  $('bind-password').addEventListener('keydown', (e) => { if (e.key === 'Enter') $('bind-submit').click(); });
  document.documentElement.dataset.ready = 'true';
})();
