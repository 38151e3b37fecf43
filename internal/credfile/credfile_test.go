package credfile_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/atlassian"
	"github.com/ticket-mate/tm/internal/credfile"
	"github.com/ticket-mate/tm/internal/credfile/credfiletest"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
)

var ctx = context.Background()

const (
	authURL = "https://auth.example"
	alice   = "acc-alice"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return t0 }

func newStore(t *testing.T) *credfile.Store {
	return credfile.New(credfile.Path(filepath.Join(t.TempDir(), "ticket-mate")), authURL, "client-a", fixedNow)
}

func signIn(account, access, refresh string, sites ...string) *credfile.SignIn {
	si := &credfile.SignIn{
		Account: credfile.Account{AccountID: account, Email: account + "@example.com", Name: account},
		Grant: &tm.Grant{TokenSet: tm.TokenSet{AccessToken: tm.Secret(access), RefreshToken: tm.Secret(refresh),
			TokenType: "Bearer", Scopes: []string{"read:jira-work", "offline_access"}, ExpiresAt: t0.Add(time.Hour)}},
	}
	for _, id := range sites {
		si.Sites = append(si.Sites, tm.Site{CloudID: id, Name: "site-" + id, URL: "https://" + id + ".atlassian.net"})
	}
	if len(sites) > 0 {
		si.Grant.SelectedCloudID = sites[0]
	}
	return si
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr checks err's code and that its text contains every part.
func wantErr(t *testing.T, err error, code string, parts ...string) {
	t.Helper()
	if got := tm.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

func TestSaveAndRead(t *testing.T) {
	s := newStore(t)
	if _, err := s.SignIn(ctx); tm.ErrorCode(err) != tm.ENOTFOUND {
		t.Fatalf("empty store: %v, want ENOTFOUND", err)
	}
	si := signIn(alice, "access-1", "refresh-1", "c1", "c2")
	check(t, s.SaveSignIn(ctx, si))
	if si.Grant.UserID != alice || si.Grant.Version != t0.UnixMicro() || !si.Grant.FamilyStartedAt.Equal(t0) {
		t.Errorf("saved grant = user %q version %d family %v", si.Grant.UserID, si.Grant.Version, si.Grant.FamilyStartedAt)
	}

	st := must[os.FileInfo](t)(os.Stat(s.Path()))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %04o, want 0600", st.Mode().Perm())
	}
	if dir := must[os.FileInfo](t)(os.Stat(filepath.Dir(s.Path()))); dir.Mode().Perm() != 0o700 {
		t.Errorf("directory mode = %04o, want 0700", dir.Mode().Perm())
	}
	entries := must[[]os.DirEntry](t)(os.ReadDir(filepath.Dir(s.Path())))
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}

	got := must[*credfile.SignIn](t)(s.SignIn(ctx))
	if got.Account != si.Account || len(got.Sites) != 2 || got.Grant.SelectedCloudID != "c1" ||
		got.Grant.AccessToken.Reveal() != "access-1" || got.Grant.RefreshToken.Reveal() != "refresh-1" ||
		!got.Grant.ExpiresAt.Equal(si.Grant.ExpiresAt) || got.Grant.Version != si.Grant.Version {
		t.Errorf("read back %+v, grant %+v", got, got.Grant)
	}
	g := must[*tm.Grant](t)(s.GetGrant(ctx, alice))
	if g.AccessToken.Reveal() != "access-1" || g.UserID != alice {
		t.Errorf("GetGrant = %+v", g)
	}
	_, err := s.GetGrant(ctx, "acc-bob")
	wantErr(t, err, tm.ENOTFOUND, `no sign-in of account "acc-bob"`, s.Path())
}

func TestSaveSignInValidates(t *testing.T) {
	s := newStore(t)
	si := signIn(alice, "a", "r", "c1")
	si.Grant.SelectedCloudID = "elsewhere"
	wantErr(t, s.SaveSignIn(ctx, si), tm.EINVALID, `the selected site "elsewhere" is not one of the sign-in's sites`)
	wantErr(t, s.SaveSignIn(ctx, signIn("", "a", "r")), tm.EINVALID, "needs an account id")
	wantErr(t, s.SaveSignIn(ctx, signIn(alice, "", "r")), tm.EINVALID, "needs an access token")
	if _, err := os.Stat(s.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused sign-in wrote the file: %v", err)
	}
}

