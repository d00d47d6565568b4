// The login page: checkBind answered 301, so this WeChat user binds to a platform account
// with its username and password (the bindTicket from checkBind travels along).
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

  onLoad() {
    const pending = session.pending();
    this.setData({ openId: pending ? pending.openId : '' });
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
      wx.reLaunch({ url: '/pages/index/index' });
    } catch (err) {
      // A wrong password keeps the ticket: the user corrects it and taps again.
      toast(err);
      const pending = session.pending();
      if (pending) {
        this.setData({ openId: pending.openId });
      } else if (session.token()) {
        // The fresh checkBind after a spent ticket found the user bound after all.
        wx.reLaunch({ url: '/pages/index/index' });
      }
    } finally {
      this.setData({ submitting: false });
    }
  },
});
