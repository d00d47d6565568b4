// Where the wxbind server is. On a phone this must be an HTTPS domain listed under
// "request legal domains" (and "uploadFile legal domains") in the mini-program's admin
// settings; in WeChat DevTools, "do not verify domains" allows http://localhost.
module.exports = {
  baseUrl: 'http://localhost:8080',
  // How long one request may take, in milliseconds.
  timeout: 10000,
  // Only against a server in sandbox mode: log in as this made-up WeChat user (the code
  // "sandbox:NAME") instead of with wx.login's code, which the sandbox would turn into a new
  // user on every launch. Leave empty for a real server.
  sandboxUser: '',
};
