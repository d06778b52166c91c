package faults

import (
	"os"
	"testing"

	"github.com/heddle-ls/heddle-ls/internal/simtest"
)

// helperEnv makes the test binary act as a helper process (see
// foreignListenerMain) instead of running tests.
const helperEnv = "HEDDLE_FAULTS_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "foreign-listener":
		os.Exit(foreignListenerMain())
	case "daemon":
		os.Exit(daemonMain())
	}
	simtest.Main(m)
}
