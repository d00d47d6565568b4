package web

import (
	"time"

	"wxbind/handlers/console"
	"wxbind/handlers/devtools"
	"wxbind/handlers/mobile"
)

// routes is every URL of the product, top to bottom.
func (s *site) routes() error {
	e := s.engine
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/", devtools.Home(s.deps.Sandbox, s.deps.Catalog)) // the console; in sandbox mode a page linking the simulator too
	e.GET("/docs/openapi.yaml", devtools.OpenAPI)
	if s.deps.Sandbox { // the simulator logs anyone in as anyone: never next to real WeChat
		sim := devtools.NewSimulator(s.deps.Catalog)
		e.GET("/dev/simulator", sim.Page)
		e.GET("/dev/simulator/:asset", sim.Asset)
	}

	m := mobile.New(s.deps.Accounts)
	api := e.Group("/mobileApi", limitBody(s.deps.MaxBodyBytes), requestTimeout(s.deps.RequestTimeout))
	api.GET("/user/checkBind", limitPerClient("checkBind", s.limits.CheckBind, s.deps.SharedLimits, time.Now), m.CheckBind)
	api.POST("/user/bind", limitPerClient("bind", s.limits.Bind, s.deps.SharedLimits, time.Now), m.Bind)

	api.GET("/user/info", m.Info) // checks its token itself: login, user and menus in one read
	authed := api.Group("", m.RequireToken())
	authed.POST("/user/profile", m.Profile)
	authed.POST("/user/logout", m.Logout)
	authed.POST("/user/unbind", m.Unbind)
	userData := limitPerAccount("userData", s.limits.UserData, s.deps.SharedLimits, time.Now) // one budget for the three below
	authed.POST("/user/phone", userData, m.Phone)
	authed.GET("/user/checkSession", userData, m.CheckSession)
	// Scan to log in to the console: the phone's three steps, each limited per address and per account.
	scanByAddress := limitPerClient("scanLogin", s.limits.ScanLogin, s.deps.SharedLimits, time.Now)
	scanByAccount := limitPerAccount("scanLogin", s.limits.ScanLogin, s.deps.SharedLimits, time.Now)
	consoleLogin := api.Group("/consoleLogin", scanByAddress, m.RequireToken(), scanByAccount)
	consoleLogin.POST("/scan", m.ScanConsoleLogin)
	consoleLogin.POST("/confirm", m.ConfirmConsoleLogin)
	consoleLogin.POST("/cancel", m.CancelConsoleLogin)
	// An image is far larger than any JSON body, so the upload has its own cap.
	upload := e.Group("/mobileApi", limitBody(mobile.MaxAvatarUploadBytes), requestTimeout(s.deps.RequestTimeout), m.RequireToken())
	upload.POST("/user/avatar", userData, m.Avatar)
	e.GET("/avatars/:name", m.ServeAvatar)
	e.HEAD("/avatars/:name", m.ServeAvatar)

	// The admin console: server-rendered pages; every POST is checked for a cross-site origin.
	e.GET("/static/:hash/*file", serveStatic)
	e.GET("/favicon.ico", favicon)
	con, err := console.New(s.deps.Accounts, s.sessions, console.Config{Catalog: s.deps.Catalog, Zone: s.deps.ConsoleZone, IdleTimeout: s.deps.ConsoleIdleTimeout,
		SecureCookies: s.deps.SecureCookies, Sandbox: s.deps.Sandbox})
	if err != nil {
		return err
	}
	crossOrigin, err := sameOrigin(s.deps.TrustedOrigins, con)
	if err != nil {
		return err
	}
	headers := consoleHeaders(s.deps.Accounts.AvatarOrigins())
	e.NoRoute(consoleOrPlainNotFound(con, headers)) // an unknown /admin/ URL gets the console's own 404 page
	// con.Language first: every page and refusal below speaks the session's or browser's language.
	admin := e.Group("/admin", headers, con.Language(), limitBody(s.deps.MaxBodyBytes), requestTimeout(s.deps.RequestTimeout), crossOrigin, con.ReadForm())
	admin.POST("/lang", con.SetLanguage) // the layout's language switch, kept in the session
	admin.POST("/theme", con.SetTheme)   // the layout's colour scheme switch, likewise
	admin.GET("/login", con.LoginForm)
	admin.POST("/login", limitPerClient("consoleLogin", s.limits.ConsoleLogin, s.deps.SharedLimits, time.Now), con.Login)
	admin.POST("/logout", con.Logout)
	// Scan to log in: each visit of the tab opens a request (limited per address), the page polls it.
	admin.GET("/login/scan", limitPerClient("scanLoginStart", s.limits.ScanLoginStart, s.deps.SharedLimits, time.Now), con.ScanLoginPage)
	admin.GET("/login/scan/:scene/code", con.ScanLoginCode)
	admin.POST("/login/scan/:scene", con.ScanLoginPoll)

	// The CSV export streams for as long as its rows take, so it is outside the request timeout;
	// each of its queries is a bounded keyset page.
	e.Group("/admin", headers, con.Language(), con.RequireLogin()).GET("/users/export.csv", con.ExportUsers)

	staff := admin.Group("", con.RequireLogin()) // staff and admins: view and unbind
	staff.GET("/", con.Dashboard)
	staff.GET("/users", con.Users)
	staff.GET("/users/:id", con.User)
	staff.POST("/users/:id/unbind", con.Unbind)
	staff.GET("/wechat-users", con.WechatUsers)
	staff.GET("/audit", con.Audit)
	staff.GET("/account/password", con.PasswordForm) // your own password (console.PasswordPath)
	staff.POST("/account/password", con.ChangePassword)

	admins := staff.Group("", con.RequireAdmin()) // admins only: accounts, menus, assignments
	admins.GET("/users/new", con.NewUser)
	admins.POST("/users", con.CreateUser)
	admins.POST("/users/:id", con.UpdateUser)
	admins.POST("/users/:id/password", con.ResetPassword)
	admins.GET("/users/:id/menus", con.UserMenus)
	admins.POST("/users/:id/menus", con.SetUserMenus)
	admins.GET("/users/menus", con.BulkMenus)       // bulk: the users ticked in the list
	admins.POST("/users/menus", con.ApplyBulkMenus) // bulk: one menu set for all of them
	admins.GET("/settings", con.Settings)
	admins.POST("/settings", con.SaveSettings)
	admins.GET("/menus", con.Menus)
	admins.POST("/menus", con.CreateMenu)
	admins.POST("/menus/:id", con.UpdateMenu)
	admins.POST("/menus/:id/delete", con.DeleteMenu)
	admins.POST("/menus/:id/move", con.MoveMenu)   // reorder among siblings
	admins.POST("/menus/:id/place", con.PlaceMenu) // drag and drop: a new parent and position
	admins.GET("/menu-roles", con.MenuRoles)
	admins.GET("/menu-roles/new", con.NewMenuRole)
	admins.POST("/menu-roles", con.CreateMenuRole)
	admins.GET("/menu-roles/:id", con.MenuRole)
	admins.POST("/menu-roles/:id", con.UpdateMenuRole)
	admins.POST("/menu-roles/:id/delete", con.DeleteMenuRole)
	admins.GET("/users/bulk", con.BulkMenusOverFilter)       // bulk: every user the list's filter matches
	admins.POST("/users/bulk", con.ApplyBulkMenusOverFilter) // bulk: add/remove/set roles, add extras, hide
	return nil
}
