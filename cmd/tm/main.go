// Command tm is ticket-mate: connect to Jira, find out why a connection
// fails, and create and work on tickets — from a terminal or a shared server.
package main

import (
	"os"

	"github.com/ticket-mate/tm/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
