module github.com/enrich-plugin/enrich

go 1.24.0

require (
	github.com/fluent/fluent-bit-go v0.0.0-20230731091245-a7a013e2473c
	github.com/vmihailenco/msgpack/v5 v5.4.1
)

require (
	github.com/ugorji/go/codec v1.1.7 // indirect
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
)
