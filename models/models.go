package models

import "time"

// Account roles.
const (
	RoleUser  = "user"
	RoleStaff = "staff"
	RoleAdmin = "admin"
)

// Account statuses.
const (
	StatusActive   = "active"
	StatusDisabled = "disabled"
)

// Account is a platform account: the one a WeChat user binds to, or a console login.
type Account struct {
	ID           uint64 `gorm:"primaryKey"`
	Username     string
	Name         string
	PasswordHash string
	Role         string
	Status       string
	// Phone is the number WeChat vouched for, digits only without the country code; empty
	// until the user shares it. Show it masked to anyone but admins.
	Phone            string
	PhoneCountryCode string
	PhoneUpdatedAt   *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// WechatIdentity is one WeChat user of one mini-program (appid+openid), bound or not.
type WechatIdentity struct {
	ID               uint64 `gorm:"primaryKey"`
	AppID            string `gorm:"column:appid"`
	OpenID           string `gorm:"column:openid"`
	UnionID          string `gorm:"column:unionid"`
	Nickname         string
	AvatarURL        string
	SessionKeySealed string
	AccountID        *uint64 // nil while not bound
	BoundAt          *time.Time
	UnboundAt        *time.Time
	LastLoginAt      *time.Time
	LastSeenAt       time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// LoginToken is a mini-program login; only the SHA-256 of the token is stored.
type LoginToken struct {
	ID         uint64 `gorm:"primaryKey"`
	TokenHash  string
	AccountID  uint64
	IdentityID uint64
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
}

// SpentBindTicket records a bind ticket that has been used, until it would have expired.
type SpentBindTicket struct {
	TicketID  string `gorm:"primaryKey"`
	ExpiresAt time.Time
	SpentAt   time.Time
}

// Menu is an entry of the mini-program's menu tree.
type Menu struct {
	ID        uint64 `gorm:"primaryKey"`
	ParentID  *uint64
	Code      string
	Name      string
	Path      string
	Icon      string
	Sort      int
	Visible   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AccountMenu assigns a menu to one account.
type AccountMenu struct {
	AccountID uint64 `gorm:"primaryKey"`
	MenuID    uint64 `gorm:"primaryKey"`
}

// AuditEntry records who did what to whom, from where.
type AuditEntry struct {
	ID             uint64 `gorm:"primaryKey"`
	ActorAccountID *uint64
	Actor          string
	Action         string
	Target         string
	Detail         string
	IP             string `gorm:"column:ip"`
	CreatedAt      time.Time
}
