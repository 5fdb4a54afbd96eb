package bundle_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway/bundle"
	"github.com/slipway/slipway/bundle/bundletest"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL=dev@example.com", "GIT_COMMITTER_NAME=Dev", "GIT_COMMITTER_EMAIL=dev@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_DATE=2026-11-27T10:00:00Z", "GIT_COMMITTER_DATE=2026-11-27T10:00:00Z")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func commitAll(t *testing.T, dir, message string, tags ...string) {
	t.Helper()
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "--allow-empty", "-m", message)
	for _, tag := range tags {
		git(t, dir, "tag", tag)
	}
}

// TestUpgradeFromPreviousBundle builds platform 1.3.0, changes the app as a
// release would (a new variable, a changed default, a new values key, a
// new migration, commits with Migration: and Upgrade: footers), builds
// 1.4.0 from the 1.3.0 bundle, and checks the upgrade guide and the
// migration notes say what changed.
func TestUpgradeFromPreviousBundle(t *testing.T) {
	f := newFixture(t, inProcessRegistry(t))
	git(t, f.app, "init", "-q", "-b", "main")
	commitAll(t, f.app, "feat: acme platform skeletons", "api/v2.2.0", "web/v3.0.1", "search/v1.0.0")

	api22 := f.push(t, "api", "2.2.0", bothPlatforms)
	web301 := f.push(t, "web", "3.0.1", bothPlatforms)
	search := f.push(t, "search", "1.0.0", bothPlatforms)
	m130, err := bundletest.Manifest("acme", "1.3.0", created.AddDate(0, -1, 0), api22, web301, search)
	if err != nil {
		t.Fatal(err)
	}
	prevDir := filepath.Join(t.TempDir(), "acme-1.3.0")
	f.build(t, f.options(m130, prevDir))

	// What happened in the app repository between the two platform versions.
	f.editApp(t, "deploy/compose/compose.yaml", "LOG_LEVEL: ${LOG_LEVEL:-info}", "LOG_LEVEL: ${LOG_LEVEL:-warn}\n      FEATURE_FLAGS: ${FEATURE_FLAGS:-none}")
	f.editApp(t, "deploy/chart/values.yaml", "  replicas: 2\n", "  replicas: 3\n  resources: {cpu: 500m}\n")
	if err := os.WriteFile(filepath.Join(f.app, "migrations/api/0003_contract_orders_customer_name.sql"), []byte("ALTER TABLE orders DROP COLUMN customer_name;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	commitAll(t, f.app, "feat(api)!: v2 orders endpoint\n\nBREAKING CHANGE: the v1 orders endpoint is gone\nMigration: expand: add orders.customer_id (nullable), backfilled by 2.3.0\nMigration: contract: drop orders.customer_name once no 2.2 runs\nUpgrade: set SMTP_HOST to keep sending order e-mails", "api/v2.3.0")
	if err := os.MkdirAll(filepath.Join(f.app, "web"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.app, "web", "main.js"), []byte("render()\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	commitAll(t, f.app, "fix(web): no flicker on load", "web/v3.0.2")

	api := f.push(t, "api", "2.3.0", bothPlatforms)
	api.Notes = apiNotes
	web := f.push(t, "web", "3.0.2", bothPlatforms)
	m140, err := bundletest.Manifest("acme", "1.4.0", created, api, web, search)
	if err != nil {
		t.Fatal(err)
	}
	prev, err := bundle.OpenPrevious(f.ctx, prevDir, f.policy)
	if err != nil {
		t.Fatal(err)
	}
	// web's range also holds the api commit; its paths keep only its own.
	commits, skipped, err := bundle.CollectCommits(f.ctx, f.app, m140, prev.Manifest, map[string][]string{"web": {"web/"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 0 || len(commits["api"]) != 1 || len(commits["web"]) != 1 || len(commits["search"]) != 0 {
		t.Fatalf("CollectCommits = %v (skipped %v): want the one api and one web commit since 1.3.0's tags", commits, skipped)
	}
	// Without the previous manifest, each range starts after the
	// component's previous tag of the same form (search has none: all of
	// history up to its tag).
	noPrev, _, err := bundle.CollectCommits(f.ctx, f.app, m140, nil, map[string][]string{"web": {"web/"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(noPrev["api"]) != 1 || noPrev["api"][0].SHA != commits["api"][0].SHA || len(noPrev["web"]) != 1 || len(noPrev["search"]) != 1 {
		t.Errorf("CollectCommits without a previous manifest = %v", noPrev)
	}
	opts := f.options(m140, filepath.Join(t.TempDir(), "acme-1.4.0"))
	opts.Previous, opts.Commits, opts.PushTarget = prev, commits, "oci://registry.example.com/acme/platform"
	res := f.build(t, opts)

	upgrade := string(readFile(t, filepath.Join(res.Dir, bundle.UpgradeFile)))
	f.golden(t, "upgrade/UPGRADE.md", []byte(upgrade))
	for _, want := range []string{
		"Upgrade from 1.3.0 directly to 1.4.0: no required stop lies between them.",
		"| `FEATURE_FLAGS` | (not present) | default none |",
		"| `LOG_LEVEL` | default info | default warn |",
		"| `api.replicas` | 2 | 3 |",
		"| `api.resources.cpu` | (not present) | \"500m\" |",
		"* **api 2.3.0:** set SMTP_HOST to keep sending order e-mails",
		"helm upgrade --install RELEASE oci://registry.example.com/acme/platform/acme --version 1.4.0",
	} {
		if !strings.Contains(upgrade, want) {
			t.Errorf("UPGRADE.md lacks %q", want)
		}
	}
	if strings.Contains(upgrade, "image.digest") {
		t.Error("UPGRADE.md lists the image pins as changed settings; the component table covers them")
	}
	migrations := string(readFile(t, filepath.Join(res.Dir, bundle.MigrationsFile)))
	f.golden(t, "upgrade/MIGRATIONS.md", []byte(migrations))
	for _, want := range []string{
		"* **expand:** add orders.customer_id (nullable), backfilled by 2.3.0",
		"* **contract:** drop orders.customer_name once no 2.2 runs",
		"| api | 0003 | `migrations/api/0003_contract_orders_customer_name.sql` | contract | new |",
		"| api | 0001 | `migrations/api/0001_create_orders.sql` |  |  |",
	} {
		if !strings.Contains(migrations, want) {
			t.Errorf("MIGRATIONS.md lacks %q", want)
		}
	}
	notes := string(readFile(t, filepath.Join(res.Dir, bundle.ReleaseNotesFile)))
	if !strings.Contains(notes, "| search | 1.0.0 | 1.0.0 | standard |") || !strings.Contains(notes, "## search 1.0.0\n\nUnchanged since acme 1.3.0.") {
		t.Errorf("RELEASE-NOTES.md does not report search as unchanged:\n%s", notes)
	}

	t.Run("a released migration changed", func(t *testing.T) {
		f.editApp(t, "migrations/api/0001_create_orders.sql", "NOT NULL", "NULL")
		defer f.editApp(t, "migrations/api/0001_create_orders.sql", "NULL", "NOT NULL")
		o := f.options(m140, filepath.Join(t.TempDir(), "out"))
		o.Previous = prev
		_, err := bundle.Build(f.ctx, o)
		if err == nil || !strings.Contains(err.Error(), "migrations/api/0001_create_orders.sql was released in acme 1.3.0 and has changed since") {
			t.Fatalf("Build = %v", err)
		}
	})
	t.Run("a released migration removed", func(t *testing.T) {
		p := filepath.Join(f.app, "migrations/api/0002_expand_orders_customer_id.sql")
		data := readFile(t, p)
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(p, data, 0o644)
		o := f.options(m140, filepath.Join(t.TempDir(), "out"))
		o.Previous = prev
		_, err := bundle.Build(f.ctx, o)
		if err == nil || !strings.Contains(err.Error(), "0002_expand_orders_customer_id.sql was released in acme 1.3.0 and is gone") {
			t.Fatalf("Build = %v", err)
		}
	})
	t.Run("the previous bundle is not older", func(t *testing.T) {
		o := f.options(m130, filepath.Join(t.TempDir(), "out"))
		o.Previous = prev
		_, err := bundle.Build(f.ctx, o)
		if err == nil || !strings.Contains(err.Error(), "the previous bundle is version 1.3.0, not older than 1.3.0") {
			t.Fatalf("Build = %v", err)
		}
	})
	t.Run("a tampered previous bundle is refused", func(t *testing.T) {
		dir := copyDir(t, prevDir)
		p := filepath.Join(dir, bundle.EnvExampleFile)
		if err := os.WriteFile(p, append(readFile(t, p), "EXTRA=1\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := bundle.OpenPrevious(f.ctx, dir, f.policy)
		wantFileError(t, err, bundle.EnvExampleFile)
	})
}

// TestUpgradePathListsRequiredStops: from 1.1.0, the 1.2.0 stop of
// deploy/upgrade-stops.yaml lies on the way to 1.4.0.
func TestUpgradePathListsRequiredStops(t *testing.T) {
	stops, err := bundle.ParseUpgradeStops(readFile(t, "bundletest/app/deploy/upgrade-stops.yaml"), "upgrade-stops.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		from, to string
		want     []string
	}{
		{"1.1.0", "1.4.0", []string{"1.2.0"}},
		{"1.2.0", "1.4.0", nil},
		{"1.1.0", "1.2.0", nil},
		{"", "1.4.0", []string{"1.2.0"}},
		{"", "1.1.9", nil},
	} {
		var got []string
		for _, s := range bundle.StopsBetween(stops, tc.from, tc.to) {
			got = append(got, s.Version)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("stops from %q to %s = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}
