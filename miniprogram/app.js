// The sample mini-program: WeChat login bound to a platform account (wxbind server).
const auth = require('./utils/auth');

App({
  onLaunch() {
    // Every launch asks the server, with a fresh wx.login code, whether this WeChat user is
    // bound; pages wait for the answer through whenLoggedIn().
    this.loginDone = auth.login().catch((err) => ({ bound: false, error: err }));
  },

  // whenLoggedIn resolves with the launch login's result: {bound, userInfo, menuList}.
  whenLoggedIn() {
    if (!this.loginDone) {
      this.onLaunch();
    }
    return this.loginDone;
  },
});