func TestKeyedByApp(t *testing.T) {
	s := newStore(t)
	check(t, s.SaveSignIn(ctx, signIn(alice, "a-token", "a-refresh", "c1")))
	otherClient := credfile.New(s.Path(), authURL, "client-b", fixedNow)
	otherServer := credfile.New(s.Path(), "https://auth.other.example", "client-a", fixedNow)
	for _, o := range []*credfile.Store{otherClient, otherServer} {
		if _, err := o.GetGrant(ctx, alice); tm.ErrorCode(err) != tm.ENOTFOUND {
			t.Errorf("another app read the sign-in: %v", err)
		}
	}
	check(t, otherClient.SaveSignIn(ctx, signIn(alice, "b-token", "b-refresh", "c1")))
	if g := must[*tm.Grant](t)(s.GetGrant(ctx, alice)); g.AccessToken.Reveal() != "a-token" {
		t.Errorf("app A's token became %q after app B signed in", g.AccessToken.Reveal())
	}
	if n := must[int](t)(s.Others()); n != 1 {
		t.Errorf("Others = %d, want 1", n)
	}
	if !must[bool](t)(otherClient.Remove(ctx)) {
		t.Error("Remove found nothing")
	}
	if must[bool](t)(otherClient.Remove(ctx)) {
		t.Error("second Remove found something")
	}
	if g := must[*tm.Grant](t)(s.GetGrant(ctx, alice)); g.AccessToken.Reveal() != "a-token" {
		t.Errorf("removing app B's sign-in changed app A's: %q", g.AccessToken.Reveal())
	}
}

func TestCompareAndSwap(t *testing.T) {
	s := newStore(t)
	si := signIn(alice, "a1", "r1", "c1")
	check(t, s.SaveSignIn(ctx, si))
	v := si.Grant.Version

	g := must[*tm.Grant](t)(s.UpdateGrantTokens(ctx, alice, v, tm.TokenSet{AccessToken: "a2", ExpiresAt: t0.Add(2 * time.Hour)}))
	if g.Version != v+1 || g.AccessToken.Reveal() != "a2" || g.RefreshToken.Reveal() != "r1" || !g.RefreshedAt.Equal(t0) {
		t.Errorf("after rotation: version %d (want %d), access %q, refresh %q (an empty one keeps the stored), refreshed %v",
			g.Version, v+1, g.AccessToken.Reveal(), g.RefreshToken.Reveal(), g.RefreshedAt)
	}
	_, err := s.UpdateGrantTokens(ctx, alice, v, tm.TokenSet{AccessToken: "a3", RefreshToken: "r3", ExpiresAt: t0})
	wantErr(t, err, tm.ECONFLICT, fmt.Sprintf("version %d expected, %d stored", v, v+1))
	if g := must[*tm.Grant](t)(s.GetGrant(ctx, alice)); g.AccessToken.Reveal() != "a2" {
		t.Errorf("a stale write landed: %q", g.AccessToken.Reveal())
	}
	_, err = s.UpdateGrantTokens(ctx, "acc-bob", v+1, tm.TokenSet{AccessToken: "x", ExpiresAt: t0})
	wantErr(t, err, tm.ENOTFOUND, "acc-bob")

	_, err = s.MarkGrantLost(ctx, alice, v, "invalid_grant")
	wantErr(t, err, tm.ECONFLICT, "changed underneath")
	lost := must[*tm.Grant](t)(s.MarkGrantLost(ctx, alice, v+1, ""))
	if !lost.Lost || lost.LostReason != "invalid_grant" || !lost.LostAt.Equal(t0) || lost.Version != v+2 {
		t.Errorf("lost grant = %+v", lost)
	}

	// A new consent starts a new family and clears Lost, keeping the site choice.
	again := &tm.Grant{UserID: alice, TokenSet: tm.TokenSet{AccessToken: "a9", RefreshToken: "r9", ExpiresAt: t0.Add(time.Hour)}}
	check(t, s.SaveGrant(ctx, again))
	if again.Lost || again.Version <= v+2 || again.SelectedCloudID != "c1" || again.RefreshToken.Reveal() != "r9" {
		t.Errorf("after a new consent: %+v", again)
	}
	if si := must[*credfile.SignIn](t)(s.SignIn(ctx)); len(si.Sites) != 1 || si.Account.Email != alice+"@example.com" {
		t.Errorf("SaveGrant for the same account dropped its sites or profile: %+v", si)
	}

	check(t, s.DeleteGrant(ctx, alice))
	check(t, s.DeleteGrant(ctx, alice))
	if _, err := s.GetGrant(ctx, alice); tm.ErrorCode(err) != tm.ENOTFOUND {
		t.Errorf("after DeleteGrant: %v", err)
	}
	// Saved again after a delete, the version does not go back to one a
	// stale writer may hold.
	check(t, s.SaveGrant(ctx, again))
	if again.Version < v+2 {
		t.Errorf("version restarted at %d after delete (was %d)", again.Version, v+2)
	}
}

