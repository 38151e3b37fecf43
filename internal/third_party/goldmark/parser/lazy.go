package parser

import (
	"regexp"
	"sync"
)

// lazyRegexp compiles expr on first use. (ticket-mate: upstream compiles
// its HTML regexps at start-up, in every program that links the parser.)
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
