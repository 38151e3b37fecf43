package server_test

import "testing"

// TestPostgres runs the store-backed flows on PostgreSQL, each on its own
// database: sign-in, the API, isolation, and the refresh paths.
func TestPostgres(t *testing.T) {
	newPostgres(t) // skips (or fails under TM_REQUIRE_POSTGRES=1) without a server
	for name, fn := range map[string]func(*testing.T, envOptions){
		"ConnectAccept": testConnectAccept, "API": testAPI, "Isolation": testIsolation,
		"FamilyExpiry": testFamilyExpiry, "Early401": testEarly401, "RevokedGrant": testRevokedGrant,
		"DeviceSignIn": testDeviceSignIn, "GatewayRefreshUnderLoad": testGatewayRefreshUnderLoad,
		"DoubleSubmitAcrossReplicas": testDoubleSubmitAcrossReplicas,
	} {
		t.Run(name, func(t *testing.T) { fn(t, envOptions{databaseURL: newPostgres(t)}) })
	}
}
