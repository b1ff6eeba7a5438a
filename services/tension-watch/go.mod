module github.com/tension-dev/tension/services/tension-watch

go 1.26.0

require (
	github.com/segmentio/kafka-go v0.4.51
	github.com/tension-dev/tension/pkg v0.0.0
	golang.org/x/sync v0.25.0
)

require (
	github.com/google/uuid v1.6.0 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	golang.org/x/net v0.59.0 // indirect
)

replace (
	github.com/tension-dev/tension/pkg => ../../pkg
	github.com/tension-dev/tension/schemas => ../../schemas
)

replace github.com/tension-dev/tension/pkg/admin => ../../pkg/admin

replace github.com/tension-dev/tension/pkg/chstore => ../../pkg/chstore

replace github.com/tension-dev/tension/pkg/kafkax => ../../pkg/kafkax
