package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"wxbind/models"
	"wxbind/wechat"
)

// Scan to log in: a browser on the login page opens a request and shows its mini-program code; a
// staff member bound in the mini-program scans it, sees which browser asks, and confirms; the
// browser that opened the request, and only that one, then gets a console session.

// ScanLoginTTL is how long a request waits for its phone.
const ScanLoginTTL = 2 * time.Minute

// DefaultScanLoginPage is the sample mini-program's confirm page, which the code opens.
const DefaultScanLoginPage = "pages/scan-login/scan-login"

// Scan login states as the browser sees them.
const (
	ScanWaiting   = models.ScanWaiting
	ScanScanned   = models.ScanScanned
	ScanConfirmed = models.ScanConfirmed
	ScanCompleted = models.ScanCompleted
	ScanCancelled = models.ScanCancelled
	ScanExpired   = "expired"
)

// Login methods, as the audit log records a console login's.
const (
	LoginMethodPassword = "password"
	LoginMethodScan     = "scan"
)

// Refusals of scan login steps.
var (
	ErrScanLoginNotFound     = errors.New("no such scan login request")
	ErrScanLoginExpired      = errors.New("the scan login request has expired; refresh the code")
	ErrScanLoginUsed         = errors.New("the scan login request was already confirmed, used or cancelled")
	ErrScanLoginTaken        = errors.New("the scan login request was scanned by another phone")
	ErrScanLoginNotScanned   = errors.New("the scan login request must be scanned before it is confirmed")
	ErrScanLoginOtherBrowser = errors.New("the scan login request belongs to another browser")
	ErrScanLoginRequired     = errors.New("this account must log in to the console by scanning with the mini-program")
	ErrBreakGlassUnset       = errors.New("name a break-glass admin (CONSOLE_BREAK_GLASS_ADMIN) before requiring scan login")
)

// ScanLoginBrowser is the browser that asks to log in, as it opened the request.
type ScanLoginBrowser struct {
	IP        string
	UserAgent string
}

// ScanLoginStart is a new request: Secret goes to the browser (an HttpOnly cookie) and nowhere
// else; only its hash is stored.
type ScanLoginStart struct {
	Scene     string
	Secret    string
	ExpiresAt time.Time
}

// StartScanLogin opens a request for the browser. next is where the browser goes once logged in.
func (s *Service) StartScanLogin(ctx context.Context, b ScanLoginBrowser, next string) (ScanLoginStart, error) {
	now := s.clock()
	secret := newTokenSecret()
	hash := hashToken(secret)
	for range 3 { // a 130-bit scene does not collide; the loop only keeps the unique key honest
		row := models.ScanLogin{
			Scene: rand.Text(), SecretHash: hash, State: models.ScanWaiting, Next: truncate(next, 255),
			BrowserIP: truncate(b.IP, 64), BrowserAgent: truncate(b.UserAgent, 255),
			CreatedAt: now, ExpiresAt: now.Add(ScanLoginTTL),
		}
		err := s.store.CreateScanLogin(ctx, &row)
		if errors.Is(err, models.ErrDuplicate) {
			continue
		}
		if err != nil {
			return ScanLoginStart{}, err
		}
		return ScanLoginStart{Scene: row.Scene, Secret: secret, ExpiresAt: row.ExpiresAt}, nil
	}
	return ScanLoginStart{}, errors.New("account: could not draw a free scan login scene")
}

// ScanLoginStatus is a request as its browser sees it.
type ScanLoginStatus struct {
	Scene     string
	State     string // one of the Scan* states, ScanExpired included
	ScannedBy string // the display name of the account that scanned it; "" before
	Next      string
	ExpiresAt time.Time
}

// ValidScene reports whether scene could be one StartScanLogin made, before any lookup.
func ValidScene(scene string) bool {
	return wechat.ScenePattern.MatchString(scene)
}

