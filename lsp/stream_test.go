package lsp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"go.lsp.dev/jsonrpc2"
)

// bufferRWC reads from a fixed input and records what is written.
type bufferRWC struct {
	in  *bytes.Reader
	out bytes.Buffer
}

func (b *bufferRWC) Read(p []byte) (int, error)  { return b.in.Read(p) }
func (b *bufferRWC) Write(p []byte) (int, error) { return b.out.Write(p) }
func (b *bufferRWC) Close() error                { return nil }

// readAll reads messages until the stream ends and returns them with the
// frames the stream wrote back.
func readAll(t testing.TB, input []byte, max int64) ([]jsonrpc2.Message, []map[string]any, error) {
	rwc := &bufferRWC{in: bytes.NewReader(input)}
	s := newStream(rwc, slog.New(slog.DiscardHandler))
	if max > 0 {
		s.max = max
	}
	var msgs []jsonrpc2.Message
	var err error
	for {
		var m jsonrpc2.Message
		m, _, err = s.Read(context.Background())
		if err != nil {
			break
		}
		msgs = append(msgs, m)
	}
	// Every frame written back is well formed.
	var replies []map[string]any
	r := bufio.NewReader(&rwc.out)
	for {
		line, rerr := r.ReadString('\n')
		if rerr == io.EOF && line == "" {
			break
		}
		n, perr := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "Content-Length:")))
		if perr != nil {
			t.Fatalf("bad reply header %q", line)
		}
		if blank, _ := r.ReadString('\n'); blank != "\r\n" {
			t.Fatalf("reply header not followed by a blank line")
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			t.Fatalf("short reply body: %v", err)
		}
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("reply is not JSON: %q", body)
		}
		replies = append(replies, v)
	}
	return msgs, replies, err
}

func framed(body string) string {
	return "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

func TestStream_Recovers(t *testing.T) {
	good := `{"jsonrpc":"2.0","id":1,"method":"shutdown"}`
	cases := []struct {
		name    string
		input   string
		codes   []float64
		replyID []any
	}{
		{"bad JSON", framed(`{"id":1,`) + framed(good), []float64{-32700}, []any{nil}},
		{"batch", framed(`[{"jsonrpc":"2.0"}]`) + framed(good), []float64{-32600}, []any{nil}},
		{"bad version keeps id", framed(`{"jsonrpc":"1.0","id":"a","method":"x"}`) + framed(good), []float64{-32600}, []any{"a"}},
		{"float id", framed(`{"jsonrpc":"2.0","id":1.5,"method":"x"}`) + framed(good), []float64{-32600}, []any{nil}},
		{"no content-length", "Content-Type: x\r\n\r\n" + framed(good), nil, nil},
		{"junk line", "hello\r\n\r\n" + framed(good), nil, nil},
		{"header glued to junk", `{"half":` + framed(good), nil, nil},
		{"lowercase header, LF only", "content-length: " + strconv.Itoa(len(good)) + "\n\n" + good, nil, nil},
		{"oversized", framed(strings.Repeat("x", 100)) + framed(good), []float64{-32600}, []any{nil}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msgs, replies, err := readAll(t, []byte(tc.input), 80)
			if !errors.Is(err, io.EOF) {
				t.Errorf("stream ended with %v, want EOF", err)
			}
			if len(msgs) != 1 {
				t.Fatalf("got %d messages, want the good one", len(msgs))
			}
			if call, ok := msgs[0].(*jsonrpc2.Call); !ok || call.Method() != "shutdown" {
				t.Errorf("message = %#v", msgs[0])
			}
			if len(replies) != len(tc.codes) {
				t.Fatalf("replies = %v, want codes %v", replies, tc.codes)
			}
			for i, r := range replies {
				e, _ := r["error"].(map[string]any)
				if e == nil || e["code"] != tc.codes[i] || r["id"] != tc.replyID[i] || r["jsonrpc"] != "2.0" {
					t.Errorf("reply %d = %v, want code %v id %v", i, r, tc.codes[i], tc.replyID[i])
				}
			}
		})
	}
}

// FuzzStream: whatever arrives, Read never panics, ends with EOF once the
// input is exhausted, and writes back only well-formed error frames.
func FuzzStream(f *testing.F) {
	f.Add([]byte(framed(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`)))
	f.Add([]byte(framed(`{"id":`) + "Content-Length: 5\r\n\r\n{}{}{"))
	f.Add([]byte("Content-Length: -1\r\n\r\nContent-Length: 99999999999999999999\r\n\r\n"))
	f.Add([]byte("\r\n\r\n\n\nContent-Length: 2\r\n\r\n[]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, replies, err := readAll(t, data, 1<<16)
		if err != nil && !errors.Is(err, io.EOF) {
			t.Fatalf("stream ended with %v, want EOF", err)
		}
		for _, r := range replies {
			if _, ok := r["error"].(map[string]any); !ok {
				t.Fatalf("reply without error: %v", r)
			}
		}
	})
}

// encodeMessage's fast path for results must produce what the generic
// encoder does, for number and string ids.
func TestEncodeMessage_MatchesGenericEncoding(t *testing.T) {
	for _, id := range []jsonrpc2.ID{jsonrpc2.NewNumberID(7), jsonrpc2.NewStringID("abc")} {
		for _, result := range []any{map[string]any{"hits": []int{1, 2}}, nil, "text"} {
			r, err := jsonrpc2.NewResponse(id, result, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := encodeMessage(r)
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if json.Unmarshal(got, &g) != nil || json.Unmarshal(want, &w) != nil || fmt.Sprint(g) != fmt.Sprint(w) {
				t.Fatalf("fast path %s, generic %s", got, want)
			}
		}
	}
}
