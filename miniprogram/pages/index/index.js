// Home: the logged-in user and their menus as a grid of entries.
const { request, toast } = require('../../utils/request');
const auth = require('../../utils/auth');
const session = require('../../utils/session');

// gridOf lays a menu tree out as tiles: the leaves, in order, under their parents' names.
function gridOf(menus, parentName) {
  const tiles = [];
  for (const m of menus || []) {
    if (m.children && m.children.length) {
      tiles.push(...gridOf(m.children, m.name));
    } else {
      tiles.push({ id: m.id, code: m.code, name: m.name, path: m.path, icon: m.icon, group: parentName || '' });
    }
  }
  return tiles;
}

Page({
  data: {
    loading: true,
    failed: '',
    userInfo: null,
    grid: [],
  },

  onLoad() {
    return this.load();
  },

  // onShow re-reads the stored user and menus: back from the profile page, the card shows
  // the nickname and avatar just saved there.
  onShow() {
    if (!this.data.loading && this.data.userInfo && session.token()) {
      this.show(session.userInfo(), session.menuList());
    }
  },

  async load() {
    const result = await getApp().whenLoggedIn();
    if (result.error) {
      this.setData({ loading: false, failed: result.error.msg });
      return;
    }
    if (!result.bound) {
      return; // login() opened the login page
    }
    this.show(session.userInfo(), session.menuList());
  },

  show(userInfo, menus) {
    this.setData({ loading: false, failed: '', userInfo, grid: gridOf(menus) });
  },

  // onPullDownRefresh re-reads user and menus, which an admin may have changed.
  async onPullDownRefresh() {
    try {
      await this.refresh();
    } finally {
      wx.stopPullDownRefresh();
    }
  },

  async refresh() {
    try {
      const body = await request({ url: '/mobileApi/user/info' });
      session.saveUserInfo(body.userInfo);
      session.saveMenuList(body.menuList);
      this.show(body.userInfo, body.menuList);
    } catch (err) {
      toast(err);
    }
  },

  async retry() {
    this.setData({ loading: true, failed: '' });
    return this.load();
  },

  onMenuTap(e) {
    const { path } = e.currentTarget.dataset;
    if (!path) {
      return;
    }
    wx.navigateTo({
      url: path,
      fail: () => wx.showToast({ title: 'Not in this sample: ' + path, icon: 'none' }),
    });
  },

  onEditProfile() {
    wx.navigateTo({ url: '/pages/profile/profile' });
  },

  // Logging out ends this token on the server. The WeChat user stays bound, so the next
  // launch logs straight back in: unbind is how to switch accounts.
  async onLogout() {
    try {
      await request({ url: '/mobileApi/user/logout', method: 'POST' });
    } catch (err) {
      if (err.code !== 401) {
        toast(err);
        return;
      }
    }
    session.clear();
    this.setData({ userInfo: null, grid: [], loading: false, failed: 'Logged out. Pull down or relaunch to log in again.' });
  },

  onUnbind() {
    return new Promise((resolve) => {
      wx.showModal({
        title: 'Unbind',
        content: 'Unbind this WeChat user from the account? You can bind again with a username and password.',
        success: async (res) => {
          if (res.confirm) {
            await this.unbind();
          }
          resolve();
        },
        fail: () => resolve(),
      });
    });
  },

  async unbind() {
    try {
      await request({ url: '/mobileApi/user/unbind', method: 'POST' });
    } catch (err) {
      toast(err);
      return;
    }
    session.clear();
    // checkBind now answers 301 and login() opens the login page.
    await auth.login().catch(() => {});
  },
});
