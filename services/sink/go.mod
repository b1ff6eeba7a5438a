module github.com/tension-dev/tension/services/sink

go 1.26.0

require (
	github.com/ClickHouse/clickhouse-go/v2 v2.51.0
	github.com/google/uuid v1.6.0
	github.com/prometheus/client_golang v1.25.0
	github.com/segmentio/kafka-go v0.4.51
	github.com/tension-dev/tension/pkg v0.0.0
	github.com/tension-dev/tension/pkg/admin v0.0.0
	github.com/tension-dev/tension/pkg/chstore v0.0.0
	github.com/tension-dev/tension/pkg/kafkax v0.0.0
)

require github.com/kylelemons/godebug v1.1.0 // indirect

require (
	github.com/ClickHouse/ch-go v0.75.0 // indirect
	github.com/andybalholm/brotli v1.2.7 // indirect
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/go-faster/city v1.0.1 // indirect
	github.com/go-faster/errors v0.8.0 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/paulmach/orb v0.14.0 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	github.com/prometheus/client_model v0.6.3 // indirect
	github.com/prometheus/common v0.72.0 // indirect
	github.com/prometheus/procfs v0.22.0 // indirect
	github.com/segmentio/asm v1.2.1 // indirect
	github.com/shopspring/decimal v1.6.0 // indirect
	github.com/tension-dev/tension/schemas v0.0.0 // indirect
	go.opentelemetry.io/otel v1.47.0 // indirect
	go.opentelemetry.io/otel/trace v1.47.0 // indirect
	golang.org/x/sync v0.25.0
	golang.org/x/sys v0.49.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

replace (
	github.com/tension-dev/tension/pkg => ../../pkg
	github.com/tension-dev/tension/schemas => ../../schemas
)

replace github.com/tension-dev/tension/pkg/admin => ../../pkg/admin

replace github.com/tension-dev/tension/pkg/chstore => ../../pkg/chstore

replace github.com/tension-dev/tension/pkg/kafkax => ../../pkg/kafkax
