module github.com/tension-dev/tension/services/follow

go 1.26.0

require (
	github.com/tension-dev/tension/pkg v0.0.0
	github.com/tension-dev/tension/pkg/admin v0.0.0
	github.com/tension-dev/tension/pkg/kafkax v0.0.0
)

require (
	codeberg.org/readeck/go-readability/v2 v2.1.3 // indirect
	github.com/andybalholm/cascadia v1.3.3 // indirect
	github.com/go-shiori/dom v0.0.0-20230515143342-73569d674e1c // indirect
	github.com/gogs/chardet v0.0.0-20211120154057-b7413eaefb8f // indirect
	github.com/itlightning/dateparse v0.2.1 // indirect
	golang.org/x/net v0.59.0 // indirect
	golang.org/x/text v0.42.0 // indirect
)

replace (
	github.com/tension-dev/tension/pkg => ../../pkg
	github.com/tension-dev/tension/pkg/admin => ../../pkg/admin
	github.com/tension-dev/tension/pkg/kafkax => ../../pkg/kafkax
	github.com/tension-dev/tension/schemas => ../../schemas
)
