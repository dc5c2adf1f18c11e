package ecs

import (
	"errors"
	"fmt"
	"strings"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
)

// runError is a failure worded for users; the SDK's error stays reachable with errors.As.
type runError struct {
	msg   string
	cause error
}

func (e *runError) Error() string { return e.msg }
func (e *runError) Unwrap() error { return e.cause }

func apiCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// clientError is ECS's answer to a request naming something it does not have (such as a task
// definition family never registered).
func clientError(err error) bool {
	return apiCode(err) == "ClientException"
}

// notFound is StopTask's answer for a task ECS does not know.
func notFound(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && strings.Contains(strings.ToLower(api.ErrorMessage()), "not found") &&
		api.ErrorCode() != "ClusterNotFoundException"
}

// wrap words an ECS or CloudWatch Logs failure: what was tried, on which cluster, and what to
// check. Secrets never appear in it.
func (r *Runner) wrap(what string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "ClusterNotFoundException":
			return &runError{cause: err, msg: fmt.Sprintf(
				"ECS cluster %q does not exist in %s: create it, or set DORA_ECS_CLUSTER to one that does", r.cfg.Cluster, r.region)}
		case "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException",
			"InvalidClientTokenId", "IncompleteSignature":
			return &runError{cause: err, msg: fmt.Sprintf(
				"AWS rejected the credentials trying to %s (check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE): %s",
				what, api.ErrorCode())}
		case "AccessDeniedException":
			return &runError{cause: err, msg: fmt.Sprintf(
				"the AWS credentials in use may not %s: %s", what, api.ErrorMessage())}
		default:
			return &runError{cause: err, msg: fmt.Sprintf("could not %s: %s", what, strings.TrimSpace(api.ErrorCode()+": "+api.ErrorMessage()))}
		}
	}
	if strings.Contains(err.Error(), "get credentials:") { // the default chain found none
		return &runError{cause: err, msg: fmt.Sprintf(
			"no AWS credentials found to %s: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run where an instance or task role is available", what)}
	}
	var sign *v4.SigningError
	if errors.As(err, &sign) {
		return &runError{cause: err, msg: fmt.Sprintf("no usable AWS credentials to %s: %v", what, errors.Unwrap(sign))}
	}
	return fmt.Errorf("%s: %w", what, err)
}
