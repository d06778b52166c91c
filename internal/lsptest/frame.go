// frame.go: LSP's Content-Length framing, read strictly. The server's own
// reader (lsp/stream.go) forgives bad input and reads on; a client that
// checks the server must not: anything but a well-formed frame is an error.

package lsptest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// MaxFrame bounds one message body from the server (a heddle.operations
// answer of 10,000 hits is a few MB).
const MaxFrame = 256 << 20

// ErrProtocol marks everything the server sent that is not LSP: bad
// framing, a body that is not a JSON-RPC 2.0 object.
var ErrProtocol = errors.New("not LSP")

func protocolErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrProtocol, fmt.Sprintf(format, args...))
}

// ReadFrame reads one frame and returns its body. Every header line ends
// in CRLF and has a name; Content-Length is a decimal number from 0 to
// MaxFrame, present at least once, and equal wherever it repeats. It
// returns io.EOF when the stream ends between frames, and an ErrProtocol
// error (io.ErrUnexpectedEOF for a stream cut inside one) otherwise. The
// header lines must fit in br's buffer.
func ReadFrame(br *bufio.Reader) ([]byte, error) {
	length := int64(-1)
	for first := true; ; first = false {
		line, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			return nil, protocolErr("header line longer than %d bytes", br.Size())
		case errors.Is(err, io.EOF) && first && len(line) == 0:
			return nil, io.EOF
		case errors.Is(err, io.EOF):
			return nil, fmt.Errorf("%w: stream ended inside a header: %w", ErrProtocol, io.ErrUnexpectedEOF)
		case err != nil:
			return nil, err
		}
		content, ok := bytes.CutSuffix(line, []byte("\r\n"))
		if !ok {
			return nil, protocolErr("header line %.80q does not end in CRLF", line)
		}
		if len(content) == 0 {
			break
		}
		name, value, ok := bytes.Cut(content, []byte(":"))
		if !ok || len(bytes.TrimSpace(name)) == 0 {
			return nil, protocolErr("bad header line %.80q", content)
		}
		if !bytes.EqualFold(bytes.TrimSpace(name), []byte("Content-Length")) {
			continue // Content-Type and the like carry nothing for us
		}
		n, err := parseLength(bytes.TrimSpace(value))
		if err != nil {
			return nil, err
		}
		if length >= 0 && n != length {
			return nil, protocolErr("conflicting Content-Length headers %d and %d", length, n)
		}
		length = n
	}
	if length < 0 {
		return nil, protocolErr("header block without Content-Length")
	}
	// Grown as bytes arrive: a length the stream never delivers costs
	// nothing.
	var body bytes.Buffer
	body.Grow(int(min(length, 64<<10)))
	if n, err := io.CopyN(&body, br, length); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%w: short body, %d of %d bytes: %w", ErrProtocol, n, length, err)
	}
	return body.Bytes(), nil
}

func parseLength(v []byte) (int64, error) {
	if len(v) > 0 && v[0] == '-' {
		return 0, protocolErr("negative Content-Length %.40q", v)
	}
	for _, b := range v {
		if b < '0' || b > '9' {
			return 0, protocolErr("bad Content-Length %.40q", v)
		}
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil { // empty, or beyond int64
		return 0, protocolErr("bad Content-Length %.40q", v)
	}
	if n > MaxFrame {
		return 0, protocolErr("Content-Length %d exceeds the client's limit of %d", n, MaxFrame)
	}
	return n, nil
}

// AppendFrame appends body framed with its Content-Length header.
func AppendFrame(dst, body []byte) []byte {
	dst = fmt.Appendf(dst, "Content-Length: %d\r\n\r\n", len(body))
	return append(dst, body...)
}
