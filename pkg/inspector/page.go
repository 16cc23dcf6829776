package inspector

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
)

// web is the page: one HTML file, one script, one style sheet. No build step.
//
//go:embed web/index.html web/app.js web/app.css
var web embed.FS

// tokenPlaceholder is replaced in index.html by the per-run token (hex: nothing to
// escape), which the script sends with every state-changing request.
const tokenPlaceholder = "{{TOKEN}}"

func (s *Server) page(w http.ResponseWriter, _ *http.Request) {
	html, err := web.ReadFile("web/index.html")
	if err != nil {
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(bytes.Replace(html, []byte(tokenPlaceholder), []byte(s.opts.Token), 1))
}

// assets serves /assets/app.js and /assets/app.css.
func assets() http.Handler {
	sub, _ := fs.Sub(web, "web")
	files := http.FileServerFS(sub)
	return http.StripPrefix("/assets/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "app.js", "app.css":
			files.ServeHTTP(w, r)
		default:
			apiError(w, http.StatusNotFound, "no such asset")
		}
	}))
}
