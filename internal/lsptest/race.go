//go:build race

package lsptest

// raceEnabled: the test binary runs under the race detector, so the server
// binary is built with it too and a data race in the server fails the test.
const raceEnabled = true
