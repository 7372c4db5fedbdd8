package main

import (
	"context"
	"errors"
)

func benchFill(ctx context.Context, c config) error { return errors.New("fill: not built yet") }
