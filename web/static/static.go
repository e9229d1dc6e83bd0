// Package static holds the web interface's static files — the site's own
// app.css and app.js, and the vendored libraries under vendor/ (htmx, Apache
// ECharts; refreshed by `make vendor`) — embedded in the binary, and serves
// them under content-hashed names.
//
// A page names a file through [Path], which gives its hashed URL:
//
//	static.Path("app.css")                 // "/static/app.3f2a1b9c.css"
//	static.Path("vendor/htmx/htmx.min.js") // "/static/vendor/htmx/htmx.min.5d0e77a1.js"
//
// The hash is the start of the SHA-256 of the file's content, so the URL
// changes whenever the content does, and [Handler] can let browsers and
// proxies keep every response for a year (Cache-Control: immutable). Only the
// hashed names are served: the plain name, an old hash or an unknown file is
// 404. [Integrity] gives the value of a <script integrity=...> attribute.
//
// Every file of this folder is embedded, except Go files and names that start
// with "." or "_". A new file needs no change here.
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Prefix is the URL path under which [Handler] is mounted and to which
// [Path] is relative.
const Prefix = "/static/"

// hashLen is the number of hex digits of the SHA-256 in a hashed name.
const hashLen = 8

// cacheControl is sent with every file: its URL changes with its content.
const cacheControl = "public, max-age=31536000, immutable"

//go:embed *
var embedded embed.FS

var (
	defaultOnce sync.Once
	defaultSite *site
)

// the site of the embedded files, built at first use. A build error is a
// programming error (two files with one hashed name), so it panics.
func embeddedSite() *site {
	defaultOnce.Do(func() {
		s, err := newSite(embedded)
		if err != nil {
			panic(err)
		}
		defaultSite = s
	})
	return defaultSite
}

// Path returns the URL path of the named file, with its content hash:
// Path("app.css") is "/static/app.<hash>.css". name is relative to
// web/static, with forward slashes. Path panics when there is no such file,
// since a page that names a missing file is a programming error; [Names]
// lists the files.
func Path(name string) string { return embeddedSite().path(name) }

// Integrity returns the Subresource Integrity value of the named file,
// "sha256-" and the base64 of the SHA-256 of its content, for
// <script src="..." integrity="..."> or <link integrity="...">. It panics
// when there is no such file.
func Integrity(name string) string { return embeddedSite().file(name).integrity }

// Names returns the names of the embedded files, sorted, as [Path] takes them.
func Names() []string { return embeddedSite().names() }

// Handler returns the handler that serves the embedded files under their
// hashed names. Mount it at [Prefix]: it takes the request's path with the
// prefix (http.ServeMux's "/static/", gin's "/static/*filepath") or without it
// (behind http.StripPrefix("/static", ...)). It answers GET and HEAD with the
// file, the Cache-Control "public, max-age=31536000, immutable", the file's
// Content-Type, X-Content-Type-Options: nosniff and an ETag; a body gzipped
// once, in memory, when the client accepts gzip (Vary: Accept-Encoding);
// 304 for a matching If-None-Match; 404 for a name that is not a hashed name
// of a file; 405 for another method.
func Handler() http.Handler {
	s := embeddedSite()
	s.compress()
	return s
}

// file is one served file.
type file struct {
	name      string // as Path takes it: "vendor/htmx/htmx.min.js"
	hashed    string // as served, without the prefix: "vendor/htmx/htmx.min.3f2a1b9c.js"
	ctype     string
	body      []byte
	gz        []byte // the gzipped body; nil when the type is not compressed or gzip does not help
	etag      string // of the identity body; the gzipped body's has "-gz" before the closing quote
	integrity string
}

type site struct {
	byName   map[string]*file
	byHashed map[string]*file
	zipOnce  sync.Once
}

