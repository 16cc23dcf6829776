// Package browsertest drives a real headless Chromium (the Debian package chromium)
// with chromedp, for the inspector's browser tests and for cmd/screenshots.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/chromedp/chromedp"
)

// ErrNoBrowser says that no Chromium was found.
var ErrNoBrowser = errors.New("no Chromium found: install the Debian package chromium (apt-get install -y chromium), or set CHROMIUM to its path")

// Path finds the browser: $CHROMIUM, else chromium or chromium-browser on PATH.
func Path() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoBrowser
}

// Options size the window.
type Options struct {
	Width, Height int
	// Dark asks the page for the dark colour scheme.
	Dark bool
}

// Start launches a headless Chromium with its own temporary profile and returns a
// browser context; cancel ends the browser and removes the profile.
func Start(parent context.Context, o Options) (context.Context, context.CancelFunc, error) {
	path, err := Path()
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "inspector-chromium-")
	if err != nil {
		return nil, nil, err
	}
	if o.Width == 0 {
		o.Width, o.Height = 1280, 800
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.UserDataDir(dir),
		// Times on the page are local: UTC, for pictures that are the same anywhere.
		chromedp.Env("TZ=UTC"),
		chromedp.WindowSize(o.Width, o.Height),
	}
	if o.Dark {
		opts = append(opts, chromedp.Flag("force-dark-mode", true), chromedp.Flag("blink-settings", "preferredColorScheme=0"))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(parent, opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	cancel := func() {
		cancelCtx()
		cancelAlloc()
		_ = os.RemoveAll(dir)
	}
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		return nil, nil, fmt.Errorf("starting %s: %w", path, err)
	}
	return ctx, cancel, nil
}
