package record

import "github.com/forecastd/forecastd/memguard"

// Hunt is the codec of a leak hunt's result (the body of a hunts row):
// every candidate with its verdict, the culprits and the shared-code
// leaks.
var Hunt = New[memguard.HuntResult]("leak hunt")
