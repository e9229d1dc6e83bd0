// Package excel writes the county's tables as Excel workbooks (.xlsx) — the
// score table, the report matrix, the pledge progress, the notices — and
// imports the organisation (units, people and their roles, committees,
// supervision) from a template the safety office fills in.
//
// Every export answers the workbook's bytes: Chinese headers in a frozen
// header row (a title row above it when one is given), column widths fitted
// to the content, an auto-filter on the header, dates as Excel dates in the
// campaign's time zone.
package excel

import (
	"bytes"
	"fmt"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"
)

// ContentType is the media type of an .xlsx workbook, for the HTTP response.
const ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// DefaultLocation is the time zone of dates when none is given: the county's.
var DefaultLocation = time.FixedZone("CST", 8*3600)

// Widths of columns, in Excel's character units.
const (
	minWidth = 6
	maxWidth = 60
)

// Cell fills, Excel's own good / neutral / bad colours and two more.
const (
	fillGood    = "C6EFCE" // on time, excellent
	fillLate    = "FCD5B4" // late
	fillBad     = "FFC7CE" // missing, failed, vetoed
	fillWarn    = "FFEB9C" // returned
	fillPending = "DDEBF7" // submitted, awaiting review
	fillHeader  = "D9E1F2"
)

// book builds one workbook; the first error sticks and every later call is a no-op.
type book struct {
	f      *excelize.File
	err    error
	sheets int
	// styles
	title, header, text, wrap, number, decimal, date, percent int
	fills                                                     map[string]int
}

