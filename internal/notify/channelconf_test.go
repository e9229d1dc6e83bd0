package notify_test

import (
	"context"
	"strings"
	"testing"

	"github.com/zeren-county/zeren/internal/notify"
	"github.com/zeren-county/zeren/internal/testdb"
)

// What `zeren channel` does: set (checking the unit, kind, URL and secret,
// answering by flag), list with every secret and token masked, disable by
// kind and URL or by id.
func TestChannelCommands(t *testing.T) {
	ctx := context.Background()
	c := testdb.NewCounty(t)
	dingURL := "https://oapi.dingtalk.com/robot/send?access_token=" + tokenA
	weComURL := "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + weComKey

	refused := []struct {
		name string
		req  notify.ChannelRequest
		want string
	}{
		{"no unit", notify.ChannelRequest{Kind: "wecom", URL: weComURL}, "-unit：必填"},
		{"unknown unit", notify.ChannelRequest{Unit: "nope", Kind: "wecom", URL: weComURL}, `-unit：单位 "nope" 不存在`},
		{"unknown kind and bad URL", notify.ChannelRequest{Unit: "jcg", Kind: "sms", URL: "ftp://x"}, "-kind：应为 dingtalk（钉钉）或 wecom（企业微信）；-url：应为机器人的 http(s) 地址"},
		{"CR LF around the URL trimmed", notify.ChannelRequest{Unit: "jcg", Kind: "wecom", URL: weComURL + "\r\n"}, ""},
		{"tab inside", notify.ChannelRequest{Unit: "jcg", Kind: "wecom", URL: "https://qyapi.weixin.qq.com/\tx"}, "-url：不能含有空格或控制字符"},
		{"secret for WeCom", notify.ChannelRequest{Unit: "jcg", Kind: "wecom", URL: weComURL, Secret: testSecret, SetSecret: true}, "-secret：企业微信群机器人没有加签密钥"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := notify.SetUnitChannel(ctx, c.Store, tt.req)
			if tt.want == "" {
				// Spaces around a URL are trimmed: this one is taken.
				if err != nil {
					t.Fatalf("error %v; want the trimmed URL taken", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v; want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Fatalf("the error shows the secret: %v", err)
			}
		})
	}

	ding, created, err := notify.SetUnitChannel(ctx, c.Store, notify.ChannelRequest{Unit: "jcg", Kind: "dingtalk", URL: dingURL, Secret: testSecret, SetSecret: true})
	if err != nil || !created {
		t.Fatalf("set: created %v, %v", created, err)
	}
	if _, _, err := notify.SetUnitChannel(ctx, c.Store, notify.ChannelRequest{Unit: "gaj", Kind: "dingtalk", URL: dingURL}); err != nil {
		t.Fatal(err)
	}
	line := notify.DescribeChannel(ding)
	if want := "九成宫镇（jcg）的钉钉机器人 #"; !strings.HasPrefix(line, want) || !strings.Contains(line, "加签密钥 SEC…1100") || !strings.Contains(line, "access_token=6d4…0000") {
		t.Fatalf("description %q", line)
	}

	var out strings.Builder
	chans, err := notify.ListUnitChannels(ctx, c.Store, "")
	if err != nil || len(chans) != 3 {
		t.Fatalf("list: %d, %v", len(chans), err)
	}
	if err := notify.WriteChannels(&out, chans); err != nil {
		t.Fatal(err)
	}
	listing := out.String()
	for _, secret := range []string{testSecret, tokenA, weComKey, testSecret[3:12], tokenA[3:12]} {
		if strings.Contains(listing+line, secret) {
			t.Fatalf("the listing shows a secret or token:\n%s", listing)
		}
	}
	if lines := strings.Split(strings.TrimSpace(listing), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[0], "ID") ||
		!strings.Contains(lines[1], "gaj") || !strings.Contains(lines[2], "SEC…1100") || !strings.Contains(lines[3], "key=693…5aaa") {
		t.Fatalf("listing:\n%s", listing)
	}
	if _, err := notify.ListUnitChannels(ctx, c.Store, "nope"); err == nil || !strings.Contains(err.Error(), "不存在") {
		t.Fatalf("list of an unknown unit: %v", err)
	}

	// Disable by id, or by kind and URL; a channel the unit does not have is named.
	if _, err := notify.DisableUnitChannel(ctx, c.Store, notify.ChannelRequest{Unit: "jcg", ID: ding.ID, Kind: "dingtalk"}); err == nil || !strings.Contains(err.Error(), "不要同时使用") {
		t.Fatalf("-id with -kind: %v", err)
	}
	gajChans, _ := notify.ListUnitChannels(ctx, c.Store, "gaj")
	if _, err := notify.DisableUnitChannel(ctx, c.Store, notify.ChannelRequest{Unit: "jcg", ID: gajChans[0].ID}); err == nil || !strings.Contains(err.Error(), "没有编号为") {
		t.Fatalf("another unit's channel by id: %v", err)
	}
	if _, err := notify.DisableUnitChannel(ctx, c.Store, notify.ChannelRequest{Unit: "jcg", Kind: "wecom", URL: weComURL + "x"}); err == nil || !strings.Contains(err.Error(), "九成宫镇没有这个企业微信机器人") {
		t.Fatalf("a channel the unit does not have: %v", err)
	}
	off, err := notify.DisableUnitChannel(ctx, c.Store, notify.ChannelRequest{Unit: "jcg", ID: ding.ID})
	if err != nil || off.Enabled {
		t.Fatalf("disable by id: %+v, %v", off, err)
	}
	off, err = notify.DisableUnitChannel(ctx, c.Store, notify.ChannelRequest{Unit: "jcg", Kind: "wecom", URL: " " + weComURL})
	if err != nil || off.Enabled || !strings.Contains(notify.DescribeChannel(off), "已停用") {
		t.Fatalf("disable by kind and URL: %+v, %v", off, err)
	}
	if n := testdb.Count(t, c.DB, `SELECT count(*) FROM unit_channels WHERE enabled`); n != 1 {
		t.Fatalf("%d channels enabled; want gaj's only", n)
	}
}
