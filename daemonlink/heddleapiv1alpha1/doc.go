// Package heddleapiv1alpha1 holds the Go code generated from
// proto/heddle/api/v1alpha1: the part of heddle.api.v1alpha1 that a heddle
// v0.10.3 agent daemon serves and heddle-ls calls
// (StateReviewService/GetRepoSignalHealth). Regenerate with `make proto`;
// never edit the *.pb.go files by hand.
package heddleapiv1alpha1
