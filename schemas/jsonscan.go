package schemas

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// checkRawJSON checks what encoding/json forgives in one JSON value that it
// decoded: a string that is not valid UTF-8 (json stores U+FFFD instead), an
// escaped lone surrogate ("\ud800", also stored as U+FFFD), and a key given
// twice in one object (json keeps the last, other readers the first; keys
// match case-insensitively, as json matches them to fields). The error
// names the field as a JSON path ("data.items[1].name").
func checkRawJSON(b []byte) error {
	s := &jsonScanner{b: b}
	return s.value("")
}

type jsonScanner struct {
	b []byte
	i int
}

var errMalformed = fmt.Errorf("malformed JSON")

func (s *jsonScanner) ws() {
	for s.i < len(s.b) && strings.IndexByte(" \t\r\n", s.b[s.i]) >= 0 {
		s.i++
	}
}

func (s *jsonScanner) next() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *jsonScanner) value(path string) error {
	switch s.next() {
	case '{':
		return s.object(path)
	case '[':
		return s.array(path)
	case '"':
		_, err := s.str(path)
		return err
	case 0:
		return errMalformed
	}
	for s.i < len(s.b) && strings.IndexByte(",]} \t\r\n", s.b[s.i]) < 0 { // number, true, false, null
		s.i++
	}
	return nil
}

func (s *jsonScanner) object(path string) error {
	s.i++
	seen := map[string]bool{}
	for first := true; ; first = false {
		switch s.next() {
		case '}':
			s.i++
			return nil
		case ',':
			if first {
				return errMalformed
			}
			s.i++
		}
		if s.next() != '"' {
			return errMalformed
		}
		keyPath := "a key"
		if path != "" {
			keyPath = "a key in " + path
		}
		key, err := s.str(keyPath)
		if err != nil {
			return err
		}
		field := join(path, key)
		lower := strings.ToLower(key)
		if seen[lower] {
			return fmt.Errorf("%s is given twice", shortPath(field))
		}
		seen[lower] = true
		if s.next() != ':' {
			return errMalformed
		}
		s.i++
		if err := s.value(field); err != nil {
			return err
		}
	}
}

func (s *jsonScanner) array(path string) error {
	s.i++
	for n := 0; ; n++ {
		switch s.next() {
		case ']':
			s.i++
			return nil
		case ',':
			if n == 0 {
				return errMalformed
			}
			s.i++
		}
		if err := s.value(fmt.Sprintf("%s[%d]", path, n)); err != nil {
			return err
		}
	}
}

// str reads a string at s.i (its opening quote) and returns its contents,
// unescaped.
func (s *jsonScanner) str(path string) (string, error) {
	start := s.i
	s.i++
	escaped := false
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			raw := s.b[start:s.i]
			if !escaped {
				return string(raw[1 : len(raw)-1]), nil
			}
			var out string
			if err := json.Unmarshal(raw, &out); err != nil {
				return "", errMalformed
			}
			return out, nil
		case c == '\\':
			escaped = true
			if err := s.escape(path); err != nil {
				return "", err
			}
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && n == 1 {
				return "", fmt.Errorf("%s is not valid UTF-8 (byte %d of the record)", shortPath(path), s.i)
			}
			s.i += n
		default:
			s.i++
		}
	}
	return "", errMalformed
}

// escape reads one escape at s.i (its backslash); a \u escape of a high
// surrogate must be followed by one of a low surrogate.
func (s *jsonScanner) escape(path string) error {
	if s.i+1 >= len(s.b) {
		return errMalformed
	}
	if s.b[s.i+1] != 'u' {
		s.i += 2
		return nil
	}
	r, ok := s.hex4(s.i + 2)
	if !ok {
		return errMalformed
	}
	s.i += 6
	switch {
	case 0xDC00 <= r && r <= 0xDFFF:
		return fmt.Errorf("%s holds an escaped lone surrogate (\\u%04X), which is no character", shortPath(path), r)
	case 0xD800 <= r && r <= 0xDBFF:
		if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
			if lo, ok := s.hex4(s.i + 2); ok && 0xDC00 <= lo && lo <= 0xDFFF {
				s.i += 6
				return nil
			}
		}
		return fmt.Errorf("%s holds an escaped lone surrogate (\\u%04X), which is no character", shortPath(path), r)
	}
	return nil
}

func (s *jsonScanner) hex4(at int) (rune, bool) {
	if at+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range s.b[at : at+4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// shortPath bounds a path for a message: its keys come from the input.
func shortPath(p string) string { return shorten(p, 128) }

// shorten returns s as valid UTF-8 of at most limit bytes, cut at a
// character boundary and ended with "…" when it was longer.
func shorten(s string, limit int) string {
	if len(s) <= limit && utf8.ValidString(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= limit {
		return s
	}
	cut := limit - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
