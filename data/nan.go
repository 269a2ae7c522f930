package data

import "math"

var nan = math.NaN()