// browserRequest loads the request scene for the browser holding secret.
func (s *Service) browserRequest(ctx context.Context, scene, secret string) (models.ScanLogin, error) {
	if !ValidScene(scene) {
		return models.ScanLogin{}, ErrScanLoginNotFound
	}
	r, err := s.store.ScanLoginByScene(ctx, scene)
	if errors.Is(err, models.ErrNotFound) {
		return r, ErrScanLoginNotFound
	}
	if err != nil {
		return r, err
	}
	if secret == "" || subtle.ConstantTimeCompare([]byte(hashToken(secret)), []byte(r.SecretHash)) != 1 {
		return r, ErrScanLoginOtherBrowser
	}
	return r, nil
}

// stateAt is the request's state at now: a request that has not ended by its expiry has expired.
func stateAt(r models.ScanLogin, now time.Time) string {
	if (r.State == models.ScanWaiting || r.State == models.ScanScanned || r.State == models.ScanConfirmed) && !now.Before(r.ExpiresAt) {
		return ScanExpired
	}
	return r.State
}

// ScanLoginStatus is where the browser's request stands.
func (s *Service) ScanLoginStatus(ctx context.Context, scene, secret string) (ScanLoginStatus, error) {
	r, err := s.browserRequest(ctx, scene, secret)
	if err != nil {
		return ScanLoginStatus{}, err
	}
	st := ScanLoginStatus{Scene: r.Scene, State: stateAt(r, s.clock()), Next: r.Next, ExpiresAt: r.ExpiresAt}
	if r.AccountID != nil {
		if a, err := s.store.AccountByID(ctx, *r.AccountID); err == nil {
			st.ScannedBy = cmpOr(a.Name, a.Username)
		}
	}
	return st, nil
}

