// Package flagenv is the configuration of every Tension binary: flags
// whose defaults come from environment variables. The flag wins, then the
// variable, then the safe default; the variable name is shown in -help, and
// -print-config prints every setting (flag, variable, default) as JSON, from
// which the README's configuration table is generated.
//
// One naming scheme: a setting shared by several binaries has one flag and
// one variable everywhere, named after the resource (KAFKA_BROKERS,
// CLICKHOUSE_ADDR, TOPIC_RAW, LOG_LEVEL, ADMIN_TOKENS); a binary's own
// setting is named after the binary (INGEST_MAX_BODY, SINK_MAX_BATCH).
// Renamed variables and flags stay accepted for one release as deprecated
// aliases, with a warning.
package flagenv

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Getenv looks a variable up: os.Getenv in main, a map in tests.
type Getenv func(string) string

// Set is a flag set whose defaults come from the environment.
type Set struct {
	*flag.FlagSet
	getenv      Getenv
	out         io.Writer
	errs        []error
	envs        map[string]string   // flag name -> variable
	envAliases  map[string][]string // variable -> deprecated names
	flagAliases map[string]string   // deprecated flag -> flag
	warnings    []string
	printConfig *bool
}

// New returns a set that reports errors (rather than exiting) and prints
// usage to out.
func New(name string, getenv Getenv, out io.Writer) *Set {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	s := &Set{FlagSet: fs, getenv: getenv, out: out, envs: map[string]string{},
		envAliases: map[string][]string{}, flagAliases: map[string]string{}}
	s.printConfig = fs.Bool("print-config", false, "print every setting (flag, environment variable, default) as JSON and exit")
	return s
}

// DeprecatedEnv makes old an alias of the variable env, read when env is
// unset, with a warning. Call it before defining the flag of env.
func (s *Set) DeprecatedEnv(env, old string) {
	s.envAliases[env] = append(s.envAliases[env], old)
}

// DeprecatedFlag defines -old as an alias of the already defined -name,
// with a warning when used.
func (s *Set) DeprecatedFlag(old, name string) {
	f := s.FlagSet.Lookup(name)
	if f == nil {
		panic("flagenv: DeprecatedFlag of undefined -" + name)
	}
	s.flagAliases[old] = name
	s.FlagSet.Var(f.Value, old, "deprecated: use -"+name)
}

// lookup returns the value of env, or of a deprecated alias.
func (s *Set) lookup(env string) string {
	if v := s.getenv(env); v != "" {
		return v
	}
	for _, old := range s.envAliases[env] {
		if v := s.getenv(old); v != "" {
			s.warnings = append(s.warnings, fmt.Sprintf("environment variable %s is deprecated: use %s", old, env))
			return v
		}
	}
	return ""
}

func (s *Set) usage(name, usage, env string) string {
	s.envs[name] = env
	return fmt.Sprintf("%s (env %s)", usage, env)
}

// String defines a string flag with an environment fallback.
func (s *Set) String(name, env, def, usage string) *string {
	p := new(string)
	s.StringVar(p, name, env, def, usage)
	return p
}

// StringVar is String storing into p.
func (s *Set) StringVar(p *string, name, env, def, usage string) {
	if v := s.lookup(env); v != "" {
		def = v
	}
	s.FlagSet.StringVar(p, name, def, s.usage(name, usage, env))
}

// Int defines an int flag with an environment fallback.
func (s *Set) Int(name, env string, def int, usage string) *int {
	if v := s.lookup(env); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("env %s=%q: not an integer", env, v))
		} else {
			def = n
		}
	}
	return s.FlagSet.Int(name, def, s.usage(name, usage, env))
}

// Float64 defines a float flag with an environment fallback.
func (s *Set) Float64(name, env string, def float64, usage string) *float64 {
	if v := s.lookup(env); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("env %s=%q: not a number", env, v))
		} else {
			def = f
		}
	}
	return s.FlagSet.Float64(name, def, s.usage(name, usage, env))
}

// Bool defines a bool flag with an environment fallback (1, true, 0,
// false, ...).
func (s *Set) Bool(name, env string, def bool, usage string) *bool {
	if v := s.lookup(env); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("env %s=%q: not a boolean (1, true, 0, false)", env, v))
		} else {
			def = b
		}
	}
	return s.FlagSet.Bool(name, def, s.usage(name, usage, env))
}

// Duration defines a duration flag with an environment fallback.
func (s *Set) Duration(name, env string, def time.Duration, usage string) *time.Duration {
	if v := s.lookup(env); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("env %s=%q: not a duration (e.g. 500ms, 2s)", env, v))
		} else {
			def = d
		}
	}
	return s.FlagSet.Duration(name, def, s.usage(name, usage, env))
}

// Parse parses args and reports bad environment values too. With
// -print-config it prints the settings and returns flag.ErrHelp.
// Deprecated names that were used are reported on the set's output.
func (s *Set) Parse(args []string) error {
	if err := s.FlagSet.Parse(args); err != nil {
		return err
	}
	if *s.printConfig {
		if err := s.PrintConfig(s.out); err != nil {
			return err
		}
		return flag.ErrHelp
	}
	s.FlagSet.Visit(func(f *flag.Flag) {
		if name, ok := s.flagAliases[f.Name]; ok {
			s.warnings = append(s.warnings, fmt.Sprintf("flag -%s is deprecated: use -%s", f.Name, name))
		}
	})
	for _, w := range s.warnings {
		fmt.Fprintln(s.out, "warning:", w)
	}
	return errors.Join(s.errs...)
}

// Setting is one documented setting of a command.
type Setting struct {
	Flag    string `json:"flag"`
	Env     string `json:"env,omitempty"`
	Default string `json:"default"`
	Usage   string `json:"usage"`
}

// Settings lists the command's settings in flag order, without the
// deprecated aliases and -print-config.
func (s *Set) Settings() []Setting {
	var out []Setting
	s.FlagSet.VisitAll(func(f *flag.Flag) {
		if _, alias := s.flagAliases[f.Name]; alias || f.Name == "print-config" {
			return
		}
		env := s.envs[f.Name]
		usage := strings.TrimSuffix(f.Usage, " (env "+env+")")
		out = append(out, Setting{Flag: f.Name, Env: env, Default: f.DefValue, Usage: usage})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Flag < out[j].Flag })
	return out
}

// PrintConfig writes Settings as indented JSON.
func (s *Set) PrintConfig(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s.Settings())
}

// List splits a comma-separated list, dropping empty items and spaces.
func List(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
