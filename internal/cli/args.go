package cli

import (
	"fmt"
	"strings"
)

// inventoryArg returns the inventory file of validate and plan: the -i flag,
// or one positional FILE (`certsync validate broken.yaml`), not both. A
// positional argument is never ignored: a file named but not read would let
// a check pass on the wrong inventory.
func inventoryArg(cmd, flagFile string, pos []string) (string, error) {
	switch {
	case len(pos) == 0:
		return flagFile, nil
	case len(pos) > 1:
		return "", fmt.Errorf("%s takes one inventory FILE (or -i FILE), got %d arguments: %s", cmd, len(pos), strings.Join(pos, " "))
	case flagFile != "":
		return "", fmt.Errorf("%s: name the inventory once, with -i %s or as %s, not both", cmd, flagFile, pos[0])
	}
	return pos[0], nil
}

// noArgs refuses positional arguments on a command that takes none.
func noArgs(cmd string, pos []string) error {
	if len(pos) == 0 {
		return nil
	}
	return fmt.Errorf("%s takes no arguments besides its flags, got: %s (the inventory is given with -i FILE)", cmd, strings.Join(pos, " "))
}
