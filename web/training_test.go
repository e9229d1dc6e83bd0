package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zeren-county/zeren/internal/domain"
)

// A mine's staff records a training session from its page: a refusal names
// the field, keeps what was typed and writes nothing; a double submission
// records once; the list and the statistics show it. The safety office
// records a television column's episode the same way; the administrator,
// with no unit of their own, is offered no form.
func TestTrainingAndPublicityPages(t *testing.T) {
	s := newSite(t, true)
	staff := s.devSignIn(t, "cmm-staff")
	list := s.get(t, staff, "/trainings")
	for _, want := range []string{"记录一次培训", "崔木煤矿", "一线员工", `name="trained"`, `href="/publicity"`} {
		if !strings.Contains(list.body, want) {
			t.Errorf("trainings page lacks %q", want)
		}
	}
	day := time.Now().In(domain.DefaultZone).AddDate(0, 0, -1).Format(time.DateOnly)
	form := url.Values{"_csrf": {csrf(t, list)}, "_key": {"t1"}, "unit": {"cmm"}, "held_on": {day}, "topic": {"煤矿一线员工安全生产知识培训"},
		"audience": {"frontline"}, "trained": {"0"}, "hours": {"4"}, "location": {"崔木煤矿培训中心"}}
	if p := s.post(t, staff, "/trainings", form); p.code != http.StatusUnprocessableEntity || !strings.Contains(p.body, "field-error") ||
		!strings.Contains(p.body, "崔木煤矿培训中心") {
		t.Fatalf("nobody trained: %d %.300s", p.code, p.body)
	}
	if n := s.count(t, "trainings"); n != 0 {
		t.Fatalf("a refused session was written: %d", n)
	}
	form.Set("trained", "260")
	for range 2 {
		if p := s.post(t, staff, "/trainings", form); p.code != http.StatusSeeOther || p.hdr.Get("Location") != "/trainings" {
			t.Fatalf("record: %d %.300s", p.code, p.body)
		}
	}
	if n := s.count(t, "trainings"); n != 1 {
		t.Fatalf("a double submission: %d sessions", n)
	}
	list = s.get(t, staff, "/trainings")
	for _, want := range []string{"煤矿一线员工安全生产知识培训", "260", "共 1 场，培训 260 人次"} {
		if !strings.Contains(list.body, want) {
			t.Errorf("the list lacks %q", want)
		}
	}

	office := s.devSignIn(t, "yjj-office")
	pub := s.get(t, office, "/publicity")
	if !strings.Contains(pub.body, "电视专栏") || !strings.Contains(pub.body, "记录一条宣传") {
		t.Fatalf("publicity page: %.300s", pub.body)
	}
	if p := s.post(t, office, "/publicity", url.Values{"_csrf": {csrf(t, pub)}, "_key": {"p1"}, "kind": {"tv_column"}, "title": {"安全生产专项整治在行动"},
		"channel": {"麟游县电视台"}, "published_on": {day}}); p.code != http.StatusSeeOther {
		t.Fatalf("record publicity: %d %.300s", p.code, p.body)
	}
	if pub = s.get(t, office, "/publicity?kind=tv_column"); !strings.Contains(pub.body, "安全生产专项整治在行动") || !strings.Contains(pub.body, "麟游县电视台") {
		t.Errorf("the TV column is not listed")
	}
	// The county's reader sees both in the statistics.
	leader := s.devSignIn(t, "linyou-secretary")
	st := s.get(t, leader, "/statistics?from="+day+"&to="+day)
	for _, want := range []string{`id="n-training-people">260<`, `id="n-publicity">1<`, "一线员工", "电视专栏"} {
		if !strings.Contains(st.body, want) {
			t.Errorf("statistics lack %q", want)
		}
	}
	if x := s.get(t, leader, "/statistics?from="+day+"&to="+day+"&format=xlsx"); x.code != 200 || !strings.HasPrefix(x.body, "PK") {
		t.Errorf("the workbook: %d", x.code)
	}
	admin := s.devSignIn(t, "linyou-admin")
	if p := s.get(t, admin, "/trainings"); p.code != 200 || strings.Contains(p.body, "training-form") {
		t.Errorf("the administrator's trainings page: %d", p.code)
	}
}
