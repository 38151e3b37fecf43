package factory

import (
	"runtime"
	"testing"
)

// TestSystemKeyring: without a session bus there is no keyring to ask on
// Linux (asking would launch a D-Bus daemon); with one there is.
func TestSystemKeyring(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if runtime.GOOS == "linux" && systemKeyring(getenv) != nil {
		t.Fatal("a keyring is used on Linux without DBUS_SESSION_BUS_ADDRESS")
	}
	env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/run/user/1000/bus"
	if systemKeyring(getenv) == nil {
		t.Fatal("no keyring with a session bus")
	}
}
