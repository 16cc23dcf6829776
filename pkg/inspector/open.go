package inspector

import (
	"context"
	"os/exec"
	"runtime"
)

// OpenBrowser opens url with the platform's opener (--open); it does not wait for
// the browser.
func OpenBrowser(ctx context.Context, url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.CommandContext(ctx, "open", url)
	case "windows":
		cmd = exec.CommandContext(ctx, "rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.CommandContext(ctx, "xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}

// ExposedWarning is what an inspector served beyond loopback (--ui-host) is told.
func ExposedWarning(host string) string {
	return "the inspector is served on " + host + ": it shows your deliveries' personal data to whoever has its URL (with the token)"
}

// OpenFailedWarning is what a failed --open is told.
func OpenFailedWarning(err error, url string) string {
	return "--open: " + err.Error() + "; open " + url + " yourself"
}
