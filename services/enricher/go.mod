module github.com/tension-dev/tension/services/enricher

go 1.26.0

require (
	github.com/tension-dev/tension/pkg v0.0.0
	github.com/tension-dev/tension/schemas v0.0.0
)

replace (
	github.com/tension-dev/tension/pkg => ../../pkg
	github.com/tension-dev/tension/schemas => ../../schemas
)
