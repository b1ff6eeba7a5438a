// Package flagenv defines flags whose defaults come from environment
// variables: the flag wins, then the variable, then the safe default. The
// variable name is shown in -help so operators can find it.
package flagenv

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Getenv looks a variable up: os.Getenv in main, a map in tests.
type Getenv func(string) string

// Set is a flag set whose defaults come from the environment.
type Set struct {
	*flag.FlagSet
	getenv Getenv
	errs   []error
}

// New returns a set that reports errors (rather than exiting) and prints
// usage to out.
func New(name string, getenv Getenv, out io.Writer) *Set {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	return &Set{FlagSet: fs, getenv: getenv}
}

func (s *Set) usage(usage, env string) string { return fmt.Sprintf("%s (env %s)", usage, env) }

// String defines a string flag with an environment fallback.
func (s *Set) String(name, env, def, usage string) *string {
	if v := s.getenv(env); v != "" {
		def = v
	}
	return s.FlagSet.String(name, def, s.usage(usage, env))
}

// Int defines an int flag with an environment fallback.
func (s *Set) Int(name, env string, def int, usage string) *int {
	if v := s.getenv(env); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("env %s=%q: not an integer", env, v))
		} else {
			def = n
		}
	}
	return s.FlagSet.Int(name, def, s.usage(usage, env))
}

// Duration defines a duration flag with an environment fallback.
func (s *Set) Duration(name, env string, def time.Duration, usage string) *time.Duration {
	if v := s.getenv(env); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("env %s=%q: not a duration (e.g. 500ms, 2s)", env, v))
		} else {
			def = d
		}
	}
	return s.FlagSet.Duration(name, def, s.usage(usage, env))
}

// Parse parses args and reports bad environment values too.
func (s *Set) Parse(args []string) error {
	if err := s.FlagSet.Parse(args); err != nil {
		return err
	}
	return errors.Join(s.errs...)
}
