module github.com/tension-dev/tension/services/follow

go 1.26.0

require (
	codeberg.org/readeck/go-readability/v2 v2.1.3
	github.com/prometheus/client_golang v1.25.0
	github.com/segmentio/kafka-go v0.4.51
	github.com/tension-dev/tension/pkg v0.0.0
	github.com/tension-dev/tension/pkg/admin v0.0.0
	github.com/tension-dev/tension/pkg/kafkax v0.0.0
	golang.org/x/net v0.59.0
)

require (
	github.com/andybalholm/cascadia v1.3.3 // indirect
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/go-shiori/dom v0.0.0-20230515143342-73569d674e1c // indirect
	github.com/gogs/chardet v0.0.0-20211120154057-b7413eaefb8f // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/itlightning/dateparse v0.2.1 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/kylelemons/godebug v1.1.0 // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	github.com/prometheus/client_model v0.6.3 // indirect
	github.com/prometheus/common v0.72.0 // indirect
	github.com/prometheus/procfs v0.22.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.42.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

replace (
	github.com/tension-dev/tension/pkg => ../../pkg
	github.com/tension-dev/tension/pkg/admin => ../../pkg/admin
	github.com/tension-dev/tension/pkg/kafkax => ../../pkg/kafkax
	github.com/tension-dev/tension/schemas => ../../schemas
)
