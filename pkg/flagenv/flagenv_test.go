package flagenv

import (
	"encoding/json"
	"errors"
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPrecedence(t *testing.T) {
	env := map[string]string{"A": "from-env", "N": "7", "D": "2s"}
	tests := []struct {
		name  string
		args  []string
		wantA string
		wantN int
		wantD time.Duration
	}{
		{"env over default", nil, "from-env", 7, 2 * time.Second},
		{"flag over env", []string{"-a", "flag", "-n", "9", "-d", "1ms"}, "flag", 9, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New("x", func(k string) string { return env[k] }, io.Discard)
			a := s.String("a", "A", "def", "")
			n := s.Int("n", "N", 1, "")
			d := s.Duration("d", "D", time.Second, "")
			if err := s.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if *a != tt.wantA || *n != tt.wantN || *d != tt.wantD {
				t.Fatalf("got %q %d %v", *a, *n, *d)
			}
		})
	}
}

func TestBadEnvIsAnError(t *testing.T) {
	s := New("x", func(k string) string { return map[string]string{"N": "seven"}[k] }, io.Discard)
	s.Int("n", "N", 1, "")
	if err := s.Parse(nil); err == nil {
		t.Fatal("want error for N=seven")
	}
}

func TestDeprecatedNames(t *testing.T) {
	var out strings.Builder
	s := New("x", func(k string) string { return map[string]string{"OLD_TOPIC": "from-old"}[k] }, &out)
	s.DeprecatedEnv("TOPIC_RAW", "OLD_TOPIC")
	topic := s.TopicRaw()
	s.DeprecatedFlag("topic", "topic-raw")
	if err := s.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if *topic != "from-old" || !strings.Contains(out.String(), "OLD_TOPIC is deprecated: use TOPIC_RAW") {
		t.Fatalf("deprecated env: %q, output %q", *topic, out.String())
	}
	out.Reset()
	s = New("x", func(string) string { return "" }, &out)
	topic = s.TopicRaw()
	s.DeprecatedFlag("topic", "topic-raw")
	if err := s.Parse([]string{"-topic", "via-old-flag"}); err != nil {
		t.Fatal(err)
	}
	if *topic != "via-old-flag" || !strings.Contains(out.String(), "-topic is deprecated: use -topic-raw") {
		t.Fatalf("deprecated flag: %q, output %q", *topic, out.String())
	}
}

func TestTypedEnv(t *testing.T) {
	env := map[string]string{"B": "true", "F": "2.5"}
	s := New("x", func(k string) string { return env[k] }, io.Discard)
	b := s.Bool("b", "B", false, "")
	f := s.Float64("f", "F", 1, "")
	if err := s.Parse(nil); err != nil || !*b || *f != 2.5 {
		t.Fatalf("bool %v float %v err %v", *b, *f, err)
	}
	for k, v := range map[string]string{"B": "maybe", "F": "x"} {
		s := New("x", func(q string) string { return map[string]string{k: v}[q] }, io.Discard)
		s.Bool("b", "B", false, "")
		s.Float64("f", "F", 1, "")
		if err := s.Parse(nil); err == nil {
			t.Errorf("%s=%s: want an error", k, v)
		}
	}
}

// TestPrintConfig: -print-config lists every setting (not the deprecated
// aliases) as JSON and stops with flag.ErrHelp.
func TestPrintConfig(t *testing.T) {
	var out strings.Builder
	s := New("x", func(string) string { return "" }, &out)
	s.Brokers()
	s.FlagSet.Bool("dry-run", false, "only report")
	s.TopicRaw()
	s.DeprecatedFlag("topic", "topic-raw")
	if err := s.Parse([]string{"-print-config"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	var got []Setting
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	want := []Setting{
		{Flag: "brokers", Env: "KAFKA_BROKERS", Default: DefaultBrokers, Usage: "Kafka bootstrap brokers, comma-separated"},
		{Flag: "dry-run", Default: "false", Usage: "only report"},
		{Flag: "topic-raw", Env: "TOPIC_RAW", Default: "articles.raw.v1", Usage: "topic of raw articles"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("settings\n%+v\nwant\n%+v", got, want)
	}
}

func TestList(t *testing.T) {
	if got := List(" a, ,b,"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("List = %q", got)
	}
}
