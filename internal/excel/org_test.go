package excel_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/xuri/excelize/v2"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/excel"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// fillTemplate fills the import template's sheets with rows, as the safety
// office would, and answers the workbook; patch replaces text in the saved
// sheets' XML (to put in what Excel can hold but excelize escapes).
func fillTemplate(t *testing.T, sheets map[string][][]string, patch ...string) []byte {
	t.Helper()
	tmpl, err := excel.OrgTemplate()
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(tmpl))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for sheet, rows := range sheets {
		for i, row := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			if err := f.SetSheetRow(sheet, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if len(patch) == 0 {
		return buf.Bytes()
	}
	return patchZip(t, buf.Bytes(), strings.NewReplacer(patch...))
}

// patchZip rewrites every XML part of a workbook with r.
func patchZip(t *testing.T, b []byte, r *strings.Replacer) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f.Name, ".xml") {
			data = []byte(r.Replace(string(data)))
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// snapshot is every organisation row with its row version (xmin), so that
// an import that rewrites a row, even with the same values, shows.
func snapshot(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT xmin::text || ' ' || id || ' ' || code || ' ' || name || ' ' || kind || ' ' || coalesce(parent_id::text, '-') FROM units ORDER BY id`,
		`SELECT xmin::text || ' ' || id || ' ' || key || ' ' || name || ' ' || title || ' ' || unit_id FROM people ORDER BY id`,
		`SELECT xmin::text || ' ' || person_id || ' ' || role || ' ' || unit_id FROM role_grants ORDER BY person_id, role, unit_id`,
		`SELECT xmin::text || ' ' || committee_id || ' ' || unit_id || ' ' || is_lead FROM committee_members ORDER BY committee_id, unit_id`,
		`SELECT xmin::text || ' ' || supervisor_id || ' ' || supervised_id FROM supervision ORDER BY supervisor_id, supervised_id`,
	} {
		var rows []string
		if err := db.Select(&rows, q); err != nil {
			t.Fatal(err)
		}
		out = append(out, rows...)
	}
	return strings.Join(out, "\n")
}

func apply(t *testing.T, s *store.Store, org excel.Org) (excel.Summary, error) {
	t.Helper()
	var sum excel.Summary
	err := s.InTx(context.Background(), func(tx *sqlx.Tx) error {
		var err error
		sum, err = excel.ApplyOrg(context.Background(), tx, org)
		return err
	})
	return sum, err
}

func TestOrgTemplate(t *testing.T) {
	b, err := excel.OrgTemplate()
	if err != nil {
		t.Fatal(err)
	}
	f := open(t, b, "单位", "负责人", "委员会", "监管", "填写说明")
	header(t, f, "单位", 1, 2, "单位编码", "单位名称", "类别", "上级单位编码")
	header(t, f, "负责人", 1, 2, "人员标识", "姓名", "职务", "所在单位编码", "角色")
	header(t, f, "委员会", 1, 1, "委员会编码", "成员单位编码", "是否牵头")
	header(t, f, "监管", 1, 1, "监管单位编码", "被监管单位编码")
	header(t, f, "填写说明", 2, 0, "工作表", "列", "填写要求")
	for sheet, want := range map[string]string{"单位": "县,委员会,部门,乡镇,企业", "负责人": "县领导,安委办,主要负责人,工作人员,执法人员,系统管理员", "委员会": "是,否"} {
		dvs, err := f.GetDataValidations(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(dvs) != 1 || !strings.Contains(dvs[0].Formula1, want) {
			t.Errorf("%s drop-down: %+v, want %s", sheet, dvs, want)
		}
	}
	org, errs := excel.ParseOrg(bytes.NewReader(b))
	if len(errs) != 0 || len(org.Units)+len(org.People)+len(org.Committees)+len(org.Supervision) != 0 {
		t.Fatalf("the empty template parses as %+v, %v", org, errs)
	}
}

// A filled template imports: new units (a child before its parent in the
// file), people with two roles, a committee's new lead, supervision; the same
// file again writes nothing.
func TestImportOrg(t *testing.T) {
	ctx := context.Background()
	c := testdb.NewCounty(t)
	file := fillTemplate(t, map[string][][]string{
		"单位": {
			{"jxhg", "金鑫化工有限公司", "企业", "hbj"},
			{"hbj", "县生态环境局", "部门", "linyou"},
			{"c-eco", "生态环境安全专业委员会", "委员会", "linyou-awh"},
			{"zb", "丈八镇", "乡镇", "linyou"},       // as registered
			{"zx", "招贤镇人民政府", "town", "linyou"}, // renamed, kind by its name
		},
		"负责人": {
			{"hbj-head", "张明", "局长", "hbj", "主要负责人"},
			{"hbj-head", "张明", "局长", "hbj", "执法人员"},
			{"jxhg-head", "王强", "总经理", "jxhg", "unit_head"},
			{"hbj-clerk", "李华", "", "hbj", ""},
			{"jcg-staff", "九成宫镇工作人员", "安全员", "jcg", "工作人员"}, // a new title
		},
		"委员会": {
			{"c-eco", "hbj", "是"},
			{"c-eco", "yjj", ""},
			{"c-coal", "hbj", "否"},
			{"c-road", "jtj", "是"}, // jtj takes the lead from gaj
		},
		"监管": {
			{"hbj", "jxhg"},
			{"yjj", "gjh"}, // as registered
		},
	})
	org, errs := excel.ParseOrg(bytes.NewReader(file))
	if len(errs) != 0 {
		t.Fatalf("a valid file refused: %v", errs)
	}
	if len(org.Units) != 5 || len(org.People) != 5 || len(org.Committees) != 4 || len(org.Supervision) != 2 {
		t.Fatalf("parsed %+v", org)
	}
	if org.Units[0].Row != 2 || org.Units[0].Kind != domain.KindEnterprise || org.People[2].Role != domain.RoleUnitHead || !org.Committees[0].Lead || org.Committees[1].Lead {
		t.Fatalf("parsed %+v", org)
	}
	if errs, err := excel.CheckOrg(ctx, c.DB, org); err != nil || len(errs) != 0 {
		t.Fatalf("check: %v %v", errs, err)
	}

	sum, err := apply(t, c.Store, org)
	if err != nil {
		t.Fatal(err)
	}
	want := excel.Summary{UnitsAdded: 3, UnitsUpdated: 1, PeopleAdded: 3, PeopleUpdated: 1, RolesGranted: 3, SeatsAdded: 3, SeatsUpdated: 1,
		SupervisionAdded: 1, Unchanged: 3}
	got := sum
	got.Changes = nil
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("summary %+v, want %+v", got, want)
	}
	if len(sum.Changes) != 3+1+3+1+3+3+1+1 || !slices.Contains(sum.Changes, "新增单位 hbj（县生态环境局，部门）") ||
		!slices.Contains(sum.Changes, "更新单位 zx：名称 招贤镇 → 招贤镇人民政府") || !slices.Contains(sum.Changes, "委员会 c-road：jtj 改为牵头单位") {
		t.Errorf("changes %q", sum.Changes)
	}

	hbj, err := store.UnitByCode(ctx, c.DB, "hbj")
	if err != nil {
		t.Fatal(err)
	}
	jxhg, err := store.UnitByCode(ctx, c.DB, "jxhg")
	if err != nil {
		t.Fatal(err)
	}
	if hbj.Kind != domain.KindDepartment || *hbj.ParentID != c.Units["linyou"] || jxhg.Kind != domain.KindEnterprise || *jxhg.ParentID != hbj.ID {
		t.Fatalf("units %+v %+v", hbj, jxhg)
	}
	people, err := store.PeopleByKeys(ctx, c.DB, []string{"hbj-head", "hbj-clerk", "jcg-staff"})
	if err != nil || len(people) != 3 {
		t.Fatalf("people %+v %v", people, err)
	}
	head, err := store.PersonByID(ctx, c.DB, people[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if head.Key != "hbj-head" || !head.Has(domain.RoleUnitHead, hbj.ID) || !head.Has(domain.RoleInspector, hbj.ID) || len(head.Grants) != 2 {
		t.Fatalf("hbj-head %+v", head)
	}
	if people[0].Key != "jcg-staff" || people[0].Title != "安全员" {
		t.Fatalf("jcg-staff %+v", people[0])
	}
	if n := testdb.Count(t, c.DB, `SELECT count(*) FROM role_grants g JOIN people p ON p.id = g.person_id WHERE p.key = 'hbj-clerk'`); n != 0 {
		t.Fatalf("hbj-clerk has %d roles, want none", n)
	}
	var leads []string
	if err := c.DB.Select(&leads, `SELECT u.code FROM committee_members m JOIN units u ON u.id = m.unit_id JOIN units k ON k.id = m.committee_id
WHERE k.code = 'c-road' AND m.is_lead`); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(leads, []string{"jtj"}) {
		t.Fatalf("c-road leads %v, want jtj alone", leads)
	}
	if n := testdb.Count(t, c.DB, `SELECT count(*) FROM committee_members WHERE committee_id = $1 AND unit_id = $2 AND NOT is_lead`, c.Units["c-road"], c.Units["gaj"]); n != 1 {
		t.Fatal("gaj lost its seat on c-road with the lead")
	}
	sup, err := store.Supervision(ctx, c.DB)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sup[hbj.ID], []int64{jxhg.ID}) {
		t.Fatalf("hbj supervises %v", sup[hbj.ID])
	}

	// The same file again: nothing changes, not even a row version.
	before := snapshot(t, c.DB)
	var again excel.Summary
	var rowErrs []excel.RowError
	if err := c.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		again, rowErrs, err = excel.ImportOrg(ctx, tx, bytes.NewReader(file))
		return err
	}); err != nil || len(rowErrs) != 0 {
		t.Fatalf("second import: %v %v", rowErrs, err)
	}
	if again.Changed() || again.UnitsAdded+again.UnitsUpdated+again.PeopleAdded+again.PeopleUpdated+again.RolesGranted+again.SeatsAdded+
		again.SeatsUpdated+again.SupervisionAdded != 0 || again.Unchanged != 5+4+4+4+2 {
		t.Fatalf("second import changed %+v", again)
	}
	if after := snapshot(t, c.DB); after != before {
		t.Fatalf("the second import rewrote rows:\n%s\n---\n%s", before, after)
	}
}

// The registered demo county, written in the template's form and imported
// again, changes nothing: every unit, person, role, seat and supervision the
// seed writes has its row.
func TestOrgRoundTrip(t *testing.T) {
	ctx := context.Background()
	c := testdb.NewCounty(t)
	org, err := excel.LoadOrg(ctx, c.DB)
	if err != nil {
		t.Fatal(err)
	}
	// 41 units of the organisation and the 82 demo production units.
	if len(org.Units) != 41+82 || len(org.Supervision) != 4 {
		t.Fatalf("loaded %d units, %d supervision", len(org.Units), len(org.Supervision))
	}
	b, err := excel.OrgWorkbook(org)
	if err != nil {
		t.Fatal(err)
	}
	parsed, errs := excel.ParseOrg(bytes.NewReader(b))
	if len(errs) != 0 {
		t.Fatalf("the county's own workbook refused: %v", errs)
	}
	if len(parsed.Units) != len(org.Units) || len(parsed.People) != len(org.People) || len(parsed.Committees) != len(org.Committees) {
		t.Fatalf("parsed %d/%d/%d rows, want %d/%d/%d", len(parsed.Units), len(parsed.People), len(parsed.Committees),
			len(org.Units), len(org.People), len(org.Committees))
	}
	for i := range org.People {
		o, p := org.People[i], parsed.People[i]
		p.Row = 0
		if o != p {
			t.Fatalf("person row %d: %+v, want %+v", i+2, p, o)
		}
	}
	before := snapshot(t, c.DB)
	sum, err := apply(t, c.Store, parsed)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Changed() {
		t.Fatalf("importing the county as registered changed %q", sum.Changes)
	}
	if after := snapshot(t, c.DB); after != before {
		t.Fatal("importing the county as registered rewrote rows")
	}
}

// A file with errors in many rows lists each, by sheet, row and column, and
// nothing is written: the file's own errors from ParseOrg, the ones that
// need the database from ApplyOrg.
func TestImportOrgErrors(t *testing.T) {
	ctx := context.Background()
	c := testdb.NewCounty(t)
	file := fillTemplate(t, map[string][][]string{
		"单位": {
			{"hbj", "县生态环境局", "部门", "linyou"},
			{"Bad_Code", "某单位", "部门", "linyou"},
			{"x1", "", "部门", "linyou"},
			{"x2", "某局", "局", "linyou"},
			{"hbj", "重复的局", "部门", "linyou"},
			{"x3", "带NUL的名称", "部门", "linyou"},
			{"x4", "某企业", "企业", ""},
			{"x5", "某站", "部门", "nowhere"},
			{"x6", "两行\n名称", "部门", "linyou"},
			{"x7", "带控制字符CTL", "部门", "linyou"},
			{"x8", "某队", "部门", "linyou"},
			{"x9", "甲", "部门", "x10"},
			{"x10", "乙", "部门", "x9"},
			{"gaj", "县公安局", "乡镇", "linyou"},
		},
		"负责人": {
			{"hbj-head", "张明", "局长", "hbj", "主要负责人"},
			{"hbj-head", "张明明", "局长", "hbj", "工作人员"},
			{"p1", "某人", "", "hbj", "处长"},
			{"p2", "某人", "", "ghost", "工作人员"},
			{"P 3", "某人", "", "hbj", ""},
		},
		"委员会": {
			{"yjj", "gaj", "否"},
			{"c-road", "jtj", "是"},
			{"c-road", "jyj", "是"},
			{"c-road", "zjj", "也许"},
		},
		"监管": {
			{"hbj", "hbj"},
			{"cm", "gjh"},
		},
	}, "NUL", "_x0000_", "CTL", "_x0001_")
	before := snapshot(t, c.DB)

	org, errs := excel.ParseOrg(bytes.NewReader(file))
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		"单位 第3行 A列：单位编码“Bad_Code”" + "只能用小写字母、数字和连字符（-），以字母或数字开头，最长 63 个字符，例如 yjj、c-road",
		"单位 第4行 B列：单位名称不能为空",
		"单位 第5行 C列：类别“局”应为以下之一：县、委员会、部门、乡镇、企业、生产经营单位",
		"单位 第6行 A列：单位编码“hbj”与第2行重复",
		"单位 第7行 B列：单位名称" + domain.MsgNUL,
		"单位 第8行 D列：上级单位编码不能为空（只有县没有上级单位）",
		"单位 第10行 B列：单位名称不能换行，也不能含有制表符",
		"单位 第11行 B列：单位名称" + domain.MsgControl,
		"单位 第13行 D列：上级单位关系成环：x9 → x10 → x9",
		"单位 第14行 D列：上级单位关系成环：x10 → x9 → x10",
		"负责人 第3行 B列：姓名“张明明”与第2行同一人员标识“hbj-head”的姓名“张明”不一致",
		"负责人 第4行 E列：角色“处长”应为以下之一：县领导、安委办、主要负责人、工作人员、执法人员、系统管理员",
		"负责人 第6行 A列：人员标识“P 3”只能用小写字母、数字和 . _ -，以字母或数字开头，最长 63 个字符，例如 yjj-head",
		"委员会 第4行 C列：委员会“c-road”的牵头单位已在第3行指定，只能有一个",
		"委员会 第5行 C列：是否牵头应为“是”或“否”",
		"监管 第2行 B列：监管单位和被监管单位不能相同",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ParseOrg errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// What needs the database: unknown units, a registered unit's kind, a
	// committee that is not one, a town as supervisor.
	_, err := apply(t, c.Store, org)
	var ie *excel.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("apply: %v, want an ImportError", err)
	}
	got = got[:0]
	for _, e := range ie.Errors {
		got = append(got, e.Error())
	}
	for _, w := range []string{
		"单位 第9行 D列：上级单位“nowhere”不存在：既不在“单位”表中，也未在系统中登记",
		"单位 第15行 C列：单位“gaj”已登记为部门，不能改为乡镇（类别关系到它的报告、责任书和考核）",
		"负责人 第5行 D列：单位“ghost”不存在：既不在“单位”表中，也未在系统中登记",
		"委员会 第2行 A列：“yjj”不是委员会（类别为部门）",
		"监管 第3行 A列：监管单位应为部门（“cm”是乡镇）",
		// the file's own errors again, on the rows ParseOrg kept
		"负责人 第3行 B列：姓名“张明明”与第2行同一人员标识“hbj-head”的姓名“张明”不一致",
	} {
		if !slices.Contains(got, w) {
			t.Errorf("ApplyOrg errors lack %q:\n%s", w, strings.Join(got, "\n"))
		}
	}
	if after := snapshot(t, c.DB); after != before {
		t.Fatal("a refused import wrote rows")
	}

	// ImportOrg answers the file's errors and writes nothing.
	if err := c.InTx(ctx, func(tx *sqlx.Tx) error {
		_, rowErrs, err := excel.ImportOrg(ctx, tx, bytes.NewReader(file))
		if len(rowErrs) != len(want) {
			t.Errorf("ImportOrg: %d errors, want %d", len(rowErrs), len(want))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if after := snapshot(t, c.DB); after != before {
		t.Fatal("a refused import wrote rows")
	}
}

func TestParseOrgRefusesOtherFiles(t *testing.T) {
	for name, tc := range map[string]struct {
		file []byte
		want string
	}{
		"not a workbook": {[]byte("单位编码,单位名称\nyjj,县应急管理局\n"), "不是有效的 Excel 工作簿（.xlsx），请用导入模板填写后上传"},
		"too large":      {bytes.Repeat([]byte("x"), excel.MaxOrgFileSize+1), "文件不能超过 10 MB"},
	} {
		_, errs := excel.ParseOrg(bytes.NewReader(tc.file))
		if len(errs) != 1 || errs[0].Error() != tc.want {
			t.Errorf("%s: %v, want %s", name, errs, tc.want)
		}
	}

	// Text that is not UTF-8 makes a sheet unreadable: refused whole.
	bad := fillTemplate(t, map[string][][]string{"单位": {{"hbj", "县生态环境局BAD", "部门", "linyou"}}}, "BAD", "\xff\xfe")
	if _, errs := excel.ParseOrg(bytes.NewReader(bad)); len(errs) == 0 || errs[0].Sheet != "单位" || !strings.Contains(errs[0].Message, "无效的编码") {
		t.Errorf("invalid UTF-8: %v", errs)
	}

	// A workbook without the template's sheets.
	f := excelize.NewFile()
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if _, errs := excel.ParseOrg(&buf); len(errs) != 1 || !strings.Contains(errs[0].Message, "没有") {
		t.Errorf("a workbook without the sheets: %v", errs)
	}

	// Columns swapped in the header.
	tmpl, err := excel.OrgTemplate()
	if err != nil {
		t.Fatal(err)
	}
	f, err = excelize.OpenReader(bytes.NewReader(tmpl))
	if err != nil {
		t.Fatal(err)
	}
	_ = f.SetCellValue("监管", "A1", "被监管单位编码")
	_ = f.SetCellValue("监管", "B1", "监管单位编码")
	_ = f.SetSheetRow("监管", "A2", &[]string{"gjh", "yjj"})
	buf.Reset()
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	org, errs := excel.ParseOrg(&buf)
	if len(errs) != 2 || errs[0].Error() != "监管 第1行 A列：表头应为“监管单位编码”，实际为“被监管单位编码”；请用导入模板，不要增删或调换列" ||
		errs[1].Column != "B" || len(org.Supervision) != 0 {
		t.Errorf("swapped header: %v, %+v", errs, org)
	}
}
