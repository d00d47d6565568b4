package account

import (
	"context"
	"hash/fnv"
	"sync"
	"time"

	"wxbind/models"
)

// loginBatches is group commit for checkBind: concurrent checkBinds hand their writes (the
// identity upsert with WeChat's new session_key, the token) to a writer, which stores each batch
// in one transaction of three statements (models.Store.WriteLogins) and answers every
// caller after the commit. One commit then serves many logins, as a database's own group commit
// does. There are loginLanes writers, each for the openids that hash to it: one openid's writes
// all go through one lane, in arrival order, so the last session_key WeChat gave is the one
// that stays; the lanes' batches, on distinct identities and so distinct accounts, commit side
// by side. A writer runs only while its lane has work: the first write starts it, it takes
// whatever queued up during its last commit (at most maxLoginBatch), and it ends when nothing
// waits; so a lone login waits for nobody, and the Service needs no Close.
type loginBatches struct {
	store    *models.Store
	appID    string
	clock    func() time.Time // as Service.clock
	tokenTTL time.Duration
	timeout  time.Duration // one batch's whole database work, retries included

	lanes [loginLanes]loginLane
}

// loginLanes is how many batches may be written at once. Each costs its transaction's few
// round trips, which on a busy machine wait on the scheduler more than on the database; more
// than one keeps the database busy meanwhile.
const loginLanes = 4

type loginLane struct {
	mu      sync.Mutex
	queue   []*loginRequest
	writing bool
}

// maxLoginBatch bounds one batch: its statements stay a few tens of KB, its locks few.
const maxLoginBatch = 256

// loginBatchTimeout bounds one batch's database work, whoever waits for it.
const loginBatchTimeout = 30 * time.Second

type loginRequest struct {
	write models.LoginWrite
	done  chan struct{}
	out   models.LoginWritten
	err   error
}

// write queues w and waits for the commit of its batch. A caller that gives up (ctx) returns at
// once, but its write stays queued and may still commit: its session_key is the newest WeChat
// gave, which is what the identity must hold, and its token, whose secret went to no one, can
// never be presented; it ends with its expiry.
func (b *loginBatches) write(ctx context.Context, w models.LoginWrite) (models.LoginWritten, error) {
	r := &loginRequest{write: w, done: make(chan struct{})}
	h := fnv.New32a()
	h.Write([]byte(w.OpenID))
	l := &b.lanes[h.Sum32()%loginLanes]
	l.mu.Lock()
	l.queue = append(l.queue, r)
	if !l.writing {
		l.writing = true
		go b.run(l)
	}
	l.mu.Unlock()
	select {
	case <-r.done:
		return r.out, r.err
	case <-ctx.Done():
		return models.LoginWritten{}, ctx.Err()
	}
}

// run writes the lane's batches until its queue is empty.
func (b *loginBatches) run(l *loginLane) {
	for {
		l.mu.Lock()
		n := min(len(l.queue), maxLoginBatch)
		if n == 0 {
			l.writing = false
			l.mu.Unlock()
			return
		}
		batch := l.queue[:n:n]
		l.queue = append([]*loginRequest(nil), l.queue[n:]...)
		l.mu.Unlock()
		b.flush(batch)
	}
}

// flush writes one batch and answers its callers. If the database refuses the batch for a
// reason other than a conflict (which WriteLogins retries), each write is tried alone, so a
// row the database will not take fails only its own login.
func (b *loginBatches) flush(batch []*loginRequest) {
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	ws := make([]models.LoginWrite, len(batch))
	for i, r := range batch {
		ws[i] = r.write
	}
	now := b.clock()
	out, err := b.store.WriteLogins(ctx, b.appID, now, now.Add(b.tokenTTL), ws)
	// Not when the database is unreachable or stalled: trying each alone would only multiply
	// the wait.
	if err != nil && len(batch) > 1 && models.IsRefusal(err) {
		for _, r := range batch {
			b.flush([]*loginRequest{r})
		}
		return
	}
	for i, r := range batch {
		if err != nil {
			r.err = err
		} else {
			r.out = out[i]
		}
		close(r.done)
	}
}
