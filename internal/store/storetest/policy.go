package storetest

import (
	"reflect"
	"time"

	"fixgate/internal/policy"
)

// OpenPolicy returns the built-in policy with every gate rule switched off
// (the gate allows anything), a `shell` exec driver and a `pipe` reported
// driver, and an environments entry for prod-eu using shell: for tests of
// what happens after the gate.
func OpenPolicy() *policy.Policy {
	p := policy.Default()
	rules := reflect.ValueOf(&p.Gate.Rules).Elem()
	for i := range rules.NumField() {
		f := rules.Field(i)
		if sw, ok := f.Addr().Interface().(*policy.Switch); ok {
			sw.Enabled = false
			continue
		}
		if sw := f.FieldByName("Switch"); sw.IsValid() {
			sw.FieldByName("Enabled").SetBool(false)
		}
	}
	p.Gate.Custom = nil
	p.Drivers = map[string]policy.Driver{"shell": {Exec: &policy.ExecDriver{Command: []string{"true"}, Timeout: policy.Duration(time.Minute)}},
		"pipe": {Reported: &policy.ReportedDriver{}}}
	p.Environments = map[string]policy.EnvironmentPolicy{"prod-eu": {Driver: "shell"}}
	return p
}
