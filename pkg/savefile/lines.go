// Package savefile reads the files `listen --save` writes: one JSON object per line,
// read line by line with bounded memory (Scanner), each parsed as a saved delivery
// (Parse); Reader does both, reporting the lines that are not. replay sends them;
// inspect shows them.
package savefile

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// The bounds of one line of a save file.
const (
	// maxSavedBody is the largest body listen --save can save: its --max-body is
	// capped at 64 MiB.
	maxSavedBody = 64 << 20
	// MaxLineBytes is the longest line listen --save can write. The body is in it
	// twice: as "body" (its JSON value, or a JSON string when it is not JSON) and as
	// "raw" (a JSON string) or "rawBase64" (4/3 of the body). A JSON string may write
	// each byte as a six-byte \u00XX escape, so each copy takes at most six times the
	// body. The other fields — headers (net/http reads at most 1 MiB of them, escaped
	// up to six times), path, event, warnings — fit in the 16 MiB added. A longer line
	// was not written by listen: it is skipped, read but not kept.
	MaxLineBytes = 2*6*maxSavedBody + 16<<20
	// maxNonObject is how much of a line that does not start with "{" is kept, to
	// say what it is: every saved delivery is a JSON object, and /dev/zero is not.
	maxNonObject = 64 << 10
)

// readChunk is the reading buffer: a line is read in pieces this large, so that one
// that is skipped costs no more memory than this.
const readChunk = 64 << 10

// Scanner reads lines of at most limit bytes. A longer line — or a line that is
// not a JSON object, beyond maxNonObject — is read to its end but not kept, and
// reported as a problem with its number.
type Scanner struct {
	br     *bufio.Reader
	limit  int
	lineNo int
}

// NewScanner reads r in lines of at most limit bytes (MaxLineBytes for any file
// listen wrote).
func NewScanner(r io.Reader, limit int) *Scanner {
	return &Scanner{br: bufio.NewReaderSize(r, readChunk), limit: limit}
}

// Next returns the next line without its newline and the line's number; problem
// says why a line was skipped (line is then nil); err is io.EOF at the end, or why
// reading failed. ctx is checked between pieces: a line without end (/dev/zero) is
// read until the interruption.
func (s *Scanner) Next(ctx context.Context) (line []byte, lineNo int, problem, err error) {
	s.lineNo++
	var (
		buf     []byte
		n       int // bytes of the line read so far
		keep    = true
		decided bool // the line's first non-blank byte has been seen
		object  bool // and it is "{"
	)
	for {
		if err := ctx.Err(); err != nil {
			return nil, s.lineNo, nil, err
		}
		chunk, rerr := s.br.ReadSlice('\n')
		n += len(chunk)
		if keep {
			if !decided {
				if t := bytes.TrimLeft(chunk, " \t\r\n"); len(t) > 0 {
					decided, object = true, t[0] == '{'
				}
			}
			switch {
			case n > s.limit:
				keep, buf = false, nil
				problem = fmt.Errorf("longer than %s, more than listen --save writes", sizeText(s.limit))
			case !object && n > maxNonObject:
				keep, buf = false, nil
				problem = errors.New("not a JSON object: not a line of listen --save")
			default:
				buf = append(buf, chunk...)
			}
		}
		switch {
		case errors.Is(rerr, bufio.ErrBufferFull):
			continue
		case errors.Is(rerr, io.EOF) && n == 0:
			return nil, s.lineNo, nil, io.EOF
		case rerr != nil && !errors.Is(rerr, io.EOF):
			return nil, s.lineNo, nil, rerr
		}
		if !keep {
			return nil, s.lineNo, problem, nil
		}
		return bytes.TrimSuffix(buf, []byte("\n")), s.lineNo, nil, nil
	}
}

// sizeText is a size in MiB, or KiB below one MiB.
func sizeText(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// Reader reads the saved deliveries of a save file, passing over blank lines and
// reporting each line that is not a saved delivery.
type Reader struct {
	sc   *Scanner
	name string
	skip func(warning string)
}

// NewReader reads the save file name from r, in lines of at most MaxLineBytes. skip
// is told of each line that is not a saved delivery: "NAME line N: why; skipped".
func NewReader(r io.Reader, name string, skip func(warning string)) *Reader {
	return &Reader{sc: NewScanner(r, MaxLineBytes), name: name, skip: skip}
}

// Next returns the next saved delivery. err is io.EOF at the end, ctx's error once
// ctx is done (a line read meanwhile is neither returned nor reported), or why
// reading failed.
func (r *Reader) Next(ctx context.Context) (*Line, error) {
	for {
		line, lineNo, problem, err := r.sc.Next(ctx)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		if err != nil {
			return nil, err
		}
		if problem == nil && len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var l *Line
		if problem == nil {
			l, problem = Parse(line)
		}
		if problem != nil {
			r.skip(fmt.Sprintf("%s line %d: %v; skipped", r.name, lineNo, problem))
			continue
		}
		return l, nil
	}
}
