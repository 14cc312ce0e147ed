//go:build !enrichwork

package enrich

// addWork counts n bytes examined by the recogniser when the package is
// built with the enrichwork tag, for the test that checks the search is
// linear in the value's length; in every other build it compiles to
// nothing.
func addWork(n int) {}