func TestWithGrantLock(t *testing.T) {
	s := newStore(t)
	si := signIn(alice, "a1", "r1", "c1")
	check(t, s.SaveSignIn(ctx, si))
	v := si.Grant.Version

	check(t, s.WithGrantLock(ctx, alice, func(_ context.Context, g *tm.Grant) (*tm.Grant, error) { return nil, nil }))
	boom := errors.New("boom")
	if err := s.WithGrantLock(ctx, alice, func(_ context.Context, g *tm.Grant) (*tm.Grant, error) {
		g.AccessToken = "changed"
		return g, boom
	}); !errors.Is(err, boom) {
		t.Fatalf("fn's error = %v, want it returned as is", err)
	}
	if g := must[*tm.Grant](t)(s.GetGrant(ctx, alice)); g.Version != v || g.AccessToken.Reveal() != "a1" {
		t.Fatalf("nil or an error stored something: %+v", g)
	}

	var out *tm.Grant
	check(t, s.WithGrantLock(ctx, alice, func(_ context.Context, g *tm.Grant) (*tm.Grant, error) {
		g.TokenSet = tm.TokenSet{AccessToken: "a2", RefreshToken: "r2", ExpiresAt: t0.Add(time.Hour)}
		out = g
		return g, nil
	}))
	if out.Version != v+1 || !out.RefreshedAt.Equal(t0) {
		t.Errorf("returned grant: version %d, refreshed %v", out.Version, out.RefreshedAt)
	}
	if g := must[*tm.Grant](t)(s.GetGrant(ctx, alice)); g.RefreshToken.Reveal() != "r2" || g.Version != v+1 {
		t.Errorf("stored: %+v", g)
	}

	check(t, s.WithGrantLock(ctx, alice, func(_ context.Context, g *tm.Grant) (*tm.Grant, error) {
		g.Lost, g.LostReason = true, "Atlassian refused the refresh token"
		return g, nil
	}))
	if g := must[*tm.Grant](t)(s.GetGrant(ctx, alice)); !g.Lost || g.LostReason != "Atlassian refused the refresh token" || g.LostAt.IsZero() {
		t.Errorf("lost through the lock: %+v", g)
	}

	err := s.WithGrantLock(ctx, alice, func(_ context.Context, g *tm.Grant) (*tm.Grant, error) {
		g.UserID = "acc-bob"
		return g, nil
	})
	wantErr(t, err, tm.EINVALID, `cannot store a grant of "acc-bob"`)
	err = s.WithGrantLock(ctx, "acc-bob", func(context.Context, *tm.Grant) (*tm.Grant, error) { return nil, nil })
	wantErr(t, err, tm.ENOTFOUND, "acc-bob")
}

