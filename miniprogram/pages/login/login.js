// The login page: checkBind answered 301, so this WeChat user binds to a platform account
// with its username and password (the bindTicket from checkBind travels along). Once bound,
// the user goes where options.redirect says — the page they were on, e.g. the scan-login page
// of the code they scanned — if that is one of the app's own pages, else home.
const auth = require('../../utils/auth');
const session = require('../../utils/session');
const { toast } = require('../../utils/request');

Page({
  data: {
    openId: '',
    username: '',
    password: '',
    submitting: false,
  },

  redirect: '', // where to go once bound: auth.afterBind(options.redirect)

  onLoad(options) {
    this.redirect = auth.afterBind(options && options.redirect);
    const pending = session.pending();
    this.setData({ openId: pending ? pending.openId : '' });
  },

  // loggedIn leaves the login page for the redirect; a page missing from app.json fails
  // wx.reLaunch, and home it is.
  loggedIn() {
    wx.reLaunch({ url: this.redirect, fail: () => wx.reLaunch({ url: auth.HOME_PAGE }) });
  },

  onUsernameInput(e) {
    this.setData({ username: e.detail.value });
  },

  onPasswordInput(e) {
    this.setData({ password: e.detail.value });
  },

  async onSubmit() {
    const username = this.data.username.trim();
    const { password } = this.data;
    if (!username || !password) {
      wx.showToast({ title: 'Enter username and password', icon: 'none' });
      return;
    }
    if (this.data.submitting) {
      return;
    }
    this.setData({ submitting: true });
    try {
      await auth.bind(username, password);
      this.setData({ password: '' });
      this.loggedIn(); // bound now, or found bound meanwhile by bind's checkBind
    } catch (err) {
      // A wrong password keeps the ticket: the user corrects it and taps again.
      toast(err);
      const pending = session.pending();
      if (pending) {
        this.setData({ openId: pending.openId });
      } else if (session.token()) {
        // The fresh checkBind after a spent ticket found the user bound after all.
        this.loggedIn();
      }
    } finally {
      this.setData({ submitting: false });
    }
  },
});
