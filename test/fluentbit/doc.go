// Package fluentbit holds the integration tests that run the shipped
// configuration (fluent-bit.conf, fluent-bit.yaml) under a real Fluent Bit
// binary with the built out_enrich.so: lines go in through the tail and
// syslog inputs, are enriched by the plugin, come back through in_forward and
// leave through the es output into an Elasticsearch stand-in.
//
// The tests are skipped unless a fluent-bit binary is on PATH or
// FLUENT_BIT_BIN names one. BUILD_SO names a prebuilt plugin; otherwise the
// tests build ./plugin into a temporary directory.
package fluentbit
