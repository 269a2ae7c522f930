package hierarchy

import (
	"fmt"
	"sort"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/forecastd/forecastd/data"
)

// Total is the reserved identifier of an aggregate in a key: {store,
// Total} is a store's total, {Total, sku} a SKU across stores, {Total,
// Total} the grand total. Uploads refuse identifiers beginning with "_",
// so it cannot name a real store or SKU.
const Total = "_total"

// Level is the level of a node in the hierarchy.
type Level string

// The levels, from the top.
const (
	LevelTotal Level = "total"
	LevelStore Level = "store"
	LevelSKU   Level = "sku"
	// LevelAttribute nodes sum the SKUs (in every store) whose attribute
	// Node.Attribute has the value Node.Value.
	LevelAttribute Level = "attribute"
	// LevelStoreAttribute nodes sum the SKUs of store Key.Store whose
	// attribute has the value (NewGrouped).
	LevelStoreAttribute Level = "store_attribute"
	LevelBottom         Level = "store_sku"
)

// Node is one series of the hierarchy.
type Node struct {
	Level Level
	// Key is the node's series key: the bottom key, or one with Total in
	// place of what is summed over. Attribute nodes have {Total, Total}
	// and are told apart by Attribute and Value.
	Key       data.Key
	Attribute string
	Value     string
}

// Attributes gives, by attribute name ("dept", "cat"), the value of the
// attribute for each SKU. A SKU absent from an attribute's map belongs to
// no node of that attribute.
type Attributes map[string]map[string]string

// Hierarchy is the tree (or grouped structure) above a set of bottom
// series: Nodes lists the aggregates first (total, stores, SKUs,
// attributes, each sorted), then the bottom series in the order given to
// New. The summing matrix S has one row per node and one column per
// bottom series.
type Hierarchy struct {
	Nodes   []Node
	nBottom int
	members [][]int // per node, the bottom columns it sums
	parent  []int   // per node, its parent in the tree total -> store -> bottom; -1 for the total and non-tree nodes
}

// New builds the hierarchy of bottom (distinct store x SKU keys whose
// identifiers do not begin with "_") and attrs (nil for none).
func New(bottom []data.Key, attrs Attributes) (*Hierarchy, error) {
	if len(bottom) == 0 {
		return nil, fmt.Errorf("hierarchy: no bottom series")
	}
	seen := make(map[data.Key]bool, len(bottom))
	stores := map[string][]int{}
	skus := map[string][]int{}
	for j, k := range bottom {
		if strings.HasPrefix(k.Store, "_") || strings.HasPrefix(k.SKU, "_") {
			return nil, fmt.Errorf("hierarchy: bottom series %s: identifiers beginning with _ are reserved", k)
		}
		if seen[k] {
			return nil, fmt.Errorf("hierarchy: bottom series %s appears twice", k)
		}
		seen[k] = true
		stores[k.Store] = append(stores[k.Store], j)
		skus[k.SKU] = append(skus[k.SKU], j)
	}
	all := make([]int, len(bottom))
	for j := range all {
		all[j] = j
	}
	h := &Hierarchy{nBottom: len(bottom)}
	h.add(Node{Level: LevelTotal, Key: data.Key{Store: Total, SKU: Total}}, all, -1)
	storeNode := map[string]int{}
	for _, s := range sortedKeys(stores) {
		storeNode[s] = len(h.Nodes)
		h.add(Node{Level: LevelStore, Key: data.Key{Store: s, SKU: Total}}, stores[s], 0)
	}
	for _, s := range sortedKeys(skus) {
		h.add(Node{Level: LevelSKU, Key: data.Key{Store: Total, SKU: s}}, skus[s], -1)
	}
	for _, name := range sortedKeys(attrs) {
		byValue := map[string][]int{}
		for j, k := range bottom {
			if v, ok := attrs[name][k.SKU]; ok {
				byValue[v] = append(byValue[v], j)
			}
		}
		for _, v := range sortedKeys(byValue) {
			h.add(Node{Level: LevelAttribute, Key: data.Key{Store: Total, SKU: Total}, Attribute: name, Value: v}, byValue[v], -1)
		}
	}
	for j, k := range bottom {
		h.add(Node{Level: LevelBottom, Key: k}, []int{j}, storeNode[k.Store])
	}
	return h, nil
}

