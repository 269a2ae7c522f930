package models

import "testing"

func TestDefaultTournamentIsRegistered(t *testing.T) {
	reg := Standard()
	want := DefaultTournament()
	got := reg.Defaults()
	if len(got) != len(want) {
		t.Fatalf("%d defaults, want %d", len(got), len(want))
	}
	for _, n := range want {
		s, ok := reg.Lookup(n)
		if !ok || !s.Default {
			t.Errorf("default %q not registered as default", n)
		}
	}
	if len(reg.All()) < 30 {
		t.Errorf("only %d models registered", len(reg.All()))
	}
}
