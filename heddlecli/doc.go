// Package heddlecli is the heddle CLI as a query source: when no agent
// daemon answers (heddle v0.11.0 and later have none), heddle-ls runs the
// CLI's read verbs and decodes their JSON contract (heddle-cli-facts §3). It
// knows nothing of LSP; the server maps its results and errors.
//
// # API
//
//	r := heddlecli.NewRunner(heddlecli.Options{Setting: "", Timeout: 2 * time.Second}, log)
//	r.SetOptions(opts)                       // a new setting forgets the CLI found
//	info, err := r.Info(ctx)                 // the CLI found: Path, Version (`heddle --version`)
//	info, err = r.Refresh(ctx)               // look again and re-run --version
//	ops, err := r.Operations(ctx, target, q) // heddle query: newest first, the most recent q.Limit
//	sh, err := r.SignalHealth(ctx, target, window) // heddle review health
//	hooks, err := r.Hooks(ctx, target)       // heddle hook list
//
// where target is Target{Folder, Repo}: the workspace folder and the
// repository discovery found for it (heddle.Discover). Info's methods tell
// what that release has: HasAgentDaemon, AgentAPI, AgentStartCommand.
// (A hit's id is read from change_id, ≤ v0.10.1, or state_id, whichever
// it has.) Every error is an *Error whose Kind the caller maps (KindDisabled,
// KindNotFound, KindBadSetting, KindUnsafe, KindTimeout, KindCanceled,
// KindTooLarge, KindBadOutput, KindBadQuery, KindUsage (exit 64), KindData
// (65), KindBusy (75, the only retryable one), KindNoRepo
// (78), KindFailed), with a one-line Message and a Hint.
//
// # Finding the CLI
//
// Options.Setting is the heddlePath setting: "" looks up "heddle" on PATH
// (exec.LookPath, which refuses a PATH entry that is relative), "off"
// disables the CLI, anything else must be an absolute path (a path relative
// to a workspace folder would let a cloned repository choose the program).
// The version comes from `heddle --version`, run once per binary (the
// resolved path and its file identity) and again after Refresh or a new
// setting.
//
// # Running it as if it could hurt the repository
//
// Opening a repository can write (heddle-cli-facts §4), so before every run:
// the verb must be one of query, review health, hook list, hook events
// (--version runs with / as its working directory); heddle.CLISafe must
// accept the folder and repository (discovered root, no nested Git root, the
// nearest heddle root is the discovered one, no clone intent). The CLI then
// runs with the working directory and -C at the repository's root, always
// with --output json --no-color, in a process group of its own: killed as a
// group on the timeout (Options.Timeout, which also bounds waiting for one
// of the Options.MaxConcurrent slots), on the caller's cancellation, when
// stdout passes Options.MaxStdout, and, after the CLI exits, any process it
// left behind in its group. Nothing is retried automatically (a 75 says
// Retryable; the caller decides), so a query never makes heddle-ls run
// another one by itself.
//
// # What the CLI answers differently from the daemon
//
// `heddle query` returns hits oldest first and its --limit keeps the OLDEST
// N, so Operations asks for --limit 0 and keeps the newest q.Limit, newest
// first, as the daemon path does. The CLI scans the oplog, which records no
// symbols or signal kinds: its hits have none, and a Symbol or SignalKind
// filter always answers no hits. Ids come as change_id (hd-…, up to v0.10.1)
// or state_id (hs-…, from v0.10.3); Operation.StateID holds the decoded
// bytes and StateRef the id as printed, either may be empty for verbs
// without a state. Hooks are the installed hook scripts:
// {Name, Command: "<heddle_dir>/hooks/<name>", Events: [], TimeoutMs: 0}.
package heddlecli
