package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/static"
)

// asset is one embedded static file, held in memory.
type asset struct {
	body        []byte
	gzipped     []byte // body compressed once at start, when that saves space
	contentType string
	url         string // the fingerprinted URL
}

// assets serves the embedded static files under fingerprinted URLs
// (/static/css/raadzaam.3f2a1b9c0d.css) that may be cached for a year,
// because a change in content changes the URL.
type assets struct {
	byName map[string]*asset // "css/raadzaam.css"
	byURL  map[string]*asset // "/static/css/raadzaam.3f2a1b9c0d.css"
}

func loadAssets() (*assets, error) {
	a := &assets{byName: map[string]*asset{}, byURL: map[string]*asset{}}
	err := fs.WalkDir(static.FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(static.FS, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "application/octet-stream"
		}
		if strings.HasPrefix(ct, "text/") && !strings.Contains(ct, "charset") {
			ct += "; charset=utf-8"
		}
		x := &asset{body: body, contentType: ct,
			url: "/static/" + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext}
		if x.gzipped, err = gzipBytes(body); err != nil {
			return err
		}
		a.byName[name] = x
		a.byURL[x.url] = x
		return nil
	})
	return a, err
}

// URL returns the fingerprinted URL of a static file; templates call it as
// {{asset "css/raadzaam.css"}}. An unknown name panics at template parse
// time checks, never at request time (see views_test).
func (a *assets) URL(name string) string {
	if x, ok := a.byName[name]; ok {
		return x.url
	}
	return "/static/" + name
}

// handleStatic serves a fingerprinted asset with a one-year immutable cache
// lifetime, or a plain-named one with a short lifetime.
func (a *assets) handleStatic(c *fiber.Ctx) error {
	p := c.Path()
	x, ok := a.byURL[p]
	cache := "public, max-age=31536000, immutable"
	if !ok {
		x, ok = a.byName[strings.TrimPrefix(p, "/static/")]
		cache = "public, max-age=300"
	}
	if !ok {
		return courses.Errorf(courses.ENOTFOUND, "no static file %q", p)
	}
	c.Set(fiber.HeaderContentType, x.contentType)
	c.Set(fiber.HeaderCacheControl, cache)
	c.Vary(fiber.HeaderAcceptEncoding)
	if x.gzipped != nil && strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
		c.Set(fiber.HeaderContentEncoding, "gzip") // the compress middleware leaves it alone
		return c.Send(x.gzipped)
	}
	return c.Send(x.body)
}

// gzipBytes compresses b, or returns nil when that would not save a tenth.
func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if buf.Len() > len(b)*9/10 {
		return nil, nil
	}
	return buf.Bytes(), nil
}
