//go:build race

package scimx_test

// raceEnabled: the race detector slows the server tenfold, so tests of
// large requests send smaller ones.
const raceEnabled = true
