package static

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

// maxFileSize is the repository's limit for a tracked file (Makefile check-size).
const maxFileSize = 2 << 20

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func readDisk(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func get(t *testing.T, h http.Handler, method, target string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestPathIsContentHashed(t *testing.T) {
	for _, tc := range []struct{ name, pattern string }{
		{"app.css", `^/static/app\.([0-9a-f]{8})\.css$`},
		{"app.js", `^/static/app\.([0-9a-f]{8})\.js$`},
		{"vendor/htmx/htmx.min.js", `^/static/vendor/htmx/htmx\.min\.([0-9a-f]{8})\.js$`},
		{"vendor/echarts/echarts.min.js", `^/static/vendor/echarts/echarts\.min\.([0-9a-f]{8})\.js$`},
		{"vendor/echarts/LICENSE", `^/static/vendor/echarts/LICENSE\.([0-9a-f]{8})$`},
	} {
		p := Path(tc.name)
		m := regexp.MustCompile(tc.pattern).FindStringSubmatch(p)
		if m == nil {
			t.Errorf("Path(%q) = %q, want it to match %s", tc.name, p, tc.pattern)
			continue
		}
		if want := sha256Hex(readDisk(t, tc.name))[:8]; m[1] != want {
			t.Errorf("Path(%q) = %q: hash %s, want the start of the content's sha256 %s", tc.name, p, m[1], want)
		}
	}
}

func TestHashedName(t *testing.T) {
	for in, want := range map[string]string{
		"app.css":                 "app.h.css",
		"vendor/htmx/htmx.min.js": "vendor/htmx/htmx.min.h.js",
		"vendor/x/LICENSE":        "vendor/x/LICENSE.h",
		"a.b/c":                   "a.b/c.h",
		"fonts/.x":                "fonts/.x.h",
	} {
		if got := hashedName(in, "h"); got != want {
			t.Errorf("hashedName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPathPanicsForUnknownFile(t *testing.T) {
	for _, name := range []string{"nope.css", "/app.css", "static.go", "static_test.go", ""} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Path(%q) did not panic", name)
				}
			}()
			Path(name)
		}()
	}
}

// Everything in the folder but Go files is embedded, and nothing else.
func TestNamesAreTheFolder(t *testing.T) {
	var want []string
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != "." && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && !strings.HasSuffix(p, ".go") {
			want = append(want, filepath.ToSlash(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)
	if got := Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %q\nwant (the folder's files) %q", got, want)
	}
	for _, must := range []string{"app.css", "app.js", "vendor/htmx/htmx.min.js", "vendor/htmx/LICENSE",
		"vendor/echarts/echarts.min.js", "vendor/echarts/LICENSE", "vendor/echarts/NOTICE"} {
		if !slices.Contains(want, must) {
			t.Errorf("web/static lacks %s", must)
		}
	}
}

func TestNoFileOver2MB(t *testing.T) {
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > maxFileSize {
			t.Errorf("%s is %d bytes, over the 2 MB limit", p, info.Size())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The README that `make vendor` writes beside each library lists the sha256
// of each file: the files are as vendored, not edited by hand.
func TestVendoredFilesMatchTheirREADME(t *testing.T) {
	line := regexp.MustCompile(`^  - (\S+), sha256 ([0-9a-f]{64})$`)
	for _, lib := range []string{"htmx", "echarts"} {
		readme := readDisk(t, "vendor/"+lib+"/README.md")
		n := 0
		sc := bufio.NewScanner(bytes.NewReader(readme))
		for sc.Scan() {
			m := line.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			n++
			name := "vendor/" + lib + "/" + m[1][strings.LastIndex(m[1], "/")+1:]
			if got := sha256Hex(readDisk(t, name)); got != m[2] {
				t.Errorf("%s: sha256 %s, README says %s (run make vendor)", name, got, m[2])
			}
		}
		if n == 0 {
			t.Errorf("vendor/%s/README.md lists no file", lib)
		}
		for _, want := range []string{"- version: ", "- integrity of the tarball: sha512-", "- source: "} {
			if !bytes.Contains(readme, []byte(want)) {
				t.Errorf("vendor/%s/README.md lacks %q", lib, want)
			}
		}
	}
}

func TestIntegrity(t *testing.T) {
	for _, name := range []string{"app.js", "vendor/htmx/htmx.min.js", "vendor/echarts/echarts.min.js"} {
		sum := sha256.Sum256(readDisk(t, name))
		want := "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
		if got := Integrity(name); got != want {
			t.Errorf("Integrity(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestHandlerServesHashedNames(t *testing.T) {
	h := Handler()
	for _, tc := range []struct{ name, ctype string }{
		{"app.css", "text/css; charset=utf-8"},
		{"app.js", "text/javascript; charset=utf-8"},
		{"vendor/htmx/htmx.min.js", "text/javascript; charset=utf-8"},
		{"vendor/echarts/echarts.min.js", "text/javascript; charset=utf-8"},
		{"vendor/echarts/LICENSE", "text/plain; charset=utf-8"},
	} {
		w := get(t, h, "GET", Path(tc.name), nil)
		if w.Code != http.StatusOK {
			t.Errorf("GET %s: %d", Path(tc.name), w.Code)
			continue
		}
		checkHeaders(t, w, tc.ctype)
		if !bytes.Equal(w.Body.Bytes(), readDisk(t, tc.name)) {
			t.Errorf("GET %s: body differs from %s", Path(tc.name), tc.name)
		}
		if w.Header().Get("Content-Encoding") != "" {
			t.Errorf("GET %s without Accept-Encoding: Content-Encoding %q", Path(tc.name), w.Header().Get("Content-Encoding"))
		}
	}
}

func checkHeaders(t *testing.T, w *httptest.ResponseRecorder, ctype string) {
	t.Helper()
	for k, want := range map[string]string{
		"Cache-Control":          "public, max-age=31536000, immutable",
		"Content-Type":           ctype,
		"X-Content-Type-Options": "nosniff",
		"Content-Length":         strconv.Itoa(w.Body.Len()),
	} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if w.Header().Get("ETag") == "" {
		t.Error("no ETag")
	}
}

// The handler mounts at /static/ in a ServeMux, and behind StripPrefix.
func TestHandlerMounts(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle(Prefix, Handler())
	stripped := http.StripPrefix("/static", Handler())
	for _, h := range []http.Handler{mux, stripped, Handler()} {
		if w := get(t, h, "GET", Path("app.js"), nil); w.Code != http.StatusOK {
			t.Errorf("GET %s: %d", Path("app.js"), w.Code)
		}
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	resp, err := http.Get(srv.URL + Path("vendor/htmx/htmx.min.js")) // the client asks for gzip and decodes it
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, readDisk(t, "vendor/htmx/htmx.min.js")) {
		t.Errorf("over HTTP: %d, %d bytes", resp.StatusCode, len(body))
	}
	if !resp.Uncompressed {
		t.Error("over HTTP: the response was not gzipped")
	}
}

func TestHandler404(t *testing.T) {
	h := Handler()
	app := Path("app.css")
	for _, target := range []string{
		"/static/app.css",                      // unhashed
		"/static/vendor/htmx/htmx.min.js",      // unhashed
		"/static/app.00000000.css",             // another hash
		strings.Replace(app, ".css", ".js", 1), // the hash of another file
		"/static/nope.12345678.css",
		"/static/",
		"/static/vendor/",
		"/static/vendor/htmx",
		"/static/static.go",
		"/static/../static/" + strings.TrimPrefix(app, "/static/") + "x",
		"/static" + app, // twice the prefix
	} {
		w := get(t, h, "GET", target, nil)
		if w.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", target, w.Code)
		}
		if w.Header().Get("Cache-Control") == cacheControl {
			t.Errorf("GET %s: a 404 is cached for a year", target)
		}
	}
}

func TestHandlerMethods(t *testing.T) {
	h := Handler()
	p := Path("app.css")
	w := get(t, h, "HEAD", p, map[string]string{"Accept-Encoding": "gzip"})
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("HEAD: %d, %d bytes", w.Code, w.Body.Len())
	}
	if w.Header().Get("Content-Type") != "text/css; charset=utf-8" || w.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD: headers %v", w.Header())
	}
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		w := get(t, h, m, p, nil)
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %d, Allow %q", m, w.Code, w.Header().Get("Allow"))
		}
	}
}

func TestHandlerGzip(t *testing.T) {
	h := Handler()
	// (app.css and app.js are placeholders now, too small for gzip to help:
	// such a file is sent as it is, as the site's TestContentTypes shows.)
	for _, name := range []string{"vendor/htmx/htmx.min.js", "vendor/echarts/echarts.min.js", "vendor/echarts/LICENSE"} {
		want := readDisk(t, name)
		for _, ae := range []string{"gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.8", "*", "x-gzip", "GZIP"} {
			w := get(t, h, "GET", Path(name), map[string]string{"Accept-Encoding": ae})
			if w.Header().Get("Content-Encoding") != "gzip" {
				t.Errorf("%s, Accept-Encoding %q: Content-Encoding %q", name, ae, w.Header().Get("Content-Encoding"))
				continue
			}
			checkHeaders(t, w, contentType(name))
			if w.Header().Get("Vary") != "Accept-Encoding" {
				t.Errorf("%s: Vary %q", name, w.Header().Get("Vary"))
			}
			if w.Body.Len() >= len(want) {
				t.Errorf("%s: gzipped %d bytes, plain %d", name, w.Body.Len(), len(want))
			}
			zr, err := gzip.NewReader(w.Body)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s: gunzipped body differs (%v)", name, err)
			}
		}
		for _, ae := range []string{"", "identity", "gzip;q=0", "br", "*;q=0", "gzip;q=0, *"} {
			w := get(t, h, "GET", Path(name), map[string]string{"Accept-Encoding": ae})
			if w.Header().Get("Content-Encoding") != "" || !bytes.Equal(w.Body.Bytes(), want) {
				t.Errorf("%s, Accept-Encoding %q: Content-Encoding %q, %d bytes", name, ae, w.Header().Get("Content-Encoding"), w.Body.Len())
			}
			if w.Header().Get("Vary") != "Accept-Encoding" {
				t.Errorf("%s, Accept-Encoding %q: Vary %q", name, ae, w.Header().Get("Vary"))
			}
		}
	}
}

// The body is compressed once, when the handler is made: two responses share it.
func TestHandlerCompressesOnce(t *testing.T) {
	h := Handler()
	f := embeddedSite().file("vendor/echarts/echarts.min.js")
	if f.gz == nil {
		t.Fatal("echarts.min.js is not kept gzipped")
	}
	before := &f.gz[0]
	get(t, h, "GET", Path("vendor/echarts/echarts.min.js"), map[string]string{"Accept-Encoding": "gzip"})
	Handler()
	if &f.gz[0] != before {
		t.Error("the gzipped body was made again")
	}
}

func TestHandlerConditional(t *testing.T) {
	h := Handler()
	p := Path("vendor/htmx/htmx.min.js")
	plain := get(t, h, "GET", p, nil).Header().Get("ETag")
	zipped := get(t, h, "GET", p, map[string]string{"Accept-Encoding": "gzip"}).Header().Get("ETag")
	if plain == "" || zipped == "" || plain == zipped {
		t.Fatalf("ETags %q and %q: want two different ones", plain, zipped)
	}
	for _, inm := range []string{plain, zipped, "W/" + plain, `"x", ` + plain, "*"} {
		w := get(t, h, "GET", p, map[string]string{"If-None-Match": inm})
		if w.Code != http.StatusNotModified || w.Body.Len() != 0 {
			t.Errorf("If-None-Match %s: %d, %d bytes", inm, w.Code, w.Body.Len())
		}
	}
	if w := get(t, h, "GET", p, map[string]string{"If-None-Match": `"other"`}); w.Code != http.StatusOK {
		t.Errorf("If-None-Match other: %d", w.Code)
	}
}

// Content types, on a site of other files.
func TestContentTypes(t *testing.T) {
	fsys := fstest.MapFS{
		"a.js":            {Data: []byte(strings.Repeat("var a = 1;\n", 100))},
		"a.css":           {Data: []byte(strings.Repeat("a { color: red }\n", 100))},
		"fonts/f.woff2":   {Data: []byte("wOF2 not really a font")},
		"img/i.svg":       {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg">` + strings.Repeat(`<rect width="1" height="1"/>`, 50) + `</svg>`)},
		"img/p.png":       {Data: append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 500)...)},
		"x.go":            {Data: []byte("package x")},
		".hidden":         {Data: []byte("x")},
		"_draft/a.js":     {Data: []byte("x")},
		"img/.DS_Store":   {Data: []byte("x")},
		"data/blob.weird": {Data: []byte("x")},
		"tiny.txt":        {Data: []byte("x")}, // gzip would make it bigger
	}
	s, err := newSite(fsys)
	if err != nil {
		t.Fatal(err)
	}
	s.compress()
	if got, want := s.names(), []string{"a.css", "a.js", "data/blob.weird", "fonts/f.woff2", "img/i.svg", "img/p.png", "tiny.txt"}; !slices.Equal(got, want) {
		t.Errorf("names %q, want %q", got, want)
	}
	for name, tc := range map[string]struct {
		ctype string
		gzip  bool
	}{
		"a.js":            {"text/javascript; charset=utf-8", true},
		"a.css":           {"text/css; charset=utf-8", true},
		"fonts/f.woff2":   {"font/woff2", false},
		"img/i.svg":       {"image/svg+xml", true},
		"img/p.png":       {"image/png", false},
		"data/blob.weird": {"application/octet-stream", false},
		"tiny.txt":        {"text/plain; charset=utf-8", false},
	} {
		w := get(t, s, "GET", s.path(name), map[string]string{"Accept-Encoding": "gzip"})
		if w.Code != http.StatusOK {
			t.Errorf("%s: %d", name, w.Code)
			continue
		}
		checkHeaders(t, w, tc.ctype)
		if got := w.Header().Get("Content-Encoding") == "gzip"; got != tc.gzip {
			t.Errorf("%s: gzipped %v, want %v", name, got, tc.gzip)
		}
		if got := w.Header().Get("Vary") == "Accept-Encoding"; got != tc.gzip {
			t.Errorf("%s: Vary %q", name, w.Header().Get("Vary"))
		}
	}
}
