// Command certsync makes certificate vendors (the CCADB, Markmonitor,
// QUANTIL) match a YAML inventory. See README.md; all logic is in
// internal/cli so it can be tested in-process.
package main

import (
	"context"
	"os"

	"github.com/certsync/certsync/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}
