// What the mini-program keeps between launches: the login token with the user and menus it
// came with, and, while the user is not bound yet, the openId and bindTicket from checkBind.
const KEYS = {
  token: 'wxbind.token',
  userInfo: 'wxbind.userInfo',
  menuList: 'wxbind.menuList',
  pendingBind: 'wxbind.pendingBind',
};

function token() {
  return wx.getStorageSync(KEYS.token) || '';
}

function userInfo() {
  return wx.getStorageSync(KEYS.userInfo) || null;
}

function menuList() {
  return wx.getStorageSync(KEYS.menuList) || [];
}

// saveLogin stores a code-1 answer of checkBind or bind.
function saveLogin(body) {
  wx.setStorageSync(KEYS.token, body.token);
  wx.setStorageSync(KEYS.userInfo, body.userInfo);
  wx.setStorageSync(KEYS.menuList, body.menuList || []);
  wx.removeStorageSync(KEYS.pendingBind);
}

function saveUserInfo(info) {
  wx.setStorageSync(KEYS.userInfo, info);
}

function saveMenuList(menus) {
  wx.setStorageSync(KEYS.menuList, menus || []);
}

// savePending keeps checkBind's 301 answer for the login page.
function savePending(openId, bindTicket) {
  wx.setStorageSync(KEYS.pendingBind, { openId, bindTicket });
}

function clearPending() {
  wx.removeStorageSync(KEYS.pendingBind);
}

function pending() {
  return wx.getStorageSync(KEYS.pendingBind) || null;
}

// clear forgets the login, as after logout, unbind or a dead token.
function clear() {
  wx.removeStorageSync(KEYS.token);
  wx.removeStorageSync(KEYS.userInfo);
  wx.removeStorageSync(KEYS.menuList);
}

module.exports = {
  token, userInfo, menuList, saveLogin, saveUserInfo, saveMenuList, savePending, pending, clearPending, clear,
};
