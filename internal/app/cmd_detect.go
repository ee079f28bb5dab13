package app

import (
	"context"
	"fmt"
	"os"

	"github.com/raqib-project/raqib/internal/detect/classifier"
	"github.com/raqib-project/raqib/internal/eval"
)

// dataFiles turns --dataset/--holdout values into classifier data files with
// the --positive label mapping.
func dataFiles(values, positive []string) ([]classifier.DataFile, error) {
	var out []classifier.DataFile
	for _, v := range values {
		df, err := classifier.ParseDataFlag(v)
		if err != nil {
			return nil, fmt.Errorf("%w: --dataset %s: %w", ErrUsage, v, err)
		}
		if df.Format == classifier.FormatCSV {
			df.Positive = positive
		}
		out = append(out, df)
	}
	return out, nil
}

func (c *Config) trainConfig() (classifier.TrainConfig, error) {
	data, err := dataFiles(c.Datasets, c.Positive)
	if err != nil {
		return classifier.TrainConfig{}, err
	}
	// The shipped model's recipe (calibration, threshold, weights) on
	// the data given.
	tc := classifier.ShippedConfig("", "")
	tc.Data, tc.Seed, tc.Folds = data, uint64(c.Seed), c.CV
	return tc, nil
}

// runEval prints precision, recall, F1, the false-positive rate, the
// confusion matrix and the worst mistakes of the detection stack.
func runEval(_ context.Context, c *Config) error {
	c.Datasets = append(c.Datasets, c.Args...)
	if len(c.Datasets)+len(c.Holdout) == 0 {
		return fmt.Errorf("%w: eval needs --dataset FILE (or --holdout FILE)", ErrUsage)
	}
	tc, err := c.trainConfig()
	if err != nil {
		return err
	}
	holdout, err := dataFiles(c.Holdout, c.Positive)
	if err != nil {
		return err
	}
	cfg := eval.Config{Data: tc.Data, Holdout: holdout, Folds: c.CV, Train: tc, JSON: c.JSON}
	if c.Model != "" {
		b, err := os.ReadFile(c.Model)
		if err != nil {
			return fmt.Errorf("model: %w", err)
		}
		if cfg.Model, err = classifier.Read(b); err != nil {
			return fmt.Errorf("model %s: %w", c.Model, err)
		}
	}
	_, err = eval.Run(cfg, c.Stdout)
	return err
}

// runTrain trains a classifier model on --dataset and writes it to --out with
// its provenance beside it.
func runTrain(_ context.Context, c *Config) error {
	c.Datasets = append(c.Datasets, c.Args...)
	if len(c.Datasets) == 0 {
		return fmt.Errorf("%w: train needs --dataset FILE...", ErrUsage)
	}
	tc, err := c.trainConfig()
	if err != nil {
		return err
	}
	tc.Out = c.Out
	_, rep, err := classifier.Train(tc, c.Stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "model written to %s (provenance in %s.json): %d examples\n", c.Out, c.Out, rep.Examples)
	return nil
}
