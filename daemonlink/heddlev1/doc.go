// Package heddlev1 holds the Go code generated from proto/heddle/v1: heddle's
// local daemon API as of heddle v0.2.0. Regenerate with `make proto`; never
// edit the *.pb.go files by hand.
package heddlev1
