package receiver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
)

// Saver keeps the lines of --save. The engine calls it from its one processing
// goroutine, once per batch, and answers the deliveries of the batch only when it
// returned: a 2xx from listen --save means the line is in the file.
type Saver interface {
	// Save appends whole lines. notice, when not "", is something the user must be
	// told (the file was moved away and has been reopened).
	Save(lines []byte) (notice string, err error)
}

// SaveFile is the --save file: appended to, one write(2) per batch, fsync'ed per
// batch when asked. Before each batch it checks that its path still names the open
// file, and reopens the path when the file was moved or deleted.
type SaveFile struct {
	// mu: Close may come from another goroutine than Save (listen ending while a
	// stuck display holds the processing goroutine).
	mu    sync.Mutex
	path  string
	f     *os.File
	info  os.FileInfo
	fsync bool
	// lastSeq is the highest seq of the lines already in the file.
	lastSeq int64
	// newline is owed when the file ended inside a line (a write cut short): the
	// next line must not be glued to it.
	newline bool
}

// saveLineLimit is how much of a line's beginning is read to find its seq: the
// rest of a line, however long, is skipped without being held in memory.
const saveLineLimit = 64

// OpenSave opens path for appending (creating it 0600: payloads hold personal
// data) and reads the seq of the lines already there, so that numbering continues
// after the highest. warning, when not "", names lines that are not saved
// deliveries (they do not count for numbering).
func OpenSave(path string, fsync bool) (s *SaveFile, warning string, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		// A FIFO or a device may be writable only.
		if f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err != nil {
			return nil, "", err
		}
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, "", err
	}
	s = &SaveFile{path: path, f: f, info: info, fsync: fsync}
	if info.Mode().IsRegular() && info.Size() > 0 {
		if warning, err = s.scan(); err != nil {
			f.Close()
			return nil, "", fmt.Errorf("reading %s: %w", path, err)
		}
	}
	return s, warning, nil
}

// scan streams the file once, keeping only the start and the last byte of each
// line: a long line costs no memory.
func (s *SaveFile) scan() (string, error) {
	r := bufio.NewReaderSize(io.NewSectionReader(s.f, 0, s.info.Size()), 64<<10)
	var (
		lineNo, bad, firstBad int64
		head                  []byte
		size                  int
		end                   byte // the last byte before the newline: "}" for a saved line
	)
	for {
		chunk, err := r.ReadSlice('\n')
		size += len(chunk)
		if len(head) < saveLineLimit {
			head = append(head, chunk[:min(len(chunk), saveLineLimit-len(head))]...)
		}
		complete := len(chunk) > 0 && chunk[len(chunk)-1] == '\n'
		if body := bytes.TrimRight(chunk, "\r\n"); len(body) > 0 {
			end = body[len(body)-1]
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		if size == 0 {
			break
		}
		lineNo++
		if seq, ok := parseSeq(head); ok && complete && end == '}' {
			s.lastSeq = max(s.lastSeq, seq)
		} else if len(bytes.TrimSpace(head)) > 0 || !complete {
			bad++
			if firstBad == 0 {
				firstBad = lineNo
			}
		}
		// A file that ends inside a line (a write cut short) owes a newline: the next
		// line must not be glued to the broken one.
		s.newline = !complete
		head, size, end = head[:0], 0, 0
		if err != nil {
			break
		}
	}
	switch {
	case bad == 1:
		return fmt.Sprintf("%s: line %d is not a saved delivery (cut short, or written by something else); numbering ignores it", s.path, firstBad), nil
	case bad > 1:
		return fmt.Sprintf("%s: %d lines (the first is line %d) are not saved deliveries; numbering ignores them", s.path, bad, firstBad), nil
	}
	return "", nil
}

// parseSeq reads the seq a saved line starts with: {"seq":N,
func parseSeq(head []byte) (int64, bool) {
	rest, ok := bytes.CutPrefix(head, []byte(`{"seq":`))
	if !ok {
		return 0, false
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i == 0 || i >= len(rest) || rest[i] != ',' {
		return 0, false
	}
	n, err := strconv.ParseInt(string(rest[:i]), 10, 64)
	return n, err == nil && n > 0
}

// LastSeq is the highest seq found in the file when it was opened (0 for none).
func (s *SaveFile) LastSeq() int64 { return s.lastSeq }

// Save appends lines with one write. Before it, a path that no longer names the
// open file (moved, deleted, replaced) is reopened, so that lines go where the user
// looks for them.
func (s *SaveFile) Save(lines []byte) (notice string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.info.Mode().IsRegular() {
		if now, serr := os.Stat(s.path); serr != nil || !os.SameFile(now, s.info) {
			how := "was replaced"
			if serr != nil {
				how = "was moved or deleted"
			}
			f, oerr := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
			if oerr != nil {
				return "", fmt.Errorf("%s %s while listen ran, and reopening it failed: %w", s.path, how, oerr)
			}
			info, oerr := f.Stat()
			if oerr != nil {
				f.Close()
				return "", oerr
			}
			s.f.Close()
			s.f, s.info = f, info
			s.newline = info.Size() > 0 && s.endsInsideLine()
			notice = fmt.Sprintf("--save: %s %s while listen ran; reopened it, the lines from now on are appended to %s", s.path, how, s.path)
		}
	}
	if s.newline {
		if _, err := s.f.Write([]byte{'\n'}); err != nil {
			return notice, err
		}
		s.newline = false
	}
	if _, err := s.f.Write(lines); err != nil {
		return notice, err
	}
	if s.fsync {
		if err := s.f.Sync(); err != nil {
			return notice, err
		}
	}
	return notice, nil
}

// endsInsideLine reports whether the last byte of the file is not a newline.
func (s *SaveFile) endsInsideLine() bool {
	r, err := os.Open(s.path)
	if err != nil {
		return false
	}
	defer r.Close()
	var b [1]byte
	if fi, err := r.Stat(); err != nil || fi.Size() == 0 {
		return false
	} else if _, err := r.ReadAt(b[:], fi.Size()-1); err != nil {
		return false
	}
	return b[0] != '\n'
}

// Close closes the file.
func (s *SaveFile) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Close()
}
