package web

import (
	_ "embed"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/web/static"
)

// Every text a person reads on a page comes from messages.zh.yaml, so the
// wording can be changed in one place. A template naming a key the file lacks
// fails to render (and the tests that render every page fail with it).
//
//go:embed messages.zh.yaml
var messagesFile []byte

type messages map[string]string

func loadMessages() (messages, error) {
	var m messages
	if err := yaml.Unmarshal(messagesFile, &m); err != nil {
		return nil, fmt.Errorf("web/messages.zh.yaml: %w", err)
	}
	return m, nil
}

// get is the text of key; a missing key is a programming error.
func (m messages) get(key string) string {
	s, ok := m[key]
	if !ok {
		panic("web: no message " + key)
	}
	return s
}

// has says whether key has a text.
func (m messages) has(key string) bool { _, ok := m[key]; return ok }

// zone is where dates are shown: the county's time.
var zone = domain.DefaultZone

// time writes t as 2021年3月5日 18:00 in the county's time (format date.time).
func (m messages) time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	l := t.In(zone)
	return fmt.Sprintf(m.get("date.time"), l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute())
}

// date writes t as 2021年3月5日 (format date.day).
func (m messages) date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	l := t.In(zone)
	return fmt.Sprintf(m.get("date.day"), l.Year(), l.Month(), l.Day())
}

// localInput is t for an <input type=datetime-local> in the county's time.
func localInput(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(zone).Format("2006-01-02T15:04")
}

// days is how many whole days d spans, rounded up.
func days(d time.Duration) int { return int(math.Ceil(d.Hours() / 24)) }

func (w *Web) funcs() template.FuncMap {
	return template.FuncMap{
		"t":  w.msg.get,
		"tf": func(key string, args ...any) string { return fmt.Sprintf(w.msg.get(key), args...) },
		"tk": func(prefix string, key any) string { // a message chosen by a value, e.g. the name of a task kind
			if p, ok := key.(*string); ok && p != nil {
				key = *p
			}
			k := prefix + "." + fmt.Sprint(key)
			if w.msg.has(k) {
				return w.msg.get(k)
			}
			return fmt.Sprint(key)
		},
		"time":   w.msg.time,
		"date":   w.msg.date,
		"input":  localInput,
		"static": static.Path,
		"add":    func(a, b int) int { return a + b },
		"seq": func(n int) []int {
			out := make([]int, n)
			for i := range out {
				out[i] = i
			}
			return out
		},
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		"field":  func(errs map[string]string, name string) string { return errs[name] },
		"amount": amount,
		"join":   strings.Join,
		"list":   func(v ...string) []string { return v },
		"deref": func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		},
	}
}

// parsePages parses each page with the layout and the shared partials.
func (w *Web) parsePages() (map[string]*template.Template, error) {
	shared, err := fs.Glob(templateFS, "templates/_*.html")
	if err != nil {
		return nil, err
	}
	pages, err := fs.Glob(templateFS, "templates/[a-z]*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		name := strings.TrimSuffix(strings.TrimPrefix(p, "templates/"), ".html")
		t, err := template.New(name).Funcs(w.funcs()).ParseFS(templateFS, append(shared, p)...)
		if err != nil {
			return nil, fmt.Errorf("web: page %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// amount writes a sum of money (yuan) without trailing zeros: 30000, 1250.5.
func amount(v any) string {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case *float64:
		if x == nil {
			return ""
		}
		f = *x
	default:
		return fmt.Sprint(v)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