func cmpOr(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

// ScanLoginCode is the request's mini-program code: drawn by WeChat (in sandbox mode a plain QR
// code of the scene) on first asking, then served from the request's row, so a page reload does
// not spend WeChat's quota again.
func (s *Service) ScanLoginCode(ctx context.Context, scene, secret string) (wechat.Image, error) {
	r, err := s.browserRequest(ctx, scene, secret)
	if err != nil {
		return wechat.Image{}, err
	}
	if stateAt(r, s.clock()) == ScanExpired {
		return wechat.Image{}, ErrScanLoginExpired
	}
	img, ct, err := s.store.ScanLoginCodeImage(ctx, r.ID)
	if err != nil {
		return wechat.Image{}, err
	}
	if len(img) > 0 {
		return wechat.Image{Bytes: img, ContentType: ct}, nil
	}
	drawn, err := s.wechat.MiniProgramCode(ctx, wechat.CodeRequest{Scene: r.Scene, Page: s.scanPage, EnvVersion: s.scanEnvVersion, Width: 280})
	if err != nil {
		return wechat.Image{}, wechatError(err, ErrWeChatRefused)
	}
	if err := s.store.SetScanLoginCodeImage(ctx, r.ID, drawn.Bytes, drawn.ContentType); err != nil {
		return wechat.Image{}, err
	}
	return drawn, nil
}

// CompleteScanLogin hands the browser holding secret the console login its phone confirmed,
// once: the request is spent in the same conditional update that checks it was confirmed. The
// account is checked again as a password login would be (active, staff or admin).
func (s *Service) CompleteScanLogin(ctx context.Context, scene, secret, ip string) (Account, error) {
	r, err := s.browserRequest(ctx, scene, secret)
	if err != nil {
		return Account{}, err
	}
	now := s.clock()
	switch stateAt(r, now) {
	case ScanConfirmed:
	case ScanExpired:
		return Account{}, ErrScanLoginExpired
	case ScanWaiting, ScanScanned:
		return Account{}, ErrScanLoginNotScanned
	default:
		return Account{}, ErrScanLoginUsed
	}
	moved, err := s.store.MoveScanLogin(ctx, r.ID, models.ScanLoginMove{From: models.ScanConfirmed, To: models.ScanCompleted, AccountID: r.AccountID, Now: now})
	if err != nil {
		return Account{}, err
	}
	if !moved {
		return Account{}, ErrScanLoginUsed // another tab of the same browser completed it first
	}
	row, err := s.store.AccountByID(ctx, *r.AccountID)
	if errors.Is(err, models.ErrNotFound) {
		return Account{}, ErrAccountNotFound
	}
	if err != nil {
		return Account{}, err
	}
	acct := accountOf(row)
	if acct.Status != StatusActive {
		return Account{}, ErrAccountDisabled
	}
	if !acct.MayUseConsole() {
		return Account{}, ErrNoConsoleAccess
	}
	b := DescribeBrowser(r.BrowserAgent)
	s.audit(ctx, s.store, Actor{AccountID: &acct.ID, Name: acct.Username, IP: ip}, ActionConsoleLogin, AccountTarget(acct.ID),
		Detail{"Method": LoginMethodScan, "Scene": r.Scene, "Browser": b.Name, "OS": b.OS, "PhoneIP": r.ScannedIP})
	return acct, nil
}

// ScanLoginRequest is a request as the confirming phone sees it: which browser asks, from
// where, since when.
type ScanLoginRequest struct {
	Scene       string
	Browser     Browser
	IP          string
	RequestedAt time.Time
	ExpiresAt   time.Time
}

// phoneAccount loads the account behind a mini-program login and checks it may open the console.
func (s *Service) phoneAccount(ctx context.Context, p Principal) (Account, error) {
	row, err := s.store.AccountByID(ctx, p.AccountID)
	if errors.Is(err, models.ErrNotFound) {
		return Account{}, ErrUnauthenticated
	}
	if err != nil {
		return Account{}, err
	}
	acct := accountOf(row)
	if acct.Status != StatusActive {
		return acct, ErrAccountDisabled
	}
	if !acct.MayUseConsole() {
		return acct, ErrNoConsoleAccess
	}
	return acct, nil
}

// phoneRequest loads the request a phone names; a refusal about an existing request is audited.
func (s *Service) phoneRequest(ctx context.Context, scene string) (models.ScanLogin, error) {
	if !ValidScene(scene) {
		return models.ScanLogin{}, invalidKey("scene", "input.scene", nil, "scene must be the code's 1–32 letters and digits")
	}
	r, err := s.store.ScanLoginByScene(ctx, scene)
	if errors.Is(err, models.ErrNotFound) {
		return r, ErrScanLoginNotFound
	}
	return r, err
}

func requestOf(r models.ScanLogin) ScanLoginRequest {
	return ScanLoginRequest{Scene: r.Scene, Browser: DescribeBrowser(r.BrowserAgent), IP: r.BrowserIP, RequestedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt}
}

// scanDetail is what the audit log records of a scan login step.
func scanDetail(r models.ScanLogin) Detail {
	b := DescribeBrowser(r.BrowserAgent)
	return Detail{"Scene": r.Scene, "Browser": b.Name, "OS": b.OS, "BrowserIP": r.BrowserIP}
}

// refuseScan audits a phone's refused step on an existing request and returns err.
func (s *Service) refuseScan(ctx context.Context, p Principal, username, ip string, r models.ScanLogin, err error) error {
	reason := ""
	switch {
	case errors.Is(err, ErrScanLoginTaken):
		reason = "scan_login_taken"
	case errors.Is(err, ErrScanLoginUsed):
		reason = "scan_login_used"
	case errors.Is(err, ErrNoConsoleAccess):
		reason = "no_console_access"
	case errors.Is(err, ErrAccountDisabled):
		reason = "account_disabled"
	case errors.Is(err, ErrScanLoginNotScanned):
		reason = "scan_login_not_scanned"
	default:
		return err
	}
	d := scanDetail(r)
	d["Reason"] = reason
	id := p.AccountID
	s.audit(ctx, s.store, Actor{AccountID: &id, Name: username, IP: ip}, ActionScanLoginRefused, AccountTarget(id), d)
	return err
}

// ScanConsoleLogin records that the logged-in mini-program user p scanned the code of request
// scene, and tells the phone which browser asks. Only a staff member or admin may; a request
// another phone scanned, or one that has ended, is refused. Scanning again from the same phone
// (the page reloaded) is allowed while the request waits for its confirmation.
func (s *Service) ScanConsoleLogin(ctx context.Context, p Principal, scene, ip string) (ScanLoginRequest, error) {
	r, err := s.phoneRequest(ctx, scene)
	if err != nil {
		return ScanLoginRequest{}, err
	}
	acct, err := s.phoneAccount(ctx, p)
	if err != nil {
		if errors.Is(err, ErrUnauthenticated) {
			return ScanLoginRequest{}, err
		}
		return ScanLoginRequest{}, s.refuseScan(ctx, p, acct.Username, ip, r, err)
	}
	now := s.clock()
	switch stateAt(r, now) {
	case ScanExpired:
		return ScanLoginRequest{}, ErrScanLoginExpired
	case ScanWaiting:
		moved, err := s.store.MoveScanLogin(ctx, r.ID, models.ScanLoginMove{From: models.ScanWaiting, To: models.ScanScanned, AccountID: &acct.ID, IP: truncate(ip, 64), Now: now})
		if err != nil {
			return ScanLoginRequest{}, err
		}
		if !moved { // another phone was quicker
			return ScanLoginRequest{}, s.refuseScan(ctx, p, acct.Username, ip, r, ErrScanLoginTaken)
		}
	case ScanScanned:
		if r.AccountID == nil || *r.AccountID != acct.ID {
			return ScanLoginRequest{}, s.refuseScan(ctx, p, acct.Username, ip, r, ErrScanLoginTaken)
		}
		return requestOf(r), nil // the same phone again: nothing new to record
	default:
		if r.AccountID == nil || *r.AccountID != acct.ID {
			return ScanLoginRequest{}, s.refuseScan(ctx, p, acct.Username, ip, r, ErrScanLoginTaken)
		}
		return ScanLoginRequest{}, s.refuseScan(ctx, p, acct.Username, ip, r, ErrScanLoginUsed)
	}
	s.audit(ctx, s.store, Actor{AccountID: &acct.ID, Name: acct.Username, IP: ip}, ActionScanLoginScan, AccountTarget(acct.ID), scanDetail(r))
	return requestOf(r), nil
}

// ConfirmConsoleLogin lets the browser of request scene log in as p's account. The phone must
// have scanned it first; a second confirmation is refused.
func (s *Service) ConfirmConsoleLogin(ctx context.Context, p Principal, scene, ip string) error {
	return s.answerScan(ctx, p, scene, ip, models.ScanConfirmed, ActionScanLoginConfirm)
}

// CancelConsoleLogin refuses the browser of request scene from p's phone; the browser is told.
func (s *Service) CancelConsoleLogin(ctx context.Context, p Principal, scene, ip string) error {
	return s.answerScan(ctx, p, scene, ip, models.ScanCancelled, ActionScanLoginCancel)
}

func (s *Service) answerScan(ctx context.Context, p Principal, scene, ip, to, action string) error {
	r, err := s.phoneRequest(ctx, scene)
	if err != nil {
		return err
	}
	acct, err := s.phoneAccount(ctx, p)
	if err != nil && (to == models.ScanConfirmed || errors.Is(err, ErrUnauthenticated)) { // anyone who scanned may still say no
		if errors.Is(err, ErrUnauthenticated) {
			return err
		}
		return s.refuseScan(ctx, p, acct.Username, ip, r, err)
	}
	now := s.clock()
	switch state := stateAt(r, now); {
	case state == ScanExpired:
		return ErrScanLoginExpired
	case r.AccountID != nil && *r.AccountID != p.AccountID:
		return s.refuseScan(ctx, p, acct.Username, ip, r, ErrScanLoginTaken)
	case state == ScanWaiting:
		return s.refuseScan(ctx, p, acct.Username, ip, r, ErrScanLoginNotScanned)
	case state != ScanScanned:
		return s.refuseScan(ctx, p, acct.Username, ip, r, ErrScanLoginUsed)
	}
	id := p.AccountID
	moved, err := s.store.MoveScanLogin(ctx, r.ID, models.ScanLoginMove{From: models.ScanScanned, To: to, AccountID: &id, Now: now})
	if err != nil {
		return err
	}
	if !moved { // a second tap raced the first
		return s.refuseScan(ctx, p, acct.Username, ip, r, ErrScanLoginUsed)
	}
	s.audit(ctx, s.store, Actor{AccountID: &id, Name: acct.Username, IP: ip}, action, AccountTarget(id), scanDetail(r))
	return nil
}