func TestRefusesFilesOthersCanRead(t *testing.T) {
	s := newStore(t)
	check(t, s.SaveSignIn(ctx, signIn(alice, "a1", "r1", "c1")))
	check(t, os.Chmod(s.Path(), 0o644))
	_, err := s.GetGrant(ctx, alice)
	wantErr(t, err, tm.ECONFIG, "accessible to other users (mode 0644)", "chmod 600 "+s.Path(), "tm logout --all && tm login")
	for _, leak := range []string{"a1", "r1"} {
		if strings.Contains(err.Error(), `"`+leak+`"`) {
			t.Errorf("error shows a token: %v", err)
		}
	}
	// Logging out must still work on such a file.
	if !must[bool](t)(credfile.RemoveAll(ctx, s.Path())) {
		t.Error("RemoveAll found no file")
	}
	if must[bool](t)(credfile.RemoveAll(ctx, s.Path())) {
		t.Error("second RemoveAll found a file")
	}
}

func TestUnusableFiles(t *testing.T) {
	for _, tc := range []struct{ name, content, want string }{
		{"not JSON", `{"format":1, "signIns": [ {"grant": "ATATT3xsecret`, "is not valid JSON (at byte"},
		{"wrong shape", `{"format":1,"signIns":{"a":1}}`, "does not have the expected shape"},
		{"newer format", `{"format":7,"signIns":[]}`, "written by a newer tm (format 7; this tm knows 1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			check(t, os.MkdirAll(filepath.Dir(s.Path()), 0o700))
			check(t, os.WriteFile(s.Path(), []byte(tc.content), 0o600))
			_, err := s.SignIn(ctx)
			wantErr(t, err, tm.ECONFIG, tc.want, s.Path())
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error quotes the file: %v", err)
			}
			// A write must not replace what it cannot read.
			wantErr(t, s.SaveSignIn(ctx, signIn(alice, "a", "r")), tm.ECONFIG, tc.want)
		})
	}
}

// TestLockAcrossProcesses holds the lock in another process and checks a
// write here waits for it, then sees that process's write (ECONFLICT).
func TestLockAcrossProcesses(t *testing.T) {
	s := newStore(t)
	si := signIn(alice, "a1", "r1", "c1")
	check(t, s.SaveSignIn(ctx, si))

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldLock$")
	cmd.Env = append(os.Environ(), "CREDFILE_HELPER_PATH="+s.Path())
	stdin := must[*os.File](t)(pipeIn(t, cmd))
	out := must[*bufio.Reader](t)(pipeOut(cmd))
	check(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := out.ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("helper said %q, %v", line, err)
	}

	done := make(chan error, 1)
	go func() {
		_, err := s.UpdateGrantTokens(ctx, alice, si.Grant.Version, tm.TokenSet{AccessToken: "mine", ExpiresAt: t0})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the write did not wait for the other process's lock: %v", err)
	case <-time.After(150 * time.Millisecond):
	}
	stdin.Close() // the helper stores its rotation and lets go
	select {
	case err := <-done:
		wantErr(t, err, tm.ECONFLICT, "changed underneath")
	case <-time.After(10 * time.Second):
		t.Fatal("the write never got the lock")
	}
	if g := must[*tm.Grant](t)(s.GetGrant(ctx, alice)); g.AccessToken.Reveal() != "theirs" {
		t.Errorf("stored access token %q, want the other process's", g.AccessToken.Reveal())
	}
}

