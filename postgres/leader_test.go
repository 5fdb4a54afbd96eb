package postgres

import (
	"testing"
	"time"

	"github.com/slipway/slipway/postgres/pgtest"
)

func tryLeader(t *testing.T, db *DB) (*Leadership, bool) {
	t.Helper()
	l, ok, err := db.TryLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Cleanup(l.Release)
	}
	return l, ok
}

// waitLeader polls TryLeader the way a standby replica does and returns how
// long it took to become the leader.
func waitLeader(t *testing.T, db *DB, poll time.Duration) (*Leadership, time.Duration) {
	t.Helper()
	start := time.Now()
	for deadline := start.Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(poll) {
		if l, ok := tryLeader(t, db); ok {
			return l, time.Since(start)
		}
	}
	t.Fatal("no takeover within 30s")
	return nil, 0
}

// replicas opens two replicas on one database and makes the first the leader.
func replicas(t *testing.T) (a, b *DB, la *Leadership) {
	dsn := pgtest.DSN(t)
	a, b = open(t, dsn), open(t, dsn)
	la, ok := tryLeader(t, a)
	if !ok {
		t.Fatal("the first replica on a fresh database did not become leader")
	}
	return a, b, la
}

// One leader among replicas; when it releases, another takes over.
func TestLeaderIsExclusive(t *testing.T) {
	t.Parallel()
	a, b, la := replicas(t)
	if _, ok := tryLeader(t, b); ok {
		t.Fatal("two leaders")
	}
	if _, ok := tryLeader(t, a); ok {
		t.Fatal("a second session of the same replica became leader too")
	}
	la.Release()
	if _, ok := tryLeader(t, b); !ok {
		t.Fatal("released leadership was not free")
	}
	select {
	case <-la.Lost():
		t.Fatal("a released leadership reports lost")
	default:
	}
}

// A leader that dies (its socket closes without a goodbye, as when the
// process is killed) is replaced as soon as a standby polls.
func TestLeaderCrashFailover(t *testing.T) {
	t.Parallel()
	_, b, la := replicas(t)
	la.conn.PgConn().Conn().Close() // kill -9: the kernel closes the socket
	_, took := waitLeader(t, b, 50*time.Millisecond)
	t.Logf("crash failover (advisory lock, 50ms polling): %v", took)
	select {
	case <-la.Lost():
	case <-time.After(lostWithin):
		t.Fatal("the dead leader's Lost was not closed")
	}
}

// A leader whose session the server ends (an admin, a restart, a failover
// of the database) learns it within a ping, and another replica leads.
func TestLeaderLearnsItLostTheSession(t *testing.T) {
	t.Parallel()
	_, b, la := replicas(t)
	pid := la.conn.PgConn().PID()
	if _, err := b.pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	select {
	case <-la.Lost():
	case <-time.After(lostWithin):
		t.Fatal("Lost not closed after the session was terminated")
	}
	_, took := waitLeader(t, b, 50*time.Millisecond)
	t.Logf("takeover after the session ended: %v", took)
}

// lostWithin bounds the wait for Lost: a ping interval and a ping timeout
// are enough; the rest is slack for a loaded machine.
const lostWithin = leaderPing + leaderPingTimeout + 10*time.Second

// For comparison: failover through the "leader" lease takes its TTL.
func TestLeaseFailoverTakesTheTTL(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	a, b := open(t, dsn).Store(), open(t, dsn).Store()
	const ttl = 2 * time.Second
	start := time.Now() // replica a dies right after this acquire
	if _, err := a.Leases.Acquire(ctx, "leader", "replica-a", ttl); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := b.Leases.Acquire(ctx, "leader", "replica-b", ttl); err == nil {
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatal("no takeover")
		}
		time.Sleep(50 * time.Millisecond)
	}
	took := time.Since(start)
	if took < ttl {
		t.Fatalf("lease changed hands after %v, before its %v TTL ran out", took, ttl)
	}
	t.Logf("crash failover (lease, ttl %v, 50ms polling): %v", ttl, took)
}
