// Command gen writes the emulator's scope table from the OpenAPI document:
//
//	go run ./internal/scopegen/gen -doc ../../../shared/jira/platform-openapi.v3.json -out scopes_gen.go
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/ticket-mate/tm/internal/emulator/internal/scopegen"
)

func main() {
	doc := flag.String("doc", "", "path of platform-openapi.v3.json")
	out := flag.String("out", "scopes_gen.go", "file to write")
	flag.Parse()
	if err := run(*doc, *out); err != nil {
		fmt.Fprintln(os.Stderr, "scopegen:", err)
		os.Exit(1)
	}
}

func run(docPath, out string) error {
	if docPath == "" {
		return fmt.Errorf("-doc is required: the path of Atlassian's platform-openapi.v3.json")
	}
	doc, err := os.ReadFile(docPath)
	if err != nil {
		return err
	}
	src, err := scopegen.Generate(doc)
	if err != nil {
		return err
	}
	return os.WriteFile(out, src, 0o644)
}
