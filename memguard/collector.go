package memguard

// collector turns reports into metrics.
type collector struct{ g *Guard }

func newCollector(g *Guard) *collector { return &collector{g: g} }

func (c *collector) observe(*Report) {}
