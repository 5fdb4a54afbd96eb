package ui

import (
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/slipway/slipway/api"
)

// loginData is the login form's state.
type loginData struct {
	Next     string
	Username string
	OIDC     bool
}

func (u *UI) loginPage(w http.ResponseWriter, r *http.Request) {
	if a, _ := u.session(r); a != nil {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	u.render(w, r, "login", &view{Title: "Log in", Data: loginData{Next: localPath(r.URL.Query().Get("next")), OIDC: u.API.OIDC != nil}})
}

// login checks a password with the API's rate limiter and authentication
// service and starts a session: the same cookie as POST /auth/login.
func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	name, password := strings.TrimSpace(r.PostFormValue("username")), r.PostFormValue("password")
	d := loginData{Next: localPath(r.PostFormValue("next")), Username: name, OIDC: u.API.OIDC != nil}
	v := &view{Title: "Log in", Data: d}
	if ok, wait := u.API.Limiter.Allow("ip:"+clientIP(r), "user:"+strings.ToLower(name)); !ok {
		w.Header().Set("Retry-After", strings.TrimSuffix(wait.Round(time.Second).String(), "s"))
		v.Status, v.Error = http.StatusTooManyRequests, "Too many login attempts: try again in "+wait.Round(time.Second).String()+"."
		u.render(w, r, "login", v)
		return
	}
	a, err := u.Auth.Login(r.Context(), name, password)
	if err != nil {
		status, _ := api.StatusOf(err)
		u.Log.Warn("ui login refused", "user", name, "remote", clientIP(r), "err", err)
		v.Status, v.Error = status, "Wrong user name or password."
		if status >= 500 {
			v.Error = "Login failed: " + err.Error()
		}
		u.render(w, r, "login", v)
		return
	}
	secret, x, err := u.Auth.NewSession(r.Context(), a)
	if err != nil {
		v.Status, v.Error = http.StatusInternalServerError, "Could not start a session: "+err.Error()
		u.render(w, r, "login", v)
		return
	}
	u.Log.Info("login", "user", a.Name, "via", "ui", "remote", clientIP(r))
	http.SetCookie(w, u.cookie(secret, x.Expires))
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

func (u *UI) logout(w http.ResponseWriter, r *http.Request, v *view) (string, error) {
	if c, err := r.Cookie(api.SessionCookie); err == nil {
		if err := u.Auth.Logout(r.Context(), c.Value); err != nil {
			return "", err
		}
	}
	gone := u.cookie("", time.Unix(0, 0))
	gone.MaxAge = -1
	http.SetCookie(w, gone)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return "", nil
}

// cookie is the API's session cookie (api/session.go): HttpOnly,
// SameSite=Lax, Secure behind TLS.
func (u *UI) cookie(secret string, expires time.Time) *http.Cookie {
	return &http.Cookie{Name: api.SessionCookie, Value: secret, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: u.API.Secure, Expires: expires}
}

// localPath keeps the page after login on this site (as the API's OIDC
// login does).
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	return next
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
