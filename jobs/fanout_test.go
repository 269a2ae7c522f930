package jobs

import (
	"reflect"
	"testing"

	"github.com/forecastd/forecastd/data"
)

func TestPartition(t *testing.T) {
	keys := []data.Key{{Store: "S1", SKU: "A"}, {Store: "S1", SKU: "B"}, {Store: "S1", SKU: "C"}, {Store: "S2", SKU: "A"}, {Store: "S2", SKU: "B"}}
	for _, tc := range []struct {
		name string
		p    Params
		want []PartArgs
	}{
		{"chunks of the default size", Params{Kind: KindTrain}, []PartArgs{
			{Part: 0, Parts: 3, Keys: keys[0:2], Series: 2},
			{Part: 1, Parts: 3, Keys: keys[2:4], Series: 2},
			{Part: 2, Parts: 3, Keys: keys[4:5], Series: 1},
		}},
		{"chunks of the job's size", Params{Kind: KindTrain, PartitionSize: 4}, []PartArgs{
			{Part: 0, Parts: 2, Keys: keys[0:4], Series: 4},
			{Part: 1, Parts: 2, Keys: keys[4:5], Series: 1},
		}},
		{"by store", Params{Kind: KindTrain, PartitionBy: PartitionByStore}, []PartArgs{
			{Part: 0, Parts: 2, Stores: []string{"S1"}, Series: 3},
			{Part: 1, Parts: 2, Stores: []string{"S2"}, Series: 2},
		}},
		{"refresh is one partition", Params{Kind: KindRefresh, PartitionSize: 1}, []PartArgs{
			{Part: 0, Parts: 1, All: true, Series: 5},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := partition(keys, tc.p, 2); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("partition = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
