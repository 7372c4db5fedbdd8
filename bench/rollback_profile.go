package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
)

// profilePhase writes a CPU profile of this process to
// $FIXGATE_BENCH_ROLLBACK_PROFILE/name.pprof from now until the returned
// function is called (nothing when the variable is unset): the traffic
// phase ((a) and (b)) and the restart of case (c).
func profilePhase(name string) func() {
	dir := os.Getenv("FIXGATE_BENCH_ROLLBACK_PROFILE")
	if dir == "" {
		return func() {}
	}
	path := filepath.Join(dir, name+".pprof")
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "profile %s: %v\n", name, err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		fmt.Printf("  CPU profile: %s\n", path)
	}
}
