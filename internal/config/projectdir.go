package config

import (
	"os"
	"path/filepath"
)

// projectFiles are the files tm reads from the project's directory.
var projectFiles = []Role{RoleDotenvLocal, RoleDotenv, RoleTicketMate, RoleJira}

// FindProjectDir finds the directory whose files configure tm when it runs
// in start: the nearest of start and its parents, up to the repository root
// (the first directory holding .git), that holds any of .env.local, .env,
// ticket-mate.json or jira.json. Outside a repository only start counts.
// When none is found, dir is start and nearest names the closest directory
// above that limit holding one, so the user can be told ("" when none).
func FindProjectDir(start string) (dir, nearest string) {
	if start == "" {
		return "", ""
	}
	root := ""
	for d := start; ; {
		if exists(filepath.Join(d, ".git")) {
			root = d
			break
		}
		up := filepath.Dir(d)
		if up == d {
			break
		}
		d = up
	}
	for d := start; ; {
		if holdsConfig(d) {
			if root != "" || d == start {
				return d, ""
			}
			return start, d
		}
		up := filepath.Dir(d)
		if up == d {
			return start, ""
		}
		if d == root {
			root = "" // past the repository: only a candidate to name now
		}
		d = up
	}
}

func holdsConfig(dir string) bool {
	for _, r := range projectFiles {
		if exists(filepath.Join(dir, string(r))) {
			return true
		}
	}
	return false
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
