package models

import "context"

// explainCheck explains in the model's own method and by enumeration,
// and returns both.
func (f *regressionFit[P]) explainCheck(ctx context.Context, in Input, h int, baseline map[string]float64) ([][]float64, [][]float64, error) {
	own, err := f.explain(ctx, in, h, baseline, "")
	if err != nil {
		return nil, nil, err
	}
	enum, err := f.explain(ctx, in, h, baseline, MethodShapley)
	if err != nil {
		return nil, nil, err
	}
	return own.Direct, enum.Direct, nil
}