// newSite reads every file of fsys but Go files and names that start with
// "." or "_", and returns the site that serves them.
func newSite(fsys fs.FS) (*site, error) {
	s := &site{byName: map[string]*file{}, byHashed: map[string]*file{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if b := d.Name(); name != "." && (strings.HasPrefix(b, ".") || strings.HasPrefix(b, "_")) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || strings.HasSuffix(name, ".go") {
			return nil
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		h := hex.EncodeToString(sum[:])[:hashLen]
		f := &file{
			name:      name,
			hashed:    hashedName(name, h),
			ctype:     contentType(name),
			body:      body,
			etag:      `"` + hex.EncodeToString(sum[:16]) + `"`,
			integrity: "sha256-" + base64.StdEncoding.EncodeToString(sum[:]),
		}
		if other, dup := s.byHashed[f.hashed]; dup {
			return fmt.Errorf("static: %s and %s have the same hashed name %s", other.name, name, f.hashed)
		}
		s.byName[name] = f
		s.byHashed[f.hashed] = f
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// hashedName puts the hash before the last extension of the base name:
// "vendor/htmx/htmx.min.js" becomes "vendor/htmx/htmx.min.<hash>.js", and
// "vendor/htmx/LICENSE" becomes "vendor/htmx/LICENSE.<hash>".
func hashedName(name, hash string) string {
	dir, base := path.Split(name)
	ext := path.Ext(base)
	if ext == base { // ".x": no stem
		ext = ""
	}
	return dir + strings.TrimSuffix(base, ext) + "." + hash + ext
}

// contentTypes maps an extension to its Content-Type. A name without an
// extension (LICENSE, NOTICE) is plain text.
var contentTypes = map[string]string{
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".map":   "application/json; charset=utf-8",
	".json":  "application/json; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".jpg":   "image/jpeg",
	".jpeg":  "image/jpeg",
	".gif":   "image/gif",
	".webp":  "image/webp",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".woff":  "font/woff",
	".txt":   "text/plain; charset=utf-8",
	".md":    "text/markdown; charset=utf-8",
	"":       "text/plain; charset=utf-8",
}

// compressed lists the types that gzip helps; images and fonts are
// compressed already.
var compressed = map[string]bool{
	"text/javascript; charset=utf-8":  true,
	"text/css; charset=utf-8":         true,
	"application/json; charset=utf-8": true,
	"image/svg+xml":                   true,
	"image/x-icon":                    true,
	"text/plain; charset=utf-8":       true,
	"text/markdown; charset=utf-8":    true,
}

func contentType(name string) string {
	if t, ok := contentTypes[strings.ToLower(path.Ext(path.Base(name)))]; ok {
		return t
	}
	return "application/octet-stream"
}

// compress gzips, once, every file of a compressible type, and keeps the
// result when it is smaller.
func (s *site) compress() {
	s.zipOnce.Do(func() {
		for _, f := range s.byName {
			if !compressed[f.ctype] {
				continue
			}
			var buf bytes.Buffer
			zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			if err != nil {
				panic(err) // only for a bad level
			}
			zw.Write(f.body) // a bytes.Buffer does not fail
			zw.Close()
			if buf.Len() < len(f.body) {
				f.gz = buf.Bytes()
			}
		}
	})
}

func (s *site) file(name string) *file {
	f, ok := s.byName[name]
	if !ok {
		panic(fmt.Sprintf("static: no file %q in web/static (static.Names lists them)", name))
	}
	return f
}

func (s *site) path(name string) string { return Prefix + s.file(name).hashed }

func (s *site) names() []string {
	names := make([]string, 0, len(s.byName))
	for n := range s.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		p = strings.TrimPrefix(r.URL.Path, "/")
	}
	f, ok := s.byHashed[p]
	if !ok {
		http.NotFound(w, r)
		return
	}
	body, etag := f.body, f.etag
	if f.gz != nil {
		h.Set("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			body, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", f.ctype)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// etagMatches reports whether an If-None-Match header names the file: "*",
// or its ETag of either encoding, weak or not.
func etagMatches(header, etag string) bool {
	base := strings.TrimSuffix(etag, `"`)
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag || t == base+`-gz"` {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether Accept-Encoding header values allow gzip: gzip
// (or x-gzip) with a q-value above 0, or "*" above 0 when gzip is not named.
func acceptsGzip(values []string) bool {
	gzipQ, starQ := -1.0, -1.0
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					if x, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
						q = x
					} else {
						q = 0
					}
				}
			}
			switch coding {
			case "gzip", "x-gzip":
				gzipQ = max(gzipQ, q)
			case "*":
				starQ = max(starQ, q)
			}
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}
