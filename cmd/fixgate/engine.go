package main

import (
	"os"

	"fixgate/internal/driver"
	"fixgate/internal/engine"
	"fixgate/internal/fault"
	"fixgate/internal/policy"
	"fixgate/internal/prom"
	"fixgate/internal/rollout"
)

// prometheusMeasurer returns the Measurer of prometheus checks for url
// ("" : none, and those checks measure as errors naming the flag). The
// URL is the operator's, so loopback and private addresses are allowed.
func prometheusMeasurer(url string) (engine.Measurer, error) {
	if url == "" {
		return nil, nil
	}
	c, err := prom.New(url)
	if err != nil {
		return nil, fault.Field("prometheus-url", "%v", err)
	}
	return engine.Prometheus{Client: c}, nil
}

// policyDrivers returns the engine's driver lookup: the driver named name
// in the policy (driver.New), or `reported` by name without a policy
// entry. Webhook drivers reach private and loopback addresses only with
// allowPrivate (--driver-allow-private).
func policyDrivers(allowPrivate bool) engine.Drivers {
	return func(pol *policy.Policy, name string) (driver.Driver, error) {
		d, ok := pol.Drivers[name]
		if !ok {
			if name == rollout.ReportedDriver {
				return driver.Reported{}, nil
			}
			return nil, fault.Field("driver", "unknown driver %q: define it under drivers in the policy", name)
		}
		return driver.New(name, d, driver.Options{Getenv: os.Getenv, AllowPrivate: allowPrivate})
	}
}
