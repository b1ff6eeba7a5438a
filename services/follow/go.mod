module github.com/tension-dev/tension/services/follow

go 1.26.0

require (
	github.com/tension-dev/tension/pkg v0.0.0
	github.com/tension-dev/tension/pkg/admin v0.0.0
	github.com/tension-dev/tension/pkg/kafkax v0.0.0
)

require (
	golang.org/x/net v0.59.0 // indirect
	golang.org/x/text v0.42.0 // indirect
)

replace (
	github.com/tension-dev/tension/pkg => ../../pkg
	github.com/tension-dev/tension/pkg/admin => ../../pkg/admin
	github.com/tension-dev/tension/pkg/kafkax => ../../pkg/kafkax
	github.com/tension-dev/tension/schemas => ../../schemas
)
