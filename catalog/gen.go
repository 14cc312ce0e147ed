package catalog

// The embedded catalog (zz_generated.go, data/catalog.json, data/REPORT.md)
// is generated from the documents under sources/; `make catalog` runs this.
//go:generate go run ./internal/gen
