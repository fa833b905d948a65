package dashboard

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
)

//go:embed static
var static embed.FS

// Page is the path the page is served at.
const Page = "/dashboard"

// contentSecurityPolicy keeps the page to its own files: no inline script,
// no CDN, data only from this origin.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"

// Handler serves the page: GET /dashboard is the HTML, GET /dashboard/{file}
// its script and style sheet, straight from the binary (embed.FS, no build
// step). The files hold no data and need no token; the page reads
// GET /api/v1/dashboard with the bearer token it is given (see the package
// doc).
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		name := path.Base(r.URL.Path)
		if r.URL.Path == Page || r.URL.Path == Page+"/" {
			name = "index.html"
		}
		if name == "index.html" {
			b, err := fs.ReadFile(sub, "index.html")
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			h.Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(b)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		files.ServeHTTP(w, r2)
	})
}