func newBook() *book {
	b := &book{f: excelize.NewFile(), fills: map[string]int{}}
	border := []excelize.Border{{Type: "left", Color: "BFBFBF", Style: 1}, {Type: "right", Color: "BFBFBF", Style: 1},
		{Type: "top", Color: "BFBFBF", Style: 1}, {Type: "bottom", Color: "BFBFBF", Style: 1}}
	style := func(s *excelize.Style) int {
		if b.err != nil {
			return 0
		}
		id, err := b.f.NewStyle(s)
		b.fail(err)
		return id
	}
	dateFmt, percentFmt := "yyyy-mm-dd hh:mm", "0.0%"
	b.title = style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	b.header = style(&excelize.Style{Font: &excelize.Font{Bold: true}, Border: border,
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fillHeader}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}})
	b.text = style(&excelize.Style{Border: border, Alignment: &excelize.Alignment{Vertical: "center"}})
	b.wrap = style(&excelize.Style{Border: border, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
	b.number = style(&excelize.Style{Border: border, NumFmt: 1, Alignment: &excelize.Alignment{Horizontal: "right", Vertical: "center"}})
	b.decimal = style(&excelize.Style{Border: border, Alignment: &excelize.Alignment{Horizontal: "right", Vertical: "center"}})
	b.date = style(&excelize.Style{Border: border, CustomNumFmt: &dateFmt, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	b.percent = style(&excelize.Style{Border: border, CustomNumFmt: &percentFmt, Alignment: &excelize.Alignment{Horizontal: "right", Vertical: "center"}})
	for _, c := range []string{fillGood, fillLate, fillBad, fillWarn, fillPending} {
		b.fills[c] = style(&excelize.Style{Border: border, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	}
	b.fills[""] = style(&excelize.Style{Border: border, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	return b
}

func (b *book) fail(err error) {
	if err != nil && b.err == nil {
		b.err = err
	}
}

// bytes answers the workbook, the first sheet active.
func (b *book) bytes() ([]byte, error) {
	if b.err != nil {
		return nil, fmt.Errorf("excel: %w", b.err)
	}
	b.f.SetActiveSheet(0)
	var buf bytes.Buffer
	if _, err := b.f.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("excel: %w", err)
	}
	if err := b.f.Close(); err != nil {
		return nil, fmt.Errorf("excel: %w", err)
	}
	return buf.Bytes(), nil
}

// cell is one value with its style (0: the book's text style).
type cell struct {
	v     any
	style int
}

// sheet is one table: an optional title row, a header row, data rows.
type sheet struct {
	b      *book
	name   string
	cols   int
	header int // the header's row
	row    int // the last row written
	freeze int // columns frozen left of the data
	widths []float64
}

// table starts a sheet with a title row (when title is not empty) and a
// header row; freeze columns stay in view when scrolling right.
func (b *book) table(name, title string, headers []string, freeze int) *sheet {
	s := &sheet{b: b, name: name, cols: len(headers), freeze: freeze, widths: make([]float64, len(headers))}
	if b.err != nil {
		return s
	}
	if b.sheets == 0 {
		b.fail(b.f.SetSheetName(b.f.GetSheetName(0), name))
	} else {
		_, err := b.f.NewSheet(name)
		b.fail(err)
	}
	b.sheets++
	if title != "" {
		s.row++
		first, last := cellName(1, s.row), cellName(max(len(headers), 1), s.row)
		b.fail(b.f.SetCellValue(name, first, title))
		if len(headers) > 1 {
			b.fail(b.f.MergeCell(name, first, last))
		}
		b.fail(b.f.SetCellStyle(name, first, last, b.title))
		b.fail(b.f.SetRowHeight(name, s.row, 24))
	}
	s.row++
	s.header = s.row
	cells := make([]cell, len(headers))
	for i, h := range headers {
		cells[i] = cell{h, b.header}
	}
	s.write(cells)
	return s
}

// add writes the next data row.
func (s *sheet) add(cells ...cell) {
	s.row++
	s.write(cells)
}

// write fills the current row.
func (s *sheet) write(cells []cell) {
	b := s.b
	if b.err != nil {
		return
	}
	for i, c := range cells {
		name := cellName(i+1, s.row)
		if c.v != nil {
			b.fail(b.f.SetCellValue(s.name, name, c.v))
		}
		style := c.style
		if style == 0 {
			style = b.text
		}
		b.fail(b.f.SetCellStyle(s.name, name, name, style))
		if i < len(s.widths) {
			s.widths[i] = max(s.widths[i], displayWidth(c.v))
		}
	}
}

// done sets the column widths, freezes the header row and the first columns,
// and puts an auto-filter on the header.
func (s *sheet) done() {
	b := s.b
	if b.err != nil {
		return
	}
	for i, w := range s.widths {
		col := colName(i + 1)
		b.fail(b.f.SetColWidth(s.name, col, col, min(max(w+2, minWidth), maxWidth)))
	}
	pane := "bottomLeft"
	if s.freeze > 0 {
		pane = "bottomRight"
	}
	b.fail(b.f.SetPanes(s.name, &excelize.Panes{Freeze: true, XSplit: s.freeze, YSplit: s.header,
		TopLeftCell: cellName(s.freeze+1, s.header+1), ActivePane: pane}))
	if s.cols > 0 {
		b.fail(b.f.AutoFilter(s.name, cellName(1, s.header)+":"+cellName(s.cols, max(s.row, s.header)), nil))
	}
}

// displayWidth is how many Excel character units a value needs: a Chinese
// character takes two.
func displayWidth(v any) float64 {
	var s string
	switch x := v.(type) {
	case nil:
		return 0
	case string:
		s = x
	case time.Time:
		return 16
	case float64:
		s = fmt.Sprintf("%.2f", x)
	default:
		s = fmt.Sprint(x)
	}
	w, line := 0.0, 0.0
	for _, r := range s {
		switch {
		case r == '\n':
			w, line = max(w, line), 0
		case r >= 0x1100 && (unicode.Is(unicode.Han, r) || unicode.In(r, unicode.Hangul, unicode.Hiragana, unicode.Katakana) ||
			(r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xffef)):
			line += 2
		default:
			line++
		}
	}
	return max(w, line)
}

func cellName(col, row int) string {
	name, _ := excelize.CoordinatesToCellName(col, row)
	return name
}

func colName(col int) string {
	name, _ := excelize.ColumnNumberToName(col)
	return name
}

// excelTime is t as Excel shows it: the wall clock in loc (Excel dates have no zone).
func excelTime(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = DefaultLocation
	}
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
}

// when is a date cell, or an empty cell for no time.
func (b *book) when(t *time.Time, loc *time.Location) cell {
	if t == nil || t.IsZero() {
		return cell{nil, b.text}
	}
	return cell{excelTime(*t, loc), b.date}
}
