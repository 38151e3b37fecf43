package config

import (
	"fmt"
	"io/fs"
)

// SourceKind is the kind of place a value came from.
type SourceKind string

const (
	SourceNone    SourceKind = ""        // not set anywhere, no default
	SourceFlag    SourceKind = "flag"    // a command-line flag
	SourceEnv     SourceKind = "env"     // the process environment
	SourceDotenv  SourceKind = "dotenv"  // .env.local or .env
	SourceJSON    SourceKind = "json"    // ticket-mate.json, jira.json, --config or the user config file
	SourceDefault SourceKind = "default" // tm's built-in default
)

// Source is where a value came from.
type Source struct {
	Kind  SourceKind
	Name  string // the flag ("project"), the variable, or the file as shown
	Var   string // in a .env file: the variable name used (differs from the setting for an alias)
	Alias bool   // the value was given under an older name
	Line  int    // in a file: 1-based line
	Col   int    // in a JSON file: 1-based column of the value
}

// String is the provenance shown by env-debug: "flag --project",
// "env ATLASSIAN_BASE_URL", "env JIRA_API_TOKEN (alias)", ".env.local:3",
// "ticket-mate.json:2", "default", or "not set".
func (s Source) String() string {
	switch s.Kind {
	case SourceFlag:
		return "flag --" + s.Name
	case SourceEnv:
		if s.Alias {
			return "env " + s.Name + " (alias)"
		}
		return "env " + s.Name
	case SourceDotenv, SourceJSON:
		str := s.Name
		if s.Line > 0 {
			str = fmt.Sprintf("%s:%d", s.Name, s.Line)
		}
		if s.Alias {
			str += " " + s.Var + " (alias)"
		}
		return str
	case SourceDefault:
		return "default"
	}
	return "not set"
}

// where is String with the column, for error messages.
func (s Source) where() string {
	if s.Kind == SourceJSON && s.Line > 0 && s.Col > 0 {
		return fmt.Sprintf("%s:%d:%d", s.Name, s.Line, s.Col)
	}
	if s.Kind == SourceDotenv && s.Line > 0 {
		return fmt.Sprintf("%s:%d", s.Name, s.Line)
	}
	return s.String()
}

// Setting is one variable's effective value and its provenance.
type Setting struct {
	Name     string   // ATLASSIAN_BASE_URL
	JSONKey  string   // baseUrl
	Value    string   // as shown: secrets masked (tm.Mask), passwords in URLs hidden; "" when not set
	Secret   bool     // the value is a credential
	Source   Source   // where the effective value came from
	Shadowed []Source // lower-ranked places that set it too, highest first
}

// FileStatus is what happened when tm looked for a file.
type FileStatus string

const (
	FileFound    FileStatus = "found"
	FileNotFound FileStatus = "not found"
	FileSkipped  FileStatus = "skipped" // not read on purpose (Detail says why)
	FileInvalid  FileStatus = "error"   // Detail, Line and Col say what is wrong
)

// Role is the place a file takes in the order of precedence.
type Role string

const (
	RoleDotenvLocal Role = ".env.local"
	RoleDotenv      Role = ".env"
	RoleTicketMate  Role = "ticket-mate.json"
	RoleJira        Role = "jira.json"
	RoleExplicit    Role = "--config"
	RoleUser        Role = "user config"
)

// File is one file tm looked at.
type File struct {
	Role    Role
	Name    string // as shown: ".env.local", the --config path as given, or the user file's full path
	Path    string // as opened
	Status  FileStatus
	Detail  string      // why skipped, or the error
	Line    int         // of the error
	Col     int         // of the error
	Mode    fs.FileMode // permission bits, when found
	Keys    []string    // settings it assigns (variable names)
	Secrets []string    // which of Keys are credentials
}
