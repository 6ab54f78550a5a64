package main

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// bufferedLog collects log lines in memory and writes them out at least
// every interval, and at once when the buffer fills or on Close. A served
// request then costs no write system call of its own for its log line; a
// crash loses at most one interval of log lines, never data.
type bufferedLog struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newBufferedLog(w io.Writer, interval time.Duration) *bufferedLog {
	b := &bufferedLog{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.flush()
			case <-b.stop:
				b.flush()
				return
			}
		}
	}()
	return b
}

// Write buffers one log line (slog writes each record in one call).
func (b *bufferedLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

func (b *bufferedLog) flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.w.Flush() //nolint:errcheck // nowhere to report a failing log
}

// Close writes out what is buffered and stops the flusher.
func (b *bufferedLog) Close() error {
	close(b.stop)
	<-b.done
	return nil
}
