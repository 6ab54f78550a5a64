package main

import (
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// windowLimiter allows each client a number of requests per fixed window,
// in this instance's memory. Clients are known by a keyed hash of their
// address, so no address is kept. It guards cheap public lookups (the
// certificate verification); sign-ins use the database's limiter, shared
// by every instance.
type windowLimiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	start  time.Time
	counts map[string]int
	now    func() time.Time
}

func newWindowLimiter(max int, window time.Duration) *windowLimiter {
	return &windowLimiter{max: max, window: window, counts: map[string]int{}, now: time.Now}
}

// allow counts a request of client and reports whether it is within the
// limit, or else when the window ends.
func (l *windowLimiter) allow(client string) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.start) >= l.window {
		l.start, l.counts = now, map[string]int{}
	}
	l.counts[client]++
	return l.counts[client] <= l.max, l.start.Add(l.window)
}

// limited answers 429 with Retry-After to a client over l's limit, and
// otherwise runs h.
func (a *application) limited(l *windowLimiter, h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ok, until := l.allow(a.auth.pseudonym(c.IP()))
		if !ok {
			c.Set(fiber.HeaderRetryAfter, itoa(int(time.Until(until).Seconds())+1))
			return &courses.Error{Code: courses.ERATELIMIT, Message: "too many lookups",
				Problems: []courses.Problem{{Key: courses.ProblemLockedUntil, Args: map[string]any{"until": until}}}}
		}
		return h(c)
	}
}
