package domain

import (
	"fmt"
	"strings"
	"time"
)

// The words a county official reads when input is refused. Every field error's
// detail comes from here, in Chinese, in plain words: no Go type names, no Go
// time layouts. The problem types (urn:zeren:problem:*) stay stable English.
const (
	MsgRequired      = "必填"
	MsgUnknownField  = "不认识的字段"
	MsgNotJSON       = "不是有效的 JSON"
	MsgOneJSONObject = "应为一个 JSON 对象"
	MsgString        = "应为文字（字符串）"
	MsgInteger       = "应为整数"
	MsgNumber        = "应为数字"
	MsgBool          = "应为 true 或 false"
	MsgObject        = "应为 JSON 对象"
	MsgArray         = "应为数组"
	MsgTime          = "应为 RFC 3339 时间，例如 2021-03-05T18:00:00+08:00"
	MsgDate          = "应为日期，格式 YYYY-MM-DD，例如 2021-03-05"
	MsgMonth         = "应为月份，格式 YYYY-MM，例如 2021-03"
	MsgOffset        = "应为相对期限的时间偏移，例如 -3d、0、12h、+15d"
	MsgFuture        = "应晚于当前时间"
	MsgNUL           = "不能含有空字符（U+0000）"
	MsgControl       = "不能含有控制字符（制表符和换行除外）"
	MsgEncoding      = "含有无效的编码或无法识别的字符（如单独的代理项）"
	MsgDuplicate     = "重复"
)

// MsgRange says a number must lie between lo and hi (inclusive).
func MsgRange(lo, hi any) string { return fmt.Sprintf("应在 %v 到 %v 之间", lo, hi) }

// MsgAtMost says a text may have at most n characters.
func MsgAtMost(n int) string { return fmt.Sprintf("不能超过 %d 个字符", n) }

// MsgAtMostItems says a list may have at most n entries.
func MsgAtMostItems(n int) string { return fmt.Sprintf("最多 %d 项", n) }

// MsgOneOf lists the values a field accepts.
func MsgOneOf(values ...string) string { return "应为以下之一：" + strings.Join(values, "、") }

// MsgNoUnit says no unit has the code given.
func MsgNoUnit(code string) string { return fmt.Sprintf("没有代码为“%s”的单位", code) }

// ReminderByHand is the text of a reminder a supervisor sends now (催办).
func ReminderByHand(issuer, by, title string, due time.Time, late bool) string {
	when := due.Format("2006年1月2日15:04")
	if late {
		return fmt.Sprintf("%s（%s）催办：“%s”已于%s到期，请立即办理并反馈。", issuer, by, title, when)
	}
	return fmt.Sprintf("%s（%s）催办：请于%s前办理“%s”。", issuer, by, when, title)
}
