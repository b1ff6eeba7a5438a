module github.com/tension-dev/tension/schemas

go 1.26.0
