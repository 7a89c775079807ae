package runner

import (
	"io"
	"os"
)

// progressOutput is w, without ANSI colour sequences unless w is a terminal.
func progressOutput(w io.Writer) io.Writer {
	if isTerminal(w) {
		return w
	}
	return &stripANSI{w: w}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// stripANSI drops CSI escape sequences (ESC [ ... final byte) from what it writes, including
// sequences split across writes, and passes the rest through in one write per call.
type stripANSI struct {
	w     io.Writer
	state int // 0 text, 1 after ESC, 2 inside ESC [
	buf   []byte
}

func (s *stripANSI) Write(p []byte) (int, error) {
	s.buf = s.buf[:0]
	for _, c := range p {
		switch s.state {
		case 0:
			if c == 0x1b {
				s.state = 1
				continue
			}
			s.buf = append(s.buf, c)
		case 1:
			if c == '[' {
				s.state = 2
				continue
			}
			s.state = 0
			s.buf = append(s.buf, 0x1b, c) // not a CSI sequence: keep it
		case 2:
			if c >= 0x40 && c <= 0x7e { // the final byte of a CSI sequence
				s.state = 0
			}
		}
	}
	if len(s.buf) > 0 {
		if _, err := s.w.Write(s.buf); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}
