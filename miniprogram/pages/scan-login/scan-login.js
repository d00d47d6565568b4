// Scan to log in to the admin console: WeChat opens this page from the code a browser shows,
// with the login request's id in options.scene. The page claims the request for this phone,
// asks "log in on Chrome · Windows?", and confirms or cancels it; the browser then logs in
// (or says it was cancelled) by itself. The request lives two minutes. A phone not bound yet
// binds first: the login page brings it back here with the same scene.
const { request, toast } = require('../../utils/request');

Page({
  data: {
    state: 'loading', // loading, ask, confirmed, cancelled, expired, failed
    scene: '',
    question: '',
    detail: '',
    secondsLeft: 0,
    failed: '',
    busy: false,
  },

  timer: 0, // the countdown's interval; 0 when none runs

  async onLoad(options) {
    // A mini-program code's scene arrives URI-encoded.
    const scene = decodeURIComponent((options && options.scene) || '');
    if (!scene) {
      this.setData({ state: 'failed', failed: 'No login code; scan the code on the PC again' });
      return;
    }
    this.setData({ scene });
    const login = await getApp().whenLoggedIn();
    if (login.error) {
      this.setData({ state: 'failed', failed: login.error.msg });
      return;
    }
    if (!login.bound) {
      // login() opened the login page (a cold start on a phone not bound yet); once bound it
      // brings the user back here, scene and all, and this page asks again.
      return;
    }
    try {
      const r = await request({ url: '/mobileApi/consoleLogin/scan', method: 'POST', data: { scene } });
      const where = [r.browser, r.os].filter(Boolean).join(' · ') || '未知浏览器';
      this.setData({
        state: 'ask',
        question: '在 ' + where + ' 登录管理后台？',
        detail: 'IP ' + r.ip,
        secondsLeft: r.expiresIn,
      });
      this.countDown();
    } catch (err) {
      this.fail(err);
    }
  },

  onUnload() {
    this.stopCountDown();
  },

  // countDown shows the seconds left; at zero the request has expired on the server too.
  countDown() {
    this.stopCountDown();
    this.timer = setInterval(() => {
      const left = this.data.secondsLeft - 1;
      if (left > 0) {
        this.setData({ secondsLeft: left });
        return;
      }
      this.stopCountDown();
      if (this.data.state === 'ask') {
        this.setData({ state: 'expired', secondsLeft: 0 });
      }
    }, 1000);
  },

  stopCountDown() {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = 0;
    }
  },

  onConfirm() {
    return this.answer('confirm', 'confirmed');
  },

  onCancel() {
    return this.answer('cancel', 'cancelled');
  },

  async answer(step, state) {
    if (this.data.busy || this.data.state !== 'ask') {
      return;
    }
    this.setData({ busy: true });
    try {
      await request({ url: '/mobileApi/consoleLogin/' + step, method: 'POST', data: { scene: this.data.scene } });
      this.stopCountDown();
      this.setData({ state, busy: false });
    } catch (err) {
      this.setData({ busy: false });
      this.fail(err);
    }
  },

  fail(err) {
    this.stopCountDown();
    const expired = err && err.reason === 'scan_login_expired';
    this.setData({ state: expired ? 'expired' : 'failed', failed: (err && err.msg) || 'Something went wrong' });
    toast(err);
  },

  onDone() {
    wx.reLaunch({ url: '/pages/index/index' });
  },
});
