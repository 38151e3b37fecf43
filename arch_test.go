package tm_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/ticket-mate/tm"

// TestDependencyDirection keeps the layering of architecture.md true: the
// domain package imports nothing of the project, the leaf packages import
// only the domain, the emulator imports nothing of the client it tests, and
// nothing below the command layer imports it.
func TestDependencyDirection(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list over the module")
	}
	out, err := exec.Command("go", "list", "-deps=false", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	type pkg struct {
		ImportPath   string
		Imports      []string
		TestImports  []string
		XTestImports []string
	}
	var pkgs []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}

	// rules: package prefix → the project packages it may import (prefixes).
	// A package not matched by any rule may import anything of the project.
	rules := []struct {
		pkg     string
		allowed []string
	}{
		{"", nil}, // the domain package: standard library and third parties only
		{"internal/secret", nil},
		{"internal/oskeyring", nil},
		{"internal/adf", []string{"", "internal/third_party/goldmark"}},
		// Vendored third-party code (see its README): itself only.
		{"internal/third_party/goldmark", []string{"internal/third_party/goldmark"}},
		{"internal/jql", []string{""}},
		{"internal/jira", []string{"", "internal/jira", "internal/adf", "internal/jql"}},
		{"internal/atlassian", []string{"", "internal/atlassian"}},
		{"internal/store", []string{"", "internal/store", "internal/secret"}},
		{"internal/emulator", []string{"internal/emulator", "internal/openapitest"}},
		{"internal/openapitest", nil},
		{"internal/config", []string{""}},
		// The ticket service: below the front ends, above the client.
		{"internal/ticket", []string{"", "internal/ticket", "internal/jira", "internal/adf", "internal/jql"}},
		// The MCP tools: a front end's part, shared by tm mcp and tm serve.
		{"internal/mcp", []string{"", "internal/mcp", "internal/ticket"}},
		{"internal/server", []string{"", "internal/server", "internal/mcp", "internal/ticket", "internal/jira", "internal/atlassian", "internal/adf", "internal/jql", "internal/secret"}},
	}
	rel := func(path string) string {
		if path == module {
			return ""
		}
		return strings.TrimPrefix(path, module+"/")
	}
	under := func(p, prefix string) bool {
		if prefix == "" {
			return p == ""
		}
		return p == prefix || strings.HasPrefix(p, prefix+"/")
	}
	checked := 0
	for _, p := range pkgs {
		name := rel(p.ImportPath)
		for _, r := range rules {
			if !under(name, r.pkg) {
				continue
			}
			checked++
			imports := p.Imports
			if r.pkg == "internal/emulator" {
				// The emulator's tests must not lean on the client either, or a
				// shared misunderstanding could hide in both.
				imports = append(append(append([]string(nil), imports...), p.TestImports...), p.XTestImports...)
			}
			for _, imp := range imports {
				if imp != module && !strings.HasPrefix(imp, module+"/") {
					continue
				}
				dep := rel(imp)
				ok := false
				for _, a := range r.allowed {
					if under(dep, a) {
						ok = true
						break
					}
				}
				if !ok {
					t.Errorf("%s imports %s: %s may import only %q", p.ImportPath, imp, displayName(r.pkg), r.allowed)
				}
			}
		}
		// goldmark is internal/adf's dependency, as if it were a module.
		if name != "internal/adf" && !strings.HasPrefix(name, "internal/third_party/goldmark") {
			for _, imp := range p.Imports {
				if strings.HasPrefix(imp, module+"/internal/third_party/goldmark") {
					t.Errorf("%s imports %s: only internal/adf uses goldmark", p.ImportPath, imp)
				}
			}
		}
		// Nothing outside the command layer may reach into it.
		if !strings.HasPrefix(name, "internal/cli") && !strings.HasPrefix(name, "cmd/") && name != "bench" {
			for _, imp := range p.Imports {
				if strings.HasPrefix(imp, module+"/internal/cli") {
					t.Errorf("%s imports the command layer (%s)", p.ImportPath, imp)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no package matched a rule: the rules are stale")
	}
}

func displayName(p string) string {
	if p == "" {
		return "the domain package"
	}
	return p
}
