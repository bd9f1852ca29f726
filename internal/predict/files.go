package predict

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ModelDir is the folder of the persisted models under the data directory.
const ModelDir = "models"

// ErrNoModel: no model of that name has been trained.
var ErrNoModel = errors.New("no such model")

// Header is what every persisted model starts with.
type Header struct {
	Kind      string `json:"kind"`    // "clv", "churn"
	Format    int    `json:"format"`  // file format version
	Version   int    `json:"version"` // 1, 2, ... per model name: one per training
	TrainedAt string `json:"trained_at"`
}

func modelPath(dataDir, name string) string {
	return filepath.Join(dataDir, ModelDir, name+".json")
}

// saveModel writes v as DATA_DIR/models/NAME.json, atomically.
func saveModel(dataDir, name string, v any) error {
	dir := filepath.Join(dataDir, ModelDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save model %s: %w", name, err)
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("save model %s: %w", name, err)
	}
	tmp, err := os.CreateTemp(dir, name+".*.tmp")
	if err != nil {
		return fmt.Errorf("save model %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save model %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save model %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), modelPath(dataDir, name)); err != nil {
		return fmt.Errorf("save model %s: %w", name, err)
	}
	return nil
}

// loadModel reads DATA_DIR/models/NAME.json into v; ErrNoModel when absent.
func loadModel(dataDir, name string, v any) error {
	data, err := os.ReadFile(modelPath(dataDir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("model %s: %w", name, ErrNoModel)
	}
	if err != nil {
		return fmt.Errorf("read model %s: %w", name, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("read model %s (%s): %w", name, modelPath(dataDir, name), err)
	}
	return nil
}

// nextVersion is one more than the version of the persisted model NAME.
func nextVersion(dataDir, name string) int {
	var h Header
	if dataDir == "" || loadModel(dataDir, name, &h) != nil {
		return 1
	}
	return h.Version + 1
}

// ListModels returns every persisted model as a JSON object by name, with
// its version, window, parameters and metrics (a classifier's trees and
// weights left out).
func ListModels(dataDir string) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	if dataDir == "" {
		return out, nil
	}
	ents, err := os.ReadDir(filepath.Join(dataDir, ModelDir))
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list models: %w", err)
	}
	var names []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".json"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		var obj map[string]json.RawMessage
		if err := loadModel(dataDir, n, &obj); err != nil {
			return nil, err
		}
		delete(obj, "model")
		raw, err := json.Marshal(obj)
		if err != nil {
			return nil, fmt.Errorf("list models: %w", err)
		}
		out[n] = raw
	}
	return out, nil
}