// TestHelperHoldLock is the other process of TestLockAcrossProcesses.
func TestHelperHoldLock(t *testing.T) {
	path := os.Getenv("CREDFILE_HELPER_PATH")
	if path == "" {
		t.Skip("helper process")
	}
	s := credfile.New(path, authURL, "client-a", fixedNow)
	err := s.WithGrantLock(ctx, alice, func(_ context.Context, g *tm.Grant) (*tm.Grant, error) {
		fmt.Println("locked")
		bufio.NewReader(os.Stdin).ReadString('\n') // until the test closes stdin
		g.AccessToken = "theirs"
		return g, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func pipeIn(t *testing.T, cmd *exec.Cmd) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	cmd.Stdin = r
	return w, nil
}

func pipeOut(cmd *exec.Cmd) (*bufio.Reader, error) {
	r, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	return bufio.NewReader(r), nil
}

// TestOneRefreshAcrossHandles: two token sources, each over its own handle
// on the same file (as two tm processes would be), ask for a token at the
// same moment after expiry; the sandbox sees exactly one refresh and both
// get the rotated token.
func TestOneRefreshAcrossHandles(t *testing.T) {
	clock := &credfiletest.Clock{}
	sb := emulatortest.Start(t, emulator.Options{Clock: clock.Now, Latency: 30 * time.Millisecond})
	first := credfiletest.Store(t, sb, clock.Now)
	si := credfiletest.SignIn(t, sb, credfiletest.Client(t, sb, clock.Now), first, "")
	second := credfile.New(first.Path(), sb.URL, sb.Creds.OAuth[0].ClientID, clock.Now)
	clock.Advance(time.Hour + time.Minute)

	var wg sync.WaitGroup
	toks := make([]string, 2)
	errs := make([]error, 2)
	for i, s := range []*credfile.Store{first, second} {
		tokens := atlassian.NewTokens(credfiletest.Client(t, sb, clock.Now), s, atlassian.Hooks{})
		wg.Go(func() {
			acc, err := tokens.Token(ctx, si.Account.AccountID)
			toks[i], errs[i] = acc.Token.Reveal(), err
		})
	}
	wg.Wait()
	for _, err := range errs {
		check(t, err)
	}
	st := sb.E.Auth().Stats()
	if st.Refreshes != 1 || st.RefreshFailures != 0 || st.FamiliesRevoked != 0 {
		t.Errorf("sandbox saw %d refreshes, %d failures, %d families revoked; want exactly one refresh", st.Refreshes, st.RefreshFailures, st.FamiliesRevoked)
	}
	if toks[0] != toks[1] || toks[0] == si.Grant.AccessToken.Reveal() {
		t.Errorf("the two sources got different or stale tokens")
	}
	g := must[*tm.Grant](t)(second.GetGrant(ctx, si.Account.AccountID))
	if g.AccessToken.Reveal() != toks[0] || g.Version != si.Grant.Version+1 {
		t.Errorf("stored version %d (want %d), token matches: %v", g.Version, si.Grant.Version+1, g.AccessToken.Reveal() == toks[0])
	}
	if _, ok := sb.E.Auth().Verify(g.AccessToken.Reveal()); !ok {
		t.Error("the stored access token is not valid at the sandbox")
	}
}

// FuzzReadFile: whatever the file holds, reading it neither panics nor
// quotes it in the error, and a file that reads can be written back.
func FuzzReadFile(f *testing.F) {
	for _, seed := range []string{
		`{"format":1,"signIns":[{"authUrl":"https://auth.example","clientId":"client-a","account":{"accountId":"acc-alice"},` +
			`"grant":{"accessToken":"SECRETMARK-a","refreshToken":"SECRETMARK-r","expiresAt":"2026-03-01T13:00:00Z","familyStartedAt":"2026-03-01T12:00:00Z","version":5}}]}`,
		`{"format":1,"signIns":[{"grant":{"expiresAt":"SECRETMARK"}}]}`,
		`{"format":1,"signIns":null,"lastVersion":9223372036854775807}`,
		`{"format":-1}`, `[]`, `null`, `SECRETMARK`, ``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, content string) {
		s := newStore(t)
		check(t, os.MkdirAll(filepath.Dir(s.Path()), 0o700))
		check(t, os.WriteFile(s.Path(), []byte(content), 0o600))
		_, err := s.SignIn(ctx)
		if err != nil && tm.ErrorCode(err) != tm.ENOTFOUND {
			if tm.ErrorCode(err) != tm.ECONFIG {
				t.Fatalf("error code %q: %v", tm.ErrorCode(err), err)
			}
			if strings.Contains(err.Error(), "SECRETMARK") {
				t.Fatalf("the error quotes the file: %v", err)
			}
			return
		}
		if err := s.SaveSignIn(ctx, signIn(alice, "a", "r", "c1")); err != nil {
			t.Fatalf("a readable file could not be written back: %v", err)
		}
		if g, err := s.GetGrant(ctx, alice); err != nil || g.AccessToken.Reveal() != "a" {
			t.Fatalf("after writing back: %+v, %v", g, err)
		}
	})
}
