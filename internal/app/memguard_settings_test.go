package app

import (
	"io"
	"strings"
	"testing"

	"github.com/forecastd/forecastd/memguard"
)

// TestMemguardSettings: the memguard rows' defaults are memguard's own,
// the variables reach memguard.Options, and bad values are refused
// naming the variable.
func TestMemguardSettings(t *testing.T) {
	for _, cmd := range []Command{ServeCommand, WorkerCommand} {
		c, err := Load(cmd, nil, MapEnv(nil), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		got, err := memguard.New(c.Guard())
		if err != nil {
			t.Fatal(err)
		}
		def, err := memguard.New(memguard.Options{})
		if err != nil {
			t.Fatal(err)
		}
		g, d := got.Options(), def.Options()
		if g.Window != d.Window || g.WarmUp != d.WarmUp || g.NoiseSigmas != d.NoiseSigmas ||
			g.NoiseFloorBytes != d.NoiseFloorBytes || g.CheckpointEvery != d.CheckpointEvery ||
			g.DisableHunt || g.MemProfileRate != d.MemProfileRate || g.MaxRetainedBytes != 0 {
			t.Errorf("%s: default memguard options %+v, want memguard's defaults %+v", cmd, g, d)
		}
	}

	c, err := Load(WorkerCommand, []string{"-memguard-sigmas", "4.5"}, MapEnv(map[string]string{
		"FORECASTD_MEMGUARD_WINDOW": "30", "FORECASTD_MEMGUARD_WARMUP": "5", "FORECASTD_MEMGUARD_SIGMAS": "2",
		"FORECASTD_MEMGUARD_NOISE_FLOOR_BYTES": "131072", "FORECASTD_MEMGUARD_CHECKPOINT_EVERY": "10",
		"FORECASTD_MEMGUARD_HUNT": "false", "FORECASTD_MEM_PROFILE_RATE": "4096", "FORECASTD_MEMORY_BUDGET_MB": "512",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o := c.Guard()
	want := memguard.Options{Window: 30, WarmUp: 5, NoiseSigmas: 4.5, NoiseFloorBytes: 131072, CheckpointEvery: 10,
		DisableHunt: true, MemProfileRate: 4096, MaxRetainedBytes: 512 << 20}
	if o != want {
		t.Errorf("memguard options %+v, want %+v", o, want)
	}

	for env, val := range map[string]string{
		"FORECASTD_MEMGUARD_WINDOW":            "1",
		"FORECASTD_MEMGUARD_WARMUP":            "0",
		"FORECASTD_MEMGUARD_SIGMAS":            "-1",
		"FORECASTD_MEMGUARD_NOISE_FLOOR_BYTES": "64k",
		"FORECASTD_MEMGUARD_CHECKPOINT_EVERY":  "0",
		"FORECASTD_MEMGUARD_HUNT":              "maybe",
	} {
		_, err := Load(ServeCommand, nil, MapEnv(map[string]string{env: val}), io.Discard)
		if err == nil || !strings.Contains(err.Error(), env) || !strings.Contains(err.Error(), `"`+val+`"`) {
			t.Errorf("%s=%s: error %v, want it refused naming the variable and the value", env, val, err)
		}
	}
	if _, err := Load(ServeCommand, []string{"-memguard-sigmas", "NaN"}, MapEnv(nil), io.Discard); err == nil ||
		!strings.Contains(err.Error(), "-memguard-sigmas") {
		t.Errorf("-memguard-sigmas NaN: %v", err)
	}
}
