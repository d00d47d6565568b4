// Profile: the nickname/avatar fill-in (chooseAvatar button + nickname input) and the phone
// number button. The avatar is a temporary local file, so it is uploaded to the server, which
// answers the URL it now serves.
const { request, upload, toast } = require('../../utils/request');
const session = require('../../utils/session');

Page({
  data: {
    avatarUrl: '',
    avatarFile: '', // a chosen avatar not uploaded yet
    nickName: '',
    phone: '',
    saving: false,
  },

  onLoad() {
    const info = session.userInfo() || {};
    this.setData({ avatarUrl: info.avatarUrl || '', nickName: info.nickName || '', phone: info.phone || '' });
  },

  // <button open-type="chooseAvatar" bindchooseavatar="onChooseAvatar">
  onChooseAvatar(e) {
    const { avatarUrl } = e.detail;
    this.setData({ avatarUrl, avatarFile: avatarUrl });
  },

  // <input type="nickname"> fills in on input or on blur, depending on how it was picked.
  onNicknameInput(e) {
    this.setData({ nickName: e.detail.value });
  },

  // WeChat's content check of a typed nickname (after blur). A rejected one must not be
  // saved: WeChat leaves the text in the input and in data, so clear both.
  onNicknameReview(e) {
    if (e.detail && e.detail.pass === false) {
      this.setData({ nickName: '' });
      wx.showToast({ title: 'Nickname not allowed', icon: 'none' });
    }
  },

  async onSave() {
    if (this.data.saving) {
      return;
    }
    const nickName = this.data.nickName.trim();
    if (!nickName) {
      wx.showToast({ title: 'Enter a nickname', icon: 'none' });
      return;
    }
    this.setData({ saving: true });
    try {
      if (this.data.avatarFile) {
        const up = await upload({ url: '/mobileApi/user/avatar', filePath: this.data.avatarFile });
        this.setData({ avatarUrl: up.avatarUrl, avatarFile: '' });
      }
      const body = await request({ url: '/mobileApi/user/profile', method: 'POST', data: { nickName } });
      session.saveUserInfo(body.userInfo);
      this.setData({ nickName: body.userInfo.nickName, avatarUrl: body.userInfo.avatarUrl });
      wx.showToast({ title: 'Saved', icon: 'success' });
    } catch (err) {
      toast(err);
    } finally {
      this.setData({ saving: false });
    }
  },

  // <button open-type="getPhoneNumber" bindgetphonenumber="onGetPhoneNumber">: WeChat gives a
  // one-time code that only the server can trade for the number.
  async onGetPhoneNumber(e) {
    const code = e.detail && e.detail.code;
    if (!code) {
      wx.showToast({ title: 'Phone number not shared', icon: 'none' });
      return;
    }
    try {
      const body = await request({ url: '/mobileApi/user/phone', method: 'POST', data: { code } });
      this.setData({ phone: body.phone });
      session.saveUserInfo(Object.assign({}, session.userInfo(), { phone: body.phone, countryCode: body.countryCode }));
    } catch (err) {
      toast(err);
    }
  },
});
