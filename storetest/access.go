package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway/slipway"
)

// accessCases are the cases of the access-control, webhook and
// notification services (migration 0006) and of the paged lists.
var accessCases = []struct {
	name string
	fn   func(*testing.T, slipway.Store)
}{
	{"Users", testUsers},
	{"TokensAreFoundByHashOnly", testTokens},
	{"Sessions", testSessions},
	{"DeliveriesAreRecordedOnce", testDeliveries},
	{"ConcurrentReplaysPassOnce", testDeliveriesConcurrent},
	{"OutboxDedupesAndRetries", testOutbox},
	{"PromotionAndAuditPages", testPages},
	{"MatrixIsNewestSuccessAndActive", testMatrix},
}

func testUsers(t *testing.T, st slipway.Store) {
	u := &slipway.User{Name: "alice@example.com", PasswordHash: "$argon2id$x", Created: T0, Updated: T0}
	if err := st.Users.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	code(t, st.Users.CreateUser(ctx, u), slipway.ECONFLICT)
	_, err := st.Users.User(ctx, "bob@example.com")
	code(t, err, slipway.ENOTFOUND)
	u.PasswordHash, u.Disabled, u.Updated = "$argon2id$y", true, T0.Add(time.Minute)
	if err := st.Users.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	got, err := st.Users.User(ctx, "alice@example.com")
	if err != nil || got.PasswordHash != "$argon2id$y" || !got.Disabled || !got.Updated.Equal(u.Updated) || !got.Created.Equal(T0) {
		t.Fatalf("user %+v %v", got, err)
	}
	code(t, st.Users.UpdateUser(ctx, &slipway.User{Name: "nobody", Updated: T0}), slipway.ENOTFOUND)
	st.Users.CreateUser(ctx, &slipway.User{Name: "bob@example.com", Created: T0, Updated: T0})
	if us, err := st.Users.Users(ctx); err != nil || len(us) != 2 || us[0].Name != "alice@example.com" {
		t.Fatalf("users %+v %v", us, err)
	}
}

