module github.com/tension-dev/tension/services/loadgen

go 1.26.0

require github.com/tension-dev/tension/pkg v0.0.0

require github.com/google/uuid v1.6.0 // indirect

replace github.com/tension-dev/tension/pkg => ../../pkg

replace github.com/tension-dev/tension/schemas => ../../schemas

replace github.com/tension-dev/tension/pkg/admin => ../../pkg/admin

replace github.com/tension-dev/tension/pkg/chstore => ../../pkg/chstore

replace github.com/tension-dev/tension/pkg/kafkax => ../../pkg/kafkax
