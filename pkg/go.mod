module github.com/tension-dev/tension/pkg

go 1.26
