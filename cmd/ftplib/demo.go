package main

import (
	"context"
	"errors"
)

func (c *cli) cmdDemo(ctx context.Context, args []string) error {
	return errors.New("demo: not yet")
}
