package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zeren-county/zeren/internal/store"
)

// ChannelSender delivers one message to one channel of its unit (a group
// robot); an error means try again later.
type ChannelSender interface {
	SendChannel(ctx context.Context, ch store.Channel, m Message) error
}

// RobotSender posts messages to DingTalk custom robots (钉钉自定义机器人) and
// WeCom group robots (企业微信群机器人) as markdown, each in its robot's
// documented JSON:
//
//	DingTalk: {"msgtype":"markdown","markdown":{"title":…,"text":…}}
//	WeCom:    {"msgtype":"markdown","markdown":{"content":…}}
//
// A DingTalk robot with a signing secret (加签) gets its URL signed:
// &timestamp=<ms>&sign=<urlencode(base64(HmacSHA256(secret, timestamp+"\n"+secret)))>.
// Both answer {"errcode":0,"errmsg":"ok"}; anything else — a non-2xx
// status, another errcode, an answer without one — is a failed delivery.
//
// It posts with the webhook's client (see WebhookSender): no redirect is
// followed, and loopback, link-local, private, unspecified and multicast
// addresses are refused unless AllowPrivate. Its errors name the channel and
// the robot's host, never its token or the secret.
type RobotSender struct {
	// LinkBase is where people open zeren (config notify.linkBase): a message
	// about a task ends with a link to LinkBase/tasks/<task id>. Empty: no link.
	LinkBase string
	// AllowPrivate lets robots be on non-public addresses (config notify.allowPrivate).
	AllowPrivate bool
	// Client, when set, replaces the default client (see WebhookSender.Client).
	Client *http.Client
	// Now is the clock that signs; default time.Now.
	Now func() time.Time
}

// maxRobotText bounds a message's markdown in bytes: WeCom takes at most
// 4096 bytes of content, DingTalk more.
const maxRobotText = 4000

// SendChannel posts m to the robot ch.
func (s *RobotSender) SendChannel(ctx context.Context, ch store.Channel, m Message) error {
	err := s.send(ctx, ch, m)
	if err == nil {
		return nil
	}
	host := "?"
	if u, perr := url.Parse(ch.URL); perr == nil {
		host = u.Host
	}
	return fmt.Errorf("%s channel %d (%s): %w", ch.Kind, ch.ID, host, err)
}

func (s *RobotSender) send(ctx context.Context, ch store.Channel, m Message) error {
	title, text := RobotMarkdown(m, s.LinkBase)
	target := ch.URL
	var body any
	switch ch.Kind {
	case store.ChannelDingTalk:
		body = dingTalkMarkdown{MsgType: "markdown", Markdown: dingTalkText{Title: title, Text: text}}
		if ch.Secret != "" {
			now := time.Now
			if s.Now != nil {
				now = s.Now
			}
			target = SignDingTalk(ch.URL, string(ch.Secret), now())
		}
	case store.ChannelWeCom:
		body = weComMarkdown{MsgType: "markdown", Markdown: weComText{Content: text}}
	default:
		return fmt.Errorf("unknown channel kind %q", ch.Kind)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		return fmt.Errorf("encode message %d: %w", m.ID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))))
	if err != nil {
		return errors.New("the robot's URL cannot be used")
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	res, err := httpClient(s.Client, s.AllowPrivate).Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = store.RedactURL(ue.URL) // the token and the signature stay out of logs
		}
		return err
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	switch {
	case res.StatusCode/100 == 3:
		return fmt.Errorf("answered %s; redirects are not followed", res.Status)
	case res.StatusCode/100 != 2:
		return fmt.Errorf("answered %s", res.Status)
	}
	var a struct {
		ErrCode *int64 `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(answer, &a); err != nil || a.ErrCode == nil {
		return fmt.Errorf("answered %s without an errcode", res.Status)
	}
	if *a.ErrCode != 0 {
		return fmt.Errorf("errcode %d: %s", *a.ErrCode, clip(a.ErrMsg, 200))
	}
	return nil
}

type dingTalkMarkdown struct {
	MsgType  string       `json:"msgtype"`
	Markdown dingTalkText `json:"markdown"`
}

type dingTalkText struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

type weComMarkdown struct {
	MsgType  string    `json:"msgtype"`
	Markdown weComText `json:"markdown"`
}

type weComText struct {
	Content string `json:"content"`
}

// SignDingTalk appends DingTalk's signature to a robot URL: the timestamp in
// milliseconds and sign = URL-encoded Base64 of HmacSHA256, keyed by the
// secret, of timestamp + "\n" + secret.
func SignDingTalk(robotURL, secret string, now time.Time) string {
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "\n" + secret))
	sign := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	sep := "&"
	switch {
	case !strings.Contains(robotURL, "?"):
		sep = "?"
	case strings.HasSuffix(robotURL, "?"), strings.HasSuffix(robotURL, "&"):
		sep = ""
	}
	return robotURL + sep + "timestamp=" + ts + "&sign=" + url.QueryEscape(sign)
}

// TaskLink is the task's page: linkBase/tasks/<id>, the id path-escaped (and
// its parentheses too, which would end a markdown link).
func TaskLink(linkBase, taskID string) string {
	id := strings.NewReplacer("(", "%28", ")", "%29").Replace(url.PathEscape(taskID))
	return strings.TrimRight(linkBase, "/") + "/tasks/" + id
}

// RobotMarkdown is a message as a group robot shows it: its title (which
// names its kind: 【待办】, 【提醒】, 【督办函】, 【通报】, 【约谈通知】, 【扣分】…) as
// a heading, its body, the unit, and a link to the task page when the message
// is about a task and linkBase is set. The text of the message cannot make
// markdown of its own (links, headings, quotes, WeCom's tags): those
// characters are shown full-width. The whole stays within maxRobotText bytes,
// the body cut short when it must be.
func RobotMarkdown(m Message, linkBase string) (title, text string) {
	title = clip(plain(m.Title), 200)
	head := "#### " + title + "\n\n"
	tail := ""
	if m.UnitName != "" {
		tail += "\n\n单位：" + plain(m.UnitName)
	}
	if m.TaskID != nil && *m.TaskID != "" && linkBase != "" {
		tail += "\n\n[查看任务](" + TaskLink(linkBase, *m.TaskID) + ")"
	}
	var paras []string
	for _, line := range strings.Split(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n") {
		if line = strings.TrimSpace(plain(line)); line != "" {
			paras = append(paras, line)
		}
	}
	body := strings.Join(paras, "\n\n")
	if room := maxRobotText - len(head) - len(tail); len(body) > room {
		body = cutBytes(body, max(room-len("…"), 0)) + "…"
	}
	return title, head + body + tail
}

// plain keeps text from being read as markdown or as WeCom's tags, and drops
// control characters other than newline.
func plain(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.NewReplacer("[", "［", "]", "］", "<", "＜", ">", "＞", "#", "＃", "`", "｀").Replace(s)
	return strings.Map(func(r rune) rune {
		if r != '\n' && (r < 0x20 || (r >= 0x7f && r < 0xa0)) {
			return -1
		}
		return r
	}, s)
}

// clip shortens s to at most n characters, on one line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return ' '
		}
		return r
	}, s)), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// cutBytes is the longest prefix of s of at most n bytes that ends on a
// character boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