func testTokens(t *testing.T, st slipway.Store) {
	exp := T0.Add(24 * time.Hour)
	a := &slipway.Token{ID: "tok-a", Name: "laptop", Kind: slipway.TokenPersonal, Owner: "alice@example.com", Hash: "h-a", CreatedBy: "alice@example.com", Created: T0, Expires: &exp}
	c := &slipway.Token{ID: "tok-c", Name: "api ci", Kind: slipway.TokenCI, Service: "api", Hash: "h-c", CreatedBy: "admin", Created: T0.Add(time.Second)}
	for _, tk := range []*slipway.Token{a, c} {
		if err := st.Tokens.CreateToken(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	code(t, st.Tokens.CreateToken(ctx, &slipway.Token{ID: "tok-x", Hash: "h-a", Created: T0}), slipway.ECONFLICT)
	got, err := st.Tokens.TokenByHash(ctx, "h-a")
	if err != nil || got.ID != "tok-a" || got.Expires == nil || !got.Expires.Equal(exp) || got.LastUsed != nil || got.Revoked != nil {
		t.Fatalf("by hash %+v %v", got, err)
	}
	_, err = st.Tokens.TokenByHash(ctx, "tok-a") // the id is not a secret
	code(t, err, slipway.ENOTFOUND)
	if err := st.Tokens.TouchToken(ctx, "tok-c", T0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.Tokens.RevokeToken(ctx, "tok-c", T0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	st.Tokens.RevokeToken(ctx, "tok-c", T0.Add(3*time.Hour)) // the first instant stays
	got, err = st.Tokens.Token(ctx, "tok-c")
	if err != nil || got.LastUsed == nil || !got.LastUsed.Equal(T0.Add(time.Hour)) || got.Revoked == nil || !got.Revoked.Equal(T0.Add(2*time.Hour)) || got.Service != "api" || got.Kind != slipway.TokenCI {
		t.Fatalf("touched and revoked %+v %v", got, err)
	}
	code(t, st.Tokens.RevokeToken(ctx, "tok-none", T0), slipway.ENOTFOUND)
	if all, _ := st.Tokens.Tokens(ctx, ""); len(all) != 2 || all[0].ID != "tok-a" {
		t.Fatalf("all tokens %+v", all)
	}
	if mine, _ := st.Tokens.Tokens(ctx, "alice@example.com"); len(mine) != 1 || mine[0].ID != "tok-a" {
		t.Fatalf("alice's tokens %+v", mine)
	}
}

func testSessions(t *testing.T, st slipway.Store) {
	s := &slipway.Session{ID: "s1", User: "alice@example.com", Via: "oidc", Groups: []string{"sre", "dev"}, CSRF: "c1", Created: T0, Expires: T0.Add(time.Hour)}
	if err := st.Sessions.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	st.Sessions.CreateSession(ctx, &slipway.Session{ID: "s2", User: "alice@example.com", Via: "password", CSRF: "c2", Created: T0, Expires: T0.Add(10 * time.Hour)})
	st.Sessions.CreateSession(ctx, &slipway.Session{ID: "s3", User: "bob@example.com", Via: "password", CSRF: "c3", Created: T0, Expires: T0.Add(10 * time.Hour)})
	got, err := st.Sessions.Session(ctx, "s1")
	if err != nil || got.User != s.User || got.CSRF != "c1" || len(got.Groups) != 2 || got.Groups[0] != "sre" || !got.Expires.Equal(s.Expires) {
		t.Fatalf("session %+v %v", got, err)
	}
	if n, err := st.Sessions.PruneSessions(ctx, T0.Add(2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("pruned %d %v", n, err)
	}
	_, err = st.Sessions.Session(ctx, "s1")
	code(t, err, slipway.ENOTFOUND)
	if err := st.Sessions.DeleteUserSessions(ctx, "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	_, err = st.Sessions.Session(ctx, "s2")
	code(t, err, slipway.ENOTFOUND)
	if err := st.Sessions.DeleteSession(ctx, "s3"); err != nil {
		t.Fatal(err)
	}
	_, err = st.Sessions.Session(ctx, "s3")
	code(t, err, slipway.ENOTFOUND)
}

func testDeliveries(t *testing.T, st slipway.Store) {
	d := st.Deliveries
	if err := d.RecordDelivery(ctx, "build", "d-1", T0); err != nil {
		t.Fatal(err)
	}
	code(t, d.RecordDelivery(ctx, "build", "d-1", T0.Add(time.Second)), slipway.ECONFLICT)
	if err := d.RecordDelivery(ctx, "forge:github", "d-1", T0); err != nil {
		t.Fatal("the same id from another source is another delivery:", err)
	}
	if err := d.ForgetDelivery(ctx, "build", "d-1"); err != nil {
		t.Fatal(err)
	}
	if err := d.RecordDelivery(ctx, "build", "d-1", T0.Add(time.Minute)); err != nil {
		t.Fatal("a forgotten delivery may be retried:", err)
	}
	if n, err := d.PruneDeliveries(ctx, T0.Add(30*time.Second)); err != nil || n != 1 {
		t.Fatalf("pruned %d %v", n, err)
	}
	code(t, d.RecordDelivery(ctx, "build", "d-1", T0.Add(2*time.Minute)), slipway.ECONFLICT)
}

func testDeliveriesConcurrent(t *testing.T, st slipway.Store) {
	const n = 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, replays := 0, 0
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := st.Deliveries.RecordDelivery(ctx, "build", "same", T0)
			mu.Lock()
			defer mu.Unlock()
			switch slipway.ErrorCode(err) {
			case "":
				ok++
			case slipway.ECONFLICT:
				replays++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || replays != n-1 {
		t.Fatalf("%d copies passed, %d refused; want 1 and %d", ok, replays, n-1)
	}
}

func testOutbox(t *testing.T, st slipway.Store) {
	o := st.Outbox
	notice := slipway.Notice{Event: slipway.NoticeRollback, Service: "api", Env: "prod", Actor: "bob@example.com", Message: "rolled back", At: T0}
	n1 := &slipway.Notification{Receiver: "slack", Key: "rollback/p-1", Notice: notice, NextAttempt: T0, Created: T0}
	if created, err := o.EnqueueNotification(ctx, n1); err != nil || !created || n1.ID == 0 {
		t.Fatalf("enqueue %v %v id %d", created, err, n1.ID)
	}
	if created, err := o.EnqueueNotification(ctx, &slipway.Notification{Receiver: "slack", Key: "rollback/p-1", Notice: notice, NextAttempt: T0, Created: T0}); err != nil || created {
		t.Fatalf("a notice announced twice is sent once: created %v %v", created, err)
	}
	n2 := &slipway.Notification{Receiver: "hook", Key: "rollback/p-1", Notice: notice, NextAttempt: T0.Add(time.Second), Created: T0}
	o.EnqueueNotification(ctx, n2)
	due, err := o.DueNotifications(ctx, T0.Add(time.Second), 10)
	if err != nil || len(due) != 2 || due[0].ID != n1.ID || due[0].Notice != notice {
		t.Fatalf("due %+v %v", due, err)
	}
	if err := o.RetryNotification(ctx, n1.ID, T0.Add(time.Minute), "502 Bad Gateway", false, T0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := o.MarkDelivered(ctx, n2.ID, T0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if due, _ := o.DueNotifications(ctx, T0.Add(30*time.Second), 10); len(due) != 0 {
		t.Fatalf("backing off and delivered notifications are not due: %+v", due)
	}
	due, _ = o.DueNotifications(ctx, T0.Add(time.Minute), 10)
	if len(due) != 1 || due[0].Attempts != 1 || due[0].LastError != "502 Bad Gateway" {
		t.Fatalf("retried %+v", due)
	}
	o.RetryNotification(ctx, n1.ID, T0.Add(time.Hour), "gone", true, T0.Add(time.Minute))
	if due, _ := o.DueNotifications(ctx, T0.Add(48*time.Hour), 10); len(due) != 0 {
		t.Fatalf("a notification given up is never due: %+v", due)
	}
	all, err := o.Notifications(ctx, 10)
	if err != nil || len(all) != 2 || all[0].ID != n2.ID || all[0].Delivered == nil || all[1].Failed == nil || all[1].Attempts != 2 {
		t.Fatalf("notifications %+v %v", all, err)
	}
}

func testPages(t *testing.T, st slipway.Store) {
	var ids []string
	for i := 0; i < 7; i++ {
		svc := "api"
		if i%2 == 1 {
			svc = "web"
		}
		b := Build(t, st, svc, fmt.Sprintf("%x", i+1))
		p := promotion(b, fmt.Sprintf("env%d", i), T0.Add(time.Duration(i)*time.Minute))
		if _, err := st.Promotions.CreatePromotion(ctx, p, false); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	var got []string
	before := int64(0)
	for {
		page, err := st.Pages.PromotionPage(ctx, slipway.PromotionFilter{}, before, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page {
			got = append(got, p.ID)
		}
		if len(page) < 3 {
			break
		}
		before = slipway.PromotionSeq(page[len(page)-1].ID)
	}
	if fmt.Sprint(got) != fmt.Sprint(reverse(ids)) {
		t.Fatalf("pages %v, want newest first %v", got, reverse(ids))
	}
	web, err := st.Pages.PromotionPage(ctx, slipway.PromotionFilter{Service: "web", Active: true}, slipway.PromotionSeq(ids[5]), 10)
	if err != nil || len(web) != 2 || web[0].ID != ids[3] || web[1].ID != ids[1] {
		t.Fatalf("web page before %s: %v %v", ids[5], web, err)
	}
	for i := 0; i < 5; i++ {
		st.Audit.AppendAudit(ctx, &slipway.AuditEntry{At: T0, Kind: "promoted", Service: "api", Env: "prod", PromotionID: ids[0]})
	}
	audit, err := st.Pages.AuditPage(ctx, 0, 2)
	if err != nil || len(audit) != 2 || audit[0].Seq != 5 || audit[1].Seq != 4 {
		t.Fatalf("audit page %+v %v", audit, err)
	}
	if audit, _ = st.Pages.AuditPage(ctx, 4, 10); len(audit) != 3 || audit[2].Seq != 1 || audit[2].Hash == "" {
		t.Fatalf("audit page below 4 %+v", audit)
	}
	// The matrix: what runs (the newest success per service and
	// environment) and what is active, for the services asked.
	p0, _ := st.Promotions.Promotion(ctx, ids[0])
	for _, to := range []slipway.PromotionState{slipway.StatePinning, slipway.StateSynced, slipway.StateSucceeded} {
		if err := st.Promotions.Transition(ctx, p0, to, "", T0); err != nil {
			t.Fatal(err)
		}
	}
	again := promotion(Build(t, st, "api", "f"), "env0", T0.Add(time.Hour))
	st.Promotions.CreatePromotion(ctx, again, false)
	m, err := st.Pages.Matrix(ctx, []string{"api"})
	var rows []string
	for _, p := range m {
		rows = append(rows, p.ID+":"+p.Env+":"+string(p.State))
	}
	if want := []string{ids[0] + ":env0:succeeded", ids[2] + ":env2:waiting", ids[4] + ":env4:waiting", ids[6] + ":env6:waiting", again.ID + ":env0:waiting"}; err != nil || strings.Join(rows, " ") != strings.Join(want, " ") {
		t.Fatalf("matrix of api: %v %v, want %v", rows, err, want)
	}
	if m, _ := st.Pages.Matrix(ctx, nil); len(m) != 0 {
		t.Fatal("no services, no rows")
	}
	if slipway.PromotionSeq("p-12") != 12 || slipway.PromotionSeq("x-1") != 0 || slipway.PromotionSeq("p-1a") != 0 || slipway.PromotionSeq("p-99999999999999999999") != 0 {
		t.Fatal("PromotionSeq")
	}
}

// testMatrix: per service and environment asked, the newest promotion that
// succeeded (not an older success, not a later failure) and the one with
// work left; other services are not read.
func testMatrix(t *testing.T, st slipway.Store) {
	n := 0
	run := func(svc, env string, states ...slipway.PromotionState) string {
		n++
		p := promotion(Build(t, st, svc, fmt.Sprintf("%x", n)), env, T0.Add(time.Duration(n)*time.Minute))
		if _, err := st.Promotions.CreatePromotion(ctx, p, false); err != nil {
			t.Fatal(err)
		}
		for _, to := range states {
			if err := st.Promotions.Transition(ctx, p, to, "", T0); err != nil {
				t.Fatalf("%s to %s: %v", p.ID, to, err)
			}
		}
		return p.ID
	}
	done := []slipway.PromotionState{slipway.StatePinning, slipway.StateSynced, slipway.StateSucceeded}
	run("api", "prod", done...) // an older success
	apiProd := run("api", "prod", done...)
	run("api", "prod", slipway.StatePinning, slipway.StateFailed) // a later failure
	apiProdNext := run("api", "prod", slipway.StatePinning)       // active
	apiDev := run("api", "dev", done...)
	webProd := run("web", "prod", done...) // not asked at first
	webDev := run("web", "dev")
	dbProd := run("db", "prod", done...)
	run("db", "prod", slipway.StatePinning, slipway.StateFailed)
	m, err := st.Pages.Matrix(ctx, []string{"db", "api"})
	var rows []string
	for _, p := range m {
		rows = append(rows, p.ID+":"+p.Service+":"+p.Env+":"+string(p.State))
	}
	want := []string{apiProd + ":api:prod:succeeded", apiProdNext + ":api:prod:pinning", apiDev + ":api:dev:succeeded", dbProd + ":db:prod:succeeded"}
	if err != nil || strings.Join(rows, " ") != strings.Join(want, " ") {
		t.Fatalf("matrix of db and api:\n got %v %v\nwant %v", rows, err, want)
	}
	if m, _ := st.Pages.Matrix(ctx, []string{"web"}); len(m) != 2 || m[0].ID != webProd || m[1].ID != webDev {
		t.Fatalf("matrix of web: %v, want %s then %s", m, webProd, webDev)
	}
}

func reverse(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}
