module github.com/enrich-plugin/enrich

go 1.26.8
