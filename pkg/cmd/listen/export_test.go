package listen

// LockPath exposes the lock of a running `listen --register` to the tests.
var LockPath = lockPath
