// Package heddle holds what heddle-ls knows about heddle itself, shared by
// every source (the agent daemon, the heddle CLI, the oplog, the mount
// daemon): finding a repository on disk, read-only, and the read model its
// queries return (operations, signal health, hooks). It knows nothing of
// LSP, gRPC or processes.
package heddle
