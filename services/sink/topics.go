package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tension-dev/tension/pkg/flagenv"
	"github.com/tension-dev/tension/pkg/kafkax"
)

const topicsUsage = `usage: sink topics ensure|list|specs [flags]
  ensure  create the pipeline's topics that do not exist (the table in pkg/kafkax), waiting up to -wait for a broker
  list    every topic of the cluster with its partitions, replication and cleanup.policy
  specs   the topics ensure would create, one per line (no broker needed)`

// runTopics is `sink topics`: the pipeline's topics from the one table in
// pkg/kafkax, for scripts/platform.sh and operators. Services ensure the
// topics they use from the same table at start.
func runTopics(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, topicsUsage)
		return errors.New("sink topics: want ensure, list or specs")
	}
	cmd, args := args[0], args[1:]
	fs := flagenv.New("sink topics "+cmd, getenv, stderr)
	brokers := fs.Brokers()
	partitions := fs.Partitions()
	replication := fs.ReplicationFactor()
	minISR := fs.MinInsyncReplicas()
	names := map[kafkax.Role]*string{
		kafkax.Raw:      fs.TopicRaw(),
		kafkax.Enriched: fs.TopicEnriched(),
		kafkax.DLQ:      fs.TopicDLQ(),
		kafkax.Index:    fs.TopicIndex("compacted topic of index updates"),
	}
	wait := fs.FlagSet.Duration("wait", 0, "ensure, list: how long to wait for a broker to answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s := kafkax.TopicSettings{Partitions: *partitions, ReplicationFactor: *replication, MinInsyncReplicas: *minISR}
	if err := s.Check(); err != nil {
		return fmt.Errorf("sink topics: %w", err)
	}
	var specs []kafkax.TopicSpec
	for _, r := range []kafkax.Role{kafkax.Raw, kafkax.Enriched, kafkax.DLQ, kafkax.Index} {
		specs = append(specs, s.Topic(r, *names[r]))
	}
	brokerList := kafkax.Brokers(*brokers)
	switch cmd {
	case "specs":
		for _, t := range specs {
			fmt.Fprintln(stdout, t)
		}
		return nil
	case "ensure":
		if err := awaitBroker(ctx, brokerList, *wait); err != nil {
			return err
		}
		created, err := kafkax.CreateTopics(ctx, brokerList, specs...)
		for _, name := range created {
			for _, t := range specs {
				if t.Name == name {
					fmt.Fprintln(stdout, "created", t)
				}
			}
		}
		if err != nil {
			return err
		}
		return warnDrift(ctx, brokerList, specs, stderr)
	case "list":
		if err := awaitBroker(ctx, brokerList, *wait); err != nil {
			return err
		}
		topics, err := kafkax.DescribeTopics(ctx, brokerList, nil, "cleanup.policy", "min.insync.replicas")
		if err != nil {
			return err
		}
		for _, t := range topics {
			fmt.Fprintf(stdout, "%-28s partitions=%-3d replication=%d cleanup.policy=%s min.insync.replicas=%s\n",
				t.Name, t.Partitions, t.ReplicationFactor, orQ(t.Configs["cleanup.policy"]), orQ(t.Configs["min.insync.replicas"]))
		}
		return nil
	}
	fmt.Fprintln(stderr, topicsUsage)
	return fmt.Errorf("sink topics: unknown command %q", cmd)
}

func orQ(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

// awaitBroker pings until a broker answers or wait has passed.
func awaitBroker(ctx context.Context, brokers []string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err := kafkax.Ping(pctx, brokers)
		cancel()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// warnDrift reports existing topics whose partitions or cleanup policy
// differ from the table: ensure creates, it never changes a topic.
func warnDrift(ctx context.Context, brokers []string, specs []kafkax.TopicSpec, stderr io.Writer) error {
	names := make([]string, len(specs))
	for i, t := range specs {
		names[i] = t.Name
	}
	have, err := kafkax.DescribeTopics(ctx, brokers, names, "cleanup.policy")
	if err != nil {
		return err
	}
	for _, t := range specs {
		for _, h := range have {
			if h.Name != t.Name {
				continue
			}
			if h.Partitions != t.Partitions {
				fmt.Fprintf(stderr, "warning: %s has %d partitions, wanted %d (partitions are never removed; recreate the topic to change it)\n",
					t.Name, h.Partitions, t.Partitions)
			}
			if want := t.Configs["cleanup.policy"]; want != "" && h.Configs["cleanup.policy"] != want {
				fmt.Fprintf(stderr, "warning: %s has cleanup.policy=%s, wanted %s\n", t.Name, h.Configs["cleanup.policy"], want)
			}
		}
	}
	return nil
}
