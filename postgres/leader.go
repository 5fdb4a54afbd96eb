package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Leadership is a session advisory lock held on a connection of its own:
// the replica holding it is the controller's leader until it releases it
// or its connection ends.
//
// It complements the "leader" lease of slipway.LeaseStore (which works on
// both stores, carries a fencing token and fails over after its TTL):
//   - a replica that dies (crash, kill -9, OOM) drops its socket, the server
//     ends its session and the lock is free at once, so a waiting replica
//     takes over within its polling interval instead of a TTL;
//   - a replica cut off from the database notices within leaderPing +
//     leaderPingTimeout (Lost is closed) while the server frees the lock
//     only when TCP keepalives (or tcp_user_timeout) give up on the session,
//     about serverGiveUp later: the old leader stops before a new one can
//     start. Keepalives apply to TCP connections; over a unix socket the
//     server sees a dead peer at once anyway.
//   - a replica that is frozen (SIGSTOP, a paused VM) keeps its socket and
//     so the lock: no takeover, but no second leader either.
type Leadership struct {
	conn *pgx.Conn
	lost chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// Timings of the leader's connection watch; see Leadership.
const (
	leaderPing        = time.Second
	leaderPingTimeout = 2 * time.Second
	// The server ends a silent session after keepalives_idle +
	// keepalives_count × keepalives_interval, or tcp_user_timeout when
	// data it sent stays unacknowledged.
	keepalivesIdle     = 5
	keepalivesInterval = 1
	keepalivesCount    = 3
	serverGiveUp       = (keepalivesIdle + keepalivesCount*keepalivesInterval) * time.Second
)

// TryLeader tries to become the controller's leader without waiting: ok is
// false (and l nil) while another replica holds leadership. The holder must
// stop acting as leader as soon as l.Lost() is closed, and call l.Release()
// when it stops.
func (s *DB) TryLeader(ctx context.Context) (l *Leadership, ok bool, err error) {
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("leader election: %w", err)
	}
	conn := pc.Hijack() // ours alone: the pool never hands it to anyone else
	fail := func(err error) (*Leadership, bool, error) {
		conn.Close(context.Background())
		return nil, false, err
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf(`SET tcp_keepalives_idle = %d; SET tcp_keepalives_interval = %d; SET tcp_keepalives_count = %d; SET tcp_user_timeout = %d`,
		keepalivesIdle, keepalivesInterval, keepalivesCount, serverGiveUp.Milliseconds())); err != nil {
		return fail(fmt.Errorf("leader election: session settings: %w", err))
	}
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, lockKey("leader")).Scan(&ok); err != nil {
		return fail(fmt.Errorf("leader election: %w", err))
	}
	if !ok {
		return fail(nil)
	}
	l = &Leadership{conn: conn, lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go l.watch()
	return l, true, nil
}

// watch pings the session; when a ping fails the session (and with it the
// lock) is gone or about to be, so leadership is lost.
func (l *Leadership) watch() {
	defer close(l.done)
	t := time.NewTicker(leaderPing)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), leaderPingTimeout)
		err := l.conn.Ping(ctx)
		cancel()
		if err != nil {
			close(l.lost)
			l.conn.Close(context.Background())
			return
		}
	}
}

// Lost is closed when leadership was lost (the connection failed).
func (l *Leadership) Lost() <-chan struct{} { return l.lost }

// Release gives leadership up: closing the session frees the lock.
func (l *Leadership) Release() {
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		l.conn.Close(context.Background())
	})
}
