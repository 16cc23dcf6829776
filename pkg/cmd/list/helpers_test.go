package list_test

import "os"

func writeCorrupt(path string) error {
	return os.WriteFile(path, []byte(`{"version":1,"subscriptions":[{"id":`), 0o600)
}