func (h *Hierarchy) add(n Node, members []int, parent int) {
	h.Nodes = append(h.Nodes, n)
	h.members = append(h.members, members)
	h.parent = append(h.parent, parent)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Len is the number of nodes, aggregates and bottom series.
func (h *Hierarchy) Len() int { return len(h.Nodes) }

// Bottom is the number of bottom series.
func (h *Hierarchy) Bottom() int { return h.nBottom }

// Aggregates is the number of aggregate nodes; they come first in Nodes.
func (h *Hierarchy) Aggregates() int { return len(h.Nodes) - h.nBottom }

// Members returns the bottom columns node i sums (not to be modified).
func (h *Hierarchy) Members(i int) []int { return h.members[i] }

// S returns the summing matrix: S[i][j] is 1 when node i sums bottom j.
func (h *Hierarchy) S() *mat.Dense {
	s := mat.NewDense(len(h.Nodes), h.nBottom, nil)
	for i, m := range h.members {
		for _, j := range m {
			s.Set(i, j, 1)
		}
	}
	return s
}

// Sum writes into dst (one value per node) the sums of the bottom values
// b (one per bottom series), and returns dst, allocated when nil.
func (h *Hierarchy) Sum(dst, b []float64) []float64 {
	if len(b) != h.nBottom {
		panic("hierarchy: Sum: wrong number of bottom values")
	}
	if dst == nil {
		dst = make([]float64, len(h.Nodes))
	}
	for i, m := range h.members {
		var s float64
		for _, j := range m {
			s += b[j]
		}
		dst[i] = s
	}
	return dst
}

// AttributeKey is the key of the aggregate of the series whose attribute
// name has value: in store, or across stores when store is "" (or
// Total). Its SKU is "_name=value", which no uploaded SKU can be.
func AttributeKey(store, name, value string) data.Key {
	if store == "" {
		store = Total
	}
	return data.Key{Store: store, SKU: "_" + name + "=" + value}
}

// SeriesAttributes gives the attributes of bottom series by name (an
// M5-style dept_id or cat_id of a store's SKU, a store's state_id): what
// the store keeps per series. A series absent from a name's values
// belongs to no node of that attribute.
type SeriesAttributes map[data.Key]map[string]string

// NewGrouped builds the grouped (not strictly nested) structure of M5
// above bottom: the total, the stores, the SKUs across stores, then for
// each attribute name (sorted) one node per value across stores (keyed
// AttributeKey("", name, value)) and one per store and value
// (AttributeKey(store, name, value)), each sorted, then the bottom
// series. A store x value node that sums the same series as its store
// (an attribute of the store, such as its state) is left out, as is an
// attribute no bottom series has. Every node sums bottom series, so S
// keeps full column rank and MinT applies unchanged; top_down splits down
// the tree total -> store -> bottom as in New.
func NewGrouped(bottom []data.Key, attrs SeriesAttributes) (*Hierarchy, error) {
	h, err := New(bottom, nil)
	if err != nil || len(attrs) == 0 {
		return h, err
	}
	// New put the total, stores and SKUs first and the bottom series
	// last: rebuild with the attribute nodes between them.
	nAgg := h.Aggregates()
	g := &Hierarchy{nBottom: h.nBottom}
	for i := 0; i < nAgg; i++ {
		g.add(h.Nodes[i], h.members[i], h.parent[i])
	}
	storeMembers := map[string]int{}
	for i := 0; i < nAgg; i++ {
		if h.Nodes[i].Level == LevelStore {
			storeMembers[h.Nodes[i].Key.Store] = len(h.members[i])
		}
	}
	names := map[string]bool{}
	for _, m := range attrs {
		for n := range m {
			names[n] = true
		}
	}
	for _, name := range sortedKeys(names) {
		byValue := map[string][]int{}
		byStore := map[string]map[string][]int{}
		for j, k := range bottom {
			v, ok := attrs[k][name]
			if !ok {
				continue
			}
			byValue[v] = append(byValue[v], j)
			if byStore[k.Store] == nil {
				byStore[k.Store] = map[string][]int{}
			}
			byStore[k.Store][v] = append(byStore[k.Store][v], j)
		}
		for _, v := range sortedKeys(byValue) {
			g.add(Node{Level: LevelAttribute, Key: AttributeKey("", name, v), Attribute: name, Value: v}, byValue[v], -1)
		}
		for _, st := range sortedKeys(byStore) {
			for _, v := range sortedKeys(byStore[st]) {
				if m := byStore[st][v]; len(m) < storeMembers[st] {
					g.add(Node{Level: LevelStoreAttribute, Key: AttributeKey(st, name, v), Attribute: name, Value: v}, m, -1)
				}
			}
		}
	}
	for j := 0; j < h.nBottom; j++ {
		i := nAgg + j
		// The bottom's parent is its store, which keeps its index.
		g.add(h.Nodes[i], h.members[i], h.parent[i])
	}
	return g, nil
}
