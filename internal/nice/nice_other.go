//go:build !linux

package nice

func lower(int) error { return nil }

func threads() ([]int, error) { return nil, nil }
