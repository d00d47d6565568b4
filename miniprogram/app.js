// The sample mini-program: WeChat login bound to a platform account (wxbind server).
const auth = require('./utils/auth');

App({
  onLaunch() {
    // Every launch asks the server, with a fresh wx.login code, whether this WeChat user is
    // bound (and refreshes the stored user and menus); pages wait for it through whenLoggedIn().
    auth.login().catch(() => {});
  },

  // whenLoggedIn resolves with the login as it is now: {bound, userInfo, menuList}, or
  // {bound: false, error} when the server could not be asked. utils/auth.js owns the answer
  // (the running login, else the stored token), so a page opened after bind sees the token.
  whenLoggedIn() {
    return auth.state().catch((err) => ({ bound: false, error: err }));
  },
});
