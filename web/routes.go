package web

import (
	"wxbind/handlers/devtools"
	"wxbind/handlers/mobile"
)

// routes is every URL of the product, top to bottom.
func (s *site) routes() {
	e := s.engine
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/docs/openapi.yaml", devtools.OpenAPI)
	if s.deps.Sandbox { // the simulator logs anyone in as anyone: never next to real WeChat
		sim := devtools.NewSimulator()
		e.GET("/dev/simulator", sim.Page)
		e.GET("/dev/simulator/:asset", sim.Asset)
	}

	m := mobile.New(s.deps.Accounts)
	api := e.Group("/mobileApi", limitBody(s.deps.MaxBodyBytes), requestTimeout(s.deps.RequestTimeout))
	api.GET("/user/checkBind", m.CheckBind)
	api.POST("/user/bind", m.Bind)

	authed := api.Group("", m.RequireToken())
	authed.GET("/user/info", m.Info)
	authed.POST("/user/profile", m.Profile)
	authed.POST("/user/logout", m.Logout)
	authed.POST("/user/unbind", m.Unbind)
}
