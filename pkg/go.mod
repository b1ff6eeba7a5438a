module github.com/tension-dev/tension/pkg

go 1.26.0

require (
	github.com/google/uuid v1.6.0
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3
	github.com/tension-dev/tension/schemas v0.0.0
	golang.org/x/text v0.42.0
)

require (
	github.com/segmentio/asm v1.2.1 // indirect
	github.com/segmentio/encoding v0.5.4
	golang.org/x/sys v0.49.0 // indirect
)

replace github.com/tension-dev/tension/schemas => ../schemas
